/**
 * What approving a decide, refund or credit_excess proposal does: the second
 * step of the two-step approval (./operator-acts.ts). Registered here, once,
 * at module load; the approve route imports this module, and only routes
 * approve (the queue and the alarms never do), so every isolate that can
 * approve has them.
 *
 * Each reads its proposal's payload (the shapes below are what the propose
 * routes and the console write) and calls the service that owns the action:
 *   - decide -> decideHeldPayment, bound to the version the proposer saw; a
 *     definite provider answer at the requery wins (`provider_answered`);
 *   - refund / credit_excess -> startRefund / creditExcess with the proposal's
 *     id, so asking again never sends a second refund.
 * A refusal is answered `ok: false` with its name (the proposal is recorded
 * failed, and the route answers the problem of that name).
 */
import { z } from "zod";
import type { Facts } from "../domain/acts";
import type { TransactionRecord } from "../domain/records";
import { decideHeldPayment } from "./decisions";
import {
  executorFor,
  registerExecutor,
  type ExecutorResult,
  type ProposalExecutor,
} from "./operator-acts";
import { creditExcess, startRefund, type SettleAnswer } from "./refunds";

/** A decide proposal's payload. */
export const DecidePayload = z.object({
  decision: z.enum(["post", "void"]),
  evidence: z.string().min(1),
  reference: z.string().min(1).optional(),
});
export type DecidePayload = z.infer<typeof DecidePayload>;

/** A refund or credit_excess proposal's payload. */
export const SettlePayload = z.object({
  anomaly: z.object({ tx_ref: z.string().min(1), kind: z.string().min(1), ref: z.string() }),
  amount_minor: z.number().int().positive().optional(),
  comments: z.string().optional(),
});
export type SettlePayload = z.infer<typeof SettlePayload>;

/** A transaction as a proposal's result records it. */
function txFacts(tx: TransactionRecord): Facts {
  return {
    tx_ref: tx.tx_ref,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    amount_minor: tx.amount_minor,
    version: tx.version,
  };
}

const decideExecutor: ProposalExecutor = async (env, { ctx, user_id, proposal, approver }) => {
  const payload = DecidePayload.safeParse(proposal.payload);
  if (!payload.success || proposal.tx_ref === null || proposal.tx_version === null)
    return { ok: false, reason: "invalid_input" };
  const out = await decideHeldPayment(env, ctx, {
    user_id,
    tx_ref: proposal.tx_ref,
    decision: payload.data.decision,
    evidence: payload.data.evidence,
    reference: payload.data.reference,
    operator_id: approver.id,
    expected_version: proposal.tx_version,
  });
  switch (out.outcome) {
    case "decided":
      return {
        ok: true,
        result: {
          ...txFacts(out.tx),
          decision: payload.data.decision,
          evidence: payload.data.evidence,
        },
      };
    case "provider_answered":
      // The answer applied instead: the route names the transaction's new state.
      return { ok: false, reason: "provider_answered", extra: { transaction: txFacts(out.tx) } };
    case "refused":
      return { ok: false, reason: out.reason };
  }
};

function settled(answer: SettleAnswer): ExecutorResult {
  if (answer.ok) return { ok: true, result: txFacts(answer.tx) };
  switch (answer.refusal) {
    case "amount_too_large":
      return { ok: false, reason: answer.refusal, extra: { owed_minor: answer.owed_minor } };
    case "already_refunded":
      return { ok: false, reason: answer.refusal, extra: { transaction: txFacts(answer.tx) } };
    default:
      return { ok: false, reason: answer.refusal };
  }
}

const settleExecutor =
  (how: "refund" | "credit"): ProposalExecutor =>
  async (env, { ctx, user_id, proposal, approver }) => {
    const payload = SettlePayload.safeParse(proposal.payload);
    if (!payload.success) return { ok: false, reason: "invalid_input" };
    const request = {
      user_id,
      anomaly: payload.data.anomaly,
      amount_minor: payload.data.amount_minor,
      comments: payload.data.comments,
      operator_id: approver.id,
      proposal_id: proposal.id,
    };
    return settled(
      how === "refund"
        ? await startRefund(env, ctx, request)
        : await creditExcess(env, ctx, request),
    );
  };

// Idempotent at module scope: a module evaluated twice (tests, hot reload) registers once.
if (!executorFor("decide")) registerExecutor("decide", decideExecutor);
if (!executorFor("refund")) registerExecutor("refund", settleExecutor("refund"));
if (!executorFor("credit_excess")) registerExecutor("credit_excess", settleExecutor("credit"));
