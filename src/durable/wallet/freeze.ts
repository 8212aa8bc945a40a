/**
 * Freezing a wallet: `no_debit` refuses new withdrawals and purchases (no new
 * hold), `full` new fundings too (src/domain/acts.ts `freezeRefuses`, checked
 * by every open in core.ts `openChecks`). What is already in flight still
 * settles (webhooks, the reconciler, the callback page): a credit arriving at
 * a `full` wallet is credited, a withdrawal in flight posts or voids, so
 * nothing is lost.
 *
 * A freeze is part of the wallet's summary (`frozen`), so setting or lifting
 * one publishes a new wallet version on the change feed (watchers, the
 * projection) and an audit entry, in one storage transaction.
 */
import {
  roleAtLeast,
  type Actor,
  type Facts,
  type FreezeMode,
  type FreezeState,
} from "../../domain/acts";
import { one } from "../../lib/sqlite";
import type { WalletCore } from "./core";

export type FreezeOutcome =
  | { outcome: "frozen"; state: FreezeState }
  | { outcome: "unfrozen" }
  | { outcome: "not_frozen" }
  | { outcome: "role_required" }
  | { outcome: "no_wallet" };

type FreezeRow = {
  mode: FreezeMode;
  reason: string;
  internal_reason: string;
  by_operator: string;
  at_ms: number;
};

export function freezeState(sql: SqlStorage): FreezeState | null {
  const row = one(sql.exec<FreezeRow>("SELECT * FROM wallet_freeze WHERE id = 1"));
  return row
    ? {
        mode: row.mode,
        reason: row.reason,
        internal_reason: row.internal_reason,
        by: row.by_operator,
        at_ms: row.at_ms,
      }
    : null;
}

const asFacts = (state: FreezeState | null): Facts =>
  state
    ? { frozen: true, mode: state.mode, reason: state.reason, by: state.by, at_ms: state.at_ms }
    : { frozen: false };

/** Freeze (or change the freeze of) a wallet; an operator's act, audited. */
export function setFreeze(
  core: WalletCore,
  actor: Actor,
  input: { mode: FreezeMode; reason: string; internal_reason: string; evidence?: string | null },
  now_ms: number,
): FreezeOutcome {
  if (!roleAtLeast(actor.role, "operator")) return { outcome: "role_required" };
  return core.storage.transactionSync((): FreezeOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const sql = core.storage.sql;
    const before = freezeState(sql);
    sql.exec(
      `INSERT INTO wallet_freeze (id, mode, reason, internal_reason, by_operator, at_ms) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, reason = excluded.reason,
         internal_reason = excluded.internal_reason, by_operator = excluded.by_operator, at_ms = excluded.at_ms`,
      input.mode,
      input.reason,
      input.internal_reason,
      actor.id,
      now_ms,
    );
    const state = freezeState(sql)!;
    core.audit.append(
      actor,
      {
        action: "freeze",
        target: "wallet",
        reason: input.internal_reason,
        evidence: input.evidence ?? null,
        before: asFacts(before),
        after: asFacts(state),
      },
      now_ms,
    );
    core.ledger.markChanged();
    core.ledger.flush(now_ms);
    return { outcome: "frozen", state };
  });
}

/** Lift a freeze; an operator's act, audited. */
export function clearFreeze(
  core: WalletCore,
  actor: Actor,
  input: { reason: string; evidence?: string | null },
  now_ms: number,
): FreezeOutcome {
  if (!roleAtLeast(actor.role, "operator")) return { outcome: "role_required" };
  return core.storage.transactionSync((): FreezeOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const sql = core.storage.sql;
    const before = freezeState(sql);
    if (!before) return { outcome: "not_frozen" };
    sql.exec("DELETE FROM wallet_freeze WHERE id = 1");
    core.audit.append(
      actor,
      {
        action: "unfreeze",
        target: "wallet",
        reason: input.reason,
        evidence: input.evidence ?? null,
        before: asFacts(before),
        after: asFacts(null),
      },
      now_ms,
    );
    core.ledger.markChanged();
    core.ledger.flush(now_ms);
    return { outcome: "unfrozen" };
  });
}
