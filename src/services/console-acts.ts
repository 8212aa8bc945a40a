/**
 * The operator console's acts: what its confirmed forms do. Each calls the
 * same Wallet RPC or service the JSON routes call (src/routes/admin/acts.ts,
 * ./operator-acts.ts) and turns a refusal into the same problem; the console
 * renders the problem as a page. Nothing here checks roles: the route's guard
 * lets operators in, and the Wallet decides who may approve (so an operator
 * approving their own proposal hears "self-approval", not a bare 403).
 */
import type { Operator } from "../lib/admin-auth";
import { AppError, errors } from "../lib/errors";
import { txRefOwner } from "../lib/ids";
import { proposeDecision, proposeRefusalProblem, type ProposeRefusal } from "./act-proposals";
import { approveProposal, refusalProblem } from "./operator-acts";
import { tierProblem } from "./tier-answers";

/** What a confirmed form asks for, validated (src/routes/admin/console-acts.tsx). */
export type ConsoleActInput =
  | {
      act: "decide";
      tx_ref: string;
      decision: "post" | "void";
      evidence: string;
      reference?: string;
    }
  | {
      act: "adjust";
      direction: "credit" | "debit";
      amount: number;
      reason_code: "goodwill" | "correction" | "chargeback";
      reason: string;
      user_note: string;
    }
  | { act: "freeze"; mode: "no_debit" | "full"; reason: string; internal_reason: string }
  | { act: "unfreeze"; reason: string }
  | { act: "approve" | "reject"; proposal_id: string; reason?: string };

/** What happened, named for the page's banner (a fixed list: the banner never echoes input). */
export type ActDone =
  | "proposed"
  | "adjusted"
  | "frozen"
  | "unfrozen"
  | "approved"
  | "approval_failed"
  | "rejected";

const noWallet = () => errors.notFound("No wallet for this user.");

/** A decision refused at proposal time, as the page says it (the JSON route's problems, same codes). */
function decideRefusal(refusal: ProposeRefusal): AppError {
  switch (refusal) {
    case "no_wallet":
      return noWallet();
    case "not_pending":
    case "not_decidable":
      return proposeRefusalProblem(refusal);
    case "role_required":
      return refusalProblem("role_required", "");
    default:
      return errors.notFound("No held payment (withdrawal or purchase) with this reference.");
  }
}

export async function runConsoleAct(
  env: Env,
  ctx: ExecutionContext,
  user_id: string,
  operator: Operator,
  input: ConsoleActInput,
): Promise<ActDone> {
  const stub = env.WALLET.getByName(user_id);
  switch (input.act) {
    case "decide": {
      if (txRefOwner(input.tx_ref) !== user_id) throw errors.notFound("No such transaction.");
      // Proposed as the JSON route proposes it (./act-proposals.ts): one rule, one payload shape.
      const out = await proposeDecision(env, operator, {
        user_id,
        tx_ref: input.tx_ref,
        decision: input.decision,
        evidence: input.evidence,
        ...(input.reference === undefined ? {} : { reference: input.reference }),
        reason: input.evidence,
      });
      if (out.ok) return "proposed";
      throw decideRefusal(out.refusal);
    }
    case "adjust": {
      const { act: _act, amount, ...rest } = input;
      const out = await stub.adjust(operator, { ...rest, amount_minor: amount });
      switch (out.outcome) {
        case "executed":
          return "adjusted";
        case "proposed":
          return "proposed";
        case "insufficient_funds":
          throw errors.unprocessable(
            "insufficient_funds",
            "The wallet's available balance does not cover this debit.",
          );
        case "role_required":
          throw refusalProblem("role_required", "");
        case "no_wallet":
          throw noWallet();
        case "tier_balance_cap":
          throw tierProblem(out);
      }
      break;
    }
    case "freeze": {
      const { act: _act, ...rest } = input;
      const out = await stub.freeze(operator, rest);
      if (out.outcome === "no_wallet") throw noWallet();
      if (out.outcome !== "frozen") throw refusalProblem("role_required", "");
      return "frozen";
    }
    case "unfreeze": {
      const out = await stub.unfreeze(operator, { reason: input.reason });
      if (out.outcome === "no_wallet") throw noWallet();
      if (out.outcome === "not_frozen")
        throw new AppError({
          status: 409,
          code: "wallet_not_frozen",
          title: "Not frozen",
          detail: "This wallet is not frozen.",
        });
      if (out.outcome !== "unfrozen") throw refusalProblem("role_required", "");
      return "unfrozen";
    }
    case "approve": {
      if (!(await stub.profile())) throw noWallet();
      const answer = await approveProposal(
        env,
        user_id,
        input.proposal_id,
        operator,
        input.reason ?? "",
        ctx,
      );
      return answer.status === "executed" ? "approved" : "approval_failed";
    }
    case "reject": {
      if (!(await stub.profile())) throw noWallet();
      const out = await stub.rejectProposal(operator, input.proposal_id, input.reason ?? "");
      if (out.outcome === "not_found") throw errors.notFound("No such proposal for this wallet.");
      if (out.outcome === "refused") throw refusalProblem(out.refusal, input.proposal_id);
      return "rejected";
    }
  }
  throw new Error("unhandled console act");
}
