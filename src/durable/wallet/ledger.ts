/**
 * The ledger primitives: the profile, the wallet's balance, holds and the
 * journal. Call the mutating ones only inside a storage transaction (the write
 * path in store.ts does); each of them appends the wallet's new version to the
 * change feed in that same transaction.
 *
 * Invariants kept here:
 *  2. available = balance - sum(pending holds) >= 0: a hold is placed only when
 *     available covers it, and `summary` asserts it on every read.
 *  5. every balance change writes one journal row in the same transaction, so
 *     the balance always equals the journal's credits minus its debits; the
 *     journal's UNIQUE (tx_ref, entry) makes a second credit or debit for one
 *     transaction impossible (the insert throws and the transaction rolls back).
 */
import { assertMinor } from "../../domain/money";
import type { Tier, TierLimits } from "../../domain/tiers";
import type { Profile, ProfileVersion, WalletSummary, WalletVersion } from "../../domain/records";
import { one } from "../../lib/sqlite";
import { appendChange } from "./feed";

export type { Profile, WalletSummary, WalletVersion } from "../../domain/records";

export type Audit = {
  balance_minor: number;
  journal_balance_minor: number;
  held_minor: number;
  available_minor: number;
  journal_rows: number;
  ok: boolean;
};

type WalletRow = {
  currency: string;
  balance_minor: number;
  is_active: number;
  tier: Tier;
  version: number;
  created_at_ms: number;
  updated_at_ms: number;
};

export class Ledger {
  /** Balance or holds changed in the current storage transaction; `flush` publishes one new version. */
  private dirty = false;

  constructor(private readonly sql: SqlStorage) {}

  profile(): Profile | null {
    return one(
      this.sql.exec<Profile>(
        "SELECT user_id, email, full_name, created_at_ms FROM profile WHERE id = 1",
      ),
    );
  }

  /** The profile as the change feed carries it, at its current version; null before init. */
  profileVersion(): ProfileVersion | null {
    return one(
      this.sql.exec<ProfileVersion>(
        "SELECT user_id, email, full_name, created_at_ms, version FROM profile WHERE id = 1",
      ),
    );
  }

  /** The owner's user id; the wallet exists only once init ran. */
  owner(): string {
    const profile = this.profile();
    if (!profile) throw new Error("wallet used before init");
    return profile.user_id;
  }

  wallet(): WalletRow | null {
    return one(
      this.sql.exec<WalletRow>(
        "SELECT currency, balance_minor, is_active, tier, version, created_at_ms, updated_at_ms FROM wallet WHERE id = 1",
      ),
    );
  }

  heldMinor(): number {
    return (
      one(
        this.sql.exec<{ held: number }>(
          "SELECT COALESCE(SUM(amount_minor), 0) AS held FROM holds WHERE status = 'pending'",
        ),
      )?.held ?? 0
    );
  }

  availableMinor(): number {
    const wallet = this.wallet();
    return wallet ? wallet.balance_minor - this.heldMinor() : 0;
  }

  summary(): WalletSummary | null {
    const wallet = this.wallet();
    const profile = this.profile();
    if (!wallet || !profile) return null;
    const held_minor = this.heldMinor();
    const available_minor = wallet.balance_minor - held_minor;
    if (available_minor < 0) throw new Error(`invariant broken: available ${available_minor} < 0`);
    return {
      user_id: profile.user_id,
      currency: wallet.currency,
      balance_minor: wallet.balance_minor,
      held_minor,
      available_minor,
      is_active: wallet.is_active === 1,
      frozen: one(
        this.sql.exec<{ mode: "no_debit" | "full"; reason: string }>(
          "SELECT mode, reason FROM wallet_freeze WHERE id = 1",
        ),
      ),
      tier: wallet.tier,
    };
  }

  // ---- Writes (inside a storage transaction) --------------------------------------

  /** Create the profile and an empty, active wallet; a repeat changes nothing. */
  init(
    input: { user_id: string; email: string; full_name: string | null; currency: string },
    now_ms: number,
  ): void {
    const profile = this.sql.exec(
      "INSERT INTO profile (id, user_id, email, full_name, created_at_ms) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      input.user_id,
      input.email,
      input.full_name,
      now_ms,
    );
    const created = this.profile();
    if (profile.rowsWritten > 0 && created) {
      appendChange(this.sql, "profile", input.user_id, 1, { ...created, version: 1 }, now_ms);
    }
    const wallet = this.sql.exec(
      `INSERT INTO wallet (id, currency, balance_minor, is_active, created_at_ms, updated_at_ms)
       VALUES (1, ?, 0, 1, ?, ?) ON CONFLICT (id) DO NOTHING`,
      input.currency,
      now_ms,
      now_ms,
    );
    if (wallet.rowsWritten > 0) this.emitWallet();
  }

  /** Flip `is_active`. */
  toggleActive(now_ms: number): void {
    this.sql.exec(
      "UPDATE wallet SET is_active = 1 - is_active, version = version + 1, updated_at_ms = ? WHERE id = 1",
      now_ms,
    );
    this.emitWallet();
  }

  /** Hold `amount_minor` for a payment in flight; the caller checked that available covers it. */
  placeHold(tx_ref: string, amount_minor: number, now_ms: number): void {
    assertMinor(amount_minor);
    this.sql.exec(
      "INSERT INTO holds (tx_ref, amount_minor, status, created_at_ms) VALUES (?, ?, 'pending', ?)",
      tx_ref,
      amount_minor,
      now_ms,
    );
    if (this.availableMinor() < 0)
      throw new Error(`invariant broken: hold for ${tx_ref} exceeds available`);
    this.touch();
  }

  /** Close a pending hold; returns its amount. Throws if there is none (a bug: the flow table promised one). */
  resolveHold(tx_ref: string, status: "posted" | "voided", now_ms: number): number {
    const hold = one(
      this.sql.exec<{ amount_minor: number }>(
        "SELECT amount_minor FROM holds WHERE tx_ref = ? AND status = 'pending'",
        tx_ref,
      ),
    );
    if (!hold) throw new Error(`no pending hold for ${tx_ref}`);
    this.sql.exec(
      "UPDATE holds SET status = ?, resolved_at_ms = ? WHERE tx_ref = ? AND status = 'pending'",
      status,
      now_ms,
      tx_ref,
    );
    this.touch();
    return hold.amount_minor;
  }

  /**
   * Undo a held payment: void its hold if still open; otherwise credit back
   * what was debited, as a new journal row (the journal's UNIQUE (tx_ref,
   * entry) lets this happen once). A reversal with neither is a bug.
   */
  reverse(tx_ref: string, now_ms: number): void {
    const hold = one(
      this.sql.exec<{ status: string }>("SELECT status FROM holds WHERE tx_ref = ?", tx_ref),
    );
    if (hold?.status === "pending") {
      this.resolveHold(tx_ref, "voided", now_ms);
      return;
    }
    const debit = one(
      this.sql.exec<{ amount_minor: number }>(
        "SELECT amount_minor FROM journal WHERE tx_ref = ? AND entry = 'debit'",
        tx_ref,
      ),
    );
    if (!debit) throw new Error(`reverse: ${tx_ref} has neither an open hold nor a debit`);
    this.post(tx_ref, "credit", debit.amount_minor, now_ms);
  }

  /**
   * A debit without a hold (an operator's adjustment): only from what is
   * available, so money held for payments in flight is never taken. Throws
   * (rolling the transaction back) when it does not fit: the caller checked.
   */
  debitAvailable(tx_ref: string, amount_minor: number, now_ms: number): void {
    if (this.availableMinor() < amount_minor)
      throw new Error(`invariant broken: debit for ${tx_ref} exceeds available`);
    this.post(tx_ref, "debit", amount_minor, now_ms);
  }

  /** One journal row and the matching balance change. */
  post(tx_ref: string, entry: "credit" | "debit", amount_minor: number, now_ms: number): void {
    assertMinor(amount_minor);
    const wallet = this.wallet();
    if (!wallet) throw new Error("post without a wallet");
    const balance_after_minor =
      entry === "credit"
        ? wallet.balance_minor + amount_minor
        : wallet.balance_minor - amount_minor;
    if (balance_after_minor < 0)
      throw new Error(`invariant broken: balance would be ${balance_after_minor}`);
    this.sql.exec(
      "INSERT INTO journal (tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) VALUES (?, ?, ?, ?, ?)",
      tx_ref,
      entry,
      amount_minor,
      balance_after_minor,
      now_ms,
    );
    this.sql.exec("UPDATE wallet SET balance_minor = ? WHERE id = 1", balance_after_minor);
    this.touch();
  }

  /** Something in the wallet's summary changed without money moving (a freeze): one new version at `flush`. */
  markChanged(): void {
    this.touch();
  }

  private touch(): void {
    this.dirty = true;
  }

  /**
   * End of a storage transaction that moved money: one new wallet version on
   * the feed, however many holds and journal rows the transaction wrote, so a
   * reader never sees a half-applied state (a hold released, its debit not yet
   * posted). The write path calls this before its transaction commits.
   */
  flush(now_ms: number): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.sql.exec(
      "UPDATE wallet SET version = version + 1, updated_at_ms = ? WHERE id = 1",
      now_ms,
    );
    this.emitWallet();
  }

  /** A transaction rolled back: whatever it marked is gone with it. */
  discard(): void {
    this.dirty = false;
  }

  /** The tier's limits for the feed's wallet versions (./base.ts sets it from the tier policy). */
  private limitsOfTier: ((tier: Tier) => TierLimits) | null = null;
  /** Called inside the storage transaction of each wallet version, before its body is taken. */
  private beforeEmit: (() => void) | null = null;

  useLimits(limitsOfTier: (tier: Tier) => TierLimits, beforeEmit: () => void): void {
    this.limitsOfTier = limitsOfTier;
    this.beforeEmit = beforeEmit;
  }

  /** The wallet as the change feed carries it: the summary at its current version; null before init. */
  walletVersion(): WalletVersion | null {
    const summary = this.summary();
    const wallet = this.wallet();
    if (!summary || !wallet) return null;
    return {
      ...summary,
      version: wallet.version,
      created_at_ms: wallet.created_at_ms,
      updated_at_ms: wallet.updated_at_ms,
      ...this.limitsOfTier?.(summary.tier),
    };
  }

  private emitWallet(): void {
    this.beforeEmit?.();
    const body = this.walletVersion();
    if (!body) throw new Error("wallet change without a wallet");
    appendChange(this.sql, "wallet", body.user_id, body.version, body, body.updated_at_ms);
  }

  // ---- Audit ----------------------------------------------------------------------

  /** Invariants 2 and 5, computed from storage. */
  audit(): Audit {
    const wallet = this.wallet();
    const journal = one(
      this.sql.exec<{ credits: number; debits: number; rows: number }>(
        `SELECT COALESCE(SUM(CASE WHEN entry = 'credit' THEN amount_minor ELSE 0 END), 0) AS credits,
                COALESCE(SUM(CASE WHEN entry = 'debit' THEN amount_minor ELSE 0 END), 0) AS debits,
                COUNT(*) AS rows
         FROM journal`,
      ),
    )!;
    const balance_minor = wallet?.balance_minor ?? 0;
    const held_minor = this.heldMinor();
    const journal_balance_minor = journal.credits - journal.debits;
    const available_minor = balance_minor - held_minor;
    return {
      balance_minor,
      journal_balance_minor,
      held_minor,
      available_minor,
      journal_rows: journal.rows,
      ok: balance_minor === journal_balance_minor && available_minor >= 0,
    };
  }
}
