import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatMinor,
  minorToProviderNumber,
  parseDecimal,
  providerAmountToMinor,
} from "../../src/domain/money";

const SEED = 20261126;

describe("decimal naira <-> kobo", () => {
  it("round-trips every safe amount through format and parse", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_99 }), (minor) => {
        const parsed = parseDecimal(formatMinor(minor));
        expect(parsed).toEqual({ ok: true, amount_minor: minor });
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("reads a JSON number with up to two decimals exactly (no float drift)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999_99 }), (minor) => {
        const asNumber = minorToProviderNumber(minor);
        expect(parseDecimal(asNumber)).toEqual({ ok: true, amount_minor: minor });
        expect(providerAmountToMinor(asNumber)).toBe(minor);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("parses the forms clients send", () => {
    expect(parseDecimal("1500")).toEqual({ ok: true, amount_minor: 150000 });
    expect(parseDecimal("1500.5")).toEqual({ ok: true, amount_minor: 150050 });
    expect(parseDecimal("1500.05")).toEqual({ ok: true, amount_minor: 150005 });
    expect(parseDecimal(" 0.1 ")).toEqual({ ok: true, amount_minor: 10 });
    expect(parseDecimal(0.1 + 0.2)).toMatchObject({ ok: false }); // 0.30000000000000004 is not money
    expect(parseDecimal(19.99)).toEqual({ ok: true, amount_minor: 1999 });
  });

  it("refuses what is not a plain decimal", () => {
    for (const bad of [
      "",
      "-5",
      "+5",
      "1e3",
      "1,000",
      "12.345",
      "abc",
      "١٢٣",
      "Infinity",
      "NaN",
      "0x10",
      ".5",
      "5.",
      "1 000",
    ]) {
      expect(parseDecimal(bad).ok, bad).toBe(false);
    }
    expect(parseDecimal(Number.POSITIVE_INFINITY).ok).toBe(false);
    expect(parseDecimal(1e21).ok).toBe(false);
    expect(parseDecimal("99999999999999").ok).toBe(false);
  });

  it("rounds provider amounts down past the second decimal, so a fraction never tips a check our way", () => {
    expect(providerAmountToMinor(1499.999)).toBe(149999);
    expect(providerAmountToMinor("1500.009")).toBe(150000);
    expect(providerAmountToMinor(-1)).toBeNull();
    expect(providerAmountToMinor("1e3")).toBeNull();
  });

  it("formats with two decimals always", () => {
    expect(formatMinor(0)).toBe("0.00");
    expect(formatMinor(5)).toBe("0.05");
    expect(formatMinor(123456)).toBe("1234.56");
    expect(() => formatMinor(1.5)).toThrow();
  });
});
