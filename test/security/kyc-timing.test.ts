/**
 * Enumerating BVNs by time (security catalogue, area "kyc"): the answers for
 * a number that is not found, one whose person is not the one typed, and one
 * verified by another user must not tell themselves apart by how long they
 * take, beyond the provider's own time. src/services/kyc.ts always asks the
 * provider once, whatever we already know of the number.
 *
 * The identity provider is the Dojah look-alike, reached through the real
 * port with DOJAH_BASE_URL set to an outside address, so every lookup crosses
 * the global fetch: the test counts the lookups there and gives each one the
 * same delay (a provider across a network takes tens of milliseconds; the
 * in-process look-alike, one). Two proofs:
 *
 *  - structural: every request of every class makes exactly one lookup;
 *  - timing: requests alternate between the classes (so a load spike on a
 *    shared machine falls on all of them alike); each class's median must
 *    lie within half the provider's delay of the median over all. A class
 *    that skipped the lookup would sit a whole delay below the others.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KYC_ATTEMPTS_PER_DAY } from "../../src/domain/limits";
import { createApp } from "../../src/app";
import { TEST_NUMBERS } from "../../src/sandbox/identity/people";
import { env, expectProblem, json, ORIGIN } from "../support/helpers";
import { asTestPerson, freshNumber, kycUser, verify, type Claimed } from "../routes/kyc/support";

/** An address outside the Worker, so the port's lookups go through the global fetch. */
const OUTSIDE = "https://identity-provider.test";
/** What each lookup takes, as a provider across a network would. */
const PROVIDER_DELAY_MS = 40;
/** Requests per class; alternating, so 3 x this in all. */
const PER_CLASS = 24;

type Class = "not_found" | "mismatch" | "in_use";
const CLASSES: Class[] = ["not_found", "mismatch", "in_use"];
const EXPECTED: Record<Class, { status: number; code: string }> = {
  not_found: { status: 422, code: "identity_not_verified" },
  mismatch: { status: 422, code: "identity_not_verified" },
  in_use: { status: 409, code: "identity_in_use" },
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

afterEach(() => vi.restoreAllMocks());

describe("BVN enumeration by time", () => {
  it("not found, another person, in use by another user: one provider lookup each, and medians within the provider's own time", async () => {
    const real_fetch = globalThis.fetch;
    let lookups = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(OUTSIDE)) return real_fetch(request);
      lookups += 1;
      await new Promise((resolve) => setTimeout(resolve, PROVIDER_DELAY_MS));
      const url = request.url.replace(OUTSIDE, `${ORIGIN}/__sandbox/dojah`);
      return exports.default.fetch(new Request(url, request));
    });
    const outside = { ...env, DOJAH_BASE_URL: OUTSIDE } as unknown as Env;
    const app = createApp();
    const send = async (auth: Record<string, string>, body: Claimed): Promise<Response> => {
      const ctx = createExecutionContext();
      const response = await app.fetch(
        new Request(`${ORIGIN}/api/v1/kyc/bvn`, json(body, auth)),
        outside,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };

    // A number another user verified (through the look-alike directly: not measured).
    const owned = freshNumber("bvn");
    const owner = await kycUser();
    expect((await verify(owner.auth, "bvn", asTestPerson(owned))).status).toBe(200);
    const bodies: Record<Class, () => Claimed> = {
      not_found: () => asTestPerson(TEST_NUMBERS.bvn.not_found),
      // A real number of the test person, typed with another first name.
      mismatch: () => asTestPerson(freshNumber("bvn"), { first_name: "Emeka" }),
      in_use: () => asTestPerson(owned),
    };

    // Each user has KYC_ATTEMPTS_PER_DAY attempts; every class is spread over the same users.
    const users = await Promise.all(
      Array.from({ length: Math.ceil((PER_CLASS * CLASSES.length) / KYC_ATTEMPTS_PER_DAY) }, () =>
        kycUser(),
      ),
    );
    const times: Record<Class, number[]> = { not_found: [], mismatch: [], in_use: [] };
    for (let round = 0; round < PER_CLASS; round++) {
      // Rotate which class goes first, so none always follows the same one.
      for (let i = 0; i < CLASSES.length; i++) {
        const kind = CLASSES[(round + i) % CLASSES.length];
        const n = round * CLASSES.length + i;
        const user = users[Math.floor(n / KYC_ATTEMPTS_PER_DAY)];
        const before = lookups;
        const started = performance.now();
        const response = await send(user.auth, bodies[kind]());
        const problem = await expectProblem(response, EXPECTED[kind].status);
        times[kind].push(performance.now() - started);
        expect(problem.code, `${kind} #${round}`).toBe(EXPECTED[kind].code);
        expect(lookups - before, `${kind} #${round}: provider lookups`).toBe(1);
      }
    }

    const all = median(Object.values(times).flat());
    const medians = Object.fromEntries(CLASSES.map((kind) => [kind, median(times[kind])]));
    // Every answer waited for the provider at least once.
    for (const kind of CLASSES)
      expect(Math.min(...times[kind]), `${kind}: fastest answer`).toBeGreaterThanOrEqual(
        PROVIDER_DELAY_MS - 1,
      );
    for (const kind of CLASSES)
      expect(
        Math.abs(medians[kind] - all),
        `${kind}: median ${medians[kind]} ms against ${all} ms over all (${JSON.stringify(medians)})`,
      ).toBeLessThanOrEqual(PROVIDER_DELAY_MS / 2);
  }, 120_000);
});
