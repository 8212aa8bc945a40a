/**
 * Operators' acts on a wallet, on the route side: adjustments, freezes,
 * proposals and their approval under four eyes, and the audit log across
 * wallets. The Wallet object does the checking and the recording, each act in
 * one storage transaction (src/durable/wallet/proposals.ts, adjustments.ts,
 * freeze.ts, audit.ts); this turns its named outcomes into answers and
 * problems, and runs the two-step approval of kinds that need a provider.
 *
 * Two-step approval (decide, refund, credit_excess): no network call may
 * happen inside a storage transaction, so approving such a proposal is
 *   1. `Wallet.approveProposal` -> `claimed` (the proposal is `approved`, once);
 *   2. the executor registered here for its kind runs (it calls the provider);
 *   3. `Wallet.recordProposalResult` -> `executed` or `failed`, audited.
 * The branches that own those actions register their executors with
 * `registerExecutor`. A kind without one fails honestly (recorded `failed`,
 * answered 501), never pretends.
 */
import type { AuditEntry, Facts, Proposal, ProposalKind } from "../domain/acts";
import { shardName } from "../domain/operator";
import type { IndexedProposal } from "../durable/operations/acts-index";
import type { AuditQuery } from "../durable/operations/acts-index";
import type { ApproveOutcome, DecideOutcome } from "../durable/wallet/object";
import { AppError, errors } from "../lib/errors";

/** Who acts, as the Wallet records it (the identity layer's Operator is assignable). */
export type ActingOperator = { id: string; role: "viewer" | "operator" | "approver" };

/**
 * What an executor answers: the facts to record, or why it failed (a named
 * refusal, with facts for the answer: a provider's answer applied instead,
 * what was owed).
 */
export type ExecutorResult =
  | { ok: true; result: Facts }
  | { ok: false; reason: string; extra?: Record<string, Facts | number> };

/**
 * Runs an approved (claimed) proposal of one kind against its provider. It
 * must be safe to call again for the same proposal id (use the id as the
 * provider's idempotency reference): a crash between steps 2 and 3 leaves the
 * proposal `approved`, and an operator may retry.
 */
export type ProposalExecutor = (
  env: Env,
  input: {
    /** The approving request's context (a provider call may wait on work after the answer). */
    ctx: ExecutionContext;
    user_id: string;
    proposal: Proposal;
    approver: ActingOperator;
  },
) => Promise<ExecutorResult>;

const executors = new Map<ProposalKind, ProposalExecutor>();

/** Register the executor of a kind that needs a provider; a second registration of one kind is a bug. */
export function registerExecutor(kind: ProposalKind, executor: ProposalExecutor): void {
  if (kind === "adjust_credit" || kind === "adjust_debit" || kind === "tier")
    throw new Error(`${kind} is executed by the Wallet itself`);
  if (executors.has(kind)) throw new Error(`an executor for ${kind} is already registered`);
  executors.set(kind, executor);
}

export function executorFor(kind: ProposalKind): ProposalExecutor | null {
  return executors.get(kind) ?? null;
}

type Refusal = { status: 403 | 409 | 410 | 422 | 502 | 503; title: string; detail: string };

const REFUSALS: Record<string, Refusal> = {
  proposal_not_pending: {
    status: 409,
    title: "Proposal already decided",
    detail: "This proposal was already approved, rejected or expired; it cannot be decided again.",
  },
  proposal_expired: {
    status: 410,
    title: "Proposal expired",
    detail: "This proposal waited longer than OPS_PROPOSAL_TTL_S; propose it again.",
  },
  self_approval: {
    status: 403,
    title: "Self-approval refused",
    detail: "A proposal must be approved by a different operator than the one who proposed it.",
  },
  role_required: {
    status: 403,
    title: "Role required",
    detail: "Only an operator with the approver role may decide proposals.",
  },
  transaction_changed: {
    status: 409,
    title: "Transaction changed",
    detail:
      "The transaction changed since this proposal was made (the provider answered); look again and propose anew.",
  },
  insufficient_funds: {
    status: 422,
    title: "Insufficient funds",
    detail: "The wallet's available balance no longer covers this debit.",
  },
  tier_upgrade_needs_tier_2: {
    status: 422,
    title: "Tier 3 needs tier 2",
    detail:
      "An upgrade to tier 3 is granted only over tier 2: the wallet needs a verified BVN and NIN first.",
  },
  invalid_input: {
    status: 422,
    title: "Invalid proposal",
    detail: "The proposal's payload is not valid for its kind.",
  },
};

/**
 * Why an approved proposal's execution failed, as its executor names it
 * (./act-executors.ts): decisions (src/services/decisions.ts) and refunds
 * (src/services/refunds.ts). The proposal is recorded `failed` either way.
 */
const EXECUTION_REFUSALS: Record<string, Refusal> = {
  provider_answered: {
    status: 409,
    title: "The provider answered",
    detail:
      "Asked again before deciding, the provider gave a definite answer; it was applied instead of the decision.",
  },
  not_found: {
    status: 409,
    title: "Nothing to act on",
    detail: "The transaction or anomaly this proposal names no longer exists as proposed.",
  },
  not_pending: {
    status: 409,
    title: "No longer pending",
    detail: "The payment is already final; there is nothing to decide.",
  },
  version_changed: REFUSALS.transaction_changed as Refusal,
  not_decidable: {
    status: 409,
    title: "Not decidable",
    detail:
      "The payment is neither escalated nor overdue (or was never sent): the system still follows it.",
  },
  invalid_input: {
    status: 422,
    title: "Invalid proposal",
    detail: "The proposal's payload or evidence is not valid for its kind.",
  },
  amount_too_large: {
    status: 422,
    title: "More than owed",
    detail: "The amount is more than the provider's charge shows is owed.",
  },
  nothing_owed: {
    status: 422,
    title: "Nothing owed",
    detail: "The provider's charge shows nothing owed back.",
  },
  not_creditable: {
    status: 422,
    title: "Not creditable",
    detail: "The money cannot be credited to this wallet (its currency or balance limit).",
  },
  already_refunded: {
    status: 409,
    title: "Already settled",
    detail: "This anomaly was already refunded or credited.",
  },
  provider_refused: {
    status: 502,
    title: "Refund refused by the provider",
    detail: "The provider refused the refund; the anomaly stays open.",
  },
  provider_unavailable: {
    status: 503,
    title: "Provider unavailable",
    detail:
      "The provider could not say what the charge holds now; nothing was sent. Propose again later.",
  },
};

/** The problem of an execution's named failure; null for a failure without a name (an error). */
export function executionProblem(
  reason: string,
  proposal_id: string,
  extra: Record<string, Facts | number> = {},
): AppError | null {
  const known = EXECUTION_REFUSALS[reason];
  if (!known) return null;
  return new AppError({ ...known, code: reason, extra: { ...extra, proposal_id } });
}

export function refusalProblem(refusal: string, proposal_id: string): AppError {
  const known = REFUSALS[refusal];
  if (!known) return new AppError({ status: 409, code: refusal, title: "Refused" });
  return new AppError({ ...known, code: refusal, extra: { proposal_id } });
}

export type ApprovalAnswer =
  | { status: "executed"; proposal: Proposal; tx_ref: string | null }
  | { status: "failed"; proposal: Proposal };

/**
 * Approve a proposal: the Wallet checks and, for its own kinds, executes;
 * for the others, the registered executor runs and its result is recorded.
 */
export async function approveProposal(
  env: Env,
  user_id: string,
  proposal_id: string,
  approver: ActingOperator,
  reason: string,
  ctx: ExecutionContext,
): Promise<ApprovalAnswer> {
  const wallet = env.WALLET.getByName(user_id);
  const outcome: ApproveOutcome = await wallet.approveProposal(approver, proposal_id, reason);
  switch (outcome.outcome) {
    case "not_found":
      throw errors.notFound("No such proposal for this wallet.");
    case "refused":
      throw refusalProblem(outcome.refusal, proposal_id);
    case "executed":
      return { status: "executed", proposal: outcome.proposal, tx_ref: outcome.tx?.tx_ref ?? null };
    case "claimed": {
      const executor = executorFor(outcome.proposal.kind);
      const result: ExecutorResult = executor
        ? await executor(env, { ctx, user_id, proposal: outcome.proposal, approver }).catch(
            (error: unknown) => ({ ok: false as const, reason: String(error) }),
          )
        : { ok: false, reason: `no executor is registered for ${outcome.proposal.kind}` };
      const recorded: DecideOutcome = await wallet.recordProposalResult(
        approver,
        proposal_id,
        result.ok ? result : { ok: false, reason: result.reason },
      );
      if (recorded.outcome !== "recorded")
        throw refusalProblem(
          recorded.outcome === "refused" ? recorded.refusal : "proposal_not_pending",
          proposal_id,
        );
      if (!executor)
        throw new AppError({
          status: 501,
          code: "executor_missing",
          title: "Not implemented",
          detail: `Approving a ${outcome.proposal.kind} proposal is not available yet; it was recorded as failed.`,
          extra: { proposal_id },
        });
      if (result.ok) return { status: "executed", proposal: recorded.proposal, tx_ref: null };
      // A named refusal is the answer (the proposal is recorded failed); an unnamed error is the failed proposal.
      const problem = executionProblem(result.reason, proposal_id, result.extra);
      if (problem) throw problem;
      return { status: "failed", proposal: recorded.proposal };
    }
    default: {
      const unreachable: never = outcome;
      throw new Error(`unhandled approval ${JSON.stringify(unreachable)}`);
    }
  }
}

const every = (shards: number) => Array.from({ length: shards }, (_, i) => i);

/** The audit log across wallets: every shard's newest entries that pass the filters, merged, newest first. */
export async function auditAcrossWallets(
  env: Env,
  shards: number,
  query: AuditQuery,
): Promise<AuditEntry[]> {
  const pages = await Promise.all(
    every(shards).map((i) => env.OPERATIONS.getByName(shardName(i)).auditEntries(query)),
  );
  return pages
    .flat()
    .sort((a, b) => b.at_ms - a.at_ms || (a.user_id < b.user_id ? -1 : 1) || b.id - a.id)
    .slice(0, query.limit);
}

/** Proposals across wallets by status (the approvals queue: `pending`), newest first. */
export async function proposalsAcrossWallets(
  env: Env,
  shards: number,
  query: { status?: string; limit: number },
): Promise<IndexedProposal[]> {
  const now_ms = Date.now();
  const pages = await Promise.all(
    every(shards).map((i) =>
      env.OPERATIONS.getByName(shardName(i)).proposals({ ...query, now_ms }),
    ),
  );
  return pages
    .flat()
    .sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? 1 : -1))
    .slice(0, query.limit);
}
