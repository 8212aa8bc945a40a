/**
 * A statement read from the journal (the ledger of record): the opening
 * balance, every entry in the period with its transaction's type and words,
 * and the closing balance.
 *
 * The period is cut by journal sequence, not by timestamps alone: the first
 * entry of [start_ms, end_ms) is the first seq stamped at or after start_ms,
 * and so on. The opening balance is then the balance after the entry just
 * before the first one, the closing balance the balance after the last one,
 * and because each row's balance_after is the previous row's plus or minus
 * its amount (ledger.ts), closing - opening equals the entries' credits
 * minus debits to the kobo, even if two entries ever carried out-of-order
 * times. A wallet with no entry before the period opens at 0.
 *
 * Read-only, one synchronous read (no await), so it is one consistent
 * snapshot. The journal has no time index: the cut scans the wallet's own
 * journal, which one user's activity keeps small.
 */
import { describeEntry, type StatementEntry, type StatementRead } from "../../domain/statements";
import type { TxType } from "../../domain/transactions";
import { one } from "../../lib/sqlite";
import { STATEMENT_ENTRIES_MAX } from "./limits";

export type StatementQuery = { start_ms: number; end_ms: number };
export type StatementOutcome =
  | ({ outcome: "ok" } & StatementRead)
  | { outcome: "no_wallet" }
  | { outcome: "too_long"; max_entries: number };

type Row = Omit<StatementEntry, "description" | "type"> & { type: TxType; details_json: string };

/** The first seq stamped at or after `at_ms`; past the last entry when there is none. */
function boundary(sql: SqlStorage, at_ms: number): number {
  const row = one(
    sql.exec<{ seq: number | null }>(
      "SELECT MIN(seq) AS seq FROM journal WHERE created_at_ms >= ?",
      at_ms,
    ),
  );
  return row?.seq ?? Number.MAX_SAFE_INTEGER;
}

/** The balance after the last entry before seq `before` (0 when there is none). */
function balanceBefore(sql: SqlStorage, before: number): number {
  return (
    one(
      sql.exec<{ balance_after_minor: number }>(
        "SELECT balance_after_minor FROM journal WHERE seq < ? ORDER BY seq DESC LIMIT 1",
        before,
      ),
    )?.balance_after_minor ?? 0
  );
}

export function readStatement(
  sql: SqlStorage,
  query: StatementQuery,
  max_entries = STATEMENT_ENTRIES_MAX,
): StatementOutcome {
  const wallet = one(sql.exec<{ currency: string }>("SELECT currency FROM wallet WHERE id = 1"));
  if (!wallet) return { outcome: "no_wallet" };
  const first = boundary(sql, query.start_ms);
  const end = Math.max(first, boundary(sql, query.end_ms));
  const rows = sql
    .exec<Row>(
      `SELECT j.seq, j.tx_ref, j.entry, j.amount_minor, j.balance_after_minor, j.created_at_ms,
              t.type, t.fee_minor, t.details_json
       FROM journal j JOIN transactions t ON t.tx_ref = j.tx_ref
       WHERE j.seq >= ? AND j.seq < ? ORDER BY j.seq LIMIT ?`,
      first,
      end,
      max_entries + 1,
    )
    .toArray();
  if (rows.length > max_entries) return { outcome: "too_long", max_entries };
  const opening_balance_minor = balanceBefore(sql, first);
  const entries = rows.map(({ details_json, ...row }) => ({
    ...row,
    description: describeEntry(row.type, row.entry, row.fee_minor, JSON.parse(details_json)),
  }));
  return {
    outcome: "ok",
    currency: wallet.currency,
    opening_balance_minor,
    closing_balance_minor: entries.at(-1)?.balance_after_minor ?? opening_balance_minor,
    entries,
  };
}
