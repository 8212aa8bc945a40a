/**
 * What can be bought through VTpass, in our words: which serviceID sells a
 * network's airtime or data, the data plans with their prices in kobo, and the
 * airtime range VTpass publishes per service.
 *
 * Prices are money: VTpass writes them in naira as strings ("100.00") or
 * numbers, and they are read with the strict decimal parser (string
 * arithmetic, at most two decimals). A plan whose price cannot be read
 * exactly is dropped and counted, never rounded: selling it at a rounded
 * price would charge the user something other than what VTpass charges us.
 */
import { formatMinor, parseDecimal, providerAmountToMinor } from "../../domain/money";
import { NETWORKS, type Network } from "../../domain/phone";
import { AIRTIME_MAX_MINOR, AIRTIME_MIN_MINOR } from "../../domain/limits";
import { VTPASS_PLANS_MAX, VTPASS_SERVICES_MAX } from "./limits";
import type { ReadParse } from "./classify";
import {
  BalanceAnswer,
  CatalogueEnvelope,
  ServicesContent,
  VariationsContent,
  VtService,
  VtVariation,
} from "./schemas";

// ---- Service IDs ---------------------------------------------------------------------

export type ProductKind = "airtime" | "data";

/** VTpass still calls 9mobile by its old name, Etisalat. */
export const SERVICE_IDS = {
  airtime: { mtn: "mtn", airtel: "airtel", glo: "glo", "9mobile": "etisalat" },
  data: { mtn: "mtn-data", airtel: "airtel-data", glo: "glo-data", "9mobile": "etisalat-data" },
} as const satisfies Record<ProductKind, Record<Network, string>>;

export type ServiceId = (typeof SERVICE_IDS)[ProductKind][Network];

export function serviceIdFor(kind: ProductKind, network: Network): ServiceId {
  return SERVICE_IDS[kind][network];
}

/** The reverse: which of our products a serviceID is, or null for one we do not sell. */
export function productForServiceId(
  service_id: string,
): { kind: ProductKind; network: Network } | null {
  for (const kind of ["airtime", "data"] as const) {
    for (const network of NETWORKS) {
      if (SERVICE_IDS[kind][network] === service_id) return { kind, network };
    }
  }
  return null;
}

// ---- services?identifier= -------------------------------------------------------------------

export type ServiceInfo = {
  service_id: string;
  name: string | null;
  /** VTpass's published bounds in kobo; null when absent or unreadable. */
  min_minor: number | null;
  max_minor: number | null;
  product_type: string | null;
};

function minorOrNull(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const parsed = parseDecimal(value);
  return parsed.ok ? parsed.amount_minor : null;
}

/** Catalogue answers carry "000" in `response_description` (and sometimes `code`). */
function catalogueContent(json: unknown): ReadParse<unknown> {
  const envelope = CatalogueEnvelope.safeParse(json);
  if (!envelope.success) return { ok: false, kind: "malformed", reason: "not a catalogue answer" };
  const { code, response_description } = envelope.data;
  const status = typeof code === "string" && /^\d{3}$/.test(code) ? code : response_description;
  if (status === "012" || status === "010")
    return { ok: false, kind: "not_found", message: "no such product" };
  if (status !== "000")
    return { ok: false, kind: "malformed", reason: `catalogue answered ${String(status)}` };
  return { ok: true, value: envelope.data.content };
}

export function parseServicesAnswer(json: unknown): ReadParse<ServiceInfo[]> {
  const content = catalogueContent(json);
  if (!content.ok) return content;
  const list = ServicesContent.safeParse(content.value);
  if (!list.success)
    return { ok: false, kind: "malformed", reason: "services content is not a list" };
  const services: ServiceInfo[] = [];
  for (const item of list.data.slice(0, VTPASS_SERVICES_MAX)) {
    const service = VtService.safeParse(item);
    if (!service.success) continue; // one odd entry does not hide the others
    const s = service.data;
    services.push({
      service_id: s.serviceID,
      name: s.name ?? null,
      min_minor: minorOrNull(s.minimium_amount ?? s.minimum_amount),
      max_minor: minorOrNull(s.maximum_amount),
      product_type: s.product_type ?? null,
    });
  }
  return { ok: true, value: services };
}

/**
 * The airtime range we offer for one service: the narrower of ours and
 * VTpass's, or null when they do not overlap (the product cannot be sold).
 * A service VTpass did not list gets our own range: the purchase answer
 * (013/017) still guards the edges.
 */
export function airtimeBounds(
  service: ServiceInfo | null,
): { min_minor: number; max_minor: number } | null {
  const min_minor = Math.max(AIRTIME_MIN_MINOR, service?.min_minor ?? 0);
  const max_minor = Math.min(AIRTIME_MAX_MINOR, service?.max_minor ?? AIRTIME_MAX_MINOR);
  return min_minor <= max_minor ? { min_minor, max_minor } : null;
}

// ---- service-variations?serviceID= ----------------------------------------------------------

export type DataPlan = {
  code: string;
  name: string;
  price_minor: number;
  /** The same price as a decimal naira string, "100.00". */
  price: string;
  /** VTpass's `fixedPrice: "Yes"`: the plan's price is set, the amount we send is ignored. */
  fixed_price: boolean;
};

export type PlanCatalogue = {
  service_id: string | null;
  service_name: string | null;
  plans: DataPlan[];
  /** Entries dropped: unreadable price, missing fields, or a repeated code. */
  skipped: number;
  /** True when VTpass listed more than VTPASS_PLANS_MAX entries and the rest were not read. */
  truncated: boolean;
};

export function parsePlan(item: unknown): DataPlan | null {
  const variation = VtVariation.safeParse(item);
  if (!variation.success) return null;
  const v = variation.data;
  const price = parseDecimal(v.variation_amount);
  if (!price.ok || price.amount_minor <= 0) return null;
  const code = v.variation_code.trim();
  if (code === "") return null;
  return {
    code,
    name: v.name.trim(),
    price_minor: price.amount_minor,
    price: formatMinor(price.amount_minor),
    fixed_price: (v.fixedPrice ?? "").trim().toLowerCase() === "yes",
  };
}

export function parseVariationsAnswer(json: unknown): ReadParse<PlanCatalogue> {
  const content = catalogueContent(json);
  if (!content.ok) return content;
  const parsed = VariationsContent.safeParse(content.value);
  if (!parsed.success)
    return { ok: false, kind: "malformed", reason: "variations content is not an object" };
  // The correct spelling wins when both are present (some answers carry both, identical).
  const list = parsed.data.variations ?? parsed.data.varations;
  if (!list) {
    const errors = (content.value as { errors?: unknown }).errors;
    if (typeof errors === "string") return { ok: false, kind: "not_found", message: errors };
    return { ok: false, kind: "malformed", reason: "no variations in answer" };
  }
  const plans: DataPlan[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const item of list.slice(0, VTPASS_PLANS_MAX)) {
    const plan = parsePlan(item);
    if (!plan || seen.has(plan.code)) {
      skipped++;
      continue;
    }
    seen.add(plan.code);
    plans.push(plan);
  }
  return {
    ok: true,
    value: {
      service_id: parsed.data.serviceID ?? null,
      service_name: parsed.data.ServiceName ?? null,
      plans,
      skipped,
      truncated: list.length > VTPASS_PLANS_MAX,
    },
  };
}

// ---- balance ---------------------------------------------------------------------------------

/**
 * Our float at VTpass, in kobo. Rounded down past the second decimal: this is
 * only ever compared against what a purchase needs, and a fraction of a kobo
 * must not make a low float look sufficient.
 */
export function parseBalanceAnswer(json: unknown): ReadParse<{ balance_minor: number }> {
  const answer = BalanceAnswer.safeParse(json);
  if (!answer.success) return { ok: false, kind: "malformed", reason: "not a balance answer" };
  const balance_minor = providerAmountToMinor(answer.data.contents.balance);
  if (balance_minor === null)
    return { ok: false, kind: "malformed", reason: "balance not understood" };
  return { ok: true, value: { balance_minor } };
}
