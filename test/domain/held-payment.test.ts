/**
 * The held-payment rule (src/domain/held-payment-rule.ts) and the reconciler's
 * schedule (src/domain/transactions.ts), as pure functions. Every guard in
 * them has a case here that fails when the guard is removed: the hold is
 * posted only on a success for exactly this amount, currency and reference,
 * voided only on a failure, escalated (never left waiting) past the deadline,
 * and the next check never skips over the deadline.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideHeldPayment, type HeldView } from "../../src/domain/held-payment-rule";
import { nextCheckAt, nextCheckDelayMs, type ProviderFacts } from "../../src/domain/transactions";
import { PURCHASE_REQUERY_BACKOFF_S, RECONCILE_BACKOFF_S } from "../../src/domain/limits";

const NOW = 1_800_000_000_000;
const held = (over: Partial<HeldView> = {}): HeldView => ({
  tx_ref: "wdr_x",
  status: "PENDING",
  amount_minor: 100_000,
  currency: "NGN",
  deadline_at_ms: NOW + 60_000,
  ...over,
});
const facts = (over: Partial<Extract<ProviderFacts, { found: true }>> = {}): ProviderFacts => ({
  found: true,
  provider_ref: "77",
  our_ref: "wdr_x",
  outcome: "succeeded",
  amount_minor: 100_000,
  currency: "NGN",
  message: null,
  ...over,
});

describe("the held-payment rule: when a hold is posted", () => {
  it("posts a success for exactly the held amount, currency and reference", () => {
    expect(decideHeldPayment(held(), facts(), NOW)).toEqual({ kind: "post", provider_ref: "77" });
  });

  it("posts a success whose amount the provider does not state (purchases identified by our reference)", () => {
    expect(decideHeldPayment(held(), facts({ amount_minor: null }), NOW)).toEqual({
      kind: "post",
      provider_ref: "77",
    });
  });

  it("never posts a success for another amount, above or below the hold: it escalates instead", () => {
    for (const amount_minor of [99_999, 100_001, 1, 200_000]) {
      const decision = decideHeldPayment(held(), facts({ amount_minor }), NOW);
      expect(decision.kind, `amount ${amount_minor}`).toBe("escalate");
    }
  });

  it("never voids a failure reported for another amount: it escalates instead", () => {
    expect(
      decideHeldPayment(held(), facts({ outcome: "failed", amount_minor: 50_000 }), NOW).kind,
    ).toBe("escalate");
  });

  it("never posts a success in another currency", () => {
    expect(decideHeldPayment(held(), facts({ currency: "USD" }), NOW).kind).toBe("escalate");
  });

  it("ignores a success that belongs to another reference", () => {
    expect(decideHeldPayment(held(), facts({ our_ref: "wdr_other" }), NOW)).toEqual({
      kind: "ignore",
      reason: "reference_mismatch",
      late_success: false,
    });
  });

  it("accepts facts whose reference the provider does not state", () => {
    expect(decideHeldPayment(held(), facts({ our_ref: null }), NOW).kind).toBe("post");
  });

  it("for every amount other than the hold's, never posts and never voids (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.constantFrom("succeeded" as const, "failed" as const, "pending" as const),
        fc.boolean(),
        (amount_minor, outcome, overdue) => {
          fc.pre(amount_minor !== 100_000);
          const decision = decideHeldPayment(
            held(),
            facts({ amount_minor, outcome }),
            overdue ? NOW + 60_000 : NOW,
          );
          expect(decision.kind).toBe("escalate");
        },
      ),
      { seed: 1010, numRuns: 300 },
    );
  });
});

describe("the held-payment rule: when a hold is voided or kept", () => {
  it("voids on the provider's failure, with its words", () => {
    expect(
      decideHeldPayment(held(), facts({ outcome: "failed", message: "Insufficient float" }), NOW),
    ).toEqual({ kind: "void", message: "Insufficient float", provider_ref: "77" });
  });

  it("waits (keeps the hold) while the provider reports pending before the deadline", () => {
    expect(decideHeldPayment(held(), facts({ outcome: "pending" }), NOW)).toEqual({ kind: "wait" });
  });

  it("escalates a payment the provider still reports pending at and after the deadline", () => {
    expect(
      decideHeldPayment(held({ deadline_at_ms: NOW }), facts({ outcome: "pending" }), NOW).kind,
    ).toBe("escalate");
    expect(
      decideHeldPayment(held({ deadline_at_ms: NOW - 1 }), facts({ outcome: "pending" }), NOW).kind,
    ).toBe("escalate");
  });

  it("never voids on 'not found': waits before the deadline, escalates after", () => {
    expect(decideHeldPayment(held(), { found: false }, NOW)).toEqual({ kind: "wait" });
    expect(decideHeldPayment(held({ deadline_at_ms: NOW }), { found: false }, NOW).kind).toBe(
      "escalate",
    );
  });

  it("reverses a pending payment the provider reversed", () => {
    expect(
      decideHeldPayment(held(), facts({ outcome: "reversed", message: "reversed" }), NOW),
    ).toEqual({ kind: "reverse", message: "reversed", provider_ref: "77" });
  });
});

describe("the held-payment rule: terminal payments", () => {
  it("ignores every fact about a settled payment except its own reversal", () => {
    for (const outcome of ["succeeded", "failed", "pending"] as const) {
      expect(decideHeldPayment(held({ status: "SUCCESS" }), facts({ outcome }), NOW)).toEqual({
        kind: "ignore",
        reason: "already_terminal",
        late_success: false,
      });
    }
    expect(
      decideHeldPayment(held({ status: "SUCCESS" }), facts({ outcome: "reversed" }), NOW).kind,
    ).toBe("reverse");
  });

  it("does not give back a settled payment because of another reference's reversal, or one without a reference", () => {
    expect(
      decideHeldPayment(
        held({ status: "SUCCESS" }),
        facts({ outcome: "reversed", our_ref: "wdr_other" }),
        NOW,
      ).kind,
    ).toBe("ignore");
    expect(
      decideHeldPayment(
        held({ status: "SUCCESS" }),
        facts({ outcome: "reversed", our_ref: null }),
        NOW,
      ).kind,
    ).toBe("ignore");
  });

  it("flags a success reported for a payment we already failed (money moved that we released), and only that", () => {
    expect(decideHeldPayment(held({ status: "FAILED" }), facts(), NOW)).toEqual({
      kind: "ignore",
      reason: "already_terminal",
      late_success: true,
    });
    expect(
      decideHeldPayment(held({ status: "FAILED" }), facts({ outcome: "failed" }), NOW),
    ).toMatchObject({ late_success: false });
    expect(
      decideHeldPayment(held({ status: "FAILED" }), facts({ our_ref: "wdr_other" }), NOW),
    ).toMatchObject({ late_success: false });
    expect(
      decideHeldPayment(held({ status: "FAILED" }), facts({ outcome: "reversed" }), NOW),
    ).toMatchObject({ kind: "ignore", late_success: false });
  });
});

describe("the reconciler's schedule", () => {
  it("never schedules the next check past a deadline that is still ahead", () => {
    // Attempt 6 waits an hour; a deadline one minute away comes first.
    expect(nextCheckAt(NOW, 6, NOW + 60_000)).toBe(NOW + 60_000);
    expect(nextCheckAt(NOW, 0, NOW + 1)).toBe(NOW + 1);
  });

  it("uses the plain backoff when the deadline is far, or already passed", () => {
    expect(nextCheckAt(NOW, 0, NOW + 24 * 3_600_000)).toBe(NOW + RECONCILE_BACKOFF_S[0] * 1000);
    expect(nextCheckAt(NOW, 2, NOW - 1)).toBe(NOW + RECONCILE_BACKOFF_S[2] * 1000);
  });

  it("checks purchases on their tighter schedule", () => {
    expect(nextCheckDelayMs(0, "AIRTIME")).toBe(PURCHASE_REQUERY_BACKOFF_S[0] * 1000);
    expect(nextCheckAt(NOW, 1, NOW + 24 * 3_600_000, "DATA")).toBe(
      NOW + PURCHASE_REQUERY_BACKOFF_S[1] * 1000,
    );
  });

  it("for any attempt count and deadline ahead, lands no later than the deadline and after now (property)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 50 }),
        fc.integer({ min: 1, max: 48 * 3_600_000 }),
        fc.constantFrom("FUND" as const, "WITHDRAW" as const, "AIRTIME" as const),
        (attempts, ahead_ms, type) => {
          const at = nextCheckAt(NOW, attempts, NOW + ahead_ms, type);
          expect(at).toBeLessThanOrEqual(NOW + ahead_ms);
          expect(at).toBeGreaterThan(NOW);
        },
      ),
      { seed: 2020, numRuns: 300 },
    );
  });
});
