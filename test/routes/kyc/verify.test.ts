/**
 * POST /kyc/bvn, POST /kyc/nin and GET /kyc through the real routes, the
 * real Wallet and IdentityClaims objects, and the Dojah look-alike (the
 * outside world). Each test number of the look-alike, and each refusal.
 */
import { describe, expect, it } from "vitest";
import { KYC_ATTEMPTS_PER_DAY } from "../../../src/domain/limits";
import { createExecutionContext } from "cloudflare:test";
import { createApp } from "../../../src/app";
import { apiInProcess, env, expectProblem, form, json, ORIGIN } from "../../support/helpers";
import {
  OTHER_PERSON,
  TEST_NUMBERS,
  TEST_PERSON,
  asTestPerson,
  freshNumber,
  kycStatus,
  kycUser,
  verify,
} from "./support";

type View = { tier: number; identities: { kind: string; last4: string; verified_at: string }[] };

describe("the matching test numbers", () => {
  it("a BVN then a NIN of the test person: tier 1, then tier 2, with only the last four digits shown", async () => {
    const user = await kycUser();
    const before = (await (await kycStatus(user.auth)).json()) as View;
    expect(before).toEqual({ tier: 0, identities: [] });

    const bvn = await verify(user.auth, "bvn", asTestPerson(TEST_NUMBERS.bvn.match));
    expect(bvn.status, await bvn.clone().text()).toBe(200);
    const after_bvn = (await bvn.json()) as View;
    expect(after_bvn.tier).toBe(1);
    expect(after_bvn.identities).toEqual([
      { kind: "bvn", last4: "2222", verified_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
    ]);

    const nin = await verify(user.auth, "nin", asTestPerson(TEST_NUMBERS.nin.match));
    expect(nin.status).toBe(200);
    const after_nin = (await nin.json()) as View;
    expect(after_nin.tier).toBe(2);
    expect(after_nin.identities.map((i) => [i.kind, i.last4]).sort()).toEqual([
      ["bvn", "2222"],
      ["nin", "6789"],
    ]);
    const status = (await (await kycStatus(user.auth)).json()) as View;
    expect(status).toEqual(after_nin);
  });

  it("tolerates case, accents, order, hyphens and a missing middle name; a form post works too", async () => {
    const bvn_number = freshNumber("bvn");
    const nin_number = freshNumber("nin");
    const user = await kycUser();
    const res = await verify(user.auth, "bvn", {
      number: bvn_number,
      first_name: "OKÁFOR",
      last_name: "chídinma",
      date_of_birth: TEST_PERSON.date_of_birth,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as View).tier).toBe(1);

    const other = await kycUser();
    const posted = await apiInProcess(
      "/kyc/nin",
      form(
        {
          number: nin_number,
          first_name: TEST_PERSON.first_name,
          middle_name: "",
          last_name: TEST_PERSON.last_name,
          date_of_birth: TEST_PERSON.date_of_birth,
        },
        other.auth,
      ),
    );
    expect(posted.status, await posted.clone().text()).toBe(200);
    expect(((await posted.json()) as View).identities[0]?.kind).toBe("nin");
  });

  it("verifying the same number again is idempotent (same tier, no second identity)", async () => {
    const bvn_number = freshNumber("bvn");
    const user = await kycUser();
    const first = await verify(user.auth, "bvn", asTestPerson(bvn_number));
    const again = await verify(user.auth, "bvn", asTestPerson(bvn_number));
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    const view = (await again.json()) as View;
    expect(view.tier).toBe(1);
    expect(view.identities).toHaveLength(1);
  });
});

describe("refusals", () => {
  it("a number whose issuer name differs, and a number not found: the same 422, and no upgrade", async () => {
    for (const kind of ["bvn", "nin"] as const) {
      const user = await kycUser();
      const differs = await verify(user.auth, kind, asTestPerson(TEST_NUMBERS[kind].name_differs));
      const problem = await expectProblem(differs, 422);
      expect(problem.code).toBe("identity_not_verified");
      const missing = await verify(user.auth, kind, asTestPerson(TEST_NUMBERS[kind].not_found));
      expect((await expectProblem(missing, 422)).code).toBe("identity_not_verified");
      // The right number with another date of birth: the same refusal.
      const wrong_dob = await verify(
        user.auth,
        kind,
        asTestPerson(freshNumber(kind), { date_of_birth: "1992-03-15" }),
      );
      expect((await expectProblem(wrong_dob, 422)).code).toBe("identity_not_verified");
      expect(((await (await kycStatus(user.auth)).json()) as View).tier).toBe(0);
    }
  });

  it("a provider that is down or slow: 503 identity_provider_unavailable with Retry-After", async () => {
    const user = await kycUser();
    const down = await verify(user.auth, "bvn", asTestPerson(TEST_NUMBERS.bvn.down));
    expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await expectProblem(down, 503)).code).toBe("identity_provider_unavailable");
    const started = Date.now();
    const slow = await verify(user.auth, "nin", asTestPerson(TEST_NUMBERS.nin.slow));
    expect(slow.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await expectProblem(slow, 503)).code).toBe("identity_provider_unavailable");
    // The test config's IDENTITY_TIMEOUT_MS (1500), not the look-alike's minute.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(((await (await kycStatus(user.auth)).json()) as View).tier).toBe(0);
  });

  it("a malformed number, name or date: 422 validation_failed that does not echo the number", async () => {
    const bvn_number = freshNumber("bvn");
    const user = await kycUser();
    for (const body of [
      asTestPerson("2222222222"),
      asTestPerson("2222222222x"),
      asTestPerson(bvn_number, { first_name: "<script>" }),
      asTestPerson(bvn_number, { date_of_birth: "1992-02-30" }),
    ]) {
      const res = await verify(user.auth, "bvn", body);
      const text = await res.clone().text();
      expect((await expectProblem(res, 422)).code).toBe("validation_failed");
      expect(text).not.toContain(body.number);
    }
  });

  it("a second BVN once one is verified: 409 identity_already_verified", async () => {
    const bvn_number = freshNumber("bvn");
    const user = await kycUser();
    expect((await verify(user.auth, "bvn", asTestPerson(bvn_number))).status).toBe(200);
    const other = await verify(user.auth, "bvn", asTestPerson(TEST_NUMBERS.bvn.name_differs));
    const problem = await expectProblem(other, 409);
    expect(problem.code).toBe("identity_already_verified");
    expect(problem.detail).toContain(bvn_number.slice(-4));
  });

  it("a NIN of another person than the verified BVN's: refused, even when the user types that person", async () => {
    const bvn_number = freshNumber("bvn");
    const user = await kycUser();
    expect((await verify(user.auth, "bvn", asTestPerson(bvn_number))).status).toBe(200);
    const res = await verify(user.auth, "nin", {
      number: TEST_NUMBERS.nin.name_differs,
      first_name: OTHER_PERSON.first_name,
      middle_name: OTHER_PERSON.middle_name,
      last_name: OTHER_PERSON.last_name,
      date_of_birth: OTHER_PERSON.date_of_birth,
    });
    expect((await expectProblem(res, 422)).code).toBe("identity_not_verified");
    expect(((await (await kycStatus(user.auth)).json()) as View).tier).toBe(1);
  });

  it(`more than ${KYC_ATTEMPTS_PER_DAY} attempts a day: 429 too_many_kyc_attempts, before the provider is asked`, async () => {
    const bvn_number = freshNumber("bvn");
    const user = await kycUser();
    for (let i = 0; i < KYC_ATTEMPTS_PER_DAY; i++) {
      const res = await verify(user.auth, "bvn", asTestPerson(TEST_NUMBERS.bvn.not_found));
      expect((await expectProblem(res, 422)).code).toBe("identity_not_verified");
    }
    // Even the right details are refused now: the count comes first.
    const refused = await verify(user.auth, "bvn", asTestPerson(bvn_number));
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await expectProblem(refused, 429)).code).toBe("too_many_kyc_attempts");
    expect(((await (await kycStatus(user.auth)).json()) as View).tier).toBe(0);
  });

  it("credentials the provider refuses are 'unavailable', never 'not found': 503 and no upgrade", async () => {
    const user = await kycUser();
    const wrong_keys = { ...env, DOJAH_SECRET_KEY: "not-the-look-alikes-key" } as unknown as Env;
    const res = await createApp().fetch(
      new Request(`${ORIGIN}/api/v1/kyc/bvn`, json(asTestPerson(freshNumber("bvn")), user.auth)),
      wrong_keys,
      createExecutionContext(),
    );
    expect((await expectProblem(res, 503)).code).toBe("identity_provider_unavailable");
    expect(((await (await kycStatus(user.auth)).json()) as View).tier).toBe(0);
  });

  it("needs a bearer token", async () => {
    const res = await apiInProcess("/kyc");
    expect((await expectProblem(res, 401)).status).toBe(401);
  });
});
