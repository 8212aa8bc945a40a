/**
 * The KYC tiers as the API shows them (issue 21): the refusals as RFC 9457
 * problems and the body of GET /wallet/limits. Money in the API's usual form:
 * a decimal naira string beside its `_minor` integer (kobo).
 */
import type { NextTier, TierStanding } from "../domain/tiers";
import { formatMinor } from "../domain/money";
import type { TierRefusal } from "../durable/wallet/tier-rules";
import { AppError } from "../lib/errors";

/** What a user does to leave tier 0. */
export const KYC_REQUIRED_DETAIL =
  "This wallet is not verified: verify a BVN or NIN with POST /api/v1/kyc/bvn or /kyc/nin, then try again.";

const naira = (minor: number) => formatMinor(minor);
/** A balance cap: null for "no cap". */
const capOf = (minor: number | null) => (minor === null ? null : formatMinor(minor));

export function nextTierBody(next: NextTier | null) {
  if (!next) return null;
  return {
    tier: next.tier,
    daily_limit: naira(next.limits.daily_limit_minor),
    daily_limit_minor: next.limits.daily_limit_minor,
    max_balance: capOf(next.limits.max_balance_minor),
    max_balance_minor: next.limits.max_balance_minor,
    needs: next.needs,
  };
}

/**
 * Where the wallet stands today: GET /wallet/limits, and the fields every
 * refusal carries. A tier 0 wallet while KYC is required may move nothing:
 * its limit and cap read 0. `max_balance` null: no cap.
 */
export function standingBody(standing: TierStanding) {
  const daily_limit_minor = standing.limits?.daily_limit_minor ?? 0;
  const max_balance_minor = standing.limits ? standing.limits.max_balance_minor : 0;
  return {
    tier: standing.tier,
    daily_limit: naira(daily_limit_minor),
    daily_limit_minor,
    max_balance: capOf(max_balance_minor),
    max_balance_minor,
    used_today: naira(standing.used_today_minor),
    used_today_minor: standing.used_today_minor,
    remaining_today: naira(standing.remaining_today_minor),
    remaining_today_minor: standing.remaining_today_minor,
    resets_at: new Date(standing.resets_at_ms).toISOString(),
    next_tier: nextTierBody(standing.next),
  };
}

const required = (minor: number) => ({ required: naira(minor), required_minor: minor });

/** A tier refusal from the Wallet, as the problem the API answers. */
export function tierProblem(refusal: TierRefusal): AppError {
  const standing = standingBody(refusal.standing);
  switch (refusal.outcome) {
    case "kyc_required":
      return new AppError({
        status: 403,
        code: "kyc_required",
        title: "Verification required",
        detail: KYC_REQUIRED_DETAIL,
        extra: { tier: standing.tier, next_tier: standing.next_tier },
      });
    case "tier_limit_exceeded": {
      const { daily_limit, daily_limit_minor, ...rest } = standing;
      return new AppError({
        status: 422,
        code: "tier_limit_exceeded",
        title: "Daily limit reached",
        detail: `This would take today's total past tier ${standing.tier}'s daily limit of NGN ${daily_limit}: NGN ${standing.remaining_today} is left until ${standing.resets_at}.`,
        extra: {
          ...rest,
          limit: daily_limit,
          limit_minor: daily_limit_minor,
          ...required(refusal.required_minor),
        },
      });
    }
    case "tier_balance_cap":
      return new AppError({
        status: 422,
        code: "tier_balance_cap",
        title: "Balance cap reached",
        detail: `This would take the balance past tier ${standing.tier}'s cap of NGN ${formatMinor(refusal.max_balance_minor)}.`,
        extra: {
          ...standing,
          balance: naira(refusal.balance_minor),
          balance_minor: refusal.balance_minor,
          ...required(refusal.required_minor),
        },
      });
    default: {
      const unreachable: never = refusal;
      throw new Error(`unhandled tier refusal ${JSON.stringify(unreachable)}`);
    }
  }
}
