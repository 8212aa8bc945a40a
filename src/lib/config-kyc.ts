/**
 * The KYC tier settings (issue 21; the rules are src/domain/tiers.ts), part of
 * the configuration's schema (./config.ts), kept here so that file stays small.
 *
 *  KYC_TIERS     the tier table as JSON, in kobo, overridable per environment:
 *                {"1":{"daily_limit_minor":5000000,"max_balance_minor":30000000},"2":{...},"3":{...,"max_balance_minor":null}}
 *                Default: the CBN's (BPS/DIR/GEN/CIR/04/007). Each tier must allow
 *                at least what the one below does.
 *  KYC_REQUIRED  "true": an unverified wallet (tier 0) may not fund, buy or withdraw;
 *                "false": it gets tier 1's limits. Default true in production, false in development.
 */
import { z } from "zod";
import { CBN_TIER_TABLE, tierTableProblem, type TierPolicy, type TierTable } from "../domain/tiers";
import { KYC_LIMIT_MINOR_MAX } from "./limits";

export type { TierPolicy } from "../domain/tiers";

const minor = z.number().int().positive().max(KYC_LIMIT_MINOR_MAX);
const limits = z.strictObject({ daily_limit_minor: minor, max_balance_minor: minor.nullable() });
const table = z.strictObject({ "1": limits, "2": limits, "3": limits });

export const KYC_SETTINGS = {
  KYC_TIERS: z.string().optional(),
  KYC_REQUIRED: z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .transform((v) => v === "true" || v === "1" || v === "yes")
    .optional(),
};

/** The tier policy from the parsed values; what is wrong goes to `problems`. */
export function kycPolicy(
  values: { KYC_TIERS?: string; KYC_REQUIRED?: boolean },
  production: boolean,
  problems: string[],
): TierPolicy {
  const required = values.KYC_REQUIRED ?? production;
  if (values.KYC_TIERS === undefined || values.KYC_TIERS.trim() === "")
    return { table: CBN_TIER_TABLE, required };
  let json: unknown;
  try {
    json = JSON.parse(values.KYC_TIERS);
  } catch {
    problems.push("KYC_TIERS: not JSON");
    return { table: CBN_TIER_TABLE, required };
  }
  const parsed = table.safeParse(json);
  if (!parsed.success) {
    problems.push(
      `KYC_TIERS: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.code}`).join(", ")}`,
    );
    return { table: CBN_TIER_TABLE, required };
  }
  const problem = tierTableProblem(parsed.data as TierTable);
  if (problem) problems.push(`KYC_TIERS: ${problem}`);
  return { table: parsed.data as TierTable, required };
}
