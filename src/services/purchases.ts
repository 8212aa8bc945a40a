/**
 * POST /wallet/airtime and POST /wallet/data: buy from the wallet balance
 * through the purchases port (src/providers/port.ts), as a held payment
 * (src/services/held-payment-runner.ts):
 *
 *   1. the number is normalised (422 when it is not a Nigerian mobile number),
 *      the network chosen (given, or suggested by the prefix), the amount
 *      checked against the networks' ranges and the product quoted by the
 *      port (the provider's product and price): nothing is held if any of
 *      this fails;
 *   2. the port names a provider reference once (`newReference`), stored with
 *      the hold in the wallet's transaction (a retry that resumes the purchase
 *      reuses it);
 *   3. the reference is bound to the tx_ref in the port's ReferenceIndex (the
 *      provider's callbacks name only the reference), then the submission is
 *      claimed and the purchase started, at most once per reference, ever;
 *   4. the provider's answer settles it (delivered: posted; failed or refused:
 *      released) or leaves it pending (requeried by the wallet's alarm).
 */
import { formatMinor } from "../domain/money";
import type { Network } from "../domain/phone";
import type { TransactionRecord } from "../durable/wallet/object";
import { errors } from "../lib/errors";
import { runHeldPayment, type HeldAnswer } from "./held-payment-runner";
import type { AppContext } from "../lib/http";
import { fingerprint } from "./idempotency";
import { PURCHASE_FAILURES_MAX, PURCHASE_FAILURES_WINDOW_MS } from "../domain/limits";
import { transactionView } from "./views";
import type { PurchasePort, Quote } from "../providers/port";
import {
  catalogueUnavailable,
  listNetworks,
  lookupPhone,
  purchasesOrUnavailable,
} from "./catalogue";

export type PurchaseKind = "airtime" | "data";
export type PurchaseInput = { phone: string; network?: Network } & (
  | { kind: "airtime"; amount: number }
  | { kind: "data"; plan: string }
);

/** What a purchase answer shows beside the transaction: the product, in the words the user chose it with. */
export function purchaseView(tx: TransactionRecord) {
  const detail = (key: string) =>
    typeof tx.details[key] === "string" ? (tx.details[key] as string) : null;
  return {
    ...transactionView(tx),
    network: detail("network") as Network,
    phone: detail("phone") ?? "",
    plan: detail("plan_code"),
    network_note: detail("network_note"),
  };
}

/** The number, the network and the note to show when the user's choice and the prefix disagree. */
function recipient(
  c: AppContext,
  input: PurchaseInput,
): { phone: string; network: Network; note: string | null } {
  const looked = lookupPhone(c, input.phone);
  if (!looked.ok)
    throw errors.validation(
      [{ path: "phone", message: looked.message, code: looked.reason }],
      "That is not a Nigerian mobile number.",
    );
  const network = input.network ?? looked.network;
  if (!network) {
    throw errors.validation([
      {
        path: "network",
        message:
          "The number's prefix does not tell its network; say which network (mtn, airtel, glo or 9mobile).",
        code: "network_required",
      },
    ]);
  }
  const note =
    input.network && looked.network && input.network !== looked.network
      ? `The number's prefix suggests ${looked.network}; buying on ${input.network} as asked (a ported number keeps its prefix).`
      : null;
  return { phone: looked.phone.local, network, note };
}

/** The product as the user named it: the amount in kobo, or the plan's code. */
const product = (input: PurchaseInput) =>
  input.kind === "airtime" ? String(input.amount) : input.plan;

/** The product and its price: the amount checked against the network's range, the product quoted by the port. */
async function price(
  c: AppContext,
  port: PurchasePort,
  input: PurchaseInput,
  network: Network,
): Promise<Quote> {
  if (input.kind === "airtime") {
    if (input.amount % 100 !== 0)
      throw errors.validation([
        { path: "amount", message: "Airtime is sold in whole naira.", code: "whole_naira" },
      ]);
    const bounds = (await listNetworks(c, port)).find((n) => n.network === network)!.airtime;
    if (input.amount < bounds.min_minor || input.amount > bounds.max_minor) {
      throw errors.unprocessable(
        "amount_out_of_range",
        `${network} airtime can be bought from ${formatMinor(bounds.min_minor)} to ${formatMinor(bounds.max_minor)} naira.`,
        {
          min_minor: bounds.min_minor,
          max_minor: bounds.max_minor,
        },
      );
    }
  }
  const quoted = await port.quote(
    input.kind === "airtime"
      ? { kind: "airtime", network, amount_minor: input.amount }
      : { kind: "data", network, plan_code: input.plan },
  );
  if (quoted.ok) return quoted.quote;
  if (quoted.kind === "unavailable") throw catalogueUnavailable();
  throw errors.unprocessable(
    "plan_unknown",
    `No ${network} data plan has the code "${product(input)}"; see GET /catalog/data-plans?network=${network}.`,
  );
}

export async function buy(
  c: AppContext,
  user_id: string,
  input: PurchaseInput,
  idempotency_key: string | undefined,
): Promise<HeldAnswer> {
  const port = purchasesOrUnavailable(c);
  const type = input.kind === "airtime" ? "AIRTIME" : "DATA";
  return runHeldPayment(c, {
    user_id,
    type,
    idempotency_key,
    fingerprint: fingerprint(`POST /wallet/${input.kind}`, [
      input.phone,
      input.network ?? "",
      product(input),
    ]),
    port,
    prepare: async () => {
      const to = recipient(c, input);
      const priced = await price(c, port, input, to.network);
      return {
        amount_minor: priced.amount_minor,
        fee_minor: 0,
        currency: "NGN",
        details: {
          network: to.network,
          // `phone` is what the provider gets; `phone_input` is the number as the user
          // wrote it (at most PHONE_INPUT_MAX_CHARS: the body schema and
          // normalisePhone refuse longer), for the status page to show back.
          phone: to.phone,
          phone_input: input.phone.trim(),
          service_id: priced.service_id,
          plan_code: priced.variation_code,
          plan_name: priced.plan_name,
          network_note: to.note,
        },
        // Named once, stored with the hold before any call: the purchase's only name at the provider.
        provider_ref: port.newReference(Date.now()),
        start: (tx) => ({
          tx_ref: tx.tx_ref,
          provider_ref: tx.provider_ref ?? "",
          service_id: String(tx.details.service_id),
          amount_minor: tx.amount_minor,
          phone: String(tx.details.phone),
          ...(typeof tx.details.plan_code === "string"
            ? { variation_code: tx.details.plan_code }
            : {}),
        }),
      };
    },
    before_claim: async ({ tx_ref, provider_ref }) => {
      if (!provider_ref) throw new Error(`purchase ${tx_ref} has no provider reference`);
      const bound = await port.references.bind(provider_ref, tx_ref);
      if (bound !== "bound")
        throw new Error(`provider reference of ${tx_ref} is bound to another transaction`);
    },
    view: purchaseView,
    refusal: {
      code: "purchase_refused",
      title: "Purchase refused",
      reason: (message) => `The ${input.kind} purchase was refused: ${message}`,
    },
    insufficient_detail: "The available balance does not cover this purchase.",
    // A failed purchase costs the buyer nothing and us a provider call: their number is bounded per wallet.
    failures: {
      bound: {
        types: ["AIRTIME", "DATA"],
        max: PURCHASE_FAILURES_MAX,
        window_ms: PURCHASE_FAILURES_WINDOW_MS,
      },
      code: "too_many_failed_purchases",
      detail: (limit, window_ms) =>
        `${limit} purchases failed in the last ${Math.round(window_ms / 60_000)} minutes; check the number and the plan. Purchases open again after Retry-After seconds.`,
    },
  });
}
