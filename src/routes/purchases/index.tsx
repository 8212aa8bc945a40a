/**
 * Purchases, through the purchases port (src/services/purchases.ts):
 *   POST /wallet/airtime, POST /wallet/data   buy from the wallet (form or JSON, Idempotency-Key)
 *   GET  /wallet/purchases/{tx_ref}           the live status page a browser's form post lands on
 *   POST /wallet/vtpass/callback/{secret}     VTpass's transaction-update callback (intake only,
 *                                             read by the VTpass source's port)
 *
 * JSON clients get 202 with the purchase and how to watch it; a browser's
 * form post gets 303 to the status page, as the withdrawal form does.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { safeEqual } from "../../lib/crypto";
import { errors } from "../../lib/errors";
import { answerOrRedirect } from "../../services/held-payment-runner";
import {
  bearerSecurity,
  bodyContent,
  formOrJson,
  limitByUser,
  newRouter,
  problems,
  requireUser,
  userIdOf,
  type AppContext,
} from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { IDENTIFIER_MAX_CHARS, WATCH_TICKET_MAX_CHARS } from "../../lib/limits";
import { CALLBACK_REQUERY_INTERVAL_MS } from "../../durable/provider-refs/limits";
import { withWatch } from "../../services/watch";
import { statusPage } from "../../pages/status-route";
import { queueReferenceCallback } from "../../services/callbacks";
import { IdempotencyHeader } from "../wallet/schemas";
import { buy, type PurchaseInput } from "../../services/purchases";
import { withRecipient } from "../../services/beneficiaries";
import { AirtimeBody, CallbackAck, DataBody, PurchaseResponse } from "./schemas";

export const purchaseRoutes = newRouter();

export const PURCHASE_PAGE_PATH = "/wallet/purchases";
export const VTPASS_CALLBACK_PATH = "/wallet/vtpass/callback";

const purchaseResponses = {
  202: {
    description:
      "Accepted: the purchase is PENDING (held) until the network confirms; `watch` says how to follow it live.",
    content: { "application/json": { schema: PurchaseResponse } },
  },
  303: { description: "Browser form posts are redirected to the purchase's status page." },
  ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
};

/**
 * Each purchase attempt costs a VTpass call and a stored transaction, even one
 * VTpass refuses (which costs the buyer nothing): PURCHASE_USER_LIMITER bounds
 * how many one user may start per minute, airtime and data together (one
 * key), counted before the body is validated. Failed purchases have their own,
 * longer bound (PURCHASE_FAILURES_MAX, checked by the wallet with the hold).
 */
const limitPurchases = limitByUser((env) => env.PURCHASE_USER_LIMITER, "purchase");

/** The purchase's input, its recipient's fields filled from `beneficiary_id` when it names a saved one. */
function inputOf<
  B extends { beneficiary_id?: string; phone?: string; network?: PurchaseInput["network"] },
>(c: AppContext, body: B) {
  return withRecipient(c, userIdOf(c), body, ["phone", "network"], "phone", (target) =>
    target.kind === "phone" ? { phone: target.phone, network: target.network } : {},
  ) as Promise<Omit<B, "beneficiary_id" | "phone"> & { phone: string }>;
}

async function answer(
  c: AppContext,
  input: PurchaseInput,
  key: string | undefined,
): Promise<Response> {
  const user_id = userIdOf(c);
  let result = await buy(c, user_id, input, key);
  if (result.status === 202) result = { ...result, ...(await withWatch(c, user_id, result)) };
  return answerOrRedirect(c, user_id, result, PURCHASE_PAGE_PATH);
}

purchaseRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/airtime",
    tags: ["purchases"],
    summary:
      "Buy airtime for a Nigerian number from the wallet balance (held, sent to the network, delivered or released)",
    security: bearerSecurity,
    middleware: [requireUser, limitPurchases] as const,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(
        AirtimeBody,
        "Phone (any common form), amount in whole naira, optional network (it wins over the prefix).",
      ),
    },
    responses: purchaseResponses,
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    return (await answer(
      c,
      { kind: "airtime", ...(await inputOf(c, body)) },
      c.req.valid("header")["idempotency-key"],
    )) as never;
  },
);

purchaseRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/data",
    tags: ["purchases"],
    summary: "Buy a data plan for a Nigerian number from the wallet balance",
    security: bearerSecurity,
    middleware: [requireUser, limitPurchases] as const,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(DataBody, "Phone, plan code (GET /catalog/data-plans), optional network."),
    },
    responses: purchaseResponses,
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    return (await answer(
      c,
      { kind: "data", ...(await inputOf(c, body)) },
      c.req.valid("header")["idempotency-key"],
    )) as never;
  },
);

purchaseRoutes.openapi(
  createRoute({
    method: "get",
    path: `${PURCHASE_PAGE_PATH}/{tx_ref}`,
    tags: ["purchases"],
    summary:
      "Purchase status page (HTML, live). Shows details only with the watch ticket from the redirect, or the owner's bearer token.",
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
      kind: "purchase",
      types: ["AIRTIME", "DATA", "ELECTRICITY", "TV"],
      unknown_message: "We could not show this purchase. Open the app to see your transactions.",
    });
  },
);

purchaseRoutes.openapi(
  createRoute({
    method: "post",
    path: `${VTPASS_CALLBACK_PATH}/{secret}`,
    tags: ["webhooks"],
    summary:
      "VTpass transaction-update callbacks: accepted only on the secret URL, queued, confirmed by a requery before anything moves",
    description: `VTpass signs nothing, so the callback is a hint: it is accepted only on the URL whose last segment is VTPASS_CALLBACK_SECRET, and answered \`{"response":"success"}\` (VTpass retries until it reads that). Only a transaction-update naming a request_id we sent is queued; repeats for one request_id within ${CALLBACK_REQUERY_INTERVAL_MS / 1000} s are folded into one requery at the end of that interval. The consumer requeries the purchase with VTpass and applies VTpass's answer, never the callback's.`,
    request: {
      params: z.object({ secret: z.string().max(IDENTIFIER_MAX_CHARS) }),
      // Read raw by the handler (queued as received); any JSON object.
      body: {
        content: {
          "application/json": {
            schema: {
              type: "object",
              description: '`{type: "transaction-update", data: {...requery shape...}}`',
            },
          },
        },
      },
    },
    responses: {
      200: {
        description: "Received: queued, folded into a requery already queued, or ignored.",
        content: { "application/json": { schema: CallbackAck } },
      },
      ...problems(404, 413, 503),
    },
  }),
  async (c) => {
    const vtpass = c.var.config.vtpass;
    // Same 404 for an unknown secret and for no VTpass at all: the URL is the credential.
    if (!vtpass || !safeEqual(c.req.param("secret"), vtpass.callback_secret))
      throw errors.notFound();
    const raw_body = await c.req.text();
    await queueReferenceCallback(c, "vtpass", raw_body);
    // VTpass retries until it reads this, so every callback we have dealt with gets it, ignored ones too.
    return c.json({ response: "success" as const }, 200);
  },
);
