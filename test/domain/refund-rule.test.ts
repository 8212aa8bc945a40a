/**
 * What a charge is owed back (src/domain/refund-rule.ts): an overpayment's
 * excess, all of a mismatched or late payment, nothing for a charge that did
 * not succeed, names another funding, states no amount, or for an anomaly
 * that is not about money.
 */
import { describe, expect, it } from "vitest";
import { owedOnCharge } from "../../src/domain/refund-rule";
import type { FoundFacts } from "../../src/domain/transactions";

const funding = { tx_ref: "fnd_a", amount_minor: 100_000, currency: "NGN" };
const charge = (over: Partial<FoundFacts> = {}): FoundFacts => ({
  found: true,
  provider_ref: "7001",
  our_ref: "fnd_a",
  outcome: "succeeded",
  amount_minor: 150_000,
  currency: "NGN",
  message: null,
  ...over,
});

describe("owedOnCharge", () => {
  it("owes an overpayment's excess, and all of a mismatched or late payment", () => {
    expect(owedOnCharge("overpaid", funding, charge())).toEqual({
      amount_minor: 50_000,
      currency: "NGN",
    });
    for (const kind of ["refund_due", "paid_twice", "paid_after_terminal"])
      expect(
        owedOnCharge(kind, funding, charge({ amount_minor: 40_000, currency: "USD" })),
      ).toEqual({ amount_minor: 40_000, currency: "USD" });
  });

  it("owes nothing on a charge that is not this funding's money", () => {
    expect(owedOnCharge("overpaid", funding, charge({ outcome: "failed" }))).toBeNull();
    expect(owedOnCharge("refund_due", funding, charge({ our_ref: "fnd_b" }))).toBeNull();
    expect(owedOnCharge("refund_due", funding, charge({ amount_minor: null }))).toBeNull();
    expect(owedOnCharge("overpaid", funding, charge({ amount_minor: 100_000 }))).toBeNull();
    expect(owedOnCharge("overpaid", funding, charge({ currency: "USD" }))).toBeNull();
    expect(owedOnCharge("escalated", funding, charge())).toBeNull();
  });
});
