/**
 * The VTpass look-alike's catalogue: the airtime and data services of the
 * four networks, a handful of real-looking data plans for each, and the
 * `services` and `service-variations` answers built from them. Pure data.
 *
 * Vendor vocabulary is deliberate here (`serviceID`, `variation_amount`,
 * `minimium_amount` sic): this file describes the outside world.
 */
import { BILL_SERVICES } from "./bills-catalogue";
import type { Json } from "./json";

export type { SandboxPlan, SandboxService } from "./service";
import type { SandboxPlan, SandboxService } from "./service";

const naira = (n: number) => n * 100;

export const SANDBOX_SERVICES: readonly SandboxService[] = [
  {
    serviceID: "mtn",
    name: "MTN Airtime VTU",
    identifier: "airtime",
    min_minor: naira(50),
    max_minor: naira(50_000),
    commission_bp: 300,
  },
  {
    serviceID: "airtel",
    name: "Airtel Airtime VTU",
    identifier: "airtime",
    min_minor: naira(50),
    max_minor: naira(50_000),
    commission_bp: 340,
  },
  {
    serviceID: "glo",
    name: "GLO Airtime",
    identifier: "airtime",
    min_minor: naira(50),
    max_minor: naira(50_000),
    commission_bp: 400,
  },
  // Narrower than our own bounds (and the request schema's), as VTpass may publish for a service: our
  // pricing check, not the schema, must then meet both edges, and the route tests buy at them.
  {
    serviceID: "etisalat",
    name: "9mobile Airtime VTU",
    identifier: "airtime",
    min_minor: naira(100),
    max_minor: naira(20_000),
    commission_bp: 400,
  },
  {
    serviceID: "mtn-data",
    name: "MTN Data",
    identifier: "data",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 300,
    variations_key: "varations",
    plans: [
      { variation_code: "mtn-10mb-100", name: "MTN N100 100MB - 24 hrs", price_minor: naira(100) },
      { variation_code: "mtn-50mb-200", name: "MTN N200 200MB - 2 days", price_minor: naira(200) },
      {
        variation_code: "mtn-100mb-1000",
        name: "MTN N1000 1.5GB - 30 days",
        price_minor: naira(1000),
      },
      {
        variation_code: "mtn-500mb-2000",
        name: "MTN N2000 4.5GB - 30 days",
        price_minor: naira(2000),
      },
      {
        variation_code: "mtn-20hrs-1500",
        name: "MTN N1500 6GB - 7 days",
        price_minor: naira(1500),
      },
    ],
  },
  {
    serviceID: "airtel-data",
    name: "Airtel Data",
    identifier: "data",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 340,
    plans: [
      {
        variation_code: "airt-100",
        name: "Airtel Data Bundle - 100 Naira - 75MB - 1Day",
        price_minor: naira(100),
      },
      {
        variation_code: "airt-200",
        name: "Airtel Data Bundle - 200 Naira - 200MB - 3Days",
        price_minor: naira(200),
      },
      {
        variation_code: "airt-500",
        name: "Airtel Data Bundle - 500 Naira - 750MB - 14Days",
        price_minor: naira(500),
      },
      {
        variation_code: "airt-1000",
        name: "Airtel Data Bundle - 1,000 Naira - 1.5GB - 30 Days",
        price_minor: naira(1000),
      },
    ],
  },
  {
    serviceID: "glo-data",
    name: "GLO Data",
    identifier: "data",
    min_minor: naira(1),
    max_minor: naira(200_000),
    commission_bp: 400,
    plans: [
      { variation_code: "glo100", name: "Glo Data N100 - 105MB - 2 day", price_minor: naira(100) },
      { variation_code: "glo200", name: "Glo Data N200 - 350MB - 4 days", price_minor: naira(200) },
      {
        variation_code: "glo500",
        name: "Glo Data N500 - 1.05GB - 14 days",
        price_minor: naira(500),
      },
      {
        variation_code: "glo1000",
        name: "Glo Data N1000 - 2.5GB - 30 days",
        price_minor: naira(1000),
      },
    ],
  },
  {
    serviceID: "etisalat-data",
    name: "9mobile Data",
    identifier: "data",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 400,
    plans: [
      {
        variation_code: "eti-100",
        name: "9mobile Data - 100 Naira - 100MB - 1 day",
        price_minor: naira(100),
      },
      {
        variation_code: "eti-200",
        name: "9mobile Data - 200 Naira - 650MB - 1 day",
        price_minor: naira(200),
      },
      {
        variation_code: "eti-500",
        name: "9mobile Data - 500 Naira - 500MB - 30 Days",
        price_minor: naira(500),
      },
      {
        variation_code: "eti-1000",
        name: "9mobile Data - 1000 Naira - 1.5GB - 30 days",
        price_minor: naira(1000),
      },
    ],
  },
];

/** Airtime and data above, then the bills (electricity and cable TV). */
const ALL_SERVICES: readonly SandboxService[] = [...SANDBOX_SERVICES, ...BILL_SERVICES];

export function findService(serviceID: string): SandboxService | null {
  return ALL_SERVICES.find((s) => s.serviceID === serviceID) ?? null;
}

export function findPlan(service: SandboxService, variation_code: string): SandboxPlan | null {
  return service.plans?.find((p) => p.variation_code === variation_code) ?? null;
}

/** 10050 -> "100.50": VTpass writes catalogue amounts as decimal strings. */
export function decimalText(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;
}

/** `GET /api/services?identifier=`: an unknown identifier lists nothing. */
export function renderServices(identifier: string): Json {
  return {
    response_description: "000",
    content: ALL_SERVICES.filter((s) => s.identifier === identifier).map((s) => ({
      serviceID: s.serviceID,
      name: s.name,
      minimium_amount: String(s.min_minor / 100),
      maximum_amount: s.max_minor / 100, // a number here, a string above: both appear in VTpass's samples
      convinience_fee: "0 %",
      product_type:
        s.identifier === "airtime" || s.identifier === "electricity-bill" ? "flexible" : "fix",
      image: `https://sandbox.vtpass.com/resources/products/200X200/${s.serviceID}.jpg`,
    })),
  };
}

/** `GET /api/service-variations?serviceID=`. Airtime services have no variations (an empty list). */
export function renderVariations(serviceID: string): Json {
  const service = findService(serviceID);
  if (!service)
    return {
      code: "012",
      response_description: "PRODUCT DOES NOT EXIST",
      content: { errors: "Invalid Service ID" },
    };
  const variations = (service.plans ?? []).map((p) => ({
    variation_code: p.variation_code,
    name: p.name,
    variation_amount: decimalText(p.price_minor),
    fixedPrice: "Yes",
  }));
  return {
    response_description: "000",
    content: {
      ServiceName: service.name,
      serviceID: service.serviceID,
      convinience_fee: "0 %",
      [service.variations_key ?? "variations"]: variations,
    },
  };
}
