/**
 * IdentityClaims: one BVN or NIN backs only one user (issue 21). The index
 * from a number's keyed hash (never the number: src/lib/identity-hash.ts) to
 * the user who verified it, held by IDENTITY_CLAIMS_SHARDS objects, a hash in
 * the shard it chooses.
 *
 * Invariants
 * - A hash has at most one owner. `claim` is claim-if-absent and answers the
 *   owner either way, so two users verifying the same number at once get one
 *   winner; the loser is told who owns it (the service answers 409).
 * - Only the owner can `release` a claim (the service's compensation when the
 *   Wallet refuses to record the identity after the claim was made).
 * - Every method runs synchronously (SQLite calls, no await), so each one is
 *   atomic: no other call is delivered in the middle of it.
 * - The schema is created at the first claim: a lookup writes nothing.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate, one } from "../../lib/sqlite";
import { IDENTITY_CLAIMS_SHARDS } from "./limits";
import { MIGRATIONS } from "./schema";

export type ClaimResult = { owner: string; created: boolean };

/**
 * The shard of a hash: its first 32 bits (it is an HMAC output, so they are
 * uniform), modulo IDENTITY_CLAIMS_SHARDS. Must never change (limits.ts).
 */
export function identityClaimsShard(hash: string): number {
  const head = Number.parseInt(hash.slice(0, 8), 16);
  if (!/^[0-9a-f]{64}$/.test(hash) || !Number.isFinite(head)) {
    throw new Error("identityClaimsShard: not a keyed hash");
  }
  return head % IDENTITY_CLAIMS_SHARDS;
}

export function identityClaimsShardName(hash: string): string {
  return `shard/${identityClaimsShard(hash)}`;
}

export class IdentityClaims extends DurableObject<Env> {
  private schema_present = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = ctx.storage.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_schema'")
        .toArray();
      if (stored.length > 0) this.ensureSchema();
    });
  }

  private ensureSchema(): void {
    if (this.schema_present) return;
    migrate(this.ctx.storage, MIGRATIONS);
    this.schema_present = true;
  }

  /** The owner of a hash, or null. A read: writes nothing. */
  owner(hash: string): string | null {
    if (!this.schema_present) return null;
    return (
      one(
        this.ctx.storage.sql.exec<{ user_id: string }>(
          "SELECT user_id FROM claims WHERE hash = ?",
          hash,
        ),
      )?.user_id ?? null
    );
  }

  /** Claim `hash` for `user_id` unless someone holds it; answers the owner either way. */
  claim(hash: string, kind: string, user_id: string, now_ms: number): ClaimResult {
    const existing = this.owner(hash);
    if (existing !== null) return { owner: existing, created: false };
    this.ensureSchema();
    this.ctx.storage.sql.exec(
      "INSERT INTO claims (hash, kind, user_id, claimed_at_ms) VALUES (?, ?, ?, ?)",
      hash,
      kind,
      user_id,
      now_ms,
    );
    return { owner: user_id, created: true };
  }

  /** Give a claim back; only its owner can. True when a claim was removed. */
  release(hash: string, user_id: string): boolean {
    if (this.owner(hash) !== user_id) return false;
    this.ctx.storage.sql.exec("DELETE FROM claims WHERE hash = ? AND user_id = ?", hash, user_id);
    return true;
  }
}
