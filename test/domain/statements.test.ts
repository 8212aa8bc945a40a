/**
 * The statement's pure rules: which instants a period of Lagos days covers,
 * which periods are refused, and what an entry reads as.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STATEMENT_RANGE_DAYS_MAX } from "../../src/domain/limits";
import {
  describeEntry,
  lagosDayStart,
  statementPeriod,
  statementTotals,
} from "../../src/domain/statements";
import { DAY_MS, lagosDayKey } from "../../src/domain/tiers";

describe("a statement's period", () => {
  it("covers from the Lagos midnight of `from` to the Lagos midnight after `to` (23:00 UTC the day before)", () => {
    const p = statementPeriod("2026-12-01", "2026-12-06", STATEMENT_RANGE_DAYS_MAX);
    expect(p).toMatchObject({
      ok: true,
      start_ms: Date.parse("2026-11-30T23:00:00Z"),
      end_ms: Date.parse("2026-12-06T23:00:00Z"),
      days: 6,
    });
    expect(statementPeriod("2026-12-06", "2026-12-06", 1)).toMatchObject({ ok: true, days: 1 });
  });

  it("is the Lagos day of every instant inside it, and of none outside (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (ms) => {
        const key = lagosDayKey(ms);
        const p = statementPeriod(key, key, 1);
        expect(p.ok).toBe(true);
        if (!p.ok) return;
        expect(p.start_ms <= ms && ms < p.end_ms).toBe(true);
        expect(lagosDayKey(p.end_ms)).not.toBe(key);
        expect(lagosDayKey(p.start_ms - 1)).not.toBe(key);
      }),
    );
  });

  it("refuses days that do not exist, to before from, and more than the maximum days", () => {
    expect(lagosDayStart("2026-02-29")).toBeNull();
    expect(lagosDayStart("2028-02-29")).not.toBeNull();
    expect(lagosDayStart("2026-13-01")).toBeNull();
    expect(lagosDayStart("26-12-01")).toBeNull();
    expect(statementPeriod("2026-02-30", "2026-03-01", 366)).toEqual({
      ok: false,
      reason: "not_a_day",
      field: "from",
    });
    expect(statementPeriod("2026-12-02", "2026-12-01", 366)).toEqual({
      ok: false,
      reason: "to_before_from",
    });
    // 2028 is a leap year: 2028-01-01..2028-12-31 is 366 days, one more is refused.
    expect(statementPeriod("2028-01-01", "2028-12-31", 366)).toMatchObject({ ok: true, days: 366 });
    expect(statementPeriod("2027-12-31", "2028-12-31", 366)).toEqual({
      ok: false,
      reason: "too_long",
      days: 367,
      max_days: 366,
    });
  });

  it("meets the next period exactly: consecutive periods share their boundary", () => {
    const a = statementPeriod("2026-11-01", "2026-11-30", 366);
    const b = statementPeriod("2026-12-01", "2026-12-31", 366);
    expect(a.ok && b.ok && a.end_ms === b.start_ms).toBe(true);
    expect(b.ok && (b.end_ms - b.start_ms) / DAY_MS).toBe(31);
  });
});

describe("an entry's words", () => {
  it("names the product and recipient, the bank account, and the fee a withdrawal's debit includes", () => {
    expect(describeEntry("AIRTIME", "debit", 0, { network: "mtn", phone: "08011111111" })).toBe(
      "Airtime MTN 08011111111",
    );
    expect(describeEntry("DATA", "debit", 0, { plan_name: "MTN 1GB", phone: "08011111111" })).toBe(
      "Data MTN 1GB 08011111111",
    );
    expect(
      describeEntry("WITHDRAW", "debit", 5025, {
        bank_name: "Access Bank",
        account_number: "******0031",
        account_name: "ADA LOVELACE",
      }),
    ).toBe("Withdrawal to Access Bank ******0031 (ADA LOVELACE), fee NGN 50.25 included");
    expect(
      describeEntry("ELECTRICITY", "debit", 0, {
        service_id: "ikeja-electric",
        meter_type: "prepaid",
        billers_code: "1111111111111",
        token: "26362054405982757802",
      }),
    ).toBe("Electricity ikeja-electric prepaid meter 1111111111111 token 26362054405982757802");
    expect(describeEntry("FUND", "credit", 0, {})).toMatch(/^Wallet funding/);
  });

  it("calls a credit on a payment a reversal, and never on a funding, refund or adjustment", () => {
    expect(describeEntry("AIRTIME", "credit", 0, { network: "glo", phone: "0805" })).toBe(
      "Reversal: Airtime GLO 0805",
    );
    expect(describeEntry("ADJUSTMENT", "credit", 0, { note: "goodwill" })).toBe(
      "Adjustment: goodwill",
    );
    expect(describeEntry("REFUND", "credit", 0, { anomaly_tx_ref: "fnd_1" })).toBe(
      "Refund for fnd_1",
    );
  });

  it("adds credits and debits apart, in kobo", () => {
    expect(
      statementTotals([
        { entry: "credit", amount_minor: 250_000 },
        { entry: "debit", amount_minor: 50_000 },
        { entry: "debit", amount_minor: 1 },
      ]),
    ).toEqual({ credits_minor: 250_000, debits_minor: 50_001 });
  });
});
