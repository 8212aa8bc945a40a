/** How proposals and audit entries answer (./acts.ts, ./act-proposals.ts). */
import type { AuditEntry as AuditRecord, Proposal as ProposalRecord } from "../../domain/acts";
import { formatMinor } from "../../domain/money";

export const iso = (ms: number) => new Date(ms).toISOString();

export function proposalView(p: ProposalRecord, user_id: string) {
  return {
    object: "proposal" as const,
    id: p.id,
    user_id,
    kind: p.kind,
    status: p.status,
    amount: formatMinor(p.amount_minor),
    amount_minor: p.amount_minor,
    tx_ref: p.tx_ref,
    tx_version: p.tx_version,
    payload: p.payload,
    proposed_by: p.proposed_by,
    created_at: iso(p.created_at_ms),
    expires_at: iso(p.expires_at_ms),
    decided_by: p.decided_by,
    decided_at: p.decided_at_ms === null ? null : iso(p.decided_at_ms),
    result: p.result,
  };
}

export function auditView(e: AuditRecord) {
  const { at_ms, ...rest } = e;
  return { object: "audit_entry" as const, ...rest, at: iso(at_ms) };
}
