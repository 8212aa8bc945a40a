/**
 * The Wallet's KYC tier book (issue 21; the rules are src/domain/tiers.ts):
 * the verified identities, an operator's override, the tier they give, and
 * the money counted against each Africa/Lagos day.
 *
 * Invariants kept here (call the writes inside the caller's storage transaction):
 *  - the wallet's `tier` column always equals tierOf(identities, override);
 *    a change bumps the wallet's version (Ledger.markChanged, flushed by the
 *    write), so it reaches the feed as a wallet change.
 *  - tier_usage[day] = sum of tier_counted.minor for that day: a transaction
 *    is counted at most once (tx_ref is the key) and given back at most once
 *    (its row is deleted as it is given back), to the day it was counted in.
 *  - only hashes and last four digits of a number are stored, never the number.
 */
import {
  IDENTITY_KINDS,
  lagosDayKey,
  nextLagosMidnightMs,
  standingOf,
  tierOf,
  type IdentityKind,
  type Tier,
  type TierOverride,
  type TierPolicy,
  type TierStanding,
} from "../../domain/tiers";
import { one } from "../../lib/sqlite";
import type { Ledger } from "./ledger";

export type IdentityInput = {
  kind: IdentityKind;
  /** Keyed hash (hex) of the number; never the number. */
  hash: string;
  last4: string;
  verified_name: string;
  /** YYYY-MM-DD, the issuer's. */
  verified_dob: string;
  provider: string;
};

export type RecordIdentityOutcome =
  | { outcome: "recorded"; tier: Tier; changed: boolean }
  | { outcome: "different_identity"; kind: IdentityKind; last4: string }
  | { outcome: "no_wallet" };

export type KycStatus = {
  tier: Tier;
  identities: { kind: IdentityKind; last4: string; verified_at_ms: number; provider: string }[];
  /** Kept only so a second number can be matched against the first person; never in an answer. */
  verified_name: string | null;
  verified_dob: string | null;
};

export type KycAttemptOutcome =
  | { allowed: true; used: number }
  | { allowed: false; retry_after_s: number };

type IdentityRow = IdentityInput & { verified_at_ms: number };

export class TierBook {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
  ) {}

  identities(): IdentityRow[] {
    return this.sql
      .exec<IdentityRow>(
        "SELECT kind, hash, last4, verified_name, verified_dob, provider, verified_at_ms FROM wallet_identities ORDER BY verified_at_ms, kind",
      )
      .toArray();
  }

  override(): TierOverride | null {
    return one(
      this.sql.exec<TierOverride>(
        "SELECT tier, reason, operator, at_ms FROM tier_override WHERE id = 1",
      ),
    );
  }

  /** The stored tier (0 before init). */
  tier(): Tier {
    return this.ledger.wallet()?.tier ?? 0;
  }

  status(): KycStatus | null {
    if (!this.ledger.wallet()) return null;
    const rows = this.identities();
    const first = rows[0] ?? null;
    return {
      tier: this.tier(),
      identities: rows.map(({ kind, last4, verified_at_ms, provider }) => ({
        kind,
        last4,
        verified_at_ms,
        provider,
      })),
      verified_name: first?.verified_name ?? null,
      verified_dob: first?.verified_dob ?? null,
    };
  }

  // ---- Writes (inside a storage transaction) --------------------------------------

  /** Record a verified identity; the same hash again changes nothing; another number of the kind is refused. */
  recordIdentity(input: IdentityInput, now_ms: number): RecordIdentityOutcome {
    if (!IDENTITY_KINDS.includes(input.kind))
      throw new Error(`unknown identity kind ${input.kind}`);
    if (!this.ledger.wallet()) return { outcome: "no_wallet" };
    const existing = one(
      this.sql.exec<{ hash: string; last4: string }>(
        "SELECT hash, last4 FROM wallet_identities WHERE kind = ?",
        input.kind,
      ),
    );
    if (existing && existing.hash !== input.hash)
      return { outcome: "different_identity", kind: input.kind, last4: existing.last4 };
    if (existing) return { outcome: "recorded", tier: this.tier(), changed: false };
    this.sql.exec(
      `INSERT INTO wallet_identities (kind, hash, last4, verified_name, verified_dob, provider, verified_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      input.kind,
      input.hash,
      input.last4,
      input.verified_name,
      input.verified_dob,
      input.provider,
      now_ms,
    );
    // A new identity is news to readers even when the tier stays (a second
    // number under a downgrade): the wallet's version moves either way.
    this.ledger.markChanged();
    return { outcome: "recorded", tier: this.recompute(), changed: true };
  }

  /** Set or lift (null) an operator's override; returns the tier it gives. */
  setOverride(override: TierOverride | null): Tier {
    if (override)
      this.sql.exec(
        `INSERT INTO tier_override (id, tier, reason, operator, at_ms) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tier = excluded.tier, reason = excluded.reason,
           operator = excluded.operator, at_ms = excluded.at_ms`,
        override.tier,
        override.reason,
        override.operator,
        override.at_ms,
      );
    else this.sql.exec("DELETE FROM tier_override");
    return this.recompute();
  }

  /** Bring the stored tier in line with the identities and the override. */
  private recompute(): Tier {
    const tier = tierOf(
      this.identities().map((row) => row.kind),
      this.override(),
    );
    if (tier !== this.tier()) {
      this.sql.exec("UPDATE wallet SET tier = ? WHERE id = 1", tier);
      this.ledger.markChanged();
    }
    return tier;
  }

  /** Counts one verification attempt for the Lagos day; refuses past `max`. Older days are forgotten. */
  attempt(max: number, now_ms: number): KycAttemptOutcome {
    const day = lagosDayKey(now_ms);
    this.sql.exec("DELETE FROM kyc_attempts WHERE day <> ?", day);
    const used =
      one(this.sql.exec<{ count: number }>("SELECT count FROM kyc_attempts WHERE day = ?", day))
        ?.count ?? 0;
    if (used >= max)
      return {
        allowed: false,
        retry_after_s: Math.max(1, Math.ceil((nextLagosMidnightMs(now_ms) - now_ms) / 1000)),
      };
    this.sql.exec(
      "INSERT INTO kyc_attempts (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1",
      day,
    );
    return { allowed: true, used: used + 1 };
  }

  /**
   * The policy the service passed with the latest open (its configuration's
   * KYC_TIERS and KYC_REQUIRED), kept so that the settle path, which no
   * request carries (webhooks, the reconciler), judges arriving money by the
   * same table. Written only when it changed.
   */
  remember(policy: TierPolicy): TierPolicy {
    const json = JSON.stringify(policy);
    const stored = one(
      this.sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = 'kyc_policy'"),
    )?.value;
    if (stored !== json)
      this.sql.exec(
        "INSERT INTO settings (key, value) VALUES ('kyc_policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        json,
      );
    return policy;
  }

  /** The policy last passed with an open; null before any. */
  remembered(): TierPolicy | null {
    const stored = one(
      this.sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = 'kyc_policy'"),
    )?.value;
    return stored === undefined ? null : (JSON.parse(stored) as TierPolicy);
  }

  // ---- The day's totals -------------------------------------------------------------

  usedOn(day: string): number {
    return (
      one(
        this.sql.exec<{ used_minor: number }>(
          "SELECT used_minor FROM tier_usage WHERE day = ?",
          day,
        ),
      )?.used_minor ?? 0
    );
  }

  usedToday(now_ms: number): number {
    return this.usedOn(lagosDayKey(now_ms));
  }

  standing(policy: TierPolicy, now_ms: number): TierStanding {
    return standingOf(this.tier(), policy, this.usedToday(now_ms), now_ms);
  }

  /** Count `minor` of `tx_ref` against today; a transaction already counted is not counted again. */
  count(tx_ref: string, minor: number, now_ms: number): void {
    if (minor <= 0) return;
    const day = lagosDayKey(now_ms);
    const inserted = this.sql
      .exec(
        "INSERT INTO tier_counted (tx_ref, day, minor) VALUES (?, ?, ?) ON CONFLICT (tx_ref) DO NOTHING RETURNING tx_ref",
        tx_ref,
        day,
        minor,
      )
      .toArray();
    if (inserted.length === 0) return;
    this.sql.exec(
      "INSERT INTO tier_usage (day, used_minor) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET used_minor = used_minor + excluded.used_minor",
      day,
      minor,
    );
  }

  /** Give back what `tx_ref` counted, to the day it was counted in, once. */
  giveBack(tx_ref: string): void {
    const counted = one(
      this.sql.exec<{ day: string; minor: number }>(
        "DELETE FROM tier_counted WHERE tx_ref = ? RETURNING day, minor",
        tx_ref,
      ),
    );
    if (!counted) return;
    this.sql.exec(
      "UPDATE tier_usage SET used_minor = used_minor - ? WHERE day = ?",
      counted.minor,
      counted.day,
    );
  }
}
