/**
 * Operators' acts that move money, under four eyes (src/domain/acts.ts).
 *
 * An adjustment (a credit or a debit with a reason code) is a transaction of
 * its own type, ADJUSTMENT, created through the one write path (store.ts) in
 * the storage transaction that executes it, so it is on the change feed, in
 * the user's history, and audited in that same transaction. A credit at or
 * below the threshold by an operator executes at once; every debit, and a
 * credit above the threshold, is a proposal until a different operator with
 * the `approver` role approves it.
 *
 * Approval is one call that checks, atomically: the proposal is pending and
 * not expired, the approver is not the proposer and is an approver, and a
 * bound transaction's version is the one proposed against (if the provider
 * answered since, the approval is refused). Then:
 *
 * - wallet-local kinds (adjust_credit, adjust_debit) execute in the same
 *   storage transaction (`approve` answers `executed`); a debit that no longer
 *   fits the available balance is refused (`insufficient_funds`) and the
 *   proposal stays pending (it may fit later, or expire);
 * - kinds that need a provider (decide, refund, credit_excess) run in two
 *   steps, since no network call may happen inside a storage transaction:
 *   1. `approve` marks the proposal `approved` and answers `claimed` with it
 *      (the claim: only one caller ever gets it, the trigger in schema.ts
 *      refuses a second decision);
 *   2. the service runs the executor registered for the kind
 *      (src/services/operator-acts.ts `registerExecutor`);
 *   3. `recordResult` marks it `executed` or `failed`, with the result,
 *      audited.
 *
 * Every step appends the proposal's new version to the change feed (entity
 * `proposal`) and an audit entry (entity `audit`) in its storage transaction.
 */
import {
  approvalRefusal,
  isWalletLocal,
  type Actor,
  type ApprovalRefusal,
  type Facts,
  type Proposal,
} from "../../domain/acts";
import type { TransactionRecord } from "../../domain/records";
import type { WalletCore } from "./core";
import { balanceFacts, executeAdjustment } from "./adjustments";
import { decide, getProposal } from "./proposal-rows";
import { applyTierOverride, requestedTier, tierActRefusal } from "./tier-acts";

export type ApproveOutcome =
  /** `tx`: the adjustment's transaction; null for a tier act (./tier-acts.ts), which moves no money. */
  | { outcome: "executed"; proposal: Proposal; tx: TransactionRecord | null }
  /** Approved and claimed: the caller runs the kind's executor, then records its result. */
  | { outcome: "claimed"; proposal: Proposal }
  | {
      outcome: "refused";
      refusal:
        | ApprovalRefusal
        | "insufficient_funds"
        | "tier_upgrade_needs_tier_2"
        | "invalid_input";
      proposal: Proposal;
    }
  | { outcome: "not_found" };

export type DecideOutcome =
  | { outcome: "rejected" | "recorded"; proposal: Proposal }
  | { outcome: "refused"; refusal: "proposal_not_pending" | "role_required"; proposal: Proposal }
  | { outcome: "not_found" };

export function approve(
  core: WalletCore,
  approver: Actor,
  id: string,
  reason: string,
  now_ms: number,
): ApproveOutcome {
  return core.storage.transactionSync((): ApproveOutcome => {
    let p = getProposal(core, id);
    if (!p) return { outcome: "not_found" };
    const bound = p.tx_ref === null ? null : (core.store.get(p.tx_ref)?.version ?? null);
    let refusal:
      | ApprovalRefusal
      | "insufficient_funds"
      | "tier_upgrade_needs_tier_2"
      | "invalid_input"
      | null = approvalRefusal(p, approver, now_ms, bound);
    if (
      refusal === null &&
      p.kind === "adjust_debit" &&
      core.ledger.availableMinor() < p.amount_minor
    )
      refusal = "insufficient_funds";
    // A tier act's upgrade rule, again: the identities may have changed since it was proposed.
    const tier = p.kind === "tier" ? requestedTier(p.payload) : undefined;
    if (refusal === null && p.kind === "tier")
      refusal = tier === undefined ? "invalid_input" : tierActRefusal(core, tier);
    if (refusal !== null) {
      // An expired proposal is recorded as such the first time anyone tries it.
      if (refusal === "proposal_expired") p = decide(core, p, "expired", approver.id, null, now_ms);
      core.audit.append(
        approver,
        {
          action: "refused",
          target: p.kind,
          reason: refusal,
          before: { status: p.status },
          after: { status: p.status },
          proposal_id: p.id,
        },
        now_ms,
      );
      return { outcome: "refused", refusal, proposal: p };
    }
    const before = balanceFacts(core);
    p = decide(core, p, "approved", approver.id, null, now_ms);
    core.audit.append(
      approver,
      {
        action: "approved",
        target: p.kind,
        reason,
        before: { status: "pending" },
        after: { status: "approved" },
        proposal_id: p.id,
      },
      now_ms,
    );
    if (!isWalletLocal(p.kind)) return { outcome: "claimed", proposal: p };
    if (p.kind === "tier") {
      // The approver sets the override (the audit's executor is the second pair of eyes).
      const after = applyTierOverride(
        core,
        approver,
        {
          tier: tier ?? null,
          reason: String(p.payload.reason ?? ""),
          evidence: typeof p.payload.evidence === "string" ? p.payload.evidence : null,
          proposal_id: p.id,
        },
        now_ms,
      );
      core.ledger.flush(now_ms);
      p = decide(core, p, "executed", approver.id, { tier: after, override: tier ?? null }, now_ms);
      return { outcome: "executed", proposal: p, tx: null };
    }
    const tx_ref = String(p.payload.tx_ref);
    // An adjustment's payload is flat (./adjustments.ts writes it): only its facts are kept.
    const flat: Facts = Object.fromEntries(
      Object.entries(p.payload).filter(
        (entry): entry is [string, Facts[string]] =>
          typeof entry[1] !== "object" || entry[1] === null,
      ),
    );
    const tx = executeAdjustment(
      core,
      { tx_ref, kind: p.kind, amount_minor: p.amount_minor, payload: flat },
      now_ms,
    );
    p = decide(core, p, "executed", approver.id, { tx_ref: tx.tx_ref }, now_ms);
    core.audit.append(
      approver,
      {
        action: "executed",
        target: p.kind,
        reason: String(p.payload.reason ?? ""),
        evidence: typeof p.payload.evidence === "string" ? p.payload.evidence : null,
        before,
        after: { ...balanceFacts(core), tx_ref: tx.tx_ref, amount_minor: p.amount_minor },
        proposal_id: p.id,
      },
      now_ms,
    );
    return { outcome: "executed", proposal: p, tx };
  });
}

/** Reject a pending proposal: approvers only (a proposer may withdraw their own). */
export function reject(
  core: WalletCore,
  approver: Actor,
  id: string,
  reason: string,
  now_ms: number,
): DecideOutcome {
  return core.storage.transactionSync((): DecideOutcome => {
    const p = getProposal(core, id);
    if (!p) return { outcome: "not_found" };
    if (approver.role !== "approver")
      return { outcome: "refused", refusal: "role_required", proposal: p };
    if (p.status !== "pending")
      return { outcome: "refused", refusal: "proposal_not_pending", proposal: p };
    const next = decide(core, p, "rejected", approver.id, null, now_ms);
    core.audit.append(
      approver,
      {
        action: "rejected",
        target: p.kind,
        reason,
        before: { status: "pending" },
        after: { status: "rejected" },
        proposal_id: p.id,
      },
      now_ms,
    );
    return { outcome: "rejected", proposal: next };
  });
}

/** Step 3 of the two-step shape: what the executor of an approved (claimed) proposal did. */
export function recordResult(
  core: WalletCore,
  actor: Actor,
  id: string,
  result: { ok: true; result: Facts } | { ok: false; reason: string },
  now_ms: number,
): DecideOutcome {
  return core.storage.transactionSync((): DecideOutcome => {
    const p = getProposal(core, id);
    if (!p) return { outcome: "not_found" };
    if (p.status !== "approved")
      return { outcome: "refused", refusal: "proposal_not_pending", proposal: p };
    const next = decide(
      core,
      p,
      result.ok ? "executed" : "failed",
      actor.id,
      result.ok ? result.result : { error: result.reason },
      now_ms,
    );
    core.audit.append(
      actor,
      {
        action: result.ok ? "executed" : "failed",
        target: p.kind,
        reason: result.ok ? String(p.payload.reason ?? "") : result.reason,
        evidence: typeof p.payload.evidence === "string" ? p.payload.evidence : null,
        before: { status: "approved" },
        after: { status: next.status, ...(result.ok ? result.result : {}) },
        proposal_id: p.id,
      },
      now_ms,
    );
    return { outcome: "recorded", proposal: next };
  });
}

export { getProposal, listProposals, type ActSettings } from "./proposal-rows";
