/**
 * POST /wallet/withdraw and GET /wallet/withdraw/success/{tx_ref}.
 *
 * A browser posting the form gets 303 to the status page (as the FastAPI
 * service redirected); a client asking for JSON gets 202 with the transaction.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { bodyContent, bearerSecurity, formOrJson, isFormRequest, newRouter, problems, requireUser, userIdOf, type AppContext } from "../../lib/http";
import { bearerToken } from "../../lib/bearer";
import { TX_REF_MAX_CHARS, txRefOwner } from "../../lib/ids";
import { NARRATION_MAX_CHARS, WATCH_TICKET_MAX_CHARS, WATCH_TICKET_TTL_S, WITHDRAW_MAX_MINOR, WITHDRAW_MIN_MINOR } from "../../lib/limits";
import { issueWatchTicket, verifyAccessToken, verifyWatchTicket } from "../../lib/tokens";
import { publicApiBase } from "../../lib/urls";
import { PAGE_CSP } from "../../pages/layout";
import { TransactionStatusPage } from "../../pages/transaction-status";
import { AccountNumber, BankCode } from "../banks";
import { respond } from "../../lib/idempotency";
import { amountField, IdempotencyHeader, TransactionResponse } from "../wallet/schemas";
import { withdraw } from "./handlers";

export const withdrawalRoutes = newRouter();

const Narration = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string().min(1).max(NARRATION_MAX_CHARS).regex(/^[\p{L}\p{N} .,'&()/-]+$/u, { message: "may contain letters, digits, spaces and . , ' & ( ) / - only" }));

const WithdrawBody = z
  .strictObject({
    amount: amountField(WITHDRAW_MIN_MINOR, WITHDRAW_MAX_MINOR),
    account_number: AccountNumber,
    account_bank: BankCode,
    narration: Narration.optional(),
  })
  .openapi("WithdrawRequest");

/** JSON clients (a JSON body or Accept: application/json) get 202; form posts from browsers get 303. */
function wantsRedirect(c: AppContext): boolean {
  return isFormRequest(c) && !/application\/(problem\+)?json/i.test(c.req.header("accept") ?? "");
}

withdrawalRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/withdraw",
    tags: ["withdrawals"],
    summary: "Withdraw to a bank account: resolves the account, holds amount + fee, creates a Flutterwave transfer",
    security: bearerSecurity,
    middleware: requireUser,
    request: { headers: IdempotencyHeader, body: bodyContent(WithdrawBody, "Amount (naira), 10-digit account number, bank code, optional narration.") },
    responses: {
      202: { description: "Accepted: the withdrawal is PENDING (held) until the bank transfer settles.", content: { "application/json": { schema: TransactionResponse } } },
      303: { description: "Browser form posts are redirected to the withdrawal status page." },
      ...problems(400, 401, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const body = formOrJson(c, { form: () => c.req.valid("form"), json: () => c.req.valid("json") });
    const user_id = userIdOf(c);
    const answer = await withdraw(c, user_id, body, c.req.valid("header")["idempotency-key"]);
    const tx_ref = answer.tx_ref ?? (answer.body as { tx_ref?: string }).tx_ref;
    if (answer.status === 202 && wantsRedirect(c) && tx_ref) {
      const ticket = await issueWatchTicket(c.var.config, user_id, tx_ref, WATCH_TICKET_TTL_S);
      const location = `${publicApiBase(c, c.var.config)}/wallet/withdraw/success/${encodeURIComponent(tx_ref)}?ticket=${encodeURIComponent(ticket)}`;
      return c.redirect(location, 303) as never;
    }
    return respond(c, answer) as never;
  },
);

withdrawalRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/withdraw/success/{tx_ref}",
    tags: ["withdrawals"],
    summary: "Withdrawal status page (HTML, live). Shows details only with the watch ticket from the redirect, or the owner's bearer token.",
    request: { params: z.object({ tx_ref: z.string().max(TX_REF_MAX_CHARS) }), query: z.object({ ticket: z.string().max(WATCH_TICKET_MAX_CHARS).optional() }) },
    responses: { 200: { description: "HTML status page.", content: { "text/html": { schema: z.string() } } }, ...problems(422) },
  }),
  async (c) => {
    const { tx_ref } = c.req.valid("param");
    const { ticket } = c.req.valid("query");
    const config = c.var.config;
    const headers = { "content-security-policy": PAGE_CSP, "cache-control": "no-store", "referrer-policy": "no-referrer" };
    let viewer: string | null = null;
    let watchTicket: string | null = null;
    if (ticket) {
      const check = await verifyWatchTicket(config, ticket);
      if (check.ok && check.tx_ref === tx_ref) {
        viewer = check.user_id;
        watchTicket = ticket;
      }
    } else {
      const token = bearerToken(c.req.header("authorization"));
      const check = token ? await verifyAccessToken(config, token) : null;
      if (check?.ok) viewer = check.user_id;
    }
    const owner = txRefOwner(tx_ref);
    const tx = viewer && owner === viewer ? await c.env.WALLET.getByName(viewer).getTransaction(tx_ref) : null;
    if (!tx || tx.type !== "WITHDRAW") {
      return c.html(<TransactionStatusPage kind="withdrawal" tx={null} unknownMessage="We could not show this withdrawal. Open the app to see your transactions." />, 200, headers);
    }
    if (!watchTicket) watchTicket = await issueWatchTicket(config, viewer!, tx.tx_ref, WATCH_TICKET_TTL_S);
    return c.html(<TransactionStatusPage kind="withdrawal" tx={tx} watch={{ tx_ref: tx.tx_ref, ticket: watchTicket }} />, 200, headers);
  },
);

