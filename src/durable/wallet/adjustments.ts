/**
 * Adjustments: an operator's credit or debit with a reason code, as a
 * transaction of its own type (ADJUSTMENT, src/domain/flows.ts) created
 * through the one write path (store.ts) in the storage transaction that
 * executes it, so it is on the change feed, in the user's history and in the
 * audit log together. Below the four-eyes threshold an operator's credit
 * executes at once; every debit and a larger credit becomes a proposal
 * (./proposals.ts, which executes it on approval). Also here: proposing the
 * other kinds (decide, refund, credit_excess), bound to a transaction's version.
 */
import {
  needsApproval,
  roleAtLeast,
  type Actor,
  type AdjustmentPayload,
  type Facts,
  type ProposalPayload,
  type Proposal,
  type ProposalKind,
} from "../../domain/acts";
import type { TransactionRecord } from "../../domain/records";
import type { WalletCore } from "./core";
import { insertProposal, type ActSettings } from "./proposal-rows";
import { overCap, type TierRefusal } from "./tier-rules";

export type AdjustInput = AdjustmentPayload & {
  direction: "credit" | "debit";
  amount_minor: number;
  evidence?: string | null;
};

export type AdjustOutcome =
  | { outcome: "executed"; tx: TransactionRecord; proposal: null }
  | { outcome: "proposed"; proposal: Proposal }
  | { outcome: "insufficient_funds"; available_minor: number; required_minor: number }
  | { outcome: "role_required" }
  | { outcome: "no_wallet" }
  /** A credit while the balance is over the KYC tier's cap (./tier-rules.ts). */
  | Extract<TierRefusal, { outcome: "tier_balance_cap" }>;

export type ProposeOutcome =
  | { outcome: "proposed"; proposal: Proposal }
  | { outcome: "unknown_tx" }
  | { outcome: "role_required" }
  | { outcome: "no_wallet" };

export function executeAdjustment(
  core: WalletCore,
  input: {
    tx_ref: string;
    kind: "adjust_credit" | "adjust_debit";
    amount_minor: number;
    payload: Facts;
  },
  now_ms: number,
): TransactionRecord {
  const wallet = core.ledger.wallet();
  if (!wallet) throw new Error("adjustment without a wallet");
  core.store.create(
    {
      tx_ref: input.tx_ref,
      type: "ADJUSTMENT",
      amount_minor: input.amount_minor,
      fee_minor: 0,
      currency: wallet.currency,
      // What the user's history shows: the reason code and the note meant for them.
      details: {
        reason_code: input.payload.reason_code ?? null,
        note: input.payload.user_note ?? null,
      },
      deadline_at_ms: now_ms,
      next_check_at_ms: now_ms,
    },
    now_ms,
  );
  const moved = core.store.write(
    input.tx_ref,
    {
      expect_stage: "adjustment_approved",
      stage: input.kind === "adjust_credit" ? "credited" : "debited",
    },
    now_ms,
  );
  if (!moved.ok) throw new Error(`adjustment ${input.tx_ref} could not settle: ${moved.refusal}`);
  return moved.tx;
}

export const balanceFacts = (core: WalletCore): Facts => {
  const s = core.ledger.summary();
  return s ? { balance_minor: s.balance_minor, available_minor: s.available_minor } : {};
};

/**
 * An operator adjusts a wallet: executed at once when four eyes are not
 * needed, else proposed. A debit that does not fit what is available now is
 * refused at once (and again at approval if it no longer fits then).
 */
export function adjust(
  core: WalletCore,
  actor: Actor,
  input: AdjustInput,
  ids: { tx_ref: string; proposal_id: string },
  settings: ActSettings,
  now_ms: number,
): AdjustOutcome {
  if (!roleAtLeast(actor.role, "operator")) return { outcome: "role_required" };
  const kind: ProposalKind = input.direction === "credit" ? "adjust_credit" : "adjust_debit";
  const payload: Facts = {
    reason_code: input.reason_code,
    reason: input.reason,
    user_note: input.user_note,
    evidence: input.evidence ?? null,
  };
  return core.storage.transactionSync((): AdjustOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    // Over the tier's cap, the wallet takes no new credit (debits, which bring it back under, go on).
    const over = kind === "adjust_credit" ? overCap(core, core.policy(), now_ms) : null;
    if (over?.outcome === "tier_balance_cap") return over;
    if (kind === "adjust_debit") {
      const available_minor = core.ledger.availableMinor();
      if (available_minor < input.amount_minor)
        return {
          outcome: "insufficient_funds",
          available_minor,
          required_minor: input.amount_minor,
        };
    }
    if (!needsApproval(kind, input.amount_minor, settings.threshold_minor)) {
      const before = balanceFacts(core);
      const tx = executeAdjustment(
        core,
        { tx_ref: ids.tx_ref, kind, amount_minor: input.amount_minor, payload },
        now_ms,
      );
      core.audit.append(
        actor,
        {
          action: "executed",
          target: kind,
          reason: input.reason,
          evidence: input.evidence ?? null,
          before,
          after: { ...balanceFacts(core), tx_ref: tx.tx_ref, amount_minor: input.amount_minor },
        },
        now_ms,
      );
      return { outcome: "executed", tx, proposal: null };
    }
    const proposal = insertProposal(
      core,
      {
        id: ids.proposal_id,
        kind,
        payload: { ...payload, tx_ref: ids.tx_ref },
        tx_ref: null,
        tx_version: null,
        amount_minor: input.amount_minor,
        proposed_by: actor.id,
        created_at_ms: now_ms,
        expires_at_ms: now_ms + settings.ttl_ms,
      },
      now_ms,
    );
    core.audit.append(
      actor,
      {
        action: "proposed",
        target: kind,
        reason: input.reason,
        evidence: input.evidence ?? null,
        before: balanceFacts(core),
        after: { status: "pending", amount_minor: input.amount_minor },
        proposal_id: proposal.id,
      },
      now_ms,
    );
    return { outcome: "proposed", proposal };
  });
}

/**
 * Propose an act on a transaction (a decision, a refund, a credit of an
 * excess: the other kinds), bound to the transaction's version now.
 */
export function propose(
  core: WalletCore,
  actor: Actor,
  input: {
    id: string;
    kind: ProposalKind;
    tx_ref: string;
    amount_minor: number;
    payload: ProposalPayload;
    reason: string;
  },
  settings: ActSettings,
  now_ms: number,
): ProposeOutcome {
  if (!roleAtLeast(actor.role, "operator")) return { outcome: "role_required" };
  return core.storage.transactionSync((): ProposeOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const tx = core.store.get(input.tx_ref);
    if (!tx) return { outcome: "unknown_tx" };
    const proposal = insertProposal(
      core,
      {
        id: input.id,
        kind: input.kind,
        payload: input.payload,
        tx_ref: tx.tx_ref,
        tx_version: tx.version,
        amount_minor: input.amount_minor,
        proposed_by: actor.id,
        created_at_ms: now_ms,
        expires_at_ms: now_ms + settings.ttl_ms,
      },
      now_ms,
    );
    core.audit.append(
      actor,
      {
        action: "proposed",
        target: input.kind,
        reason: input.reason,
        evidence: typeof input.payload.evidence === "string" ? input.payload.evidence : null,
        before: { tx_ref: tx.tx_ref, tx_version: tx.version, stage: tx.stage },
        after: { status: "pending", amount_minor: input.amount_minor },
        proposal_id: proposal.id,
      },
      now_ms,
    );
    return { outcome: "proposed", proposal };
  });
}

/** Approve a proposal (see the header): executes wallet-local kinds, claims the others. */
