/**
 * The wallet's audit log: every operator act on it (proposed, approved,
 * rejected, executed, refused, failed, freeze, unfreeze), with who, when,
 * what, why, evidence, and the state before and after.
 *
 * Append-only twice over: this module has no update or delete, and SQLite
 * triggers (schema.ts step 7) refuse both, so even a bug cannot edit history.
 * Each entry is appended in the storage transaction of the act it records,
 * and to the change feed in that same transaction (entity `audit`), so the
 * operator index (src/durable/operations/) hears of it like any change.
 */
import type { Actor, AuditAction, AuditEntry, Facts } from "../../domain/acts";
import { AUDIT_PAGE_MAX } from "./limits";
import { appendChange } from "./feed";
import type { Ledger } from "./ledger";

export type AuditInput = {
  action: AuditAction;
  target: string;
  reason: string;
  evidence?: string | null;
  before: Facts;
  after: Facts;
  proposal_id?: string | null;
};

type AuditRow = {
  id: number;
  operator_id: string;
  operator_role: AuditEntry["operator_role"];
  at_ms: number;
  action: AuditAction;
  target: string;
  reason: string;
  evidence: string | null;
  before_json: string;
  after_json: string;
  proposal_id: string | null;
};

function toEntry(row: AuditRow, user_id: string): AuditEntry {
  const { before_json, after_json, ...rest } = row;
  return {
    ...rest,
    user_id,
    before: JSON.parse(before_json) as Facts,
    after: JSON.parse(after_json) as Facts,
  };
}

export class AuditLog {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
  ) {}

  /** Append one entry and its change. Call only inside the act's storage transaction. */
  append(actor: Actor, input: AuditInput, now_ms: number): AuditEntry {
    const row = this.sql
      .exec<AuditRow>(
        `INSERT INTO audit_log (operator_id, operator_role, at_ms, action, target, reason, evidence, before_json, after_json, proposal_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        actor.id,
        actor.role,
        now_ms,
        input.action,
        input.target,
        input.reason,
        input.evidence ?? null,
        JSON.stringify(input.before),
        JSON.stringify(input.after),
        input.proposal_id ?? null,
      )
      .one();
    const entry = toEntry(row, this.ledger.owner());
    appendChange(this.sql, "audit", String(entry.id), 1, entry, now_ms);
    return entry;
  }

  /** Newest first, before entry `before_id` when given, at most AUDIT_PAGE_MAX. */
  list(query: { limit: number; before_id?: number }): { data: AuditEntry[]; has_more: boolean } {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), AUDIT_PAGE_MAX);
    const rows = this.sql
      .exec<AuditRow>(
        "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
        query.before_id ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const owner = this.ledger.owner();
    return {
      data: rows.slice(0, limit).map((r) => toEntry(r, owner)),
      has_more: rows.length > limit,
    };
  }

  /** Every entry about one proposal, oldest first (for tests and the proposal's page). */
  forProposal(proposal_id: string): AuditEntry[] {
    const owner = this.ledger.owner();
    return this.sql
      .exec<AuditRow>(
        "SELECT * FROM audit_log WHERE proposal_id = ? ORDER BY id LIMIT ?",
        proposal_id,
        AUDIT_PAGE_MAX,
      )
      .toArray()
      .map((r) => toEntry(r, owner));
  }
}
