/**
 * The KYC tier rules inside the Wallet object (src/durable/wallet/tier-rules.ts):
 * the day's total counts every hold, credit and debit and refuses what would
 * pass the tier's daily limit; a void or a reversal gives the room back to its
 * day once; a funding is refused at open past the day or the balance cap;
 * money that arrives over the cap is credited in full, flagged `over_tier_cap`,
 * and further credits are refused until the balance is back under.
 */
import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { CBN_TIER_TABLE, type TierPolicy } from "../../../src/domain/tiers";
import type { ProviderFacts } from "../../../src/domain/transactions";
import { newTxRef } from "../../../src/lib/ids";
import { newWallet } from "../../support/helpers";

type Stub = Awaited<ReturnType<typeof newWallet>>["stub"];

/** A small table, so a test moves little money: NGN 1,000 a day and NGN 1,500 held at tier 1. */
const SMALL: TierPolicy = {
  required: false,
  table: {
    "1": { daily_limit_minor: 1_000_00, max_balance_minor: 1_500_00 },
    "2": { daily_limit_minor: 2_000_00, max_balance_minor: 5_000_00 },
    "3": { daily_limit_minor: 50_000_00, max_balance_minor: null },
  },
};
const REQUIRED: TierPolicy = { table: CBN_TIER_TABLE, required: true };

const paid = (tx_ref: string, amount_minor: number): ProviderFacts => ({
  found: true,
  provider_ref: `p-${tx_ref}`,
  our_ref: tx_ref,
  outcome: "succeeded",
  amount_minor,
  currency: "NGN",
  message: null,
});

async function openFund(stub: Stub, user_id: string, amount_minor: number, tiers = SMALL) {
  const tx_ref = newTxRef("FUND", user_id);
  const opened = await stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
    tiers,
  });
  return { tx_ref, opened };
}

async function fund(stub: Stub, user_id: string, amount_minor: number) {
  const { tx_ref, opened } = await openFund(stub, user_id, amount_minor);
  expect(opened.outcome).toBe("opened");
  const credited = await stub.applyProviderFacts(tx_ref, paid(tx_ref, amount_minor), {
    via: "webhook",
  });
  expect(credited.outcome).toBe("credited");
}

function buy(stub: Stub, user_id: string, amount_minor: number, tiers = SMALL) {
  const tx_ref = newTxRef("AIRTIME", user_id);
  return stub
    .openHeld({
      tx_ref,
      type: "AIRTIME",
      amount_minor,
      fee_minor: 0,
      currency: "NGN",
      details: {},
      tiers,
    })
    .then((opened) => ({ tx_ref, opened }));
}

describe("Wallet object: the tier's daily limit", () => {
  it("counts fundings and purchases, refuses what would pass the day, naming the numbers", async () => {
    const { stub, user_id } = await newWallet();
    await fund(stub, user_id, 600_00);
    expect((await buy(stub, user_id, 300_00)).opened.outcome).toBe("opened");
    const refused = (await buy(stub, user_id, 100_01)).opened;
    expect(refused).toMatchObject({
      outcome: "tier_limit_exceeded",
      required_minor: 100_01,
      standing: {
        tier: 0,
        limits: SMALL.table["1"],
        used_today_minor: 900_00,
        remaining_today_minor: 100_00,
        next: { tier: 1, limits: SMALL.table["1"] },
      },
    });
    if (refused.outcome !== "tier_limit_exceeded") throw new Error("unreachable");
    expect(refused.standing.resets_at_ms).toBeGreaterThan(Date.now());
    // Exactly what is left still fits.
    expect((await buy(stub, user_id, 100_00)).opened.outcome).toBe("opened");
    expect((await stub.tierStanding(SMALL))?.remaining_today_minor).toBe(0);
  });

  it("a failed purchase gives its room back once, however often the failure arrives", async () => {
    const { stub, user_id } = await newWallet();
    await fund(stub, user_id, 500_00);
    const { tx_ref } = await buy(stub, user_id, 400_00);
    expect((await stub.tierStanding(SMALL))?.used_today_minor).toBe(900_00);
    expect(await stub.claimSubmission(tx_ref)).toBe(true);
    for (let i = 0; i < 3; i += 1) await stub.refuse(tx_ref, "refused by the network");
    expect((await stub.tierStanding(SMALL))?.used_today_minor).toBe(500_00);
    expect((await buy(stub, user_id, 500_00)).opened.outcome).toBe("opened");
  });

  it("with KYC required, tier 0 may neither buy nor fund; a verified BVN opens both", async () => {
    const { stub, user_id } = await newWallet();
    expect((await buy(stub, user_id, 100_00, REQUIRED)).opened).toMatchObject({
      outcome: "kyc_required",
      standing: { tier: 0, limits: null, next: { tier: 1 } },
    });
    expect((await openFund(stub, user_id, 100_00, REQUIRED)).opened.outcome).toBe("kyc_required");
    await stub.recordIdentity({
      kind: "bvn",
      hash: `h-${user_id}`,
      last4: "4321",
      verified_name: "ADA OBI",
      verified_dob: "1990-01-31",
      provider: "sandbox",
    });
    expect((await openFund(stub, user_id, 100_00, REQUIRED)).opened.outcome).toBe("opened");
  });
});

describe("Wallet object: the tier's balance cap", () => {
  it("refuses a funding at open that would take the balance past the cap", async () => {
    const { stub, user_id } = await newWallet();
    await fund(stub, user_id, 900_00);
    // The day has 100 left; a tier 2 wallet has the day's room but not the cap's.
    const refused = (await openFund(stub, user_id, 100_01)).opened;
    expect(refused.outcome).toBe("tier_limit_exceeded");
    const roomy: TierPolicy = {
      required: false,
      table: { ...SMALL.table, "1": { daily_limit_minor: 5_000_00, max_balance_minor: 1_500_00 } },
    };
    const capped = (await openFund(stub, user_id, 600_01, roomy)).opened;
    expect(capped).toMatchObject({
      outcome: "tier_balance_cap",
      balance_minor: 900_00,
      max_balance_minor: 1_500_00,
      required_minor: 600_01,
    });
    expect((await openFund(stub, user_id, 600_00, roomy)).opened.outcome).toBe("opened");
  });

  it("credits money that arrives over the cap in full, flags it once, then refuses credits until back under", async () => {
    const { stub, user_id } = await newWallet();
    // Two checkouts that each fit, paid together: the second takes the balance over.
    const first = await openFund(stub, user_id, 800_00);
    const second = await openFund(stub, user_id, 800_00, {
      ...SMALL,
      table: { ...SMALL.table, "1": { daily_limit_minor: 5_000_00, max_balance_minor: 1_500_00 } },
    });
    expect(first.opened.outcome).toBe("opened");
    expect(second.opened.outcome).toBe("opened");
    for (const f of [first, second])
      expect(
        (await stub.applyProviderFacts(f.tx_ref, paid(f.tx_ref, 800_00), { via: "webhook" }))
          .outcome,
      ).toBe("credited");
    expect((await stub.summary())?.balance_minor).toBe(1_600_00);
    const flagged = (await stub.anomalies()).filter((a) => a.kind === "over_tier_cap");
    expect(flagged.map((a) => a.tx_ref)).toEqual([second.tx_ref]);
    // Over the cap: no new credit of any size, nor an operator's credit adjustment.
    expect((await openFund(stub, user_id, 100_00)).opened.outcome).toBe("tier_balance_cap");
    const adjusted = await stub.adjust(
      { id: "op-1", role: "operator" },
      {
        direction: "credit",
        amount_minor: 100,
        reason_code: "goodwill",
        reason: "test",
        user_note: "test",
      },
    );
    expect(adjusted.outcome).toBe("tier_balance_cap");
  });
});
