/**
 * The KYC tier rules at the moment money moves (issue 21; src/domain/tiers.ts
 * holds the table and the day). Called inside the storage transaction that
 * opens the payment, so the check and the count that follows (the store's
 * write path counts every hold, credit and debit: ./tiers.ts) cannot be
 * separated by another request: 25 concurrent purchases accept exactly what
 * fits the day, as the balance check does for the balance.
 *
 *  - a debit (any held payment's open: purchases, withdrawals, bills) needs
 *    used_today + amount + fee <= the tier's daily limit;
 *  - a funding's open needs the same, and balance + amount <= the balance cap
 *    (no checkout is opened that the rules would refuse); a wallet already
 *    over its cap takes no new credit;
 *  - money that arrives anyway is credited in full (a payment made is never
 *    bounced) and, when the balance passes the cap, an `over_tier_cap`
 *    anomaly tells operators (`flagOverCap`);
 *  - tier 0 gets tier 1's limits unless KYC is required; then it moves nothing.
 */
import { CBN_TIER_TABLE, limitsOf, type TierPolicy } from "../../domain/tiers";
import { configOf } from "../../lib/config";
import type { WalletCore } from "./core";
import type { TierRefusal } from "./tiers";

export type { TierRefusal } from "./tiers";

/**
 * The policy from the object's own configuration (the same env as the Worker's).
 * The settle path must never stop on a configuration problem: money that
 * arrives is credited whatever, so an invalid configuration falls back to the
 * CBN's table for the over-cap flag.
 */
export function envPolicy(env: object): TierPolicy {
  const config = configOf(env);
  return config.ok ? config.config.kyc : { table: CBN_TIER_TABLE, required: false };
}

/**
 * The policy an open passed (remembered for the settle path), or the one in
 * force. When the passed policy changes the wallet's limits (KYC_TIERS or
 * KYC_REQUIRED changed), a new wallet version carries them to the feed, in
 * this transaction: every version's limits are those of the policy it was
 * written under, so the projection's check can derive them from the feed.
 */
export function policyFor(
  core: WalletCore,
  passed: TierPolicy | undefined,
  now_ms: number,
): TierPolicy {
  if (!passed) return core.policy();
  const before = core.policy();
  core.tiers.remember(passed);
  const tier = core.tiers.tier();
  if (JSON.stringify(limitsOf(tier, before)) !== JSON.stringify(limitsOf(tier, passed))) {
    core.ledger.markChanged();
    core.ledger.flush(now_ms);
  }
  return passed;
}

/** The daily rule (and tier 0's), for `minor` about to move today; null: it fits. */
export function checkDay(
  core: WalletCore,
  policy: TierPolicy,
  minor: number,
  now_ms: number,
): TierRefusal | null {
  const standing = core.tiers.standing(policy, now_ms);
  if (!standing.limits) return { outcome: "kyc_required", standing };
  if (minor > standing.remaining_today_minor)
    return { outcome: "tier_limit_exceeded", standing, required_minor: minor };
  return null;
}

/** The balance cap, for a credit of `minor`; null: it fits (or there is no cap). */
export function checkCap(
  core: WalletCore,
  policy: TierPolicy,
  minor: number,
  now_ms: number,
): TierRefusal | null {
  const standing = core.tiers.standing(policy, now_ms);
  const cap = standing.limits?.max_balance_minor ?? null;
  const balance_minor = core.ledger.wallet()?.balance_minor ?? 0;
  if (cap === null || balance_minor + minor <= cap) return null;
  return {
    outcome: "tier_balance_cap",
    standing,
    balance_minor,
    max_balance_minor: cap,
    required_minor: minor,
  };
}

/** A funding's open: KYC first, then the cap (a wallet over it hears why), then the day. */
export function checkFunding(
  core: WalletCore,
  policy: TierPolicy,
  minor: number,
  now_ms: number,
): TierRefusal | null {
  const day = checkDay(core, policy, minor, now_ms);
  if (day?.outcome === "kyc_required") return day;
  return checkCap(core, policy, minor, now_ms) ?? day;
}

/** Over the cap already: the wallet takes no further credit until it is back under (or upgraded). */
export function overCap(core: WalletCore, policy: TierPolicy, now_ms: number): TierRefusal | null {
  return checkCap(core, policy, 0, now_ms);
}

/**
 * After money arrived (in full, whatever the cap): when the balance is now
 * past the cap, tell operators once per transaction. Tier 0 is held to tier
 * 1's cap here even when KYC is required (money that arrives is never refused).
 */
export function flagOverCap(
  core: WalletCore,
  policy: TierPolicy,
  tx_ref: string,
  now_ms: number,
): void {
  const tier = core.tiers.tier();
  const cap = limitsOf(tier, { ...policy, required: false })?.max_balance_minor ?? null;
  const balance_minor = core.ledger.wallet()?.balance_minor ?? 0;
  if (cap === null || balance_minor <= cap) return;
  core.trail.anomaly(
    tx_ref,
    "over_tier_cap",
    `balance ${balance_minor} kobo is over tier ${tier}'s cap of ${cap} kobo; further credits are refused until it is back under or the wallet is upgraded`,
    now_ms,
  );
}
