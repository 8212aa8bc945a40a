/**
 * The sandbox's control API, for tests: hooks Flutterwave does not have, under
 * `/__sandbox/flutterwave/__control/`. No Flutterwave key is needed (the whole
 * sandbox is unreachable in production). Answers use the same envelope as the
 * v3 API so one client helper reads both.
 *
 *   faults, deliveries, requests                                         the kit's hooks (../kit/control.ts)
 *   POST   transfers/:id/settle       {status?: SUCCESSFUL|FAILED}       settle now and deliver its webhook
 *   POST   transfers/:id/succeed-late                                    a FAILED transfer the bank completed after all;
 *                                                                        delivers its webhook
 *   POST   transfers/:id/deliver      {verif_hash?}                      re-deliver a settled transfer's webhook
 *   POST   transactions               {tx_ref, amount, currency?, status, customer_email?}
 *                                                                        a transaction as if paid; no webhook
 *   POST   transactions/:id/deliver   {verif_hash?}                      deliver its charge.completed webhook
 *   GET    payments/:tx_ref                                              the latest payment-link request for it
 *   POST   payments/:tx_ref/expire                                       end its open checkout session now
 *   POST   refunds/mode               {mode: complete|pending|fail, transaction_id?}
 *                                                                        how new refunds (of one charge) behave
 *   POST   refunds/:id/settle         {status: completed|failed}         end a pending refund now
 *   GET    transactions/:id/refunds                                      a charge's refunds (newest first)
 *   POST   lists/faults               {reference, kind, value?}           how the lists misreport a reference
 *                                                                        (list-faults.ts); DELETE clears them all
 *   (how many refund requests were sent, per charge or per reference: `requests?operation=refunds.create&match=`)
 *
 * `verif_hash`: omitted sends the configured hash; null sends no header; a
 * string sends that value (to test that our webhook route refuses it).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../lib/http";
import { kitControlRoutes } from "../kit/control";
import type { VerifHashChoice } from "./credentials";
import { transactionJson, transferJson } from "./json";
import { parseAmountMinor } from "./model";
import { flwError, flwSuccess, parseJsonBody, type Json } from "./responses";
import { deliverAndRecord, originOf, sandboxStub, type SandboxContext } from "./runtime";
import { refundJson } from "./refunds";
import {
  ControlTransactionBody,
  DeliverBody,
  FaultBody,
  ListFaultBody,
  RefundModeBody,
  RefundSettleBody,
  SettleBody,
} from "./schemas";

export const controlRoutes = new Hono<AppEnv>();

controlRoutes.route(
  "/",
  kitControlRoutes(
    sandboxStub,
    { ok: flwSuccess, error: flwError, parse: parseJsonBody },
    FaultBody,
  ),
);

const ID_PATTERN = /^\d{1,15}$/;

function idParam(c: SandboxContext): number | null {
  const id = c.req.param("id") ?? "";
  return ID_PATTERN.test(id) ? Number(id) : null;
}

function hashChoice(verif_hash: string | null | undefined): VerifHashChoice {
  if (verif_hash === undefined) return { kind: "configured" };
  if (verif_hash === null) return { kind: "absent" };
  return { kind: "custom", value: verif_hash };
}

// ---- Transfers -------------------------------------------------------------------------

controlRoutes.post("/transfers/:id/settle", async (c) => {
  const parsed = parseJsonBody(SettleBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const id = idParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await sandboxStub(c.env).settleTransfer(id, parsed.value.status);
  if (result.outcome === "not_found") return flwError(404, "No transfer found with this id");
  // A transfer reaches its final status once; settling again changes nothing.
  if (result.outcome === "already_settled")
    return flwError(409, `Transfer already settled as ${result.transfer.status}`);
  const delivery = await deliverAndRecord(c, result.webhook);
  return flwSuccess("Transfer settled", {
    transfer: transferJson(result.transfer),
    delivery: deliverySummary(delivery),
  });
});

controlRoutes.post("/transfers/:id/succeed-late", async (c) => {
  const id = idParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await sandboxStub(c.env).succeedTransferLate(id);
  if (result.outcome === "not_found") return flwError(404, "No transfer found with this id");
  if (result.outcome === "already_settled")
    return flwError(409, `Transfer is ${result.transfer.status}, not FAILED`);
  const delivery = await deliverAndRecord(c, result.webhook);
  return flwSuccess("Transfer succeeded late", {
    transfer: transferJson(result.transfer),
    delivery: deliverySummary(delivery),
  });
});

controlRoutes.post("/transfers/:id/deliver", async (c) => {
  const parsed = parseJsonBody(DeliverBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const id = idParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await sandboxStub(c.env).transferWebhook(id);
  if (result.outcome === "not_found") return flwError(404, "No transfer found with this id");
  // Flutterwave sends transfer.completed only for a final status.
  if (result.outcome === "not_final")
    return flwError(409, `Transfer is still ${result.transfer.status}`);
  const delivery = await deliverAndRecord(c, result.webhook, hashChoice(parsed.value.verif_hash));
  return flwSuccess("hook sent", deliverySummary(delivery));
});

// ---- Refunds ---------------------------------------------------------------------------

controlRoutes.post("/refunds/mode", async (c) => {
  const parsed = parseJsonBody(RefundModeBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  await sandboxStub(c.env).setRefundMode(parsed.value.mode, parsed.value.transaction_id ?? null);
  return flwSuccess("Refund mode set", { mode: parsed.value.mode });
});

controlRoutes.post("/refunds/:id/settle", async (c) => {
  const parsed = parseJsonBody(RefundSettleBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const id = idParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await sandboxStub(c.env).settleRefund(id, parsed.value.status);
  if (result.outcome === "not_found") return flwError(404, "No refund found with this id");
  if (result.outcome === "already_settled")
    return flwError(409, `Refund already ${result.refund.status}`);
  return flwSuccess("Refund settled", refundJson(result.refund));
});

controlRoutes.get("/transactions/:id/refunds", async (c) => {
  const id = idParam(c);
  if (id === null) return flwError(404, "No transaction was found for this id");
  const { refunds } = await sandboxStub(c.env).listRefunds(1, id);
  return flwSuccess(
    "Refunds fetched",
    refunds.map((row) => refundJson(row)),
  );
});

// ---- Transactions ----------------------------------------------------------------------

controlRoutes.post("/transactions", async (c) => {
  const parsed = parseJsonBody(ControlTransactionBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  const amount_minor = parseAmountMinor(body.amount);
  if (amount_minor === null)
    return flwError(
      400,
      "amount is invalid: expected a positive amount with at most two decimal places",
    );
  const transaction = await sandboxStub(c.env).createTransaction({
    tx_ref: body.tx_ref,
    amount_minor,
    currency: body.currency,
    status: body.status,
    customer_email: body.customer_email ?? "sandbox.customer@example.com",
    origin: originOf(c),
  });
  return flwSuccess("Transaction created", transactionJson(transaction));
});

controlRoutes.post("/transactions/:id/deliver", async (c) => {
  const parsed = parseJsonBody(DeliverBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const id = idParam(c);
  const webhook = id === null ? null : await sandboxStub(c.env).transactionWebhook(id);
  if (!webhook) return flwError(404, "No transaction was found for this id");
  const delivery = await deliverAndRecord(c, webhook, hashChoice(parsed.value.verif_hash));
  return flwSuccess("hook sent", deliverySummary(delivery));
});

// ---- List faults (list-faults.ts) -------------------------------------------------------

controlRoutes.post("/lists/faults", async (c) => {
  const parsed = parseJsonBody(ListFaultBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const fault = { ...parsed.value, value: parsed.value.value ?? null };
  await sandboxStub(c.env).setListFault(fault);
  return flwSuccess("List fault set", fault);
});

controlRoutes.delete("/lists/faults", async (c) => {
  await sandboxStub(c.env).clearListFaults();
  return flwSuccess("List faults cleared", null);
});

// ---- Payment links -----------------------------------------------------------------------

controlRoutes.get("/payments/:tx_ref", async (c) => {
  const link = await sandboxStub(c.env).latestLink(c.req.param("tx_ref"));
  if (!link) return flwError(404, "No payment was requested with this tx_ref");
  return flwSuccess("Payment fetched", {
    tx_ref: link.tx_ref,
    link_id: link.link_id,
    status: link.status,
    failed_attempts: link.failed_attempts,
    max_retry_attempt: link.max_retry_attempt,
    created_at: new Date(link.created_at_ms).toISOString(),
    expires_at: new Date(link.expires_at_ms).toISOString(),
    // Exactly what our client sent, as JSON.
    request: JSON.parse(link.request_json) as Json,
  });
});

controlRoutes.post("/payments/:tx_ref/expire", async (c) => {
  const expired = await sandboxStub(c.env).expireLink(c.req.param("tx_ref"));
  if (!expired) return flwError(404, "No open payment link with this tx_ref");
  return flwSuccess("Payment link expired", { expired });
});

function deliverySummary(outcome: {
  event: string;
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: string;
}) {
  return {
    event: outcome.event,
    ref: outcome.ref,
    url: outcome.url,
    status_code: outcome.status_code,
    error: outcome.error,
    verif_hash: outcome.verif_hash,
  };
}
