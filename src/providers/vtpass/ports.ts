/**
 * VTpass behind the provider port (src/providers/port.ts): airtime and data
 * purchases are held payments it serves, and its `transaction-update`
 * callbacks are reduced to which purchase they are about.
 *
 * VTpass knows a purchase by the `request_id` we generated and stored with it
 * before the call (the transaction's `provider_ref`), never by our tx_ref; so
 * a purchase is looked up by that id, and a callback's id is mapped back to
 * our tx_ref through the ProviderRefs index, not parsed.
 */
import type { FoundFacts, TxDetails } from "../../domain/transactions";
import type { Outcome } from "../outcome";
import type { HeldPaymentPort, Refusal, TxRef } from "../port";
import type { PurchaseFacts, PurchaseResult } from "./classify";
import { classifyTransactionUpdate } from "./classify";
import type { VtpassClient } from "./client";
import { checkRequestId } from "./request-id";

export type PurchaseStart = {
  tx_ref: string;
  /** VTpass's request_id, stored with the purchase before this call. */
  request_id: string;
  service_id: string;
  amount_minor: number;
  /** The number to credit. */
  phone: string;
  /** Data only: the plan. */
  variation_code?: string;
};

/** VTpass's answer in our words; `our_ref` is given only when VTpass answered about the id we asked for. */
function toFacts(facts: PurchaseFacts, our_ref: string | null): FoundFacts {
  const details: TxDetails = {};
  if (facts.provider_ref) details.provider_receipt = facts.provider_ref;
  if (facts.product_name) details.product_name = facts.product_name;
  return {
    found: true,
    provider_ref: facts.request_id,
    our_ref,
    outcome: facts.outcome,
    amount_minor: facts.amount_minor,
    currency: "NGN",
    message: facts.message,
    details,
  };
}

function toOutcome(result: PurchaseResult, our_ref: string | null): Outcome<FoundFacts, Refusal> {
  if (result.ok) return { ok: true, value: toFacts(result.value, our_ref) };
  switch (result.kind) {
    case "not_found":
      return result;
    case "refused":
      return { ok: false, kind: "refused", message: result.message, code: result.code, anomaly: result.anomaly };
    case "unknown":
      return { ok: false, kind: "unknown", reason: result.reason };
    default: {
      const unreachable: never = result;
      throw new Error(`unhandled VTpass result ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Drop a refusal's extra detail for lookups (a lookup's refusal says nothing about the purchase). */
function asLookup(outcome: Outcome<FoundFacts, Refusal>): Outcome<FoundFacts> {
  return outcome.ok || outcome.kind !== "refused" ? (outcome as Outcome<FoundFacts>) : { ok: false, kind: "unknown", reason: `refused: ${outcome.message}` };
}

export function vtpassPurchases(client: VtpassClient): HeldPaymentPort<PurchaseStart> {
  return {
    start: async (input) => {
      const result = await client.pay({
        request_id: input.request_id,
        serviceID: input.service_id,
        amount_minor: input.amount_minor,
        phone: input.phone,
        ...(input.variation_code ? { billersCode: input.phone, variation_code: input.variation_code } : {}),
      });
      return toOutcome(result, input.tx_ref);
    },
    lookup: async (ref: TxRef) => {
      if (!ref.provider_ref) return { ok: false, kind: "not_found", message: "no request_id stored for this purchase" };
      return asLookup(toOutcome(await client.requery(ref.provider_ref), ref.tx_ref));
    },
    // A callback's id is looked up like any other: the answer says which id, not which of our transactions.
    lookupById: async (provider_ref) => asLookup(toOutcome(await client.requery(provider_ref), null)),
  };
}

/**
 * What a callback body is, before anything is looked up by it:
 * - `update`: a transaction-update naming a request_id of the shape we send
 *   (src/providers/vtpass/request-id.ts: at most VTPASS_REQUEST_ID_MAX_CHARS
 *   ASCII letters and digits, a real Lagos minute first), safe to use in an
 *   object name or a log line;
 * - `bad_request_id`: a transaction-update whose request_id we can never have
 *   sent (too long, other characters, no date): never looked up, never named;
 * - `other`: not a transaction-update at all.
 */
export type CallbackParse =
  | { kind: "update"; request_id: string }
  | { kind: "bad_request_id"; reason: "length" | "characters" | "date"; length: number }
  | { kind: "other" };

export function parseCallback(raw_body: string): CallbackParse {
  const update = classifyTransactionUpdate(raw_body);
  if (!update) return { kind: "other" };
  const check = checkRequestId(update.request_id);
  if (!check.ok) return { kind: "bad_request_id", reason: check.reason, length: update.request_id.length };
  return { kind: "update", request_id: update.request_id };
}

/**
 * The request_id a `transaction-update` callback is about, or null for
 * anything else, a request_id we could not have sent included. Never trusted
 * beyond that.
 */
export function callbackRequestId(raw_body: string): string | null {
  const parsed = parseCallback(raw_body);
  return parsed.kind === "update" ? parsed.request_id : null;
}
