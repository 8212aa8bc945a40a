/**
 * Operators' acts on a wallet: adjustments, freezes, proposals and their
 * decisions under four eyes, and the audit log (per wallet and across
 * wallets). Reads are open to viewers (and the read-only script token);
 * acting needs an operator signed in through Access, deciding a proposal an
 * approver (src/lib/admin-auth.ts). The Wallet checks the role again and
 * records who acted (src/services/operator-acts.ts). The audit log has no
 * route that edits it. A wallet's log is `/audit-log`: `/audit` already
 * answers the ledger's invariants check (./index.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { adminOnly, approverOnly, operatorOnly, type Operator } from "../../lib/admin-auth";
import { AppError, errors } from "../../lib/errors";
import { executionCtx, newRouter, problems, type AppContext } from "../../lib/http";
import {
  approveProposal,
  auditAcrossWallets,
  proposalsAcrossWallets,
  refusalProblem,
} from "../../services/operator-acts";
// Registers the executors of decide, refund and credit_excess (approval runs them).
import "../../services/act-executors";
import { tierProblem } from "../../services/tier-answers";
import { transactionView } from "../../services/views";
import { auditView, proposalView } from "./acts-views";
import { TransactionResponse } from "../wallet/schemas";
import {
  AdjustmentBody,
  AuditList,
  AuditQuery,
  DecisionBody,
  Freeze,
  FreezeBody,
  Proposal,
  ProposalList,
  ProposalParam,
  ProposalsQuery,
  QueueQuery,
  TierActBody,
  UnfreezeBody,
  WalletAuditQuery,
  WalletParam,
} from "./acts-schemas";

export const actsRoutes = newRouter();

function operatorOf(c: AppContext): Operator {
  const operator = c.var.operator;
  if (!operator) throw new Error("an acts route ran without its guard");
  return operator;
}

/** An upgrade to 3 asked for below tier 2 (src/domain/tiers.ts `tierOverrideRefusal`). */
const TIER_UPGRADE_REFUSED = {
  status: 422,
  code: "tier_upgrade_needs_tier_2",
  title: "Tier 3 needs tier 2",
  detail:
    "An upgrade to tier 3 is granted only over tier 2: the wallet needs a verified BVN and NIN first.",
} as const;

const noWallet = () => errors.notFound("No wallet for this user.");

/** The wallet's stub, after checking it exists (an unknown user id is 404, never a new empty object's answer). */
async function walletOf(c: AppContext, user_id: string) {
  const stub = c.env.WALLET.getByName(user_id);
  if (!(await stub.profile())) throw noWallet();
  return stub;
}

actsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/adjustments",
    tags: ["admin"],
    summary:
      "Adjust a wallet (credit or debit with a reason code); debits and large credits become proposals",
    ...operatorOnly,
    request: {
      params: WalletParam,
      body: { content: { "application/json": { schema: AdjustmentBody } }, required: true },
    },
    responses: {
      201: {
        description: "Executed at once: the ADJUSTMENT transaction.",
        content: { "application/json": { schema: TransactionResponse } },
      },
      202: {
        description: "Proposed: a second operator with the approver role must approve it.",
        content: { "application/json": { schema: Proposal } },
      },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const stub = c.env.WALLET.getByName(user_id);
    const { amount, ...rest } = body;
    const out = await stub.adjust(operatorOf(c), { ...rest, amount_minor: amount });
    switch (out.outcome) {
      case "executed":
        return c.json(transactionView(out.tx), 201);
      case "proposed":
        return c.json(proposalView(out.proposal, user_id), 202);
      case "insufficient_funds":
        throw errors.unprocessable(
          "insufficient_funds",
          "The wallet's available balance does not cover this debit.",
          { available_minor: out.available_minor, required_minor: out.required_minor },
        );
      case "role_required":
        throw refusalProblem("role_required", "");
      case "no_wallet":
        throw noWallet();
      case "tier_balance_cap":
        throw tierProblem(out);
    }
  },
);

actsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/tier",
    tags: ["admin"],
    summary:
      "Propose a KYC tier act: cap the wallet's tier (a sticky downgrade), upgrade to 3 (only over tier 2), or lift the override; an approver other than the proposer approves it",
    ...operatorOnly,
    request: {
      params: WalletParam,
      body: { content: { "application/json": { schema: TierActBody } }, required: true },
    },
    responses: {
      202: {
        description: "Proposed: a second operator with the approver role must approve it.",
        content: { "application/json": { schema: Proposal } },
      },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const stub = await walletOf(c, user_id);
    const out = await stub.proposeTier(operatorOf(c), c.req.valid("json"));
    switch (out.outcome) {
      case "proposed":
        return c.json(proposalView(out.proposal, user_id), 202);
      case "tier_upgrade_needs_tier_2":
        throw new AppError({
          ...TIER_UPGRADE_REFUSED,
          extra: { tier: out.tier },
        });
      case "role_required":
        throw refusalProblem("role_required", "");
      case "no_wallet":
        throw noWallet();
    }
  },
);

const freezeAnswer = async (stub: { summary(): Promise<{ frozen: unknown } | null> }) => ({
  object: "freeze" as const,
  frozen: ((await stub.summary())?.frozen ?? null) as {
    mode: "no_debit" | "full";
    reason: string;
  } | null,
});

actsRoutes.openapi(
  createRoute({
    method: "put",
    path: "/admin/wallets/{user_id}/freeze",
    tags: ["admin"],
    summary: "Freeze a wallet: no_debit (no withdrawals or purchases) or full (no fundings either)",
    ...operatorOnly,
    request: {
      params: WalletParam,
      body: { content: { "application/json": { schema: FreezeBody } }, required: true },
    },
    responses: {
      200: { description: "Frozen.", content: { "application/json": { schema: Freeze } } },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const stub = c.env.WALLET.getByName(user_id);
    const out = await stub.freeze(operatorOf(c), c.req.valid("json"));
    if (out.outcome === "no_wallet") throw noWallet();
    if (out.outcome !== "frozen") throw refusalProblem("role_required", "");
    return c.json(await freezeAnswer(stub), 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/admin/wallets/{user_id}/freeze",
    tags: ["admin"],
    summary: "Lift a wallet's freeze",
    ...operatorOnly,
    request: {
      params: WalletParam,
      body: { content: { "application/json": { schema: UnfreezeBody } }, required: true },
    },
    responses: {
      200: { description: "Unfrozen.", content: { "application/json": { schema: Freeze } } },
      ...problems(401, 403, 404, 409, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const stub = c.env.WALLET.getByName(user_id);
    const out = await stub.unfreeze(operatorOf(c), c.req.valid("json"));
    if (out.outcome === "no_wallet") throw noWallet();
    if (out.outcome === "not_frozen")
      throw new AppError({ status: 409, code: "wallet_not_frozen", title: "Not frozen" });
    if (out.outcome !== "unfrozen") throw refusalProblem("role_required", "");
    return c.json(await freezeAnswer(stub), 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/wallets/{user_id}/proposals",
    tags: ["admin"],
    summary: "A wallet's proposals, newest first",
    ...adminOnly,
    request: { params: WalletParam, query: ProposalsQuery },
    responses: {
      200: { description: "Proposals.", content: { "application/json": { schema: ProposalList } } },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const stub = await walletOf(c, user_id);
    const list = await stub.proposals(c.req.valid("query"));
    return c.json(
      { object: "list" as const, data: list.map((p) => proposalView(p, user_id)) },
      200,
    );
  },
);

actsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/proposals/{proposal_id}/approve",
    tags: ["admin"],
    summary: "Approve a proposal (an approver other than its proposer); executes it",
    ...approverOnly,
    request: {
      params: ProposalParam,
      body: { content: { "application/json": { schema: DecisionBody } }, required: false },
    },
    responses: {
      200: {
        description: "Approved and executed (or failed).",
        content: { "application/json": { schema: Proposal } },
      },
      ...problems(401, 403, 404, 409, 410, 422, 501, 502, 503),
    },
  }),
  async (c) => {
    const { user_id, proposal_id } = c.req.valid("param");
    await walletOf(c, user_id);
    const reason = c.req.valid("json")?.reason ?? "";
    const answer = await approveProposal(
      c.env,
      user_id,
      proposal_id,
      operatorOf(c),
      reason,
      executionCtx(c),
    );
    return c.json(proposalView(answer.proposal, user_id), 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/proposals/{proposal_id}/reject",
    tags: ["admin"],
    summary: "Reject a pending proposal",
    ...approverOnly,
    request: {
      params: ProposalParam,
      body: { content: { "application/json": { schema: DecisionBody } }, required: false },
    },
    responses: {
      200: { description: "Rejected.", content: { "application/json": { schema: Proposal } } },
      ...problems(401, 403, 404, 409, 422),
    },
  }),
  async (c) => {
    const { user_id, proposal_id } = c.req.valid("param");
    const stub = await walletOf(c, user_id);
    const reason = c.req.valid("json")?.reason ?? "";
    const out = await stub.rejectProposal(operatorOf(c), proposal_id, reason);
    if (out.outcome === "not_found") throw errors.notFound("No such proposal for this wallet.");
    if (out.outcome === "refused") throw refusalProblem(out.refusal, proposal_id);
    return c.json(proposalView(out.proposal, user_id), 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/wallets/{user_id}/audit-log",
    tags: ["admin"],
    summary: "A wallet's audit log, newest first (append-only: no route edits it)",
    ...adminOnly,
    request: { params: WalletParam, query: WalletAuditQuery },
    responses: {
      200: { description: "Entries.", content: { "application/json": { schema: AuditList } } },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const log = await c.env.WALLET.getByName(user_id).auditLog(c.req.valid("query"));
    if (!log) throw noWallet();
    return c.json({ object: "list" as const, data: log.data.map(auditView) }, 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/audit",
    tags: ["admin"],
    summary: "The audit log across wallets, newest first, filtered (from the operator index)",
    ...adminOnly,
    request: { query: AuditQuery },
    responses: {
      200: { description: "Entries.", content: { "application/json": { schema: AuditList } } },
      ...problems(401, 422),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const entries = await auditAcrossWallets(c.env, c.var.config.OPERATOR_INDEX_SHARDS, {
      user_id: q.user_id,
      operator: q.operator,
      action: q.action,
      from_ms: q.from === undefined ? undefined : Date.parse(q.from),
      to_ms: q.to === undefined ? undefined : Date.parse(q.to),
      limit: q.limit,
    });
    return c.json({ object: "list" as const, data: entries.map(auditView) }, 200);
  },
);

actsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/proposals",
    tags: ["admin"],
    summary: "Proposals across wallets by status: the approvals queue (pending by default)",
    ...adminOnly,
    request: { query: QueueQuery },
    responses: {
      200: { description: "Proposals.", content: { "application/json": { schema: ProposalList } } },
      ...problems(401, 422),
    },
  }),
  async (c) => {
    const list = await proposalsAcrossWallets(
      c.env,
      c.var.config.OPERATOR_INDEX_SHARDS,
      c.req.valid("query"),
    );
    return c.json(
      { object: "list" as const, data: list.map((p) => proposalView(p, p.owner_user_id)) },
      200,
    );
  },
);
