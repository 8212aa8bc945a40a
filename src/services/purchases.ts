/**
 * POST /wallet/airtime and POST /wallet/data: buy from the wallet balance
 * through VTpass, as a held payment (src/services/held-payment-runner.ts):
 *
 *   1. the number is normalised (422 when it is not a Nigerian mobile number),
 *      the network chosen (given, or suggested by the prefix), the amount or
 *      plan checked against the catalogue: nothing is held if any of this fails;
 *   2. a VTpass request_id is generated once and stored with the hold, in the
 *      wallet's transaction (a retry that resumes the purchase reuses it);
 *   3. the request_id -> tx_ref mapping is stored (VTpass's callbacks name
 *      only the request_id), then the submission is claimed and /api/pay
 *      called, at most once per request_id, ever;
 *   4. VTpass's answer settles it (delivered: posted; failed or refused:
 *      released) or leaves it pending (requeried by the wallet's alarm).
 */
import { formatMinor } from "../domain/money";
import type { Network } from "../domain/phone";
import { providerRefName } from "../durable/provider-refs/object";
import type { TransactionRecord } from "../durable/wallet/object";
import { errors } from "../lib/errors";
import { runHeldPayment, type HeldAnswer } from "./held-payment-runner";
import { type AppContext, executionCtx } from "../lib/http";
import { fingerprint } from "./idempotency";
import { PURCHASE_FAILURES_MAX, PURCHASE_FAILURES_WINDOW_MS } from "../domain/limits";
import { transactionView } from "./views";
import { purchasePort } from "../providers/index";
import { serviceIdFor } from "../providers/vtpass/catalogue";
import { newRequestId } from "../providers/vtpass/request-id";
import { dataPlans, listNetworks, lookupPhone, vtpassOrUnavailable } from "./catalogue";

export type PurchaseKind = "airtime" | "data";
export type PurchaseInput = { phone: string; network?: Network } & ({ kind: "airtime"; amount: number } | { kind: "data"; plan: string });

/** What a purchase answer shows beside the transaction: the product, in the words the user chose it with. */
export function purchaseView(tx: TransactionRecord) {
  const detail = (key: string) => (typeof tx.details[key] === "string" ? (tx.details[key] as string) : null);
  return {
    ...transactionView(tx),
    network: detail("network") as Network,
    phone: detail("phone") ?? "",
    plan: detail("plan_code"),
    network_note: detail("network_note"),
  };
}

/** The number, the network and the note to show when the user's choice and the prefix disagree. */
function recipient(c: AppContext, input: PurchaseInput): { phone: string; network: Network; note: string | null } {
  const looked = lookupPhone(c, input.phone);
  if (!looked.ok) throw errors.validation([{ path: "phone", message: looked.message, code: looked.reason }], "That is not a Nigerian mobile number.");
  const network = input.network ?? looked.network;
  if (!network) {
    throw errors.validation([{ path: "network", message: "The number's prefix does not tell its network; say which network (mtn, airtel, glo or 9mobile).", code: "network_required" }]);
  }
  const note =
    input.network && looked.network && input.network !== looked.network
      ? `The number's prefix suggests ${looked.network}; buying on ${input.network} as asked (a ported number keeps its prefix).`
      : null;
  return { phone: looked.phone.local, network, note };
}

/** The product and its price, checked against the catalogue (our bounds and VTpass's, the plan list). */
async function price(c: AppContext, input: PurchaseInput, network: Network): Promise<{ amount_minor: number; service_id: string; plan_code: string | null; plan_name: string | null }> {
  if (input.kind === "airtime") {
    if (input.amount % 100 !== 0) throw errors.validation([{ path: "amount", message: "Airtime is sold in whole naira.", code: "whole_naira" }]);
    const bounds = (await listNetworks(c)).find((n) => n.network === network)!.airtime;
    if (input.amount < bounds.min_minor || input.amount > bounds.max_minor) {
      throw errors.unprocessable("amount_out_of_range", `${network} airtime can be bought from ${formatMinor(bounds.min_minor)} to ${formatMinor(bounds.max_minor)} naira.`, {
        min_minor: bounds.min_minor,
        max_minor: bounds.max_minor,
      });
    }
    return { amount_minor: input.amount, service_id: bounds.service_id, plan_code: null, plan_name: null };
  }
  const plan = (await dataPlans(c, network)).find((p) => p.code === input.plan);
  if (!plan) throw errors.unprocessable("plan_unknown", `No ${network} data plan has the code "${input.plan}"; see GET /catalog/data-plans?network=${network}.`);
  return { amount_minor: plan.price_minor, service_id: serviceIdFor("data", network), plan_code: plan.code, plan_name: plan.name };
}

export async function buy(c: AppContext, user_id: string, input: PurchaseInput, idempotency_key: string | undefined): Promise<HeldAnswer> {
  vtpassOrUnavailable(c);
  const port = purchasePort({ env: c.env, ctx: executionCtx(c), config: c.var.config, request_id: c.var.request_id });
  if (!port) throw new Error("VTpass is configured but has no purchase port");
  const type = input.kind === "airtime" ? "AIRTIME" : "DATA";
  const product = input.kind === "airtime" ? String(input.amount) : input.plan;
  return runHeldPayment(c, {
    user_id,
    type,
    idempotency_key,
    fingerprint: fingerprint(`POST /wallet/${input.kind}`, [input.phone, input.network ?? "", product]),
    port,
    prepare: async () => {
      const to = recipient(c, input);
      const priced = await price(c, input, to.network);
      return {
        amount_minor: priced.amount_minor,
        fee_minor: 0,
        currency: "NGN",
        details: {
          network: to.network,
          // `phone` is what VTpass gets; `phone_input` is the number as the user
          // wrote it (at most PHONE_INPUT_MAX_CHARS: the body schema and
          // normalisePhone refuse longer), for the status page to show back.
          phone: to.phone,
          phone_input: input.phone.trim(),
          service_id: priced.service_id,
          plan_code: priced.plan_code,
          plan_name: priced.plan_name,
          network_note: to.note,
        },
        // Generated once, stored with the hold before any call: the purchase's only name at VTpass.
        provider_ref: newRequestId(Date.now()),
        start: (tx) => ({
          tx_ref: tx.tx_ref,
          request_id: tx.provider_ref ?? "",
          service_id: String(tx.details.service_id),
          amount_minor: tx.amount_minor,
          phone: String(tx.details.phone),
          ...(typeof tx.details.plan_code === "string" ? { variation_code: tx.details.plan_code } : {}),
        }),
      };
    },
    before_claim: async ({ tx_ref, provider_ref }) => {
      if (!provider_ref) throw new Error(`purchase ${tx_ref} has no request_id`);
      const bound = await c.env.PROVIDER_REFS.getByName(providerRefName("vtpass", provider_ref)).bind(tx_ref);
      if (bound !== "bound") throw new Error(`request_id of ${tx_ref} is bound to another transaction`);
    },
    view: purchaseView,
    refusal: { code: "purchase_refused", title: "Purchase refused", reason: (message) => `The ${input.kind} purchase was refused: ${message}` },
    insufficient_detail: "The available balance does not cover this purchase.",
    // A failed purchase costs the buyer nothing and us a VTpass call: their number is bounded per wallet.
    failures: {
      bound: { types: ["AIRTIME", "DATA"], max: PURCHASE_FAILURES_MAX, window_ms: PURCHASE_FAILURES_WINDOW_MS },
      code: "too_many_failed_purchases",
      detail: (limit, window_ms) =>
        `${limit} purchases failed in the last ${Math.round(window_ms / 60_000)} minutes; check the number and the plan. Purchases open again after Retry-After seconds.`,
    },
  });
}
