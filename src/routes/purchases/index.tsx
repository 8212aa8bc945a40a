/**
 * Purchases through VTpass:
 *   POST /wallet/airtime, POST /wallet/data   buy from the wallet (form or JSON, Idempotency-Key)
 *   GET  /wallet/purchases/{tx_ref}           the live status page a browser's form post lands on
 *   POST /wallet/vtpass/callback/{secret}     VTpass's transaction-update callback (intake only)
 *
 * JSON clients get 202 with the purchase and how to watch it; a browser's
 * form post gets 303 to the status page, as the withdrawal form does.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { providerRefName } from "../../durable/provider-refs/object";
import { safeEqual } from "../../lib/crypto";
import { errors } from "../../lib/errors";
import { answerOrRedirect } from "../../services/held-payment-runner";
import { bearerSecurity, bodyContent, formOrJson, limitByUser, newRouter, problems, requireUser, userIdOf, type AppContext } from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { IDENTIFIER_MAX_CHARS, WATCH_TICKET_MAX_CHARS } from "../../lib/limits";
import { VTPASS_CALLBACK_REQUERY_INTERVAL_MS } from "../../providers/vtpass/limits";
import { log } from "../../lib/log";
import { withWatch } from "../../services/watch";
import { statusPage } from "../../pages/status-route";
import { parseCallback } from "../../providers/vtpass";
import type { QueueMessage } from "../../queue/messages";
import { IdempotencyHeader } from "../wallet/schemas";
import { buy, type PurchaseInput } from "../../services/purchases";
import { AirtimeBody, CallbackAck, DataBody, PurchaseResponse } from "./schemas";

export const purchaseRoutes = newRouter();

export const PURCHASE_PAGE_PATH = "/wallet/purchases";
export const VTPASS_CALLBACK_PATH = "/wallet/vtpass/callback";

const purchaseResponses = {
  202: { description: "Accepted: the purchase is PENDING (held) until the network confirms; `watch` says how to follow it live.", content: { "application/json": { schema: PurchaseResponse } } },
  303: { description: "Browser form posts are redirected to the purchase's status page." },
  ...problems(400, 401, 409, 413, 415, 422, 429, 503),
};

/**
 * Each purchase attempt costs a VTpass call and a stored transaction, even one
 * VTpass refuses (which costs the buyer nothing): PURCHASE_USER_LIMITER bounds
 * how many one user may start per minute, airtime and data together (one
 * key), counted before the body is validated. Failed purchases have their own,
 * longer bound (PURCHASE_FAILURES_MAX, checked by the wallet with the hold).
 */
const limitPurchases = limitByUser((env) => env.PURCHASE_USER_LIMITER, "purchase");

async function answer(c: AppContext, input: PurchaseInput, key: string | undefined): Promise<Response> {
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
    summary: "Buy airtime for a Nigerian number from the wallet balance (held, sent to the network, delivered or released)",
    security: bearerSecurity,
    middleware: [requireUser, limitPurchases] as const,
    request: { headers: IdempotencyHeader, body: bodyContent(AirtimeBody, "Phone (any common form), amount in whole naira, optional network (it wins over the prefix).") },
    responses: purchaseResponses,
  }),
  async (c) => {
    const body = formOrJson(c, { form: () => c.req.valid("form"), json: () => c.req.valid("json") });
    return (await answer(c, { kind: "airtime", ...body }, c.req.valid("header")["idempotency-key"])) as never;
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
    request: { headers: IdempotencyHeader, body: bodyContent(DataBody, "Phone, plan code (GET /catalog/data-plans), optional network.") },
    responses: purchaseResponses,
  }),
  async (c) => {
    const body = formOrJson(c, { form: () => c.req.valid("form"), json: () => c.req.valid("json") });
    return (await answer(c, { kind: "data", ...body }, c.req.valid("header")["idempotency-key"])) as never;
  },
);

purchaseRoutes.openapi(
  createRoute({
    method: "get",
    path: `${PURCHASE_PAGE_PATH}/{tx_ref}`,
    tags: ["purchases"],
    summary: "Purchase status page (HTML, live). Shows details only with the watch ticket from the redirect, or the owner's bearer token.",
    request: { params: z.object({ tx_ref: z.string().max(TX_REF_MAX_CHARS) }), query: z.object({ ticket: z.string().max(WATCH_TICKET_MAX_CHARS).optional() }) },
    responses: { 200: { description: "HTML status page.", content: { "text/html": { schema: z.string() } } }, ...problems(422) },
  }),
  async (c) => {
    const { tx_ref } = c.req.valid("param");
    const { ticket } = c.req.valid("query");
    return statusPage(c, { tx_ref, ticket, kind: "purchase", types: ["AIRTIME", "DATA"], unknown_message: "We could not show this purchase. Open the app to see your transactions." });
  },
);

purchaseRoutes.openapi(
  createRoute({
    method: "post",
    path: `${VTPASS_CALLBACK_PATH}/{secret}`,
    tags: ["webhooks"],
    summary: "VTpass transaction-update callbacks: accepted only on the secret URL, queued, confirmed by a requery before anything moves",
    description:
      `VTpass signs nothing, so the callback is a hint: it is accepted only on the URL whose last segment is VTPASS_CALLBACK_SECRET, and answered \`{"response":"success"}\` (VTpass retries until it reads that). Only a transaction-update naming a request_id we sent is queued; repeats for one request_id within ${VTPASS_CALLBACK_REQUERY_INTERVAL_MS / 1000} s are folded into one requery at the end of that interval. The consumer requeries the purchase with VTpass and applies VTpass's answer, never the callback's.`,
    request: {
      params: z.object({ secret: z.string().max(IDENTIFIER_MAX_CHARS) }),
      // Read raw by the handler (queued as received); any JSON object.
      body: { content: { "application/json": { schema: { type: "object", description: "`{type: \"transaction-update\", data: {...requery shape...}}`" } } } },
    },
    responses: { 200: { description: "Received: queued, folded into a requery already queued, or ignored.", content: { "application/json": { schema: CallbackAck } } }, ...problems(404, 413, 503) },
  }),
  async (c) => {
    const vtpass = c.var.config.vtpass;
    // Same 404 for an unknown secret and for no VTpass at all: the URL is the credential.
    if (!vtpass || !safeEqual(c.req.param("secret"), vtpass.callback_secret)) throw errors.notFound();
    const raw_body = await c.req.text();
    await queueCallback(c, raw_body);
    // VTpass retries until it reads this, so every callback we have dealt with gets it, ignored ones too.
    return c.json({ response: "success" as const }, 200);
  },
);

/**
 * Whether a callback is queued, and when. Its request_id is checked for the
 * shape we send before anything is named by it; an id we never bound is
 * dropped; a repeat within VTPASS_CALLBACK_REQUERY_INTERVAL_MS is folded into
 * one requery at the end of the interval (ProviderRefs.claimRequery), so a
 * flood of callbacks for one purchase costs at most two requeries per interval.
 */
async function queueCallback(c: AppContext, raw_body: string): Promise<void> {
  const request_id = c.var.request_id;
  const parsed = parseCallback(raw_body);
  if (parsed.kind === "other") {
    log.info("vtpass callback ignored: not a transaction update", { request_id });
    return;
  }
  if (parsed.kind === "bad_request_id") {
    // Never logged as sent: it may be 60 KB of anything.
    log.warn("vtpass callback ignored: a request id we could not have sent", { request_id, reason: parsed.reason, length: parsed.length });
    return;
  }
  const refs = c.env.PROVIDER_REFS.getByName(providerRefName("vtpass", parsed.request_id));
  const claim = await refs.claimRequery(Date.now(), VTPASS_CALLBACK_REQUERY_INTERVAL_MS);
  if (claim.claim === "unknown") {
    log.warn("vtpass callback for a request id we never sent", { request_id, vtpass_request_id: parsed.request_id });
    return;
  }
  if (claim.claim === "covered") {
    log.info("vtpass callback folded into a requery already queued", { request_id, vtpass_request_id: parsed.request_id });
    return;
  }
  const message: QueueMessage = { v: 1, kind: "vtpass.callback", request_id, received_at_ms: Date.now(), raw_body };
  try {
    await c.env.WALLET_EVENTS.send(message, claim.claim === "later" ? { delaySeconds: claim.delay_s } : undefined);
  } catch (error) {
    log.error("vtpass callback enqueue failed", { request_id, error });
    // VTpass will send it again: let that one claim the requery instead of finding it taken.
    await refs.releaseRequery(claim.at_ms, claim.previous_at_ms).catch((release_error) => log.error("vtpass requery claim not released", { request_id, error: release_error }));
    throw errors.unavailable("queue_unavailable", "The callback could not be queued; please retry.");
  }
}
