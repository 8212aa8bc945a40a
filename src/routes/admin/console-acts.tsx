/** @jsxImportSource hono/jsx */
/**
 * The console's wallet page, its approvals queue, and its forms. A form posts
 * first to `.../acts/{act}/confirm` (a page that shows what will happen and
 * changes nothing), then its Confirm button posts to `.../acts/{act}`, which
 * acts (src/services/console-acts.ts) and redirects (303) to the page with a
 * result banner. Every post must come from our own origin AND carry the form's
 * token (src/lib/csrf.ts); either missing is a 403 problem document and
 * changes nothing. Past that check, refusals (self-approval, a changed
 * transaction, an invalid field...) render as a readable page with the
 * problem's title, detail and status.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { formatMinor } from "../../domain/money";
import { adminOnly, operatorOnly } from "../../lib/admin-auth";
import { csrfToken, csrfTokenValid, sameOrigin } from "../../lib/csrf";
import { AppError, errors } from "../../lib/errors";
import { executionCtx, newRouter, problems, type AppContext } from "../../lib/http";
import { publicOrigin } from "../../lib/urls";
import { PROPOSAL_ID_PATTERN, TX_REF_MAX_CHARS } from "../../lib/ids";
import { OPERATOR_LIST_DEFAULT } from "../../durable/operations/limits";
import { ApprovalsPage } from "../../pages/console/approvals";
import { ConfirmPage } from "../../pages/console/confirm";
import { describeProposal, RefusalPage } from "../../pages/console/parts";
import {
  CONSOLE_ACTS,
  CONSOLE_APPROVALS_PATH,
  type ConsoleActName,
  consoleTransactionPath,
  consoleWalletPath,
  CSRF_FIELD,
} from "../../pages/console/paths";
import { WalletPage } from "../../pages/console/wallet";
import { consoleApprovals, consoleWallet } from "../../services/console";
import { type ConsoleActInput, runConsoleAct } from "../../services/console-acts";
import { AdjustmentBody, FreezeBody, UnfreezeBody, WalletParam } from "./acts-schemas";
import { DoneQuery, doneFlag, formToken, HTML, pageHeaders, who } from "./console";
import { ACT_TEXT_MAX_CHARS } from "../../durable/wallet/limits";

export const consoleActsRoutes = newRouter();

const text = z.string().trim().min(1).max(ACT_TEXT_MAX_CHARS);
const decision = z.object({
  proposal_id: z.string().regex(PROPOSAL_ID_PATTERN),
  reason: text.optional(),
});

/** Each act's form, as posted (blank fields are absent). */
const FORMS = {
  decide: z.object({
    tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS),
    decision: z.enum(["post", "void"]),
    evidence: text,
    reference: text.optional(),
  }),
  adjust: AdjustmentBody.omit({ evidence: true }),
  freeze: FreezeBody.omit({ evidence: true }),
  unfreeze: UnfreezeBody.omit({ evidence: true }),
  approve: decision,
  reject: decision,
} as const;

const ActParam = WalletParam.extend({ act: z.enum(CONSOLE_ACTS) });

function operatorOf(c: AppContext) {
  const operator = c.var.operator;
  if (!operator) throw new Error("a console route ran without its guard");
  return operator;
}

/** The posted form after both CSRF checks: its fields (blank ones dropped), without the token. */
async function checkedForm(c: AppContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body))
    if (typeof value === "string" && value.trim() !== "") fields[name] = value;
  const token = fields[CSRF_FIELD] ?? "";
  delete fields[CSRF_FIELD];
  // Our origin is the configured public one (APP_ADDRESS), never the request's own Host.
  const origin = publicOrigin(c, c.var.config);
  const ok =
    sameOrigin(c.req.raw.headers, origin) &&
    csrfTokenValid(c.var.config.JWT_SECRET_KEY, operatorOf(c).id, token, Date.now());
  if (!ok)
    throw new AppError({
      status: 403,
      code: "csrf_refused",
      title: "Form refused",
      detail:
        "This form did not come from the console (its origin or its token is missing or wrong); nothing was changed. Open the page again and resubmit.",
    });
  return fields;
}

function parsed(act: ConsoleActName, fields: Record<string, string>): ConsoleActInput {
  const out = FORMS[act].safeParse(fields);
  if (!out.success)
    throw new AppError({
      status: 422,
      code: "validation_failed",
      title: "The form is not valid",
      detail: out.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    });
  return { act, ...out.data } as ConsoleActInput;
}

/** Renders a problem as the console's refusal page, with its status. */
function refusal(c: AppContext, error: unknown, back: { user_id: string; tx_ref?: string }) {
  if (!(error instanceof AppError)) throw error;
  return c.html(
    <RefusalPage
      operator={who(c)}
      status={error.status}
      title={error.title}
      detail={error.detail}
      code={error.code}
      back={back}
    />,
    error.status,
    pageHeaders,
  );
}

/** What the act will do, in a sentence, for the confirmation page. */
async function summary(c: AppContext, user_id: string, input: ConsoleActInput): Promise<string> {
  switch (input.act) {
    case "decide":
      return `Propose to ${input.decision.toUpperCase()} ${input.tx_ref}: ${input.decision === "void" ? "fail it and release the hold" : "settle it as paid"}. A second operator with the approver role must approve.`;
    case "adjust":
      return `${input.direction === "credit" ? "Credit" : "Debit"} ${formatMinor(input.amount)} to wallet ${user_id} (${input.reason_code}). Debits and large credits become proposals.`;
    case "freeze":
      return `Freeze wallet ${user_id} (${input.mode}); the user is told: "${input.reason}".`;
    case "unfreeze":
      return `Lift the freeze of wallet ${user_id}.`;
    case "approve":
    case "reject": {
      const p = await c.env.WALLET.getByName(user_id).proposal(input.proposal_id);
      if (!p) throw errors.notFound("No such proposal for this wallet.");
      return `${input.act === "approve" ? "Approve and execute" : "Reject"} proposal ${p.id} by ${p.proposed_by}: ${describeProposal(p)}`;
    }
  }
}

/** Where a done act sends the browser back to. */
function after(user_id: string, input: ConsoleActInput): string {
  if (input.act === "decide") return consoleTransactionPath(input.tx_ref);
  if (input.act === "approve" || input.act === "reject") return CONSOLE_APPROVALS_PATH;
  return consoleWalletPath(user_id);
}

const backOf = (user_id: string, fields: Record<string, string>) => ({
  user_id,
  tx_ref: fields.tx_ref,
});

consoleActsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/console/wallets/{user_id}",
    tags: ["admin"],
    summary:
      "Operator console: one wallet, its transactions, proposals, audit log and forms (HTML)",
    ...adminOnly,
    request: { params: WalletParam, query: DoneQuery },
    responses: {
      200: { description: "The wallet page.", content: HTML },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const data = await consoleWallet(c.env, c.req.valid("param").user_id);
    return c.html(
      <WalletPage
        data={data}
        operator={who(c)}
        csrf={formToken(c)}
        done={doneFlag(c.req.valid("query").done)}
      />,
      200,
      pageHeaders,
    ) as never;
  },
);

consoleActsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/console/approvals",
    tags: ["admin"],
    summary: "Operator console: the approvals queue, pending proposals across wallets (HTML)",
    ...adminOnly,
    request: { query: DoneQuery },
    responses: { 200: { description: "The queue.", content: HTML }, ...problems(401, 422) },
  }),
  async (c) => {
    const proposals = await consoleApprovals(
      c.env,
      c.var.config.OPERATOR_INDEX_SHARDS,
      OPERATOR_LIST_DEFAULT,
    );
    return c.html(
      <ApprovalsPage
        proposals={proposals}
        operator={who(c)}
        csrf={formToken(c)}
        done={doneFlag(c.req.valid("query").done)}
      />,
      200,
      pageHeaders,
    ) as never;
  },
);

consoleActsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/console/wallets/{user_id}/acts/{act}/confirm",
    tags: ["admin"],
    summary:
      "Operator console: the confirmation page of a form (HTML form post; shows what will happen, changes nothing)",
    ...operatorOnly,
    request: { params: ActParam },
    responses: {
      200: { description: "The confirmation page.", content: HTML },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { user_id, act } = c.req.valid("param");
    // A forged post is a plain 403 problem, before anything else (no page for it to render).
    const fields = await checkedForm(c);
    try {
      const input = parsed(act, fields);
      const text = await summary(c, user_id, input);
      const csrf = csrfToken(c.var.config.JWT_SECRET_KEY, operatorOf(c).id, Date.now());
      const back = after(user_id, input);
      return c.html(
        <ConfirmPage
          operator={who(c)}
          user_id={user_id}
          act={act}
          summary={text}
          fields={fields}
          csrf={csrf}
          back={back}
        />,
        200,
        pageHeaders,
      ) as never;
    } catch (error) {
      return refusal(c, error, backOf(user_id, fields)) as never;
    }
  },
);

consoleActsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/console/wallets/{user_id}/acts/{act}",
    tags: ["admin"],
    summary:
      "Operator console: a confirmed form acts (HTML form post; redirects to the page with a result banner)",
    ...operatorOnly,
    request: { params: ActParam },
    responses: {
      303: { description: "Done: to the page, with a result banner." },
      ...problems(401, 403, 404, 409, 410, 422, 501),
    },
  }),
  async (c) => {
    const { user_id, act } = c.req.valid("param");
    const fields = await checkedForm(c);
    try {
      const input = parsed(act, fields);
      const done = await runConsoleAct(c.env, executionCtx(c), user_id, operatorOf(c), input);
      return c.redirect(`${after(user_id, input)}?done=${done}`, 303) as never;
    } catch (error) {
      return refusal(c, error, backOf(user_id, fields)) as never;
    }
  },
);
