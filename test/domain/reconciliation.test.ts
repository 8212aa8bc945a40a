/**
 * The matching rules of the daily reconciliation, as a table of the kinds of
 * difference and as properties over any day's inputs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BookTransaction } from "../../src/domain/books";
import {
  isPastLagosDay,
  lagosDayWindow,
  previousLagosDay,
  RECON_TIME_DRIFT_MS,
  reconcile,
  type TheirRecord,
} from "../../src/domain/reconciliation";

const SEED = 20261206;
const T0 = Date.parse("2026-12-05T10:00:00Z");
const DAY = lagosDayWindow("2026-12-05")!;

function ours(over: Partial<BookTransaction> = {}): BookTransaction {
  return {
    tx_ref: "FUND-1",
    owner_user_id: "u1",
    type: "FUND",
    status: "SUCCESS",
    stage: "credited",
    version: 3,
    amount_minor: 2_500_00,
    fee_minor: 0,
    currency: "NGN",
    provider_ref: "FUND-1",
    provider_id: "101",
    created_at_ms: T0,
    updated_at_ms: T0 + 60_000,
    settled_at_ms: T0 + 60_000,
    day: "2026-12-05",
    ...over,
  };
}

function theirs(over: Partial<TheirRecord> = {}): TheirRecord {
  return {
    source: "flutterwave:charge",
    reference: "FUND-1",
    provider_id: "101",
    amount_minor: 2_500_00,
    currency: "NGN",
    outcome: "succeeded",
    created_at_ms: T0 + 5 * 60_000,
    ...over,
  };
}

describe("reconcile: each kind of difference", () => {
  it.each([
    ["agreeing records match", [ours()], [theirs()], ["matched"], []],
    ["ours without theirs is ours_only", [ours()], [], ["ours_only"], []],
    [
      "a pending one of ours without theirs is ours_only",
      [ours({ status: "PENDING" })],
      [],
      ["ours_only"],
      [],
    ],
    [
      "a failure of ours the provider never recorded is no item",
      [ours({ status: "FAILED" })],
      [],
      [],
      [],
    ],
    ["theirs without ours is theirs_only", [], [theirs()], ["theirs_only"], []],
    [
      "another amount is a mismatch on amount",
      [ours()],
      [theirs({ amount_minor: 2_400_00 })],
      ["mismatched"],
      [{ field: "amount_minor", ours: 2_500_00, theirs: 2_400_00 }],
    ],
    [
      "another currency is a mismatch on currency",
      [ours()],
      [theirs({ currency: "USD" })],
      ["mismatched"],
      [{ field: "currency", ours: "NGN", theirs: "USD" }],
    ],
    [
      "a failed charge for our success is a mismatch on status",
      [ours()],
      [theirs({ outcome: "failed" })],
      ["mismatched"],
      [{ field: "status", ours: "SUCCESS", theirs: "FAILED" }],
    ],
    [
      "a reversed purchase is a failure for us, so it matches our FAILED",
      [
        ours({
          type: "AIRTIME",
          status: "FAILED",
          provider_ref: "202612051100ABC",
          tx_ref: "AIR-1",
        }),
      ],
      [theirs({ source: "vtpass:purchase", reference: "202612051100ABC", outcome: "reversed" })],
      ["matched"],
      [],
    ],
    [
      "a creation time past the drift is a mismatch on created_at",
      [ours()],
      [theirs({ created_at_ms: T0 + RECON_TIME_DRIFT_MS + 1 })],
      ["mismatched"],
      [
        {
          field: "created_at",
          ours: new Date(T0).toISOString(),
          theirs: new Date(T0 + RECON_TIME_DRIFT_MS + 1).toISOString(),
        },
      ],
    ],
    [
      "a creation time within the drift matches",
      [ours()],
      [theirs({ created_at_ms: T0 + RECON_TIME_DRIFT_MS })],
      ["matched"],
      [],
    ],
    [
      "a transfer is not matched by a charge with its reference",
      [ours({ type: "WITHDRAW", tx_ref: "WD-1", provider_ref: "WD-1" })],
      [theirs({ reference: "WD-1" })],
      ["ours_only", "theirs_only"],
      [],
    ],
  ])("%s", (_name, our_side, their_side, results, diffs) => {
    const outcome = reconcile(our_side, their_side, DAY);
    expect(outcome.items.map((i) => i.result).sort()).toEqual([...results].sort());
    expect(outcome.items.flatMap((i) => i.diffs)).toEqual(diffs);
  });

  it("matches one-to-one: the charge whose id we stored wins, a duplicate row is theirs_only", () => {
    const failed_attempt = theirs({ provider_id: "100", outcome: "failed" });
    const paid = theirs({ provider_id: "101" });
    const duplicate = theirs({ provider_id: "101" });
    const outcome = reconcile([ours()], [failed_attempt, paid, duplicate], DAY);
    expect(outcome.counts).toEqual({ matched: 1, ours_only: 0, theirs_only: 2, mismatched: 0 });
    const matched = outcome.items.find((i) => i.result === "matched");
    expect(matched?.theirs?.provider_id).toBe("101");
  });

  it("leaves refunds and adjustments out, and a leftover record of a neighbour day", () => {
    const outcome = reconcile(
      [ours({ type: "REFUND", tx_ref: "RF-1" }), ours({ type: "ADJUSTMENT", tx_ref: "ADJ-1" })],
      [theirs({ reference: "OTHER", created_at_ms: DAY.end_ms + 1 })],
      DAY,
    );
    expect(outcome).toMatchObject({ items: [], skipped: 2, outside_day: 1 });
  });
});

describe("Lagos days", () => {
  it("starts a day at 23:00 UTC the day before and refuses non-days", () => {
    expect(DAY.start_ms).toBe(Date.parse("2026-12-04T23:00:00Z"));
    expect(DAY.end_ms - DAY.start_ms).toBe(86_400_000);
    expect(lagosDayWindow("2026-02-30")).toBeNull();
    expect(lagosDayWindow("yesterday")).toBeNull();
  });

  it("reconciles only days that have ended in Lagos", () => {
    const now = Date.parse("2026-12-05T23:30:00Z"); // 00:30 on the 6th in Lagos
    expect(previousLagosDay(now)).toBe("2026-12-05");
    expect(isPastLagosDay("2026-12-05", now)).toBe(true);
    expect(isPastLagosDay("2026-12-06", now)).toBe(false);
    expect(isPastLagosDay("2026-12-07", now)).toBe(false);
  });
});

// ---- Properties ----------------------------------------------------------------------

const refArb = fc.constantFrom("R1", "R2", "R3", "R4", "R5");
const oursArb = fc.record({
  tx_ref: fc.constantFrom("T1", "T2", "T3", "T4", "T5", "T6"),
  type: fc.constantFrom("FUND", "WITHDRAW", "AIRTIME", "REFUND") as fc.Arbitrary<
    BookTransaction["type"]
  >,
  status: fc.constantFrom("PENDING", "SUCCESS", "FAILED") as fc.Arbitrary<
    BookTransaction["status"]
  >,
  amount_minor: fc.constantFrom(100_00, 200_00),
  provider_ref: refArb,
  provider_id: fc.option(fc.constantFrom("1", "2", "3"), { nil: null }),
  created_at_ms: fc.integer({ min: DAY.start_ms, max: DAY.end_ms - 1 }),
});
const theirsArb = fc.record({
  source: fc.constantFrom(
    "flutterwave:charge",
    "flutterwave:transfer",
    "vtpass:purchase",
  ) as fc.Arbitrary<TheirRecord["source"]>,
  reference: fc.option(refArb, { nil: null }),
  provider_id: fc.constantFrom("1", "2", "3", "4"),
  amount_minor: fc.option(fc.constantFrom(100_00, 200_00), { nil: null }),
  currency: fc.constantFrom("NGN", "USD"),
  outcome: fc.constantFrom("succeeded", "failed", "pending", "reversed") as fc.Arbitrary<
    TheirRecord["outcome"]
  >,
  created_at_ms: fc.option(
    fc.integer({ min: DAY.start_ms - RECON_TIME_DRIFT_MS, max: DAY.end_ms }),
    {
      nil: null,
    },
  ),
});
// Our tx_refs are unique within a day.
const daysArb = fc.tuple(
  fc.uniqueArray(oursArb, { selector: (o) => o.tx_ref, maxLength: 6 }),
  fc.array(theirsArb, { maxLength: 8 }),
);

describe("reconcile: properties", () => {
  it("puts every input in exactly one result (or counts it as skipped or outside the day)", () => {
    fc.assert(
      fc.property(daysArb, ([o, t]) => {
        const our_side = o.map((x) => ours(x));
        const outcome = reconcile(our_side, t, DAY);
        const ours_seen = outcome.items.flatMap((i) => (i.ours ? [i.ours] : []));
        const theirs_seen = outcome.items.flatMap((i) => (i.theirs ? [i.theirs] : []));
        expect(ours_seen.length + outcome.skipped + outcome.failed_unseen).toBe(our_side.length);
        expect(new Set(ours_seen).size).toBe(ours_seen.length);
        for (const tx of our_side)
          expect(ours_seen.includes(tx) || tx.type === "REFUND" || tx.status === "FAILED").toBe(
            true,
          );
        expect(theirs_seen.length + outcome.outside_day).toBe(t.length);
        expect(new Set(theirs_seen).size).toBe(theirs_seen.length);
        for (const item of outcome.items) {
          expect(item.result === "matched" || item.result === "mismatched").toBe(
            item.ours !== null && item.theirs !== null,
          );
          expect(item.result === "mismatched").toBe(item.diffs.length > 0);
        }
        const total = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
        expect(total).toBe(outcome.items.length);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it("gives the same result for the same inputs in any order (a re-run replaces it with itself)", () => {
    fc.assert(
      fc.property(daysArb, fc.nat(), ([o, t], shift) => {
        const our_side = o.map((x) => ours(x));
        const first = reconcile(our_side, t, DAY);
        const rotate = <T>(xs: T[]) => xs.map((_, i) => xs[(i + shift) % xs.length]);
        const again = reconcile(rotate([...our_side].reverse()), rotate([...t].reverse()), DAY);
        expect(again.counts).toEqual(first.counts);
        expect(
          again.items.map((i) => [i.result, i.ours?.tx_ref, i.theirs?.provider_id, i.diffs]),
        ).toEqual(
          first.items.map((i) => [i.result, i.ours?.tx_ref, i.theirs?.provider_id, i.diffs]),
        );
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});
