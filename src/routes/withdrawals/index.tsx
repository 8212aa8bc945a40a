/**
 * POST /wallet/withdraw and GET /wallet/withdraw/success/{tx_ref}.
 *
 * A browser posting the form gets 303 to the status page (as the FastAPI
 * service redirected); a client asking for JSON gets 202 with the transaction.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  bodyContent,
  bearerSecurity,
  formOrJson,
  newRouter,
  problems,
  requireUser,
  userIdOf,
} from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { NARRATION_MAX_CHARS, WITHDRAW_MAX_MINOR, WITHDRAW_MIN_MINOR } from "../../domain/limits";
import { WATCH_TICKET_MAX_CHARS } from "../../lib/limits";
import { statusPage } from "../../pages/status-route";
import { AccountNumber, BankCode } from "../banks";
import { answerOrRedirect } from "../../services/held-payment-runner";
import { amountField, IdempotencyHeader, TransactionResponse } from "../wallet/schemas";
import { withdraw } from "../../services/withdrawals";

export const withdrawalRoutes = newRouter();

const Narration = z
  .string()
  .transform((v) => v.trim())
  .pipe(
    z
      .string()
      .min(1)
      .max(NARRATION_MAX_CHARS)
      .regex(/^[\p{L}\p{N} .,'&()/-]+$/u, {
        message: "may contain letters, digits, spaces and . , ' & ( ) / - only",
      }),
  );

const WithdrawBody = z
  .strictObject({
    amount: amountField(WITHDRAW_MIN_MINOR, WITHDRAW_MAX_MINOR),
    account_number: AccountNumber,
    account_bank: BankCode,
    narration: Narration.optional(),
  })
  .openapi("WithdrawRequest");

withdrawalRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/withdraw",
    tags: ["withdrawals"],
    summary:
      "Withdraw to a bank account: resolves the account, holds amount + fee, creates a Flutterwave transfer",
    security: bearerSecurity,
    middleware: requireUser,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(
        WithdrawBody,
        "Amount (naira), 10-digit account number, bank code, optional narration.",
      ),
    },
    responses: {
      202: {
        description: "Accepted: the withdrawal is PENDING (held) until the bank transfer settles.",
        content: { "application/json": { schema: TransactionResponse } },
      },
      303: { description: "Browser form posts are redirected to the withdrawal status page." },
      ...problems(400, 401, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    const user_id = userIdOf(c);
    const answer = await withdraw(c, user_id, body, c.req.valid("header")["idempotency-key"]);
    return answerOrRedirect(c, user_id, answer, "/wallet/withdraw/success") as never;
  },
);

withdrawalRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/withdraw/success/{tx_ref}",
    tags: ["withdrawals"],
    summary:
      "Withdrawal status page (HTML, live). Shows details only with the watch ticket from the redirect, or the owner's bearer token.",
    request: {
      params: z.object({ tx_ref: z.string().max(TX_REF_MAX_CHARS) }),
      query: z.object({ ticket: z.string().max(WATCH_TICKET_MAX_CHARS).optional() }),
    },
    responses: {
      200: { description: "HTML status page.", content: { "text/html": { schema: z.string() } } },
      ...problems(422),
    },
  }),
  async (c) => {
    const { tx_ref } = c.req.valid("param");
    const { ticket } = c.req.valid("query");
    return statusPage(c, {
      tx_ref,
      ticket,
      kind: "withdrawal",
      types: ["WITHDRAW"],
      unknown_message: "We could not show this withdrawal. Open the app to see your transactions.",
    });
  },
);
