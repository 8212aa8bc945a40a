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
   * An operator's tier override, audited in the same transaction: an upgrade
   * to 3 (granted only over tier 2: address checks happen outside this
   * service) or a sticky downgrade; `tier: null` lifts it. Approvers only.
   */
  async overrideTier(
    actor: Actor,
    input: { tier: Tier | null; reason: string },
  ): Promise<
    { outcome: "set"; tier: Tier } | { outcome: "role_required" } | { outcome: "no_wallet" }
  > {
    if (!roleAtLeast(actor.role, "approver")) return { outcome: "role_required" };
    if (!this.core.ledger.wallet()) return { outcome: "no_wallet" };
    const now_ms = Date.now();
    const tier = this.ctx.storage.transactionSync(() => {
      const before = this.core.tiers.tier();
      const after = this.core.tiers.setOverride(
        input.tier === null
          ? null
          : { tier: input.tier, reason: input.reason, operator: actor.id, at_ms: now_ms },
      );
      this.core.audit.append(
        actor,
        {
          action: "executed",
          target: "tier_override",
          reason: input.reason,
          before: { tier: before },
          after: { tier: after, override: input.tier },
        },
        now_ms,
      );
      this.core.ledger.flush(now_ms);
      return after;
    });
    await this.afterChange();
    return { outcome: "set", tier };
  }
}
