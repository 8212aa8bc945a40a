/**
 * Proposals' rows: reading, listing, inserting and deciding one, each new
 * version appended to the change feed (entity `proposal`) in the caller's
 * storage transaction. The rules of who may decide what are in
 * ./proposals.ts and src/domain/acts.ts; storage refuses a second decision
 * (the trigger in schema.ts step 7).
 */
import type { Facts, Proposal, ProposalPayload, ProposalStatus } from "../../domain/acts";
import { one } from "../../lib/sqlite";
import type { WalletCore } from "./core";
import { appendChange } from "./feed";
import { PROPOSALS_PAGE_MAX } from "./limits";

/** Four eyes' settings, from configuration. */
export type ActSettings = { threshold_minor: number; ttl_ms: number };

type ProposalRow = Omit<Proposal, "payload" | "result"> & {
  payload_json: string;
  result_json: string | null;
};

function toProposal(row: ProposalRow): Proposal {
  const { payload_json, result_json, ...rest } = row;
  return {
    ...rest,
    payload: JSON.parse(payload_json) as ProposalPayload,
    result: result_json === null ? null : (JSON.parse(result_json) as Facts),
  };
}

export function getProposal(core: WalletCore, id: string): Proposal | null {
  const row = one(core.storage.sql.exec<ProposalRow>("SELECT * FROM proposals WHERE id = ?", id));
  return row ? toProposal(row) : null;
}

/** Newest first; `status` filters (a pending proposal past its expiry counts as expired). */
export function listProposals(
  core: WalletCore,
  query: { limit: number; status?: ProposalStatus },
  now_ms: number,
): Proposal[] {
  const limit = Math.min(Math.max(1, Math.floor(query.limit)), PROPOSALS_PAGE_MAX);
  return core.storage.sql
    .exec<ProposalRow>(
      "SELECT * FROM proposals ORDER BY created_at_ms DESC, id DESC LIMIT ?",
      PROPOSALS_PAGE_MAX,
    )
    .toArray()
    .map(toProposal)
    .map((p) =>
      p.status === "pending" && now_ms >= p.expires_at_ms
        ? { ...p, status: "expired" as const }
        : p,
    )
    .filter((p) => query.status === undefined || p.status === query.status)
    .slice(0, limit);
}

function publish(core: WalletCore, p: Proposal, now_ms: number): void {
  appendChange(
    core.storage.sql,
    "proposal",
    p.id,
    p.version,
    { ...p, owner_user_id: core.ledger.owner() },
    now_ms,
  );
}

export function insertProposal(
  core: WalletCore,
  input: Omit<Proposal, "status" | "decided_by" | "decided_at_ms" | "result" | "version">,
  now_ms: number,
): Proposal {
  const p: Proposal = {
    ...input,
    status: "pending",
    decided_by: null,
    decided_at_ms: null,
    result: null,
    version: 1,
  };
  core.storage.sql.exec(
    `INSERT INTO proposals (id, kind, payload_json, tx_ref, tx_version, amount_minor, proposed_by, created_at_ms, expires_at_ms, status, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1)`,
    p.id,
    p.kind,
    JSON.stringify(p.payload),
    p.tx_ref,
    p.tx_version,
    p.amount_minor,
    p.proposed_by,
    p.created_at_ms,
    p.expires_at_ms,
  );
  publish(core, p, now_ms);
  return p;
}

/** Move a proposal to `status` (the trigger in schema.ts refuses any other move), publish it. */
export function decide(
  core: WalletCore,
  p: Proposal,
  status: ProposalStatus,
  by: string,
  result: Facts | null,
  now_ms: number,
): Proposal {
  const next: Proposal = {
    ...p,
    status,
    decided_by: p.decided_by ?? by,
    decided_at_ms: p.decided_at_ms ?? now_ms,
    result: result ?? p.result,
    version: p.version + 1,
  };
  core.storage.sql.exec(
    "UPDATE proposals SET status = ?, decided_by = ?, decided_at_ms = ?, result_json = ?, version = ? WHERE id = ? AND version = ?",
    next.status,
    next.decided_by,
    next.decided_at_ms,
    next.result === null ? null : JSON.stringify(next.result),
    next.version,
    p.id,
    p.version,
  );
  publish(core, next, now_ms);
  return next;
}

/** The adjustment itself: an ADJUSTMENT transaction created and moved to its terminal stage. */
