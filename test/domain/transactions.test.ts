import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decideFunding,
  type FundingView,
  nextCheckDelayMs,
  type ProviderFacts,
} from "../../src/domain/transactions";
import { RECONCILE_BACKOFF_S } from "../../src/domain/limits";

const NOW = 1_800_000_000_000;
const tx = (over: Partial<FundingView> = {}): FundingView => ({
  tx_ref: "fnd_x",
  status: "PENDING",
  amount_minor: 150000,
  currency: "NGN",
  deadline_at_ms: NOW + 60_000,
  provider_ref: null,
  ...over,
});
const paid = (over: Partial<Extract<ProviderFacts, { found: true }>> = {}): ProviderFacts => ({
  found: true,
  provider_ref: "1",
  our_ref: "fnd_x",
  outcome: "succeeded",
  amount_minor: 150000,
  currency: "NGN",
  message: null,
  ...over,
});

describe("the funding rule", () => {
  it("credits the expected amount when paid in full", () => {
    expect(decideFunding(tx(), paid(), NOW)).toEqual({
      kind: "credit",
      amount_minor: 150000,
      overpaid_minor: 0,
      provider_ref: "1",
    });
  });

  it("credits the expected amount and records the excess when overpaid", () => {
    expect(decideFunding(tx(), paid({ amount_minor: 200000 }), NOW)).toMatchObject({
      kind: "credit",
      amount_minor: 150000,
      overpaid_minor: 50000,
    });
  });

  it("keeps the funding open after an underpayment or a wrong currency while the checkout is open, the charge owed back", () => {
    expect(decideFunding(tx(), paid({ amount_minor: 149999 }), NOW)).toEqual({
      kind: "mismatch",
      reason: "Underpaid: received 149999 kobo, expected 150000; the payment will be refunded.",
      provider_ref: "1",
    });
    expect(decideFunding(tx(), paid({ currency: "USD" }), NOW)).toMatchObject({
      kind: "mismatch",
      provider_ref: "1",
    });
  });

  it("fails an underpayment or a wrong currency past the deadline, with the charge owed back", () => {
    const late = tx({ deadline_at_ms: NOW });
    expect(decideFunding(late, paid({ amount_minor: 149999 }), NOW)).toMatchObject({
      kind: "fail",
      refund_due: true,
      provider_ref: "1",
    });
    expect(decideFunding(late, paid({ currency: "USD" }), NOW)).toMatchObject({
      kind: "fail",
      refund_due: true,
      provider_ref: "1",
    });
  });

  it("never credits a charge already owed back, and at the deadline ends the funding without owing it twice", () => {
    expect(decideFunding(tx(), paid(), NOW, true)).toEqual({ kind: "wait" });
    expect(decideFunding(tx({ deadline_at_ms: NOW }), paid(), NOW, true)).toMatchObject({
      kind: "fail",
      refund_due: false,
      provider_ref: null,
    });
  });

  it("ignores facts about another tx_ref", () => {
    expect(decideFunding(tx(), paid({ our_ref: "fnd_other" }), NOW)).toMatchObject({
      kind: "ignore",
      reason: "reference_mismatch",
    });
  });

  it("keeps a funding open after a failed attempt until the deadline, then fails it", () => {
    expect(decideFunding(tx(), paid({ outcome: "failed" }), NOW)).toMatchObject({
      kind: "attempt_failed",
    });
    expect(
      decideFunding(tx({ deadline_at_ms: NOW }), paid({ outcome: "failed" }), NOW),
    ).toMatchObject({ kind: "fail" });
  });

  it("waits while nothing is found, and expires at the deadline", () => {
    expect(decideFunding(tx(), { found: false }, NOW)).toEqual({ kind: "wait" });
    expect(decideFunding(tx({ deadline_at_ms: NOW - 1 }), { found: false }, NOW)).toMatchObject({
      kind: "fail",
    });
  });

  it("escalates a charge the provider still calls pending past the deadline, and never fails it on a guess", () => {
    expect(decideFunding(tx(), paid({ outcome: "pending" }), NOW)).toEqual({ kind: "wait" });
    expect(
      decideFunding(tx({ deadline_at_ms: NOW }), paid({ outcome: "pending" }), NOW),
    ).toMatchObject({ kind: "escalate" });
  });

  it("never changes a terminal transaction, and accounts once for every successful charge it did not take", () => {
    const facts = fc.oneof(
      fc.constant<ProviderFacts>({ found: false }),
      fc.record({
        found: fc.constant(true as const),
        provider_ref: fc.constantFrom("8", "9"),
        our_ref: fc.constantFrom("fnd_x", "fnd_y"),
        outcome: fc.constantFrom(
          "succeeded" as const,
          "failed" as const,
          "pending" as const,
          "reversed" as const,
        ),
        amount_minor: fc.option(fc.integer({ min: 1, max: 10_000_000 })),
        currency: fc.constantFrom("NGN", "USD"),
        message: fc.constant(null),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("SUCCESS" as const, "FAILED" as const),
        fc.constantFrom(null, "8"),
        facts,
        fc.boolean(),
        fc.integer({ min: NOW - 1e6, max: NOW + 1e6 }),
        (status, settled_by, f, accounted, now) => {
          const decision = decideFunding(
            tx({ status, provider_ref: settled_by }),
            f,
            now,
            accounted,
          );
          const money =
            f.found &&
            f.outcome === "succeeded" &&
            f.our_ref === "fnd_x" &&
            f.provider_ref !== settled_by &&
            !accounted;
          if (!money) {
            expect(decision.kind).toBe("ignore");
            return;
          }
          expect(decision).toEqual({
            kind: "late_money",
            anomaly: status === "SUCCESS" ? "paid_twice" : "paid_after_terminal",
            provider_ref: f.provider_ref,
            amount_minor: f.amount_minor,
            currency: f.currency,
          });
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("credits only what invariant 4 allows, for any facts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 20_000_000 }),
        fc.constantFrom("NGN", "USD", "GHS"),
        fc.constantFrom("succeeded" as const, "failed" as const, "pending" as const),
        fc.constantFrom("fnd_x", "fnd_y"),
        (expected, paidAmount, currency, outcome, ref) => {
          const decision = decideFunding(
            tx({ amount_minor: expected }),
            paid({ amount_minor: paidAmount, currency, outcome, our_ref: ref }),
            NOW,
          );
          const allowed =
            outcome === "succeeded" &&
            currency === "NGN" &&
            paidAmount >= expected &&
            ref === "fnd_x";
          expect(decision.kind === "credit").toBe(allowed);
          if (decision.kind === "credit") expect(decision.amount_minor).toBe(expected);
        },
      ),
      { seed: 11, numRuns: 2000 },
    );
  });
});

describe("the reconcile schedule", () => {
  it("backs off and then repeats its last step", () => {
    expect(nextCheckDelayMs(0)).toBe(RECONCILE_BACKOFF_S[0] * 1000);
    expect(nextCheckDelayMs(3)).toBe(RECONCILE_BACKOFF_S[3] * 1000);
    expect(nextCheckDelayMs(999)).toBe(RECONCILE_BACKOFF_S[RECONCILE_BACKOFF_S.length - 1] * 1000);
    for (let i = 1; i < 20; i++)
      expect(nextCheckDelayMs(i)).toBeGreaterThanOrEqual(nextCheckDelayMs(i - 1));
  });
});
