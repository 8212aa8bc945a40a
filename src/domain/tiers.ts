/**
 * KYC tiers (issue 21): what a wallet may hold and move in one day, by how
 * well its owner is identified. Pure rules; the Wallet object enforces them
 * inside the storage transaction that moves the money.
 *
 * Sources: CBN circular BPS/DIR/GEN/CIR/04/007 (the tier table below) and
 * PSM/DIR/PUB/CIR/001/053 (tier 1 needs a BVN or a NIN; tiers 2 and 3 need both).
 *
 *  tier 0: unverified. With KYC_REQUIRED=false it gets tier 1's limits (old
 *          clients and the quick start keep working); with true it may not move money.
 *  tier 1: a verified BVN or a verified NIN.
 *  tier 2: both (the same person).
 *  tier 3: tier 2 plus an operator's upgrade (address, due diligence).
 * An operator's downgrade is sticky: it caps the tier until an operator lifts it.
 *
 * A "day" is the Africa/Lagos calendar day: UTC+01:00 all year (Nigeria keeps
 * no daylight saving time), so a fixed offset is exact.
 */

export const IDENTITY_KINDS = ["bvn", "nin"] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
export type Tier = 0 | 1 | 2 | 3;
export const TIERS: readonly Tier[] = [0, 1, 2, 3];

/** One tier's limits, in kobo; `max_balance_minor` null: no balance cap. */
export type TierLimits = { daily_limit_minor: number; max_balance_minor: number | null };
/** The limits of the tiers that may move money (tier 0 borrows tier 1's, or none). */
export type TierTable = { "1": TierLimits; "2": TierLimits; "3": TierLimits };

/** The CBN's default table (BPS/DIR/GEN/CIR/04/007), in kobo. */
export const CBN_TIER_TABLE: TierTable = {
  "1": { daily_limit_minor: 50_000_00, max_balance_minor: 300_000_00 },
  "2": { daily_limit_minor: 200_000_00, max_balance_minor: 500_000_00 },
  "3": { daily_limit_minor: 5_000_000_00, max_balance_minor: null },
};

/** What the Wallet is told with each open: the table in force and whether tier 0 may move money. */
export type TierPolicy = { table: TierTable; required: boolean };

/** Africa/Lagos is UTC+01:00 with no DST. */
export const LAGOS_OFFSET_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The Lagos calendar day of an instant, "YYYY-MM-DD". */
export function lagosDayKey(now_ms: number): string {
  return new Date(lagosDayStartMs(now_ms) + LAGOS_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant (UTC ms) the Lagos day of `now_ms` began. */
export function lagosDayStartMs(now_ms: number): number {
  return Math.floor((now_ms + LAGOS_OFFSET_MS) / DAY_MS) * DAY_MS - LAGOS_OFFSET_MS;
}

/** The next Lagos midnight after `now_ms`: when the day's totals reset. */
export function nextLagosMidnightMs(now_ms: number): number {
  return lagosDayStartMs(now_ms) + DAY_MS;
}

/** An operator's setting: an upgrade to 3 (granted only over tier 2) or a sticky downgrade. */
export type TierOverride = { tier: Tier; reason: string; operator: string; at_ms: number };

/** The tier the verified identities earn on their own. */
export function identityTier(kinds: readonly IdentityKind[]): Tier {
  const has = new Set(kinds);
  if (has.has("bvn") && has.has("nin")) return 2;
  return has.size > 0 ? 1 : 0;
}

/**
 * The wallet's tier: what the identities earn, raised to 3 only by an
 * operator's upgrade over tier 2, lowered by an operator's downgrade.
 */
export function tierOf(
  kinds: readonly IdentityKind[],
  override: Pick<TierOverride, "tier"> | null,
): Tier {
  const base = identityTier(kinds);
  if (!override) return base;
  if (override.tier === 3 && base === 2) return 3;
  return Math.min(base, override.tier) as Tier;
}

/**
 * Why an operator's tier override may not be set now; null: it may. An
 * upgrade (to 3) is granted only over tier 2: the identities must back
 * tier 2 first (an override of 3 below that would read as a downgrade).
 * Lifting (null) and downgrades are always allowed.
 */
export function tierOverrideRefusal(
  kinds: readonly IdentityKind[],
  requested: Tier | null,
): "tier_upgrade_needs_tier_2" | null {
  if (requested === 3 && identityTier(kinds) !== 2) return "tier_upgrade_needs_tier_2";
  return null;
}

/** The limits in force for `tier`; null: tier 0 while KYC is required (no money moves). */
export function limitsOf(tier: Tier, policy: TierPolicy): TierLimits | null {
  if (tier === 0) return policy.required ? null : policy.table["1"];
  return policy.table[String(tier) as keyof TierTable];
}

/** What reaching the next tier takes, in words a user can act on. */
export const NEXT_TIER_NEEDS: Record<1 | 2 | 3, string> = {
  1: "verify a BVN or NIN with POST /api/v1/kyc/bvn or /kyc/nin",
  2: "verify both a BVN and a NIN (the same person)",
  3: "an operator's upgrade after address verification",
};

export type NextTier = { tier: 1 | 2 | 3; limits: TierLimits; needs: string };

/** The tier above `tier` and its limits; null at tier 3. */
export function nextTierOf(tier: Tier, policy: TierPolicy): NextTier | null {
  if (tier === 3) return null;
  const next = (tier + 1) as 1 | 2 | 3;
  return {
    tier: next,
    limits: policy.table[String(next) as keyof TierTable],
    needs: NEXT_TIER_NEEDS[next],
  };
}

/** Where a wallet stands today: the numbers every refusal and GET /wallet/limits carry. */
export type TierStanding = {
  tier: Tier;
  limits: TierLimits | null;
  used_today_minor: number;
  remaining_today_minor: number;
  resets_at_ms: number;
  next: NextTier | null;
};

export function standingOf(
  tier: Tier,
  policy: TierPolicy,
  used_today_minor: number,
  now_ms: number,
): TierStanding {
  const limits = limitsOf(tier, policy);
  return {
    tier,
    limits,
    used_today_minor,
    remaining_today_minor: limits ? Math.max(0, limits.daily_limit_minor - used_today_minor) : 0,
    resets_at_ms: nextLagosMidnightMs(now_ms),
    next: nextTierOf(tier, policy),
  };
}

/**
 * A tier table is sane when every tier allows at least what the one below
 * does (a user who verifies more never loses room). Returns what is wrong, or null.
 */
export function tierTableProblem(table: TierTable): string | null {
  const rows = [table["1"], table["2"], table["3"]];
  for (let i = 1; i < rows.length; i += 1) {
    const lower = rows[i - 1]!;
    const upper = rows[i]!;
    if (upper.daily_limit_minor < lower.daily_limit_minor)
      return `tier ${i + 1}'s daily limit is below tier ${i}'s`;
    if (lower.max_balance_minor === null && upper.max_balance_minor !== null)
      return `tier ${i + 1} has a balance cap but tier ${i} has none`;
    if (
      lower.max_balance_minor !== null &&
      upper.max_balance_minor !== null &&
      upper.max_balance_minor < lower.max_balance_minor
    )
      return `tier ${i + 1}'s balance cap is below tier ${i}'s`;
  }
  return null;
}
