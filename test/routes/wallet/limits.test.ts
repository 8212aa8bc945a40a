/**
 * KYC tiers through the real routes (issue 21): GET /wallet/limits, and each
 * refusal as the problem the API answers: 422 tier_limit_exceeded (funding
 * and purchases), 422 tier_balance_cap, 403 kyc_required when KYC_REQUIRED is
 * true; and 25 concurrent purchases that together pass the day accept exactly
 * what fits. The tests run with KYC_REQUIRED=false (wrangler.jsonc), so an
 * unverified wallet has tier 1's limits: NGN 50,000 a day, NGN 300,000 held.
 */
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nextLagosMidnightMs } from "../../../src/domain/tiers";
import worker from "../../../src/worker";
import {
  api,
  authedJson,
  bearerFor,
  env,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  newWallet,
  ORIGIN,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";
import { buyAirtime, uniqueMtnNumber } from "../../support/purchases";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

type Limits = {
  tier: number;
  daily_limit: string;
  max_balance: string | null;
  used_today: string;
  used_today_minor: number;
  remaining_today: string;
  remaining_today_minor: number;
  resets_at: string;
  next_tier: {
    tier: number;
    daily_limit: string;
    max_balance: string | null;
    needs: string;
  } | null;
};

async function limits(auth: Record<string, string>): Promise<Limits> {
  const res = await api("/wallet/limits", { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as Limits;
}

const fund = (auth: Record<string, string>, amount: string) =>
  api("/wallet/fund", authedJson(auth, { amount }));

/** The Worker with KYC_REQUIRED=true: the same code, bindings and Durable Objects, one setting changed. */
function withKycRequired(path: string, init: RequestInit): Promise<Response> {
  return Promise.resolve(
    worker.fetch(
      new Request(`${ORIGIN}/api/v1${path}`, init) as Parameters<typeof worker.fetch>[0],
      { ...env, KYC_REQUIRED: "true" } as never,
      createExecutionContext(),
    ),
  );
}

describe("GET /wallet/limits", () => {
  it("shows an unverified wallet tier 1's limits, nothing used, the next Lagos midnight and what tier 1 needs", async () => {
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const before = Date.now();
    const body = await limits(auth);
    expect(body).toMatchObject({
      tier: 0,
      daily_limit: "50000.00",
      daily_limit_minor: 50_000_00,
      max_balance: "300000.00",
      max_balance_minor: 300_000_00,
      used_today: "0.00",
      remaining_today: "50000.00",
      next_tier: {
        tier: 1,
        daily_limit: "50000.00",
        max_balance: "300000.00",
        needs: "verify a BVN or NIN with POST /api/v1/kyc/bvn or /kyc/nin",
      },
    });
    expect(body.resets_at).toMatch(/T23:00:00\.000Z$/);
    expect([nextLagosMidnightMs(before), nextLagosMidnightMs(Date.now())]).toContain(
      Date.parse(body.resets_at),
    );
  });

  it("needs a token", async () => {
    await expectProblem(await api("/wallet/limits"), 401);
  });
});

describe("tier refusals through the routes", () => {
  it("refuses a funding past the day with 422 tier_limit_exceeded naming limit, used, remaining, resets_at and the next tier", async () => {
    const { auth } = await fundedWallet(20_000_00, { verify: false });
    const problem = await expectProblem(await fund(auth, "30001"), 422);
    expect(problem).toMatchObject({
      code: "tier_limit_exceeded",
      tier: 0,
      limit: "50000.00",
      limit_minor: 50_000_00,
      used_today: "20000.00",
      used_today_minor: 20_000_00,
      remaining_today: "30000.00",
      remaining_today_minor: 30_000_00,
      required: "30001.00",
      next_tier: { tier: 1, daily_limit: "50000.00", max_balance: "300000.00" },
    });
    expect(String((problem as Record<string, unknown>).resets_at)).toMatch(/T23:00:00\.000Z$/);
    // Nothing was opened or counted.
    expect((await limits(auth)).used_today).toBe("20000.00");
    expect((await fund(auth, "30000")).status).toBe(201);
  });

  it("refuses a purchase past the day with 422 tier_limit_exceeded, holding nothing", async () => {
    // NGN 30,000 funded today: the balance would cover 20,001, the day has 20,000 left.
    const { auth, stub } = await fundedWallet(30_000_00, { verify: false });
    const problem = await expectProblem(
      await buyAirtime(auth, { phone: uniqueMtnNumber(), amount: "20001" }),
      422,
    );
    expect(problem).toMatchObject({
      code: "tier_limit_exceeded",
      remaining_today: "20000.00",
      required: "20001.00",
    });
    expect(await expectLedgerConsistent(stub)).toMatchObject({ held_minor: 0 });
  });

  it("refuses a funding past the balance cap with 422 tier_balance_cap (an operator's downgrade to tier 1 under a larger balance)", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const downgraded = await stub.overrideTier(
      { id: "op-approver", role: "approver" },
      { tier: 1, reason: "review pending" },
    );
    expect(downgraded).toEqual({ outcome: "set", tier: 1 });
    const problem = await expectProblem(await fund(auth, "100001"), 422);
    expect(problem).toMatchObject({
      code: "tier_balance_cap",
      tier: 1,
      max_balance: "300000.00",
      max_balance_minor: 300_000_00,
      balance: "200000.00",
      required: "100001.00",
      next_tier: { tier: 2, daily_limit: "200000.00", max_balance: "500000.00" },
    });
  });

  it("with KYC_REQUIRED=true, an unverified wallet may not fund, buy or withdraw (403 kyc_required, what to do)", async () => {
    const { auth, stub, user_id } = await fundedWallet(5_000_00, { verify: false });
    const attempts = [
      withKycRequired("/wallet/fund", authedJson(auth, { amount: "1000" })),
      withKycRequired(
        "/wallet/airtime",
        authedJson(auth, { phone: uniqueMtnNumber(), amount: "100" }),
      ),
      withKycRequired(
        "/wallet/withdraw",
        authedJson(auth, { amount: "1000", account_number: "0690000031", account_bank: "044" }),
      ),
    ];
    for (const res of await Promise.all(attempts)) {
      const problem = await expectProblem(res, 403);
      expect(problem).toMatchObject({ code: "kyc_required", tier: 0, next_tier: { tier: 1 } });
      expect(problem.detail).toContain("POST /api/v1/kyc/bvn or /kyc/nin");
    }
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 5_000_00,
      held_minor: 0,
    });
    // Verified, the same request goes through.
    await stub.recordIdentity({
      kind: "nin",
      hash: `nin-${user_id}`,
      last4: "9876",
      verified_name: "TEST USER",
      verified_dob: "1990-01-01",
      provider: "sandbox",
    });
    expect(
      (await withKycRequired("/wallet/fund", authedJson(auth, { amount: "1000" }))).status,
    ).toBe(201);
  });
});

describe("the day's limit under concurrency", () => {
  it(
    "with NGN 20,000 left today, 25 concurrent purchases of 3,000: 10 pass the per-user limit, of which exactly 6 are held and 4 refused",
    async () => {
      // NGN 30,000 funded today: 20,000 of the day is left, and the balance would allow 10.
      const { auth, stub } = await fundedWallet(30_000_00, { verify: false });
      const phone = uniqueMtnNumber();
      // The purchases stay pending (VTpass gives no answer), so every accepted one keeps its hold.
      await controlData(
        await vtControl("/faults", {
          body: { operation: "pay", match: phone, mode: "http_500", times: 25 },
        }),
      );
      // All 25 in one window of PURCHASE_USER_LIMITER (10 a minute): the 15 past it never reach the wallet.
      await withinOneRateWindow(15_000);
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => buyAirtime(auth, { phone, amount: "3000" })),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(6);
      expect(statuses.filter((s) => s === 422)).toHaveLength(4);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      for (const r of answers.filter((a) => a.status === 422))
        expect((await expectProblem(r, 422)).code).toBe("tier_limit_exceeded");
      expect(await expectLedgerConsistent(stub)).toMatchObject({
        balance_minor: 30_000_00,
        held_minor: 18_000_00,
        available_minor: 12_000_00,
      });
      expect(await limits(auth)).toMatchObject({
        used_today: "48000.00",
        remaining_today: "2000.00",
      });
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );
});
