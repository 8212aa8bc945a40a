/**
 * /wallet routes: the wallet, its transactions, funding through Flutterwave
 * hosted checkout, the checkout's return page and the webhook intake.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../lib/errors";
import {
  bearerSecurity,
  bodyContent,
  executionCtx,
  formOrJson,
  limitByUser,
  newRouter,
  problems,
  requireUser,
  userIdOf,
  type AppContext,
} from "../../lib/http";
import { TX_REF_MAX_CHARS, txRefOwner } from "../../lib/ids";
import { FUND_MAX_MINOR, FUND_MIN_MINOR } from "../../domain/limits";
import { REDIRECT_FIELD_MAX_CHARS, WATCH_TICKET_MAX_CHARS } from "../../lib/limits";
import { log } from "../../lib/log";
import { verifyWatchTicket } from "../../lib/tokens";
import { PAGE_CSP } from "../../pages/layout";
import { TransactionStatusPage } from "../../pages/transaction-status";
import type { QueueMessage } from "../../queue/messages";
import { respond } from "../../services/idempotency";
import { fund } from "../../services/funding";
import {
  amountField,
  CurrencyField,
  FundResponse,
  IdempotencyHeader,
  TransactionListResponse,
  TransactionResponse,
  TransactionsQuery,
  TxRefParam,
  WalletResponse,
  WebhookAck,
} from "./schemas";
import { transactionView, walletView } from "../../services/views";
import { intakeWebhook } from "./webhook";

export const walletRoutes = newRouter();

const auth = { security: bearerSecurity, middleware: requireUser };

async function summaryOrThrow(c: AppContext, user_id: string) {
  const summary = await c.env.WALLET.getByName(user_id).summary();
  if (!summary) throw errors.notFound("No wallet for this user.");
  return summary;
}

const walletRoute = createRoute({
  method: "get",
  path: "/wallet",
  tags: ["wallet"],
  summary: "The current user's wallet",
  ...auth,
  responses: {
    200: {
      description: "Balance, available (balance minus holds), currency, active flag.",
      content: { "application/json": { schema: WalletResponse } },
    },
    ...problems(401, 404),
  },
});

walletRoutes.openapi(walletRoute, async (c) =>
  c.json(walletView(await summaryOrThrow(c, userIdOf(c))), 200),
);

/**
 * `GET /wallet/` is the seed's path, and its clients still call it. The app is
 * built with `strict: false`, so the router strips the trailing slash and the
 * route above answers it; a second route at `/wallet/` would never be reached.
 * The document lists the alias (same operation) so that a validating proxy in
 * front of the API lets the seed's requests through.
 */
const { middleware: _walletMiddleware, ...walletOperation } = walletRoute;
walletRoutes.openAPIRegistry.registerPath({
  ...walletOperation,
  path: "/wallet/",
  summary:
    "The current user's wallet (the seed's path, with a trailing slash; same as GET /wallet)",
});

walletRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/toggle-activity",
    tags: ["wallet"],
    summary: "Flip is_active; an inactive wallet refuses funding, withdrawals and purchases",
    ...auth,
    responses: {
      200: {
        description: "The wallet after the change.",
        content: { "application/json": { schema: WalletResponse } },
      },
      ...problems(401, 404),
    },
  }),
  async (c) => {
    const summary = await c.env.WALLET.getByName(userIdOf(c)).toggleActive();
    if (!summary) throw errors.notFound("No wallet for this user.");
    return c.json(walletView(summary), 200);
  },
);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/transactions",
    tags: ["wallet"],
    summary: "Transactions, newest first, with cursor pagination and filters",
    ...auth,
    request: { query: TransactionsQuery },
    responses: {
      200: {
        description: "A page of transactions.",
        content: { "application/json": { schema: TransactionListResponse } },
      },
      ...problems(401, 422),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.env.WALLET.getByName(userIdOf(c)).listTransactions({
      limit: q.limit,
      starting_after: q.starting_after,
      type: q.type,
      status: q.status,
      created_gte_ms: q.created_gte,
      created_lte_ms: q.created_lte,
    });
    if (!page.ok)
      throw errors.validation([
        { path: "starting_after", message: "is not a transaction of this wallet" },
      ]);
    return c.json(
      { object: "list" as const, data: page.data.map(transactionView), has_more: page.has_more },
      200,
    );
  },
);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/transactions/{tx_ref}",
    tags: ["wallet"],
    summary: "One transaction of the current user",
    ...auth,
    request: { params: TxRefParam },
    responses: {
      200: {
        description: "The transaction.",
        content: { "application/json": { schema: TransactionResponse } },
      },
      ...problems(401, 404),
    },
  }),
  async (c) => {
    const user_id = userIdOf(c);
    const { tx_ref } = c.req.valid("param");
    // Another user's reference is answered exactly like a missing one.
    const tx =
      txRefOwner(tx_ref) === user_id
        ? await c.env.WALLET.getByName(user_id).getTransaction(tx_ref)
        : null;
    if (!tx) throw errors.notFound("No such transaction.");
    return c.json(transactionView(tx), 200);
  },
);

const FundBody = z
  .strictObject({ amount: amountField(FUND_MIN_MINOR, FUND_MAX_MINOR), currency: CurrencyField })
  .openapi("FundRequest");

walletRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/fund",
    tags: ["wallet"],
    summary:
      "Start a funding: records a PENDING transaction and returns a Flutterwave hosted checkout link",
    security: bearerSecurity,
    // Each funding costs a provider call and a stored transaction: FUND_USER_LIMITER
    // bounds how many one user can start per minute (counted before validation).
    middleware: [requireUser, limitByUser((env) => env.FUND_USER_LIMITER, "fund")] as const,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(FundBody, "Amount in naira and currency (NGN), as a form or JSON."),
    },
    responses: {
      201: {
        description: "Checkout link created; the funding is PENDING until the payment is verified.",
        content: { "application/json": { schema: FundResponse } },
      },
      ...problems(400, 401, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    const key = c.req.valid("header")["idempotency-key"];
    return respond(c, await fund(c, userIdOf(c), body, key)) as never;
  },
);

const CallbackQuery = z.object({
  status: z.string().max(REDIRECT_FIELD_MAX_CHARS).optional(),
  tx_ref: z.string().max(TX_REF_MAX_CHARS).optional(),
  transaction_id: z.string().max(REDIRECT_FIELD_MAX_CHARS).optional(),
  ticket: z.string().max(WATCH_TICKET_MAX_CHARS).optional(),
});

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/flutterwave/callback",
    tags: ["wallet"],
    summary:
      "Where the browser lands after checkout (HTML). The query is untrusted: the page shows what the wallet knows and asks for a verification.",
    request: { query: CallbackQuery },
    responses: {
      200: { description: "HTML status page.", content: { "text/html": { schema: z.string() } } },
      ...problems(422),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const config = c.var.config;
    const ticket = q.ticket ? await verifyWatchTicket(config, q.ticket) : null;
    const headers = {
      "content-security-policy": PAGE_CSP,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    };
    if (!ticket || !ticket.ok || (q.tx_ref !== undefined && q.tx_ref !== ticket.tx_ref)) {
      const message =
        ticket && !ticket.ok && ticket.reason === "expired"
          ? "This page's link has expired. Your wallet is credited as soon as the payment is confirmed."
          : "We could not tell which payment this page is about.";
      return c.html(
        <TransactionStatusPage kind="funding" tx={null} unknownMessage={message} />,
        200,
        headers,
      );
    }
    c.set("user_id", ticket.user_id);
    // Anyone with the link may reload the page at will: a provider verification
    // is asked for at most once per CALLBACK_VERIFY_INTERVAL_MS per funding.
    const { tx, verify } = await c.env.WALLET.getByName(ticket.user_id).claimCallbackVerify(
      ticket.tx_ref,
    );
    if (tx && verify) {
      const message: QueueMessage = {
        v: 1,
        kind: "funding.verify",
        request_id: c.var.request_id,
        tx_ref: tx.tx_ref,
        ...(q.transaction_id && /^\d{1,20}$/.test(q.transaction_id)
          ? { provider_id: q.transaction_id }
          : {}),
      };
      executionCtx(c).waitUntil(
        c.env.WALLET_EVENTS.send(message).catch((error) =>
          log.warn("callback verify enqueue failed", { request_id: c.var.request_id, error }),
        ),
      );
    }
    return c.html(
      <TransactionStatusPage
        kind="funding"
        tx={tx && tx.type === "FUND" ? tx : null}
        watch={{ tx_ref: ticket.tx_ref, ticket: q.ticket! }}
      />,
      200,
      headers,
    );
  },
);

/** An optional header of the webhook, documented as a zod `z.string().optional()` header would be. */
function webhookHeader(name: string, description: string) {
  return {
    schema: { type: "string" as const, description },
    required: false,
    description,
    name,
    in: "header" as const,
  };
}

walletRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/flutterwave/webhook",
    tags: ["webhooks"],
    summary: "Flutterwave webhooks: signature checked on the raw body, event queued, 200 at once",
    // Plain OpenAPI parameters (not a zod `request.headers`) on purpose: both are
    // optional strings, which no request can fail, and a zod schema there would
    // make every delivery pay for a header validator that never refuses anything.
    parameters: [
      webhookHeader("verif-hash", "The webhook secret hash (v3)."),
      webhookHeader(
        "flutterwave-signature",
        "base64 HMAC-SHA256 of the raw body keyed by the hash.",
      ),
    ],
    request: {
      // A plain JSON Schema (not zod) on purpose: the framework must not parse the
      // body before the handler has checked the signature over its raw bytes.
      body: {
        content: {
          "application/json": {
            schema: {
              type: "object",
              description: "A Flutterwave v3 event, e.g. charge.completed or transfer.completed.",
            },
          },
        },
      },
    },
    responses: {
      200: { description: "Queued.", content: { "application/json": { schema: WebhookAck } } },
      ...problems(400, 401, 413, 503),
    },
  }),
  // The raw body is read by the handler itself (signature over exact bytes).
  (c) => intakeWebhook(c) as never,
);
