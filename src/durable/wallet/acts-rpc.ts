/**
 * The Wallet object's RPC methods for operators' acts: adjustments and
 * proposals (./proposals.ts, ./adjustments.ts), freezes (./freeze.ts) and the
 * audit log (./audit.ts). One class of the Wallet's chain (./base.ts, then
 * this, ./operator-surface.ts, ./object.ts), so each file keeps one surface;
 * the methods are the Wallet's like any other (RPC finds them on the
 * prototype chain).
 *
 * Every act takes the operator (`Actor`: id and role) as a plain value: the
 * routes resolve who is acting (src/lib/admin-auth.ts); the Wallet checks the
 * role again and records the id, so an act is attributable even if a caller
 * forgot a check. The four-eyes settings are read here from configuration,
 * never taken from a caller.
 */
import type {
  Actor,
  Facts,
  FreezeMode,
  Proposal,
  ProposalKind,
  ProposalPayload,
  ProposalStatus,
} from "../../domain/acts";
import { configOf } from "../../lib/config";
import { newProposalId, newTxRef } from "../../lib/ids";
import {
  adjust,
  propose,
  type AdjustInput,
  type AdjustOutcome,
  type ProposeOutcome,
} from "./adjustments";
import type { AuditLog } from "./audit";
import { WalletBase } from "./base";
import { clearFreeze, setFreeze, type FreezeOutcome } from "./freeze";
import {
  approve,
  getProposal,
  listProposals,
  recordResult,
  reject,
  type ActSettings,
  type ApproveOutcome,
  type DecideOutcome,
} from "./proposals";

export abstract class WalletActs extends WalletBase {
  private actSettings(): ActSettings {
    const config = configOf(this.env);
    if (!config.ok) throw new Error("operator acts need a valid configuration");
    return {
      threshold_minor: config.config.OPS_DUAL_CONTROL_MINOR,
      ttl_ms: config.config.OPS_PROPOSAL_TTL_S * 1000,
    };
  }

  private async acted<T>(result: T): Promise<T> {
    await this.afterChange();
    return result;
  }

  async adjust(actor: Actor, input: AdjustInput): Promise<AdjustOutcome> {
    const now_ms = Date.now();
    const owner = this.core.ledger.profile()?.user_id;
    if (!owner) return { outcome: "no_wallet" };
    const ids = { tx_ref: newTxRef("ADJUSTMENT", owner, now_ms), proposal_id: newProposalId() };
    return this.acted(adjust(this.core, actor, input, ids, this.actSettings(), now_ms));
  }

  /** Propose an act on a transaction (decide, refund, credit_excess), bound to its version now. */
  async proposeAct(
    actor: Actor,
    input: {
      kind: ProposalKind;
      tx_ref: string;
      amount_minor: number;
      payload: ProposalPayload;
      reason: string;
    },
  ): Promise<ProposeOutcome> {
    const id = newProposalId();
    return this.acted(propose(this.core, actor, { ...input, id }, this.actSettings(), Date.now()));
  }

  /** Wallet-local kinds execute here; the others answer `claimed` (two steps, ./proposals.ts). */
  async approveProposal(approver: Actor, id: string, reason: string): Promise<ApproveOutcome> {
    return this.acted(approve(this.core, approver, id, reason, Date.now()));
  }

  async rejectProposal(approver: Actor, id: string, reason: string): Promise<DecideOutcome> {
    return this.acted(reject(this.core, approver, id, reason, Date.now()));
  }

  async recordProposalResult(
    actor: Actor,
    id: string,
    result: { ok: true; result: Facts } | { ok: false; reason: string },
  ): Promise<DecideOutcome> {
    return this.acted(recordResult(this.core, actor, id, result, Date.now()));
  }

  async proposal(id: string): Promise<Proposal | null> {
    return getProposal(this.core, id);
  }

  async proposals(query: { limit: number; status?: ProposalStatus }): Promise<Proposal[]> {
    return listProposals(this.core, query, Date.now());
  }

  async freeze(
    actor: Actor,
    input: { mode: FreezeMode; reason: string; internal_reason: string; evidence?: string | null },
  ): Promise<FreezeOutcome> {
    return this.acted(setFreeze(this.core, actor, input, Date.now()));
  }

  async unfreeze(
    actor: Actor,
    input: { reason: string; evidence?: string | null },
  ): Promise<FreezeOutcome> {
    return this.acted(clearFreeze(this.core, actor, input, Date.now()));
  }

  /** The audit log, newest first; null before init. */
  async auditLog(query: {
    limit: number;
    before_id?: number;
  }): Promise<ReturnType<AuditLog["list"]> | null> {
    if (!this.core.ledger.profile()) return null;
    return this.core.audit.list(query);
  }
}
