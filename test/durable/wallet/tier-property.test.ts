/**
 * Property-based test of the KYC tier rules over time (fast-check, seeded):
 * a model of each Africa/Lagos day's total and of the balance cap, driven
 * through the Wallet's own flow functions with an explicit clock (inside
 * runInDurableObject, as the other wallet property tests do), the clock moved
 * in steps that land just before, on and past Lagos midnight (23:00 UTC).
 *
 * Each sequence mixes funding opens (refused past the cap, then past the day),
 * payments of open fundings (credited in full whatever the cap; past it, one
 * `over_tier_cap` anomaly), purchases (refused past the day, then past the
 * available balance), purchase failures (repeated: the room goes back once, to
 * the day the purchase was counted in), and clock moves. After EVERY step:
 * each day's stored total equals the model's, today's standing (used,
 * remaining, resets_at) is the model's, the ledger balances, and the
 * over-cap anomalies are exactly the model's.
 */
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import {
  DAY_MS,
  lagosDayKey,
  nextLagosMidnightMs,
  type TierPolicy,
} from "../../../src/domain/tiers";
import { refuse, type WalletCore } from "../../../src/durable/wallet/core";
import { applyFundingFacts, openFunding } from "../../../src/durable/wallet/funding-flow";
import { openHeld } from "../../../src/durable/wallet/held-payment-flow";
import type { Wallet } from "../../../src/durable/wallet/object";
import { flagOverCap } from "../../../src/durable/wallet/tier-rules";
import { newTxRef } from "../../../src/lib/ids";
import { newWallet } from "../../support/helpers";

const RUNS = 25;
const SEED = 20261206;
const POLICY: TierPolicy = {
  required: false,
  table: {
    "1": { daily_limit_minor: 1_000_00, max_balance_minor: 1_500_00 },
    "2": { daily_limit_minor: 2_000_00, max_balance_minor: 3_000_00 },
    "3": { daily_limit_minor: 5_000_00, max_balance_minor: null },
  },
};
const DAILY = POLICY.table["1"].daily_limit_minor;
const CAP = POLICY.table["1"].max_balance_minor!;

/** Amounts that land near the day's limit and the cap as well as anywhere. */
const amount = (max: number) =>
  fc.oneof(fc.integer({ min: 1, max }), fc.constantFrom(max, 500_00, 1));
const step = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant("open_fund" as const), amount: amount(900_00) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("pay_fund" as const), pick: fc.nat() }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant("buy" as const), amount: amount(600_00) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("fail_buy" as const), pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("clock" as const),
      // Just before midnight, on it, just after, a while, most of a day, a day and more.
      move: fc.constantFrom(
        "to_midnight_minus_1",
        "to_midnight",
        "1ms",
        "10min",
        "5h",
        "23h",
        "30h",
      ),
    }),
    weight: 2,
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

type Model = {
  now_ms: number;
  balance_minor: number;
  used: Map<string, number>;
  funds: { tx_ref: string; amount_minor: number; paid: boolean }[];
  buys: { tx_ref: string; minor: number; day: string; failed: boolean }[];
  over_cap: string[];
  held_minor: number;
  /** How many opens the day's limit refused (the generator must reach the rule). */
  day_refusals: number;
};

function moved(now_ms: number, move: string): number {
  const midnight = nextLagosMidnightMs(now_ms);
  switch (move) {
    case "to_midnight_minus_1":
      return Math.max(now_ms, midnight - 1);
    case "to_midnight":
      return midnight;
    case "1ms":
      return now_ms + 1;
    case "10min":
      return now_ms + 600_000;
    case "5h":
      return now_ms + 5 * 3_600_000;
    case "23h":
      return now_ms + 23 * 3_600_000;
    default:
      return now_ms + DAY_MS + 6 * 3_600_000;
  }
}

const coreOf = (wallet: Wallet) => (wallet as unknown as { core: WalletCore }).core;

function run(
  core: WalletCore,
  storage: DurableObjectStorage,
  user_id: string,
  steps: Step[],
  start_ms: number,
) {
  const m: Model = {
    now_ms: start_ms,
    balance_minor: 0,
    used: new Map(),
    funds: [],
    buys: [],
    over_cap: [],
    held_minor: 0,
    day_refusals: 0,
  };
  const usedOn = (day: string) => m.used.get(day) ?? 0;
  const add = (day: string, minor: number) => m.used.set(day, usedOn(day) + minor);
  for (const s of steps) {
    const today = lagosDayKey(m.now_ms);
    switch (s.kind) {
      case "open_fund": {
        const tx_ref = newTxRef("FUND", user_id);
        const opened = openFunding(
          core,
          {
            tx_ref,
            amount_minor: s.amount,
            currency: "NGN",
            deadline_at_ms: m.now_ms + 3 * DAY_MS,
            pending_max: FUND_PENDING_MAX_CEILING,
            tiers: POLICY,
          },
          m.now_ms,
        );
        const expected =
          m.balance_minor + s.amount > CAP
            ? "tier_balance_cap"
            : usedOn(today) + s.amount > DAILY
              ? "tier_limit_exceeded"
              : "opened";
        expect(opened.outcome).toBe(expected);
        if (expected === "tier_limit_exceeded") m.day_refusals += 1;
        if (expected === "opened") m.funds.push({ tx_ref, amount_minor: s.amount, paid: false });
        break;
      }
      case "pay_fund": {
        const open = m.funds.filter((f) => !f.paid);
        if (open.length === 0) break;
        const f = open[s.pick % open.length]!;
        const outcome = storage.transactionSync(() => {
          const tx = core.store.get(f.tx_ref)!;
          const result = applyFundingFacts(
            core,
            tx,
            {
              found: true,
              provider_ref: `p-${f.tx_ref}`,
              our_ref: f.tx_ref,
              outcome: "succeeded",
              amount_minor: f.amount_minor,
              currency: "NGN",
              message: null,
            },
            m.now_ms,
          );
          if (result.outcome === "credited") flagOverCap(core, POLICY, f.tx_ref, m.now_ms);
          return result.outcome;
        });
        // Credited in full, whatever the day or the cap: a payment made is never bounced.
        expect(outcome).toBe("credited");
        f.paid = true;
        m.balance_minor += f.amount_minor;
        add(today, f.amount_minor);
        if (m.balance_minor > CAP) m.over_cap.push(f.tx_ref);
        break;
      }
      case "buy": {
        const tx_ref = newTxRef("AIRTIME", user_id);
        const opened = openHeld(
          core,
          {
            tx_ref,
            type: "AIRTIME",
            amount_minor: s.amount,
            fee_minor: 0,
            currency: "NGN",
            details: {},
            deadline_at_ms: m.now_ms + DAY_MS,
            tiers: POLICY,
            // Claimed as the route does before calling the provider, so a refusal may end it.
            claim: true,
          },
          m.now_ms,
        );
        const expected =
          m.balance_minor - m.held_minor < s.amount
            ? "insufficient_funds"
            : usedOn(today) + s.amount > DAILY
              ? "tier_limit_exceeded"
              : "opened";
        expect(opened.outcome).toBe(expected);
        if (expected === "tier_limit_exceeded") m.day_refusals += 1;
        if (expected === "opened") {
          m.buys.push({ tx_ref, minor: s.amount, day: today, failed: false });
          m.held_minor += s.amount;
          add(today, s.amount);
        }
        break;
      }
      case "fail_buy": {
        if (m.buys.length === 0) break;
        const b = m.buys[s.pick % m.buys.length]!;
        // A failure may arrive again (another callback, the reconciler): the room goes back once.
        const { changed } = refuse(core, b.tx_ref, "refused by the network", undefined, m.now_ms);
        expect(changed).toBe(!b.failed);
        if (!b.failed) {
          b.failed = true;
          m.held_minor -= b.minor;
          add(b.day, -b.minor);
        }
        break;
      }
      case "clock":
        m.now_ms = moved(m.now_ms, s.move);
        break;
    }
    // After every step, against storage.
    for (const day of new Set([...m.used.keys(), lagosDayKey(m.now_ms)]))
      expect(core.tiers.usedOn(day), `day ${day}`).toBe(usedOn(day));
    const standing = core.tiers.standing(POLICY, m.now_ms);
    const used_today = usedOn(lagosDayKey(m.now_ms));
    expect(standing).toMatchObject({
      used_today_minor: used_today,
      remaining_today_minor: Math.max(0, DAILY - used_today),
      resets_at_ms: nextLagosMidnightMs(m.now_ms),
    });
    expect(standing.resets_at_ms).toBeGreaterThan(m.now_ms);
    expect(standing.resets_at_ms - m.now_ms).toBeLessThanOrEqual(DAY_MS);
    const audit = core.ledger.audit();
    expect(audit.ok).toBe(true);
    expect(audit).toMatchObject({ balance_minor: m.balance_minor, held_minor: m.held_minor });
    expect(
      core.trail
        .list()
        .filter((a) => a.kind === "over_tier_cap")
        .map((a) => a.tx_ref)
        .sort(),
    ).toEqual([...m.over_cap].sort());
  }
  return m;
}

describe("Wallet object: the tier's day and cap across Lagos midnight (property)", () => {
  it("an example: two checkouts that each fit, paid after midnight, take the balance over the cap", async () => {
    const { stub, user_id } = await newWallet();
    const steps: Step[] = [
      { kind: "open_fund", amount: 900_00 },
      { kind: "open_fund", amount: 900_00 },
      { kind: "clock", move: "to_midnight" },
      { kind: "pay_fund", pick: 0 },
      { kind: "pay_fund", pick: 0 },
      { kind: "open_fund", amount: 1 },
    ];
    await runInDurableObject(stub, async (wallet: Wallet, state) => {
      const m = run(coreOf(wallet), state.storage, user_id, steps, Date.UTC(2026, 0, 10, 22, 0, 0));
      expect(m.balance_minor).toBe(1_800_00);
      expect(m.over_cap).toHaveLength(1);
    });
  });

  it("keeps each day's total, the remaining room and the cap exactly as the model says", async () => {
    let crossed = 0;
    let day_refusals = 0;
    let over_cap = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 8, maxLength: 40, size: "medium" }),
        // Start within two hours either side of a Lagos midnight.
        fc.integer({ min: -2 * 3_600_000, max: 2 * 3_600_000 }),
        async (steps, offset_ms) => {
          const { stub, user_id } = await newWallet();
          const start_ms = Date.UTC(2026, 0, 10, 23, 0, 0) + offset_ms;
          await runInDurableObject(stub, async (wallet: Wallet, state) => {
            const m = run(coreOf(wallet), state.storage, user_id, steps, start_ms);
            if (lagosDayKey(m.now_ms) !== lagosDayKey(start_ms)) crossed += 1;
            day_refusals += m.day_refusals;
            over_cap += m.over_cap.length;
          });
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    // The generator reached what the test is about.
    expect(crossed).toBeGreaterThan(RUNS / 3);
    expect(day_refusals).toBeGreaterThan(0);
    expect(over_cap).toBeGreaterThan(0);
  }, 120_000);
});
