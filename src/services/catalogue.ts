/**
 * What can be bought: the networks with their airtime bounds, their data
 * plans, and what a phone number looks like to us. The provider's catalogue
 * is read through the purchases port (src/providers/port.ts), whose adapter
 * caches it and serves a stale copy while the provider is unreachable; here
 * it meets our own bounds and becomes problems when it cannot be read.
 */
import {
  NETWORKS,
  normalisePhone,
  PORTED_NUMBER_NOTE,
  sandboxTestPhone,
  suggestNetwork,
  type Network,
  type Phone,
} from "../domain/phone";
import { errors } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { clearCatalogueCache, purchasePort } from "../providers";
import type { DataPlan, PurchasePort } from "../providers/port";

/** For tests: forget cached catalogues (the purchases adapter keeps them). */
export function clearCatalogCache(): void {
  clearCatalogueCache();
}

/** The purchases port for this request, or 503 when no purchase provider is configured. */
export function purchasesOrUnavailable(c: AppContext): PurchasePort {
  const port = purchasePort({
    env: c.env,
    ctx: executionCtx(c),
    config: c.var.config,
    request_id: c.var.request_id,
  });
  if (!port)
    throw errors.unavailable(
      "purchases_unavailable",
      "Airtime and data purchases are not configured on this service.",
    );
  return port;
}

export type NetworkView = {
  network: Network;
  airtime: { min_minor: number; max_minor: number; source: "vtpass_and_ours" | "ours" };
};

/**
 * The four networks with the airtime range a purchase must fall in: ours,
 * narrowed by what the provider publishes for the service when it can be read.
 * (`vtpass_and_ours` is the API's word for "the provider's and ours".)
 */
export async function listNetworks(
  c: AppContext,
  port: PurchasePort = purchasesOrUnavailable(c),
): Promise<NetworkView[]> {
  const ours = c.var.config.airtime_bounds;
  const read = await port.networks();
  return NETWORKS.map((network) => {
    const published = read.ok
      ? (read.value.find((offer) => offer.network === network)?.published ?? null)
      : null;
    const min_minor = Math.max(ours.min_minor, published?.min_minor ?? ours.min_minor);
    const max_minor = Math.min(ours.max_minor, published?.max_minor ?? ours.max_minor);
    return {
      network,
      airtime: {
        min_minor,
        max_minor,
        source: published ? ("vtpass_and_ours" as const) : ("ours" as const),
      },
    };
  });
}

export const catalogueUnavailable = () =>
  errors.upstream(
    "catalogue_unavailable",
    "The data plans could not be fetched; try again shortly.",
    503,
  );

export async function dataPlans(c: AppContext, network: Network): Promise<DataPlan[]> {
  const read = await purchasesOrUnavailable(c).dataPlans(network);
  if (!read.ok) throw catalogueUnavailable();
  return read.value;
}

export type PhoneLookup =
  | {
      ok: true;
      phone: Phone;
      network: Network | null;
      confidence: string;
      note: string;
      sandbox_scenario: string | null;
    }
  | { ok: false; reason: string; message: string };

/**
 * A phone number in any common Nigerian form -> one canonical form and the
 * network its prefix suggests. The provider's sandbox test numbers are
 * accepted only while the sandbox is on.
 */
export function lookupPhone(c: AppContext, raw: string): PhoneLookup {
  const test = c.var.config.sandbox ? sandboxTestPhone(raw) : null;
  if (test) {
    return {
      ok: true,
      phone: { local: test.phone, e164: test.phone },
      network: "mtn",
      confidence: "sandbox_test_number",
      note: `Sandbox test number: ${test.scenario}.`,
      sandbox_scenario: test.scenario,
    };
  }
  const normalised = normalisePhone(raw);
  if (!normalised.ok) return { ok: false, reason: normalised.reason, message: normalised.message };
  const suggestion = suggestNetwork(normalised.phone.local);
  return {
    ok: true,
    phone: normalised.phone,
    network: suggestion.network,
    confidence: suggestion.confidence,
    note: suggestion.network ? PORTED_NUMBER_NOTE : suggestion.note,
    sandbox_scenario: null,
  };
}
