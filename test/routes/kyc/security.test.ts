/**
 * KYC's attacks (security catalogue, area "kyc"): someone else's BVN,
 * enumerating numbers through differences in the answers, and data
 * minimisation (no number in any answer, log line or stored row).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { identityClaimsShardName } from "../../../src/durable/identity-claims/object";
import { requireConfig } from "../../../src/lib/config";
import { identityHash } from "../../../src/lib/identity-hash";
import { env, expectProblem } from "../../support/helpers";
import {
  OTHER_PERSON,
  TEST_NUMBERS,
  asTestPerson,
  freshNumber,
  kycStatus,
  kycUser,
  storedText,
  verify,
} from "./support";

type View = { tier: number };

/** A problem's text without what differs per request (the request id). */
async function problemShape(
  res: Response,
): Promise<{ status: number; headers: string; body: string }> {
  const body = (await res.json()) as Record<string, unknown>;
  delete body.request_id;
  const headers = ["content-type", "cache-control", "retry-after"]
    .map((name) => `${name}=${res.headers.get(name)}`)
    .join(";");
  return { status: res.status, headers, body: JSON.stringify(body) };
}

describe("someone else's BVN", () => {
  it("answers 409 identity_in_use only after a full match; a partial match answers like an unknown number", async () => {
    const number = freshNumber("bvn");
    const owner = await kycUser();
    expect((await verify(owner.auth, "bvn", asTestPerson(number))).status).toBe(200);

    const thief = await kycUser();
    // Without the person's name and date of birth: the same answer as a number that does not exist.
    const partial = await problemShape(
      await verify(thief.auth, "bvn", asTestPerson(number, { first_name: "Emeka" })),
    );
    const unknown = await problemShape(
      await verify(
        thief.auth,
        "bvn",
        asTestPerson(TEST_NUMBERS.bvn.not_found, { first_name: "Emeka" }),
      ),
    );
    expect(partial).toEqual(unknown);
    expect(partial.status).toBe(422);

    // With everything the owner typed: told it is in use, and nothing more.
    const full = await verify(thief.auth, "bvn", asTestPerson(number));
    const text = await full.clone().text();
    expect((await expectProblem(full, 409)).code).toBe("identity_in_use");
    expect(text).not.toContain(owner.user_id);
    expect(text).not.toContain(number);
    expect(((await (await kycStatus(thief.auth)).json()) as View).tier).toBe(0);
    // The owner keeps it.
    expect(((await (await kycStatus(owner.auth)).json()) as View).tier).toBe(1);
  });

  it("two users verifying the same number at once: exactly one wins", async () => {
    const number = freshNumber("nin");
    const users = await Promise.all([kycUser(), kycUser(), kycUser(), kycUser()]);
    const answers = await Promise.all(
      users.map((user) => verify(user.auth, "nin", asTestPerson(number))),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    const tiers = await Promise.all(
      users.map(async (user) => ((await (await kycStatus(user.auth)).json()) as View).tier),
    );
    expect(tiers.sort()).toEqual([0, 0, 0, 1]);
  });
});

describe("enumeration through the answers", () => {
  it("not found, another person's name, a wrong date of birth: byte-identical answers apart from the request id", async () => {
    for (const kind of ["bvn", "nin"] as const) {
      const user = await kycUser();
      const shapes = [
        await problemShape(
          await verify(user.auth, kind, asTestPerson(TEST_NUMBERS[kind].not_found)),
        ),
        await problemShape(
          await verify(user.auth, kind, asTestPerson(TEST_NUMBERS[kind].name_differs)),
        ),
        await problemShape(
          await verify(
            user.auth,
            kind,
            asTestPerson(freshNumber(kind), { date_of_birth: OTHER_PERSON.date_of_birth }),
          ),
        ),
      ];
      expect(shapes[0]!.status).toBe(422);
      expect(shapes[0]!.body).toContain("identity_not_verified");
      expect(shapes[1]).toEqual(shapes[0]);
      expect(shapes[2]).toEqual(shapes[0]);
    }
  });
});

describe("data minimisation", () => {
  afterEach(() => vi.restoreAllMocks());

  it("no number appears in any answer, log line or stored row; the claim holds the keyed hash", async () => {
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const bvn = freshNumber("bvn");
    const nin = freshNumber("nin");
    const user = await kycUser();
    const thief = await kycUser();
    const answers: string[] = [];
    const keep = async (res: Response) => {
      answers.push(await res.text());
      return res;
    };
    await keep(await verify(user.auth, "bvn", asTestPerson(bvn)));
    await keep(await verify(user.auth, "nin", asTestPerson(nin)));
    await keep(await verify(thief.auth, "bvn", asTestPerson(bvn)));
    await keep(await verify(thief.auth, "nin", asTestPerson(TEST_NUMBERS.nin.name_differs)));
    await keep(await verify(thief.auth, "bvn", asTestPerson(TEST_NUMBERS.bvn.down)));
    await keep(await kycStatus(user.auth));
    expect(JSON.parse(answers[5]!)).toMatchObject({ tier: 2 });

    const numbers = [bvn, nin, TEST_NUMBERS.nin.name_differs, TEST_NUMBERS.bvn.down];
    const stored = [await storedText(user.stub), await storedText(thief.stub)];
    const key = requireConfig(env).identity.hash_key;
    const hashes = [identityHash(key, "bvn", bvn), identityHash(key, "nin", nin)];
    for (const hash of hashes) {
      const shard = env.IDENTITY_CLAIMS.getByName(identityClaimsShardName(hash));
      const text = await storedText(shard);
      expect(text).toContain(hash);
      stored.push(text);
    }
    // The wallet keeps the hash and last four only.
    expect(stored[0]).toContain(hashes[0]);
    expect(stored[0]).toContain(bvn.slice(-4));
    expect(lines.some((line) => line.includes("kyc verification"))).toBe(true);
    for (const number of numbers) {
      for (const text of [...answers, ...lines, ...stored]) expect(text).not.toContain(number);
    }
    // Nor the names the user typed, in logs.
    for (const line of lines) expect(line).not.toContain("Okafor");
  });
});
