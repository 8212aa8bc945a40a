/**
 * The Wallet's RPC surface for KYC (issue 21): the identity side records a
 * verified BVN or NIN here, reads the wallet's KYC standing, and counts
 * verification attempts. The tier book is ./tiers.ts; the rules
 * src/domain/tiers.ts. Each mutation is one storage transaction, and a tier
 * change is a new wallet version on the change feed (watchers, projection,
 * operator index) like any other wallet change.
 */
import type { TierPolicy, TierStanding } from "../../domain/tiers";
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
}
