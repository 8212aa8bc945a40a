/**
 * The bills we sell: the electricity distribution companies (named by the
 * provider's service IDs, which are also our API's words for them), the
 * meter types, and the cable TV services with what each supports. Pure data,
 * shared by the routes (validation), the services and the provider adapter.
 * Sources: the providers reference, sections 14.2 and 15.
 */

export const DISCOS = [
  { service_id: "ikeja-electric", name: "Ikeja Electric (IKEDC)" },
  { service_id: "eko-electric", name: "Eko Electric (EKEDC)" },
  { service_id: "abuja-electric", name: "Abuja Electric (AEDC)" },
  { service_id: "kano-electric", name: "Kano Electric (KEDCO)" },
  { service_id: "portharcourt-electric", name: "Port Harcourt Electric (PHED)" },
  { service_id: "jos-electric", name: "Jos Electric (JED)" },
  { service_id: "kaduna-electric", name: "Kaduna Electric (KAEDCO)" },
  { service_id: "enugu-electric", name: "Enugu Electric (EEDC)" },
  { service_id: "ibadan-electric", name: "Ibadan Electric (IBEDC)" },
  { service_id: "benin-electric", name: "Benin Electric (BEDC)" },
  { service_id: "aba-electric", name: "Aba Power" },
  { service_id: "yola-electric", name: "Yola Electric (YEDC)" },
] as const;
export type DiscoId = (typeof DISCOS)[number]["service_id"];
export const DISCO_IDS = DISCOS.map((d) => d.service_id) as [DiscoId, ...DiscoId[]];

export const METER_TYPES = ["prepaid", "postpaid"] as const;
export type MeterType = (typeof METER_TYPES)[number];

/**
 * The TV services: `renew` only where VTpass documents it (DStv, GOtv:
 * `subscription_type`), `quantity` the same; Showmax's number is a phone and
 * has no verify step.
 */
export const TV_PROVIDERS = [
  { service_id: "dstv", name: "DStv", renew: true, quantity: true, verify: true },
  { service_id: "gotv", name: "GOtv", renew: true, quantity: true, verify: true },
  { service_id: "startimes", name: "StarTimes", renew: false, quantity: false, verify: true },
  { service_id: "showmax", name: "Showmax", renew: false, quantity: false, verify: false },
] as const;
export type TvProviderId = (typeof TV_PROVIDERS)[number]["service_id"];
export const TV_PROVIDER_IDS = TV_PROVIDERS.map((p) => p.service_id) as [
  TvProviderId,
  ...TvProviderId[],
];
export const tvProvider = (id: TvProviderId) => TV_PROVIDERS.find((p) => p.service_id === id)!;
