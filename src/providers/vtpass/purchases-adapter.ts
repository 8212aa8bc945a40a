/**
 * VTpass behind the purchases port (src/providers/port.ts): airtime and data
 * are held payments it serves; its catalogue prices them; its
 * `transaction-update` callbacks are reduced to which purchase they are about.
 *
 * VTpass knows a purchase by the `request_id` we generate (`newReference`)
 * and store with it before the call (the transaction's `provider_ref`), never
 * by our tx_ref; so a purchase is looked up by that id, and a callback's id is
 * mapped back to our tx_ref through the port's ReferenceIndex, not parsed.
 *
 * The catalogue is read through a per-isolate cache (VTPASS_CATALOGUE_TTL_S),
 * and a stale copy is served for up to VTPASS_CATALOGUE_STALE_MAX_S when
 * VTpass is unreachable. Concurrent reads of one list share one VTpass call,
 * and after a failed one VTpass is not asked again for
 * VTPASS_CATALOGUE_FAILURE_TTL_S.
 */
import { DISCO_IDS, type DiscoId } from "../../domain/bills";
import { NETWORKS } from "../../domain/phone";
import type { FoundFacts, TxDetails } from "../../domain/transactions";
import { ReadThroughCache, type CacheRead } from "../../lib/cache";
import type { Outcome } from "../outcome";
import type { ListRead, NetworkOffer, PurchasePort, ReferenceIndex, Refusal, TxRef } from "../port";
import { parseCallback } from "./callbacks";
import { airtimeBounds, serviceIdFor, type DataPlan, type ServiceInfo } from "./catalogue";
import type { PurchaseFacts, PurchaseResult } from "./classify";
import type { VtpassClient } from "./client";
import {
  VTPASS_CATALOGUE_FAILURE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  VTPASS_CATALOGUE_TTL_S,
} from "./limits";
import { newRequestId } from "./request-id";
import { clearBillsCache, vtpassBills } from "./bills-adapter";

/** The name of VTpass's adapter: the source of its callbacks, and the namespace its request_ids are indexed under. */
export const VTPASS = "vtpass";

// ---- Answers in our words ---------------------------------------------------------------------

/** VTpass's answer in our words; `our_ref` is given only when VTpass answered about the id we asked for. */
function toFacts(facts: PurchaseFacts, our_ref: string | null): FoundFacts {
  const details: TxDetails = {};
  if (facts.provider_ref) details.provider_receipt = facts.provider_ref;
  if (facts.product_name) details.product_name = facts.product_name;
  // A bill's token (and a prepaid meter's units) belongs to the purchase: stored when it arrives.
  if (facts.token) details.token = facts.token;
  if (facts.units) details.units = facts.units;
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

/**
 * A prepaid meter's payment is delivered only with its token: the token is
 * what the customer paid for, and a settled transaction takes no later change,
 * so a token that came afterwards would be lost. VTpass may answer
 * "delivered" before the DisCo has issued the token; such an answer is
 * pending to us (the requery schedule asks again; the answer that carries
 * the token settles it; one that never does is escalated at the deadline,
 * the money still held). Postpaid meters and TV have no token to wait for.
 */
function withoutTokenIsPending(facts: PurchaseFacts, prepaid: boolean): PurchaseFacts {
  if (!prepaid || facts.outcome !== "succeeded" || facts.token) return facts;
  return {
    ...facts,
    outcome: "pending",
    message: "Delivered without its token yet; waiting for the token.",
  };
}

function toOutcome(
  result: PurchaseResult,
  our_ref: string | null,
  prepaid = false,
): Outcome<FoundFacts, Refusal> {
  if (result.ok)
    return { ok: true, value: toFacts(withoutTokenIsPending(result.value, prepaid), our_ref) };
  switch (result.kind) {
    case "not_found":
      return result;
    case "refused":
      return {
        ok: false,
        kind: "refused",
        message: result.message,
        code: result.code,
        anomaly: result.anomaly,
      };
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
  return outcome.ok || outcome.kind !== "refused"
    ? (outcome as Outcome<FoundFacts>)
    : { ok: false, kind: "unknown", reason: `refused: ${outcome.message}` };
}

// ---- The catalogue, cached --------------------------------------------------------------------

// One VTpass read per list at a time, and none for VTPASS_CATALOGUE_FAILURE_TTL_S after one failed.
const services = new ReadThroughCache<ServiceInfo[]>(
  "vtpass-services",
  VTPASS_CATALOGUE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  2,
  { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S },
);
const plans = new ReadThroughCache<DataPlan[]>(
  "vtpass-plans",
  VTPASS_CATALOGUE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  NETWORKS.length,
  { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S },
);

/** For tests: forget cached catalogues. */
export function clearCatalogueCache(): void {
  services.clear();
  plans.clear();
  clearBillsCache();
}

/** VTpass's answer when it is not a catalogue: a definite answer (refused, not found) or none. */
class CatalogueFailure extends Error {
  constructor(readonly definite: boolean) {
    super("catalogue unavailable");
  }
}

function listRead<T, U>(read: CacheRead<T>, map: (value: T) => U): ListRead<U> {
  if (read.ok) return { ok: true, value: map(read.value), cached: read.cached, stale: read.stale };
  return {
    ok: false,
    kind: read.error instanceof CatalogueFailure && read.error.definite ? "refused" : "unknown",
  };
}

// ---- The port ---------------------------------------------------------------------------------

export type VtpassPurchaseDeps = {
  references: ReferenceIndex;
  /** Our request id, for the cache's log lines. */
  request_id?: string;
  /** The request's waitUntil: a shared catalogue read runs to its end even if the request that started it goes away. */
  keep_alive?: (work: Promise<unknown>) => void;
};

export function vtpassPurchases(client: VtpassClient, deps: VtpassPurchaseDeps): PurchasePort {
  const networks = async (): Promise<ListRead<NetworkOffer[]>> => {
    const read = await services.read(
      "airtime",
      async () => {
        const answer = await client.services("airtime");
        if (!answer.ok) throw new CatalogueFailure(answer.kind !== "unknown");
        return answer.value;
      },
      deps.request_id,
      deps.keep_alive,
    );
    // A service VTpass did not list gets our own range (airtimeBounds(null)): the purchase answer still guards the edges.
    return listRead(read, (listed) =>
      NETWORKS.map((network) => ({
        network,
        published: airtimeBounds(
          listed.find((s) => s.service_id === serviceIdFor("airtime", network)) ?? null,
        ),
      })),
    );
  };

  const dataPlans: PurchasePort["dataPlans"] = async (network) => {
    const service_id = serviceIdFor("data", network);
    const read = await plans.read(
      service_id,
      async () => {
        const answer = await client.variations(service_id);
        if (!answer.ok) throw new CatalogueFailure(answer.kind !== "unknown");
        return answer.value.plans;
      },
      deps.request_id,
      deps.keep_alive,
    );
    return listRead(read, (listed) => listed);
  };

  return {
    name: VTPASS,
    references: deps.references,
    newReference: (now_ms) => newRequestId(now_ms),

    start: async (input) => {
      const result = await client.pay({
        request_id: input.provider_ref,
        serviceID: input.service_id,
        amount_minor: input.amount_minor,
        phone: input.phone,
        ...(input.billers_code
          ? {
              billersCode: input.billers_code,
              ...(input.variation_code ? { variation_code: input.variation_code } : {}),
              ...(input.subscription_type ? { subscription_type: input.subscription_type } : {}),
              ...(input.quantity ? { quantity: input.quantity } : {}),
            }
          : input.variation_code
            ? { billersCode: input.phone, variation_code: input.variation_code }
            : {}),
      });
      // A meter type is the variation of an electricity payment only (TV's are bouquet codes).
      const prepaid =
        DISCO_IDS.includes(input.service_id as DiscoId) && input.variation_code === "prepaid";
      return toOutcome(result, input.tx_ref, prepaid);
    },
    lookup: async (ref: TxRef) => {
      if (!ref.provider_ref)
        return { ok: false, kind: "not_found", message: "no request_id stored for this purchase" };
      // The consumer and the reconciler pass the transaction: its details say whether a token is due.
      const prepaid = ref.details?.meter_type === "prepaid";
      return asLookup(toOutcome(await client.requery(ref.provider_ref), ref.tx_ref, prepaid));
    },
    // A callback's id is looked up like any other: the answer says which id, not which of our transactions.
    lookupById: async (provider_ref) =>
      asLookup(toOutcome(await client.requery(provider_ref), null)),

    parseEvent: (raw_body) => {
      const parsed = parseCallback(raw_body);
      switch (parsed.kind) {
        case "other":
          return { kind: "ignored", reason: "not a transaction update" };
        case "bad_request_id":
          return { kind: "forged", reason: parsed.reason, length: parsed.length };
        case "update":
          return {
            kind: "event",
            event: {
              provider_ref: parsed.request_id,
              event_key: `vtpass:transaction-update:${parsed.request_id}`,
            },
          };
        default: {
          const unreachable: never = parsed;
          throw new Error(`unhandled callback parse ${JSON.stringify(unreachable)}`);
        }
      }
    },

    networks,
    dataPlans,
    ...vtpassBills(client, deps),
    quote: async (product) => {
      if (product.kind === "airtime") {
        return {
          ok: true,
          quote: {
            service_id: serviceIdFor("airtime", product.network),
            variation_code: null,
            amount_minor: product.amount_minor,
            plan_name: null,
          },
        };
      }
      const read = await dataPlans(product.network);
      if (!read.ok) return { ok: false, kind: "unavailable" };
      const plan = read.value.find((p) => p.code === product.plan_code);
      if (!plan) return { ok: false, kind: "plan_unknown" };
      return {
        ok: true,
        quote: {
          service_id: serviceIdFor("data", product.network),
          variation_code: plan.code,
          amount_minor: plan.price_minor,
          plan_name: plan.name,
        },
      };
    },
  };
}
