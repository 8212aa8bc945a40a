/**
 * KYC_TIERS and KYC_REQUIRED (src/lib/config-kyc.ts): the CBN's table unless
 * overridden, an override validated (JSON, positive kobo, each tier at least
 * the one below), and KYC required by default in production only.
 */
import { describe, expect, it } from "vitest";
import { CBN_TIER_TABLE } from "../../src/domain/tiers";
import { parseConfig } from "../../src/lib/config";
import { kycPolicy } from "../../src/lib/config-kyc";

const kycOf = (vars: Record<string, string>) => {
  const result = parseConfig(vars);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config.kyc;
};
const problemsOf = (vars: Record<string, string>) => {
  const result = parseConfig(vars);
  return result.ok ? [] : result.problems;
};

const TABLE = {
  "1": { daily_limit_minor: 100_00, max_balance_minor: 1_000_00 },
  "2": { daily_limit_minor: 200_00, max_balance_minor: 2_000_00 },
  "3": { daily_limit_minor: 300_00, max_balance_minor: null },
};

describe("KYC configuration", () => {
  it("defaults to the CBN's table, with tier 0 on tier 1's limits outside production", () => {
    expect(kycOf({})).toEqual({ table: CBN_TIER_TABLE, required: false });
    expect(CBN_TIER_TABLE["1"]).toEqual({
      daily_limit_minor: 5_000_000,
      max_balance_minor: 30_000_000,
    });
    expect(CBN_TIER_TABLE["3"].max_balance_minor).toBeNull();
  });

  it("requires KYC by default in production, and either way when KYC_REQUIRED says so", () => {
    const problems: string[] = [];
    expect(kycPolicy({}, true, problems)).toEqual({ table: CBN_TIER_TABLE, required: true });
    expect(kycPolicy({ KYC_REQUIRED: false }, true, problems).required).toBe(false);
    expect(problems).toEqual([]);
    expect(kycOf({ KYC_REQUIRED: "true" }).required).toBe(true);
    expect(kycOf({ KYC_REQUIRED: "false" }).required).toBe(false);
  });

  it("takes a tier table as JSON", () => {
    expect(kycOf({ KYC_TIERS: JSON.stringify(TABLE) }).table).toEqual(TABLE);
  });

  it("refuses a table that is not JSON, misses a tier, has a zero or a fraction, or lowers a higher tier", () => {
    expect(problemsOf({ KYC_TIERS: "{" })).toEqual(["KYC_TIERS: not JSON"]);
    const { "3": _three, ...two } = TABLE;
    expect(problemsOf({ KYC_TIERS: JSON.stringify(two) })[0]).toMatch(/^KYC_TIERS: 3/);
    for (const bad of [0, 1.5, -1])
      expect(
        problemsOf({
          KYC_TIERS: JSON.stringify({ ...TABLE, "1": { ...TABLE["1"], daily_limit_minor: bad } }),
        }),
      ).toHaveLength(1);
    expect(
      problemsOf({
        KYC_TIERS: JSON.stringify({ ...TABLE, "2": { ...TABLE["2"], daily_limit_minor: 50_00 } }),
      }),
    ).toEqual(["KYC_TIERS: tier 2's daily limit is below tier 1's"]);
    expect(
      problemsOf({
        KYC_TIERS: JSON.stringify({ ...TABLE, "1": { ...TABLE["1"], max_balance_minor: null } }),
      }),
    ).toEqual(["KYC_TIERS: tier 2 has a balance cap but tier 1 has none"]);
  });
});
