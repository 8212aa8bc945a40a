/**
 * Proposing the operators' acts that need a provider: deciding a held
 * payment (post or void it), and settling money an anomaly says is owed
 * (refund it through the provider, or credit it to the wallet). Each is a
 * proposal (202) until a different operator with the approver role approves
 * it at /admin/wallets/{user_id}/proposals/{proposal_id}/approve, which runs
 * it (src/services/act-executors.ts). Nothing is asked of a provider here;
 * what can never be done is refused now (src/services/act-proposals.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { REFUND_COMMENTS_MAX_CHARS, FUND_MAX_MINOR } from "../../domain/limits";
import { DECISION_EVIDENCE_MAX_CHARS, DECISION_ID_MAX_CHARS } from "../../durable/wallet/limits";
import { operatorOnly, type Operator } from "../../lib/admin-auth";
import { errors } from "../../lib/errors";
import { executionCtx, newRouter, problems, type AppContext } from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import {
  proposeDecision,
  proposeSettlement,
  type ProposeAnswer,
  proposeRefusalProblem,
} from "../../services/act-proposals";
import { amountField } from "../wallet/schemas";
import { Proposal, WalletParam } from "./acts-schemas";
import { proposalView } from "./acts-views";
import { AnomalyParams } from "./schemas";

export const actProposalRoutes = newRouter();

const DecisionProposalBody = z
  .object({
    decision: z.enum(["post", "void"]),
    evidence: z
      .string()
      .trim()
      .min(1)
      .max(DECISION_EVIDENCE_MAX_CHARS)
      .openapi({ description: "Post: the provider's reference. Void: the provider's word." }),
    reference: z
      .string()
      .trim()
      .min(1)
      .max(DECISION_ID_MAX_CHARS)
      .optional()
      .openapi({ description: "The provider's own reference for the payment, when known." }),
  })
  .openapi("DecisionProposalRequest");

const SettlementProposalBody = z
  .object({
    action: z.enum(["refund", "credit"]),
    ref: z
      .string()
      .min(1)
      .max(TX_REF_MAX_CHARS)
      .openapi({ description: "The provider charge the anomaly names (its `ref`)." }),
    amount: amountField(1, FUND_MAX_MINOR)
      .optional()
      .openapi({ description: "Part of what is owed, in naira; omitted: all of it." }),
    comments: z.string().trim().min(1).max(REFUND_COMMENTS_MAX_CHARS).optional(),
  })
  .openapi("SettlementProposalRequest");

function operatorOf(c: AppContext): Operator {
  const operator = c.var.operator;
  if (!operator) throw new Error("a proposal route ran without its guard");
  return operator;
}

function answer(c: AppContext, out: ProposeAnswer, user_id: string, what: string) {
  if (out.ok) return c.json(proposalView(out.proposal, user_id), 202);
  if (out.refusal === "no_wallet") throw errors.notFound("No wallet for this user.");
  if (out.refusal === "not_found") throw errors.notFound(what);
  throw proposeRefusalProblem(out.refusal, out.owed_minor);
}

actProposalRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/transactions/{tx_ref}/decision",
    tags: ["admin"],
    summary:
      "Propose deciding an escalated or overdue held payment (post or void); an approver's approval asks the provider first",
    ...operatorOnly,
    request: {
      params: WalletParam.extend({ tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS) }),
      body: { content: { "application/json": { schema: DecisionProposalBody } }, required: true },
    },
    responses: {
      202: {
        description: "Proposed (kind decide), bound to the transaction's version.",
        content: { "application/json": { schema: Proposal } },
      },
      ...problems(401, 403, 404, 409, 422),
    },
  }),
  async (c) => {
    const { user_id, tx_ref } = c.req.valid("param");
    const body = c.req.valid("json");
    const out = await proposeDecision(c.env, operatorOf(c), {
      user_id,
      tx_ref,
      reason: body.evidence,
      ...body,
    });
    return answer(c, out, user_id, "No held payment (withdrawal or purchase) with this reference.");
  },
);

actProposalRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/anomalies/{tx_ref}/{kind}/settlement",
    tags: ["admin"],
    summary:
      "Propose settling money an anomaly says is owed: refund it through the provider, or credit it to the wallet",
    ...operatorOnly,
    request: {
      params: WalletParam.merge(AnomalyParams),
      body: { content: { "application/json": { schema: SettlementProposalBody } }, required: true },
    },
    responses: {
      202: {
        description: "Proposed (kind refund or credit_excess).",
        content: { "application/json": { schema: Proposal } },
      },
      ...problems(401, 403, 404, 409, 422, 503),
    },
  }),
  async (c) => {
    const { user_id, tx_ref, kind } = c.req.valid("param");
    const body = c.req.valid("json");
    const out = await proposeSettlement(c.env, executionCtx(c), operatorOf(c), {
      user_id,
      how: body.action,
      reason: body.comments ?? `${body.action} of what ${kind} on ${tx_ref} owes`,
      anomaly: { tx_ref, kind, ref: body.ref },
      amount_minor: body.amount,
      comments: body.comments,
    });
    return answer(c, out, user_id, "No open anomaly of this name on this wallet.");
  },
);
