/**
 * The Wallet's RPC surface for KYC (issue 21): the identity side records a
 * verified BVN or NIN here, reads the wallet's KYC standing, and counts
 * verification attempts. The tier book is ./tiers.ts; the rules
 * src/domain/tiers.ts. Each mutation is one storage transaction, and a tier
 * change is a new wallet version on the change feed (watchers, projection,
 * operator index) like any other wallet change.
 */
import { roleAtLeast, type Actor } from "../../domain/acts";
import type { Tier, TierPolicy, TierStanding } from "../../domain/tiers";
import { WalletOperatorSurface } from "./operator-surface";
import { configOf } from "../../lib/config";
import { newProposalId } from "../../lib/ids";
import {
  applyTierOverride,
  proposeTier,
  tierActRefusal,
  type TierActInput,
  type TierProposeOutcome,
} from "./tier-acts";
import type { IdentityInput, KycAttemptOutcome, KycStatus, RecordIdentityOutcome } from "./tiers";

export abstract class WalletKyc extends WalletOperatorSurface {
  /** Record a verified identity; recomputes the tier. Same hash again: `changed: false`. */
  async recordIdentity(input: IdentityInput): Promise<RecordIdentityOutcome> {
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync(() => {
      const outcome = this.core.tiers.recordIdentity(input, now_ms);
      this.core.ledger.flush(now_ms);
      return outcome;
    });
    if (result.outcome === "recorded" && result.changed) await this.afterChange();
    return result;
  }

  /** The tier and the identities behind it; null: no wallet. */
  async kycStatus(): Promise<KycStatus | null> {
    return this.core.tiers.status();
  }

  /** Counts one verification attempt for the Lagos day; refuses past `max`. */
  async kycAttempt(max: number): Promise<KycAttemptOutcome> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => this.core.tiers.attempt(max, now_ms));
  }

  /** Where the wallet stands against `policy` today (GET /wallet/limits); null: no wallet. */
  async tierStanding(policy: TierPolicy): Promise<TierStanding | null> {
    if (!this.core.ledger.wallet()) return null;
    return this.core.tiers.standing(policy, Date.now());
  }

  /**
   * An operator's tier override set directly, audited in the same
   * transaction: an upgrade to 3 (granted only over tier 2: address checks
   * happen outside this service) or a sticky downgrade; `tier: null` lifts
   * it. Approvers only. Operators over HTTP go through four eyes instead
   * (`proposeTier`, then a different approver's approval, ./tier-acts.ts);
   * this direct path is for an approver acting alone in tools and tests.
   */
  async overrideTier(
    actor: Actor,
    input: { tier: Tier | null; reason: string },
  ): Promise<
    | { outcome: "set"; tier: Tier }
    | { outcome: "role_required" }
    | { outcome: "no_wallet" }
    | { outcome: "tier_upgrade_needs_tier_2" }
  > {
    if (!roleAtLeast(actor.role, "approver")) return { outcome: "role_required" };
    if (!this.core.ledger.wallet()) return { outcome: "no_wallet" };
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync(() => {
      if (tierActRefusal(this.core, input.tier)) return null;
      const after = applyTierOverride(this.core, actor, input, now_ms);
      this.core.ledger.flush(now_ms);
      return after;
    });
    if (result === null) return { outcome: "tier_upgrade_needs_tier_2" };
    await this.afterChange();
    return { outcome: "set", tier: result };
  }

  /** Propose a tier act under four eyes (./tier-acts.ts); a different approver approves it. */
  async proposeTier(actor: Actor, input: TierActInput): Promise<TierProposeOutcome> {
    const config = configOf(this.env);
    if (!config.ok) throw new Error("operator acts need a valid configuration");
    const settings = {
      threshold_minor: config.config.OPS_DUAL_CONTROL_MINOR,
      ttl_ms: config.config.OPS_PROPOSAL_TTL_S * 1000,
    };
    const out = proposeTier(
      this.core,
      actor,
      { ...input, id: newProposalId() },
      settings,
      Date.now(),
    );
    if (out.outcome === "proposed") await this.afterChange();
    return out;
  }
}
