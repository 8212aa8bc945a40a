/**
 * Operators' acts across wallets, in each shard of the operator index: every
 * wallet's audit entries and its proposals' latest versions, delivered by the
 * wallets' change feeds (src/durable/wallet/operator-reader.ts) to the shard
 * the wallet's owner hashes to. `GET /admin/audit` and `GET /admin/proposals`
 * ask every shard and merge (src/services/operator-acts.ts).
 *
 * The copy is append-only like the wallets' logs: an audit entry is inserted
 * once (its key is the wallet and the entry's id; a redelivery changes
 * nothing), and triggers refuse updating or deleting it. A proposal's row is
 * replaced only by a higher version. The wallet stays the record; this is
 * its index.
 */
import type { AuditEntry, Proposal } from "../../domain/acts";
import type { AuditFact, OperatorFact, ProposalFact } from "../../domain/operator";
import type { Migration } from "../../lib/sqlite";
import { OPERATOR_LIST_MAX } from "./limits";

export const ACTS_INDEX_MIGRATION: Migration = {
  version: 6,
  statements: [
    `CREATE TABLE op_audit (
       user_id TEXT NOT NULL,
       id INTEGER NOT NULL,
       operator_id TEXT NOT NULL,
       action TEXT NOT NULL,
       at_ms INTEGER NOT NULL,
       entry_json TEXT NOT NULL,
       PRIMARY KEY (user_id, id)
     ) WITHOUT ROWID`,
    "CREATE INDEX op_audit_by_time ON op_audit (at_ms DESC, user_id, id)",
    "CREATE TRIGGER op_audit_no_update BEFORE UPDATE ON op_audit BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END",
    "CREATE TRIGGER op_audit_no_delete BEFORE DELETE ON op_audit BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END",
    `CREATE TABLE op_proposals (
       id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       status TEXT NOT NULL,
       version INTEGER NOT NULL,
       created_at_ms INTEGER NOT NULL,
       expires_at_ms INTEGER NOT NULL,
       proposal_json TEXT NOT NULL
     ) WITHOUT ROWID`,
    "CREATE INDEX op_proposals_by_status ON op_proposals (status, created_at_ms)",
  ],
};

export type AuditQuery = {
  user_id?: string;
  operator?: string;
  action?: string;
  from_ms?: number;
  to_ms?: number;
  limit: number;
};

export type IndexedProposal = Proposal & { owner_user_id: string };

export class ActsIndex {
  constructor(private readonly sql: SqlStorage) {}

  /** Take the acts' facts of a batch (the others are the transaction index's). Call inside the batch's storage transaction. */
  ingest(facts: readonly OperatorFact[]): void {
    for (const fact of facts) {
      if (fact.fact === "audit") this.audit(fact);
      else if (fact.fact === "proposal") this.proposal(fact);
    }
  }

  private audit({ entry }: AuditFact): void {
    this.sql.exec(
      `INSERT INTO op_audit (user_id, id, operator_id, action, at_ms, entry_json) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, id) DO NOTHING`,
      entry.user_id,
      entry.id,
      entry.operator_id,
      entry.action,
      entry.at_ms,
      JSON.stringify(entry),
    );
  }

  private proposal({ proposal: p }: ProposalFact): void {
    this.sql.exec(
      `INSERT INTO op_proposals (id, user_id, status, version, created_at_ms, expires_at_ms, proposal_json) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version, proposal_json = excluded.proposal_json
       WHERE excluded.version > op_proposals.version`,
      p.id,
      p.owner_user_id,
      p.status,
      p.version,
      p.created_at_ms,
      p.expires_at_ms,
      JSON.stringify(p),
    );
  }

  /** Newest first, filtered, at most OPERATOR_LIST_MAX. */
  auditEntries(query: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const filters: [string, string | number | undefined][] = [
      ["user_id = ?", query.user_id],
      ["operator_id = ?", query.operator],
      ["action = ?", query.action],
      ["at_ms >= ?", query.from_ms],
      ["at_ms <= ?", query.to_ms],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), OPERATOR_LIST_MAX);
    return this.sql
      .exec<{ entry_json: string }>(
        `SELECT entry_json FROM op_audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY at_ms DESC, user_id, id DESC LIMIT ?`,
        ...params,
        limit,
      )
      .toArray()
      .map((r) => JSON.parse(r.entry_json) as AuditEntry);
  }

  /**
   * Proposals by status, newest first, at most OPERATOR_LIST_MAX. A pending
   * proposal past its expiry is no longer pending (the wallet records it as
   * expired the next time anyone acts on it): it is answered as expired.
   */
  proposals(query: { status?: string; now_ms: number; limit: number }): IndexedProposal[] {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), OPERATOR_LIST_MAX);
    const rows =
      query.status === "pending"
        ? this.sql.exec<{ proposal_json: string }>(
            "SELECT proposal_json FROM op_proposals WHERE status = 'pending' AND expires_at_ms > ? ORDER BY created_at_ms DESC LIMIT ?",
            query.now_ms,
            limit,
          )
        : query.status === "expired"
          ? this.sql.exec<{ proposal_json: string }>(
              "SELECT proposal_json FROM op_proposals WHERE status = 'expired' OR (status = 'pending' AND expires_at_ms <= ?) ORDER BY created_at_ms DESC LIMIT ?",
              query.now_ms,
              limit,
            )
          : query.status !== undefined
            ? this.sql.exec<{ proposal_json: string }>(
                "SELECT proposal_json FROM op_proposals WHERE status = ? ORDER BY created_at_ms DESC LIMIT ?",
                query.status,
                limit,
              )
            : this.sql.exec<{ proposal_json: string }>(
                "SELECT proposal_json FROM op_proposals ORDER BY created_at_ms DESC LIMIT ?",
                limit,
              );
    return rows.toArray().map((r) => {
      const p = JSON.parse(r.proposal_json) as IndexedProposal;
      return p.status === "pending" && p.expires_at_ms <= query.now_ms
        ? { ...p, status: "expired" as const }
        : p;
    });
  }
}
