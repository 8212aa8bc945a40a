/**
 * Saved recipients (issue 23): a phone on a network, a meter of a DisCo with
 * its type, or a smartcard of a TV provider, under a nickname. Pure: the
 * Wallet keeps them (src/durable/wallet/beneficiaries.ts).
 */
import type { DiscoId, MeterType, TvProviderId } from "./bills";
import type { Network } from "./phone";

export type BeneficiaryTarget =
  | { kind: "phone"; phone: string; network: Network }
  | { kind: "meter"; disco: DiscoId; meter: string; meter_type: MeterType }
  | { kind: "smartcard"; provider: TvProviderId; smartcard: string };

export type BeneficiaryKind = BeneficiaryTarget["kind"];

export type Beneficiary = {
  id: string;
  nickname: string;
  target: BeneficiaryTarget;
  /** The name the provider gives for a meter or smartcard at save time; a phone has none. */
  verified_name: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
};

/**
 * What makes two recipients the same one: the number and who serves it. A
 * phone is one recipient whatever network is named (numbers are ported, the
 * network is a choice about it), a meter belongs to its DisCo, a smartcard to
 * its provider.
 */
export function targetKey(target: BeneficiaryTarget): string {
  switch (target.kind) {
    case "phone":
      return `phone:${target.phone}`;
    case "meter":
      return `meter:${target.disco}:${target.meter}`;
    case "smartcard":
      return `smartcard:${target.provider}:${target.smartcard}`;
  }
}

/** The product kinds a recipient of each kind can receive. */
export const PRODUCTS_OF: Record<BeneficiaryKind, readonly string[]> = {
  phone: ["airtime", "data"],
  meter: ["electricity"],
  smartcard: ["tv"],
};

/**
 * A recipient found in a purchase's stored details (the transaction's type
 * and details, as src/services/purchases.ts and bills.ts write them), or null
 * when the details do not name one.
 */
export function targetOfPurchase(
  type: string,
  details: Record<string, unknown>,
): BeneficiaryTarget | null {
  const text = (key: string) => (typeof details[key] === "string" ? (details[key] as string) : "");
  if (type === "AIRTIME" || type === "DATA") {
    if (!text("phone") || !text("network")) return null;
    return { kind: "phone", phone: text("phone"), network: text("network") as Network };
  }
  if (type === "ELECTRICITY") {
    if (!text("service_id") || !text("billers_code") || !text("meter_type")) return null;
    return {
      kind: "meter",
      disco: text("service_id") as DiscoId,
      meter: text("billers_code"),
      meter_type: text("meter_type") as MeterType,
    };
  }
  if (type === "TV") {
    if (!text("service_id") || !text("billers_code")) return null;
    return {
      kind: "smartcard",
      provider: text("service_id") as TvProviderId,
      smartcard: text("billers_code"),
    };
  }
  return null;
}
