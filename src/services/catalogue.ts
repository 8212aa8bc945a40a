/**
 * What can be bought: the networks with their airtime bounds, their data
 * plans, and what a phone number looks like to us. VTpass's catalogue is read
 * through a per-isolate cache (VTPASS_CATALOGUE_TTL_S), and a stale copy is
 * served for up to VTPASS_CATALOGUE_STALE_MAX_S when VTpass is unreachable,
 * as the bank list is. Concurrent reads of one list share one VTpass call, and
 * after a failed one VTpass is not asked again for VTPASS_CATALOGUE_FAILURE_TTL_S.
 */
import { NETWORKS, normalisePhone, PORTED_NUMBER_NOTE, sandboxTestPhone, suggestNetwork, type Network, type Phone } from "../domain/phone";
import { ReadThroughCache } from "../lib/cache";
import { errors } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { VTPASS_CATALOGUE_FAILURE_TTL_S, VTPASS_CATALOGUE_STALE_MAX_S, VTPASS_CATALOGUE_TTL_S } from "../providers/vtpass/limits";
import { vtpassClient, type VtpassClient } from "../providers/vtpass/index";
import { airtimeBounds, serviceIdFor, type DataPlan, type ServiceInfo } from "../providers/vtpass/catalogue";

// One VTpass read per list at a time, and none for VTPASS_CATALOGUE_FAILURE_TTL_S after one failed.
const services = new ReadThroughCache<ServiceInfo[]>("vtpass-services", VTPASS_CATALOGUE_TTL_S, VTPASS_CATALOGUE_STALE_MAX_S, 2, { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S });
const plans = new ReadThroughCache<DataPlan[]>("vtpass-plans", VTPASS_CATALOGUE_TTL_S, VTPASS_CATALOGUE_STALE_MAX_S, NETWORKS.length, { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S });

/** The request's waitUntil: a shared catalogue read runs to its end even if the request that started it goes away. */
function keepAlive(c: AppContext): (work: Promise<unknown>) => void {
  const ctx = executionCtx(c);
  return (work) => ctx.waitUntil(work);
}

/** For tests: forget cached catalogues. */
export function clearCatalogCache(): void {
  services.clear();
  plans.clear();
}

export function vtpassOrUnavailable(c: AppContext): VtpassClient {
  const client = vtpassClient(c.env, executionCtx(c), c.var.config, { request_id: c.var.request_id });
  if (!client) throw errors.unavailable("purchases_unavailable", "Airtime and data purchases are not configured on this service.");
  return client;
}

class CatalogueFailure extends Error {}

export type NetworkView = {
  network: Network;
  airtime: { service_id: string; min_minor: number; max_minor: number; source: "vtpass_and_ours" | "ours" };
  data: { service_id: string };
};

/**
 * The four networks with the airtime range a purchase must fall in: ours,
 * narrowed by what VTpass publishes for the service when it can be read.
 */
export async function listNetworks(c: AppContext): Promise<NetworkView[]> {
  const client = vtpassOrUnavailable(c);
  const ours = c.var.config.airtime_bounds;
  const read = await services.read(
    "airtime",
    async () => {
      const answer = await client.services("airtime");
      if (!answer.ok) throw new CatalogueFailure(answer.kind);
      return answer.value;
    },
    c.var.request_id,
    keepAlive(c),
  );
  return NETWORKS.map((network) => {
    const service_id = serviceIdFor("airtime", network);
    const published = read.ok ? airtimeBounds(read.value.find((s) => s.service_id === service_id) ?? null) : null;
    const min_minor = Math.max(ours.min_minor, published?.min_minor ?? ours.min_minor);
    const max_minor = Math.min(ours.max_minor, published?.max_minor ?? ours.max_minor);
    return {
      network,
      airtime: { service_id, min_minor, max_minor, source: published ? ("vtpass_and_ours" as const) : ("ours" as const) },
      data: { service_id: serviceIdFor("data", network) },
    };
  });
}

export async function dataPlans(c: AppContext, network: Network): Promise<DataPlan[]> {
  const client = vtpassOrUnavailable(c);
  const service_id = serviceIdFor("data", network);
  const read = await plans.read(
    service_id,
    async () => {
      const answer = await client.variations(service_id);
      if (!answer.ok) throw new CatalogueFailure(answer.kind);
      return answer.value.plans;
    },
    c.var.request_id,
    keepAlive(c),
  );
  if (!read.ok) throw errors.upstream("catalogue_unavailable", "The data plans could not be fetched; try again shortly.", 503);
  return read.value;
}

export type PhoneLookup =
  | { ok: true; phone: Phone; network: Network | null; confidence: string; note: string; sandbox_scenario: string | null }
  | { ok: false; reason: string; message: string };

/**
 * A phone number in any common Nigerian form -> one canonical form and the
 * network its prefix suggests. The provider's sandbox test numbers are
 * accepted only while the sandbox is on.
 */
export function lookupPhone(c: AppContext, raw: string): PhoneLookup {
  const test = c.var.config.sandbox ? sandboxTestPhone(raw) : null;
  if (test) {
    return { ok: true, phone: { local: test.phone, e164: test.phone }, network: "mtn", confidence: "sandbox_test_number", note: `Sandbox test number: ${test.scenario}.`, sandbox_scenario: test.scenario };
  }
  const normalised = normalisePhone(raw);
  if (!normalised.ok) return { ok: false, reason: normalised.reason, message: normalised.message };
  const suggestion = suggestNetwork(normalised.phone.local);
  return { ok: true, phone: normalised.phone, network: suggestion.network, confidence: suggestion.confidence, note: suggestion.network ? PORTED_NUMBER_NOTE : suggestion.note, sandbox_scenario: null };
}
