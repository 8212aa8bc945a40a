/**
 * The VTpass look-alike's control API, for tests and for poking at it in
 * development: hooks VTpass does not have, under
 * `/__sandbox/vtpass/__control/`. No key is needed (the whole sandbox is
 * unreachable in production).
 *
 *   faults, deliveries, requests                                   the kit's hooks (../kit/control.ts)
 *   GET    purchases/:request_id                                   the stored purchase, its status now, its callback
 *   POST   purchases/:request_id/settle   {status, amount?}        settle a pending purchase now as delivered,
 *                                                                  failed or reversed, and send its callback;
 *                                                                  `amount` (naira, delivered only): VTpass
 *                                                                  reports that face value instead of the one asked
 *   POST   purchases/:request_id/deliver-late                      a failed purchase delivered after all (VTpass's
 *                                                                  records corrected later); sends its callback
 *   POST   purchases/:request_id/callback                          send its callback again (a fresh round of tries)
 *   POST   purchases/:request_id/misreport {kind, amount?, status?} requery misreports it from now on, for the
 *                                                                  daily reconciliation (requery-faults.ts): `amount`
 *                                                                  (naira), `status` (delivered|failed|reversed) or
 *                                                                  `not_found` (015); 409 unless it is final here
 *                                                                  with no callback still being sent
 *   DELETE purchases/:request_id/misreport                         requery tells the truth about it again (one
 *                                                                  purchase at a time: tests share the look-alike)
 *   POST   float                          {amount}                 set the float, in naira
 *   POST   callback-url                   {secret: string|null}    the callback URL's last segment, as set in the
 *                                                                  dashboard (null: the configured one)
 *
 * Settling and re-sending answer after the first callback try, with its
 * outcome; later tries are the object's alarm's.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../lib/http";
import { kitControlRoutes } from "../kit/control";
import type { DeliveryOutcome } from "../kit/object";
import type { PurchaseView } from "./object";
import { controlError, controlOk, parseControlBody } from "./responses";
import { sendCallback, vtpassStub, type SandboxContext } from "./runtime";
import type { RequeryFault } from "./requery-faults";
import {
  CallbackUrlBody,
  FaultBody,
  FloatBody,
  MisreportBody,
  REQUEST_ID_PARAM,
  SettleBody,
} from "./schemas";

export const controlRoutes = new Hono<AppEnv>();

controlRoutes.route(
  "/",
  kitControlRoutes(
    vtpassStub,
    { ok: controlOk, error: controlError, parse: parseControlBody },
    FaultBody,
  ),
);

const NO_PURCHASE = "No purchase with this request_id";

function requestIdParam(c: SandboxContext): string | null {
  const id = c.req.param("request_id") ?? "";
  return REQUEST_ID_PARAM.test(id) ? id : null;
}

function purchaseJson(purchase: PurchaseView) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    request_id: purchase.request_id,
    transaction_id: purchase.transaction_id,
    serviceID: purchase.serviceID,
    product_name: purchase.product_name,
    recipient: purchase.recipient,
    phone: purchase.phone,
    variation_code: purchase.variation_code,
    amount_minor: purchase.amount_minor,
    commission_minor: purchase.commission_minor,
    debited_minor: purchase.debited_minor,
    status: purchase.status,
    current_status: purchase.current_status,
    deliver_at: iso(purchase.deliver_at_ms),
    created_at: iso(purchase.created_at_ms),
    settled_at: iso(purchase.settled_at_ms),
    origin: purchase.origin,
    callback: {
      state: purchase.callback_state,
      attempts: purchase.callback_attempts,
      next_at: iso(purchase.callback_next_at_ms),
    },
  };
}

function deliverySummary(outcome: DeliveryOutcome) {
  return {
    event: outcome.event,
    ref: outcome.ref,
    url: outcome.url,
    status_code: outcome.status_code,
    error: outcome.error,
  };
}

controlRoutes.get("/purchases/:request_id", async (c) => {
  const id = requestIdParam(c);
  const purchase = id === null ? null : await vtpassStub(c.env).purchase(id);
  if (!purchase) return controlError(404, NO_PURCHASE);
  return controlOk("Purchase fetched", purchaseJson(purchase));
});

controlRoutes.post("/purchases/:request_id/settle", async (c) => {
  const parsed = parseControlBody(SettleBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const id = requestIdParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await vtpassStub(c.env).settlePending(id, parsed.value.status, parsed.value.amount);
  if (result.outcome === "not_found") return controlError(404, NO_PURCHASE);
  // A purchase reaches its final status once; settling again changes nothing.
  if (result.outcome === "already_final")
    return controlError(409, `Purchase is already ${result.purchase.current_status}`);
  const delivery = await sendCallback(c, result.callback);
  // Read again: the first try has been counted since.
  const after = (await vtpassStub(c.env).purchase(result.purchase.request_id)) ?? result.purchase;
  return controlOk("Purchase settled", {
    purchase: purchaseJson(after),
    delivery: deliverySummary(delivery),
  });
});

// VTpass's records corrected later: a purchase answered as failed was delivered after all (sends the callback).
controlRoutes.post("/purchases/:request_id/deliver-late", async (c) => {
  const id = requestIdParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await vtpassStub(c.env).correctToDelivered(id);
  if (result.outcome === "not_found") return controlError(404, NO_PURCHASE);
  if (result.outcome === "already_final")
    return controlError(409, `Purchase is ${result.purchase.current_status}, not failed`);
  const delivery = await sendCallback(c, result.callback);
  const after = (await vtpassStub(c.env).purchase(result.purchase.request_id)) ?? result.purchase;
  return controlOk("Purchase delivered late", {
    purchase: purchaseJson(after),
    delivery: deliverySummary(delivery),
  });
});

controlRoutes.post("/purchases/:request_id/callback", async (c) => {
  const id = requestIdParam(c);
  const result =
    id === null ? ({ outcome: "not_found" } as const) : await vtpassStub(c.env).resendCallback(id);
  if (result.outcome === "not_found") return controlError(404, NO_PURCHASE);
  // VTpass sends transaction-update only once a purchase is final.
  if (result.outcome === "not_final") return controlError(409, "Purchase is still pending");
  const delivery = await sendCallback(c, result.callback);
  return controlOk("Callback sent", deliverySummary(delivery));
});

// The daily reconciliation's differences on VTpass's side: requery misreports one purchase (requery-faults.ts).
controlRoutes.post("/purchases/:request_id/misreport", async (c) => {
  const parsed = parseControlBody(MisreportBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  const fault: RequeryFault =
    body.kind === "amount"
      ? { kind: "amount", amount_minor: body.amount }
      : body.kind === "status"
        ? { kind: "status", status: body.status }
        : { kind: "not_found" };
  const id = requestIdParam(c);
  const result =
    id === null
      ? ({ outcome: "not_found" } as const)
      : await vtpassStub(c.env).setRequeryFault(id, fault);
  if (result.outcome === "not_found") return controlError(404, NO_PURCHASE);
  // Our side may still requery it to settle money: the fault is for the reconciliation only.
  if (result.outcome === "not_final")
    return controlError(409, "Purchase is still pending or its callback is still being sent");
  return controlOk("Requery misreports the purchase", {
    request_id: result.purchase.request_id,
    ...fault,
  });
});

controlRoutes.delete("/purchases/:request_id/misreport", async (c) => {
  const id = requestIdParam(c);
  if (id === null) return controlError(404, NO_PURCHASE);
  await vtpassStub(c.env).clearRequeryFault(id);
  return controlOk("Requery tells the truth about the purchase", { request_id: id });
});

controlRoutes.post("/callback-url", async (c) => {
  const parsed = parseControlBody(CallbackUrlBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  await vtpassStub(c.env).setCallbackSecret(parsed.value.secret);
  return controlOk("Callback URL set", {
    secret: parsed.value.secret === null ? "configured" : "custom",
  });
});

controlRoutes.post("/float", async (c) => {
  const parsed = parseControlBody(FloatBody, await c.req.text());
  if (!parsed.ok) return parsed.response;
  const float_minor = await vtpassStub(c.env).setFloat(parsed.value.amount);
  return controlOk("Float set", { balance_minor: float_minor });
});
