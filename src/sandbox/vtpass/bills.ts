/**
 * The VTpass look-alike's bills: what `pay` takes for electricity and cable
 * TV, the fields a paid bill adds to the answer (the prepaid token), and
 * `merchant-verify` for meters and smartcards. Field names follow the
 * providers reference (14.4-14.9, 15.2-15.5); where VTpass's pages disagree
 * or say nothing, the choice is named below and in the README.
 *
 * Test numbers (VTpass's sandbox tables): meters 1111111111111 (prepaid) and
 * 1010101010101 (postpaid), smartcard 1212121212 (DStv, GOtv, StarTimes),
 * Showmax phone 08011111111; 201000000000 / 500000000000 / 400000000000 /
 * 300000000000 pending / unexpected / no response / timeout, as for airtime.
 * VTpass says "any other number" fails validation; the look-alike verifies
 * those four fault numbers as a test customer too, so a client that verifies
 * before paying (ours does) can reach their pay scenarios.
 */
import type { SandboxPlan, SandboxService } from "./catalogue";
import { findPlan, findService } from "./catalogue";
import type { Json } from "./json";

export const PREPAID_METER = "1111111111111";
export const POSTPAID_METER = "1010101010101";
export const TEST_SMARTCARD = "1212121212";
export const SHOWMAX_PHONE = "08011111111";
export const FAULT_NUMBERS = ["201000000000", "500000000000", "400000000000", "300000000000"];
/**
 * Ours, not VTpass's: a prepaid meter whose pay answer says "delivered" with
 * no token (VTpass does this when the DisCo is slow to issue one); the token
 * comes on requery. The look-alike's way to prove a prepaid payment settles
 * only with its token.
 */
export const TOKENLESS_DELIVERY_METER = "1111111111119";
/** Every number the look-alike delivers to (airtime's phone among them). */
export const SUCCESS_NUMBERS = [
  SHOWMAX_PHONE,
  PREPAID_METER,
  POSTPAID_METER,
  TEST_SMARTCARD,
  TOKENLESS_DELIVERY_METER,
];

/** The token VTpass's IKEDC sample returns for the prepaid test meter (14.6). */
export const DOCUMENTED_TOKEN = "26362054405982757802";
/** Most TV quantities a change may ask for in the look-alike (VTpass's own bound is not documented; 031/032 exist). */
export const SANDBOX_TV_QUANTITY_MAX = 12;

/** What a bill's pay body asks for, or the code VTpass answers when it cannot be used. */
export type BillProduct =
  | { ok: true; amount_minor: number; variation_code: string | null; product_name: string }
  | { ok: false; code: "010" | "011" | "013" | "017" | "031" | "032" };

const isElectricity = (service: SandboxService) => service.identifier === "electricity-bill";

/** The bouquet a test smartcard is on, and what renewing it costs (the verify answer's Renewal_Amount). */
export function currentBouquet(service: SandboxService): SandboxPlan | null {
  return service.plans?.[0] ?? null;
}

export function decideBillProduct(
  service: SandboxService,
  body: Record<string, unknown>,
  amount_minor: number | null,
): BillProduct {
  if (isElectricity(service)) {
    // The meter type is the variation_code, not part of the serviceID (14.5).
    if (body.variation_code !== "prepaid" && body.variation_code !== "postpaid")
      return { ok: false, code: "011" };
    if (amount_minor === null || amount_minor === 0) return { ok: false, code: "011" };
    if (amount_minor < service.min_minor) return { ok: false, code: "013" };
    if (amount_minor > service.max_minor) return { ok: false, code: "017" };
    return {
      ok: true,
      amount_minor,
      variation_code: body.variation_code,
      product_name: service.name,
    };
  }
  const renew = body.subscription_type === "renew";
  if (renew) {
    // Renew: the current bouquet, at the amount given (the Renewal_Amount) or its price.
    const current = currentBouquet(service);
    if (!current) return { ok: false, code: "011" };
    return {
      ok: true,
      amount_minor: amount_minor ?? current.price_minor,
      variation_code: current.variation_code,
      product_name: `${service.name} - ${current.name} (renewal)`,
    };
  }
  if (typeof body.variation_code !== "string") return { ok: false, code: "011" };
  const plan = findPlan(service, body.variation_code);
  if (!plan) return { ok: false, code: "010" };
  const quantity = body.quantity === undefined ? 1 : Number(body.quantity);
  if (!Number.isInteger(quantity) || quantity < 1) return { ok: false, code: "031" };
  if (quantity > SANDBOX_TV_QUANTITY_MAX) return { ok: false, code: "032" };
  return {
    ok: true,
    // "If you do not [specify amount] we will use the price set for the bouquet" (15.3).
    amount_minor: amount_minor ?? plan.price_minor * quantity,
    variation_code: plan.variation_code,
    product_name: `${service.name} - ${plan.name}`,
  };
}

// ---- What a delivered bill adds to an answer --------------------------------------------------

export type BillRecord = {
  serviceID: string;
  recipient: string;
  variation_code: string | null;
  amount_minor: number;
  transaction_id: string;
};

/** The prepaid token of a purchase: the documented one for the test meter, else 20 digits of its transactionId. */
export function tokenOf(record: BillRecord): string {
  return record.recipient === PREPAID_METER
    ? DOCUMENTED_TOKEN
    : record.transaction_id.slice(-20).padStart(20, "0");
}

/** kWh for an amount: the IKEDC sample's ₦2,000 -> 79.9 kWh (7.5% VAT, then ₦23.285 a unit). */
function unitsOf(amount_minor: number): string {
  const token_amount = amount_minor / 100 / 1.075;
  return `${(Math.round((token_amount / 23.285) * 10) / 10).toFixed(1)} kWh`;
}

/**
 * The top-level fields a bill's answer carries once delivered (14.6, 15.4):
 * a prepaid meter's token (as `purchased_code` and `token`, "Token : ..."),
 * its units and token amount; a postpaid meter's customer; a Showmax voucher.
 * Before delivery (pending, failed) a bill carries no token: a token that
 * arrives later arrives on requery (and in the callback), as VTpass's does.
 */
export function billFields(
  service: SandboxService | null,
  record: BillRecord,
  delivered: boolean,
  answer: "pay" | "requery" = "requery",
): { fields: Record<string, Json>; extras: Json } {
  if (!service || !delivered) return { fields: {}, extras: null };
  if (isElectricity(service) && record.variation_code === "prepaid") {
    if (answer === "pay" && record.recipient === TOKENLESS_DELIVERY_METER)
      return {
        fields: { purchased_code: "", customerName: "N/A", customerAddress: "N/A" },
        extras: null,
      };
    const text = `Token : ${tokenOf(record)}`;
    return {
      fields: {
        purchased_code: text,
        customerName: "N/A",
        customerAddress: "N/A",
        meterNumber: "N/A",
        token: text,
        tokenAmount: Math.round(record.amount_minor / 1.075) / 100,
        exchangeReference: record.transaction_id.slice(-8),
        resetToken: "N/A",
        configureToken: "N/A",
        units: unitsOf(record.amount_minor),
        tariff: "R2 SINGLE PHASE RESIDENTIAL",
        taxAmount: 0,
        debtAmount: 0,
        kct1: "N/A",
        kct2: "N/A",
      },
      extras: text,
    };
  }
  if (isElectricity(service))
    return {
      fields: {
        purchased_code: "",
        customerName: "NP NGEMA",
        customerAddress: "6 ABIODUN ODESEYE Shomolu BU",
        meterNumber: null,
        utilityName: "Eskom",
        exchangeReference: record.transaction_id.slice(-16),
        balance: null,
      },
      extras: null,
    };
  if (service.serviceID === "showmax") {
    const voucher = `SHMV${record.transaction_id.slice(-11)}`;
    return { fields: { purchased_code: voucher, Voucher: [voucher] }, extras: voucher };
  }
  return { fields: {}, extras: null };
}

const TYPE_TEXT = {
  airtime: "Airtime Recharge",
  data: "Data Services",
  "electricity-bill": "Electricity Bill",
  "tv-subscription": "TV Subscription",
} as const;

/** `content.transactions.type` of a purchase of this service, as VTpass words it. */
export const typeText = (serviceID: string) =>
  TYPE_TEXT[findService(serviceID)?.identifier ?? "airtime"];

/** What a purchase's answer adds when it is a delivered bill (a token, a voucher, a postpaid customer). */
export const billOf = (
  record: BillRecord & { status: string },
  answer: "pay" | "requery" = "requery",
) => billFields(findService(record.serviceID), record, record.status === "delivered", answer);

// ---- merchant-verify ----------------------------------------------------------------------------

const COMMISSION = (rate: string): Json => ({
  amount: null,
  rate,
  rate_type: "percent",
  computation_type: "default",
});

/**
 * A wrong number's answer. VTpass does not document its shape (14.4); its
 * most-used clients read `content.WrongBillersCode === true` or
 * `content.error`, so the look-alike sends both.
 */
function wrongNumber(what: string): Json {
  return {
    code: "000",
    content: { error: `${what} is invalid`, WrongBillersCode: true },
  };
}

export function renderVerify(
  service: SandboxService,
  billersCode: string,
  type: unknown,
): Json | null {
  const known = [...SUCCESS_NUMBERS, ...FAULT_NUMBERS].includes(billersCode);
  if (isElectricity(service)) {
    if (type !== "prepaid" && type !== "postpaid") return null;
    if (!known || billersCode === TEST_SMARTCARD || billersCode === SHOWMAX_PHONE)
      return wrongNumber("Meter number");
    const postpaid = type === "postpaid";
    return {
      code: "000",
      content: {
        Customer_Name: postpaid ? "NP NGEMA" : "TESTMETER1",
        Address: postpaid ? "6 ABIODUN ODESEYE Shomolu BU" : "ABULE EGBA BU ABULE",
        Meter_Number: billersCode,
        Customer_Arrears: "",
        Minimum_Amount: "",
        Min_Purchase_Amount: "",
        Can_Vend: "yes",
        Business_Unit: "",
        Customer_Account_Type: "NMD",
        Meter_Type: postpaid ? "POSTPAID" : "PREPAID",
        WrongBillersCode: false,
        commission_details: COMMISSION("1.50"),
      },
    };
  }
  if (
    !known ||
    billersCode === PREPAID_METER ||
    billersCode === POSTPAID_METER ||
    billersCode === TOKENLESS_DELIVERY_METER
  )
    return wrongNumber("Smartcard number");
  const current = currentBouquet(service);
  switch (service.serviceID) {
    case "dstv":
    case "gotv":
      return {
        code: "000",
        content: {
          Customer_Name: "TEST METER",
          Status: "ACTIVE",
          // GOtv's page writes the date another way (15.2): clients meet both.
          Due_Date: service.serviceID === "gotv" ? "02-FEB-25" : "2025-02-06T00:00:00",
          Customer_Number: service.serviceID === "gotv" ? "81111111111" : "8061522780",
          Customer_Type: service.serviceID.toUpperCase(),
          // Not in VTpass's current samples, but in its prose and in the most-used clients (15.2).
          Current_Bouquet: current?.name ?? null,
          Current_Bouquet_Code: current?.variation_code ?? null,
          Renewal_Amount: current ? current.price_minor / 100 : null,
          commission_details: COMMISSION("1.50"),
        },
      };
    case "startimes":
      return {
        code: "000",
        content: {
          Customer_Name: "TestMan Decoder",
          Balance: 54.82,
          Smartcard_Number: billersCode,
          WrongBillersCode: false,
          commission_details: COMMISSION("2.50"),
        },
      };
    default:
      // Showmax has no verify step (its number is a phone): VTpass's product error.
      return null;
  }
}
