/**
 * Bills from the wallet: electricity (prepaid and postpaid, every DisCo
 * VTpass serves) and cable TV (DStv, GOtv, StarTimes, Showmax), as held
 * payments through the purchases port, exactly as airtime and data are
 * (src/services/purchases.ts, src/services/held-payment-runner.ts):
 *
 *   1. the meter or smartcard is verified with the provider (cached briefly)
 *      and the price decided: electricity's amount checked against our range
 *      narrowed by the DisCo's; a TV bouquet priced from the catalogue (a
 *      change) or the provider's renewal amount (a renew), never from the
 *      client; nothing is held if any of this fails;
 *   2. the provider reference (VTpass's request_id) is named once and stored
 *      with the hold before any call, bound to the tx_ref, then the payment is
 *      claimed and started once;
 *   3. the answer settles it, or it stays pending and is requeried, reversed
 *      or escalated by the wallet like every purchase. A prepaid token (and
 *      units) arrives with the answer that delivers it, the pay answer or a
 *      later requery (callbacks are requeried), and is stored in the
 *      transaction's details then: the answer, the history, the feed (the
 *      status frames and the projection) all read it from there.
 */
import {
  ELECTRICITY_MAX_MINOR,
  ELECTRICITY_MIN_MINOR,
  PURCHASE_FAILURES_MAX,
  PURCHASE_FAILURES_WINDOW_MS,
} from "../domain/limits";
import { formatMinor } from "../domain/money";
import type { TransactionRecord } from "../durable/wallet/object";
import { errors } from "../lib/errors";
import type { AppContext } from "../lib/http";
import type { BillAccount, PurchasePort, PurchaseStart } from "../providers/port";
import {
  DISCOS,
  tvProvider,
  type DiscoId,
  type MeterType,
  type TvProviderId,
} from "../domain/bills";
import { lookupPhone, purchasesOrUnavailable } from "./catalogue";
import { runHeldPayment, type HeldAnswer, type Prepared } from "./held-payment-runner";
import { fingerprint } from "./idempotency";
import { transactionView } from "./views";

export type ElectricityInput = {
  disco: DiscoId;
  meter: string;
  type: MeterType;
  amount: number;
  phone: string;
};
export type TvInput = {
  provider: TvProviderId;
  smartcard: string;
  action: "renew" | "change";
  bouquet?: string;
  quantity?: number;
  phone: string;
};

const bouquetsUnavailable = () =>
  errors.upstream(
    "catalogue_unavailable",
    "The TV bouquets could not be fetched; try again shortly.",
    503,
  );

// ---- The catalogue ---------------------------------------------------------------------------

export type DiscoView = { disco: DiscoId; name: string; min_minor: number; max_minor: number };

/**
 * Every DisCo with the range a payment must fall in: ours, narrowed by what
 * the provider publishes for the service when it can be read (VTpass
 * documents no minimum: NOT CONFIRMED; it publishes one per service).
 */
export async function listDiscos(
  c: AppContext,
  port: PurchasePort = purchasesOrUnavailable(c),
): Promise<{ discos: DiscoView[]; source: "vtpass_and_ours" | "ours"; stale: boolean }> {
  const read = await port.electricityServices();
  const discos = DISCOS.map((d) => {
    const published = read.ok ? read.value.find((s) => s.service_id === d.service_id) : undefined;
    return {
      disco: d.service_id,
      name: d.name,
      min_minor: Math.max(ELECTRICITY_MIN_MINOR, published?.min_minor ?? 0),
      max_minor: Math.min(ELECTRICITY_MAX_MINOR, published?.max_minor ?? ELECTRICITY_MAX_MINOR),
    };
  });
  return { discos, source: read.ok ? "vtpass_and_ours" : "ours", stale: read.ok && read.stale };
}

export async function tvBouquets(c: AppContext, provider: TvProviderId) {
  const read = await purchasesOrUnavailable(c).tvBouquets(provider);
  if (!read.ok) throw bouquetsUnavailable();
  return { bouquets: read.value, stale: read.stale };
}

/** A meter or smartcard as the provider knows it; 422 for a wrong number, 503 while it cannot say. */
export async function verifyAccount(
  c: AppContext,
  input: { service_id: string; number: string; type?: MeterType },
  port: PurchasePort = purchasesOrUnavailable(c),
): Promise<BillAccount & { cached: boolean }> {
  const answer = await port.verify(input);
  if (answer.ok) return { ...answer.account, cached: answer.cached };
  if (answer.kind === "wrong_number")
    throw errors.unprocessable(
      input.type ? "meter_invalid" : "smartcard_invalid",
      input.type
        ? `The ${input.service_id} ${input.type} meter ${input.number} could not be verified; check the number, the DisCo and the meter type.`
        : `The ${input.service_id} smartcard ${input.number} could not be verified; check the number.`,
    );
  throw errors.upstream(
    "verify_unavailable",
    "The number could not be verified right now; try again shortly.",
    503,
  );
}

// ---- Paying ------------------------------------------------------------------------------------

/** What a bill's answer shows beside the transaction: the account and, once delivered, the token. */
export function billView(tx: TransactionRecord) {
  const text = (key: string) =>
    typeof tx.details[key] === "string" ? (tx.details[key] as string) : null;
  return {
    ...transactionView(tx),
    service: text("service_id"),
    account: text("billers_code"),
    customer_name: text("customer_name"),
    token: text("token"),
    units: text("units"),
  };
}

function phoneOf(c: AppContext, raw: string): string {
  const looked = lookupPhone(c, raw);
  if (!looked.ok)
    throw errors.validation(
      [{ path: "phone", message: looked.message, code: looked.reason }],
      "That is not a Nigerian mobile number.",
    );
  return looked.phone.local;
}

type BillPrice = Omit<Prepared<PurchaseStart>, "provider_ref" | "start" | "fee_minor" | "currency">;

async function priceElectricity(
  c: AppContext,
  port: PurchasePort,
  input: ElectricityInput,
): Promise<BillPrice> {
  const phone = phoneOf(c, input.phone);
  const bounds = (await listDiscos(c, port)).discos.find((d) => d.disco === input.disco)!;
  const account = await verifyAccount(
    c,
    { service_id: input.disco, number: input.meter, type: input.type },
    port,
  );
  const min_minor = Math.max(bounds.min_minor, account.min_amount_minor ?? 0);
  if (input.amount < min_minor || input.amount > bounds.max_minor)
    throw errors.unprocessable(
      "amount_out_of_range",
      `${input.disco} accepts payments from ${formatMinor(min_minor)} to ${formatMinor(bounds.max_minor)} naira for this meter.`,
      { min_minor, max_minor: bounds.max_minor },
    );
  return {
    amount_minor: input.amount,
    details: {
      service_id: input.disco,
      billers_code: input.meter,
      meter_type: input.type,
      phone,
      customer_name: account.customer_name,
      customer_address: account.address,
    },
  };
}

async function priceTv(c: AppContext, port: PurchasePort, input: TvInput): Promise<BillPrice> {
  const phone = phoneOf(c, input.phone);
  const spec = tvProvider(input.provider);
  const refuse = (code: string, detail: string) => errors.unprocessable(code, detail);
  if (input.action === "renew" && !spec.renew)
    throw refuse(
      "renew_unsupported",
      `${spec.name} has no renewal; choose a bouquet (action "change").`,
    );
  if (input.action === "change" && !input.bouquet)
    throw errors.validation([
      { path: "bouquet", message: "A change names the bouquet code.", code: "required" },
    ]);
  const quantity = input.quantity ?? 1;
  if (quantity !== 1 && (!spec.quantity || input.action !== "change"))
    throw refuse(
      "quantity_unsupported",
      `Months can be chosen only when changing a DStv or GOtv bouquet.`,
    );
  const account = spec.verify
    ? await verifyAccount(c, { service_id: input.provider, number: input.smartcard }, port)
    : null;
  const read = await port.tvBouquets(input.provider);
  if (!read.ok) throw bouquetsUnavailable();
  let amount_minor: number;
  let code: string;
  let name: string;
  if (input.action === "renew") {
    const current = account?.current_bouquet_code
      ? read.value.find((b) => b.code === account.current_bouquet_code)
      : undefined;
    // VTpass: renew at the Renewal_Amount from merchant-verify; the bouquet's price when it gives none.
    const renewal = account?.renewal_amount_minor ?? current?.price_minor ?? null;
    if (!account?.current_bouquet_code || renewal === null)
      throw refuse(
        "renewal_unknown",
        `${spec.name} did not say which bouquet this smartcard is on; choose one (action "change").`,
      );
    amount_minor = renewal;
    code = account.current_bouquet_code;
    name = current?.name ?? account.current_bouquet ?? code;
  } else {
    const plan = read.value.find((b) => b.code === input.bouquet);
    if (!plan)
      throw refuse(
        "bouquet_unknown",
        `No ${spec.name} bouquet has the code "${input.bouquet}"; see GET /catalog/tv/${input.provider}/bouquets.`,
      );
    amount_minor = plan.price_minor * quantity;
    code = plan.code;
    name = plan.name;
  }
  return {
    amount_minor,
    details: {
      service_id: input.provider,
      billers_code: input.smartcard,
      action: input.action,
      plan_code: code,
      plan_name: name,
      quantity,
      phone,
      customer_name: account?.customer_name ?? null,
    },
  };
}

/**
 * What the provider's `pay` gets, from the transaction as opened: a retry that
 * resumes a payment sends what was stored the first time.
 */
function startOf(tx: TransactionRecord): PurchaseStart {
  const text = (key: string) => String(tx.details[key] ?? "");
  const base = {
    tx_ref: tx.tx_ref,
    provider_ref: tx.provider_ref ?? "",
    service_id: text("service_id"),
    billers_code: text("billers_code"),
    amount_minor: tx.amount_minor,
    phone: text("phone"),
  };
  if (tx.type === "ELECTRICITY") return { ...base, variation_code: text("meter_type") };
  const spec = tvProvider(text("service_id") as TvProviderId);
  const change = tx.details.action === "change";
  return {
    ...base,
    // Renew sends no variation_code (VTpass renews the current bouquet); StarTimes and Showmax have no subscription_type.
    ...(change ? { variation_code: text("plan_code") } : {}),
    ...(spec.renew ? { subscription_type: change ? ("change" as const) : ("renew" as const) } : {}),
    ...(spec.quantity && change ? { quantity: Number(tx.details.quantity ?? 1) } : {}),
  };
}

export type BillOrder =
  | { kind: "electricity"; input: ElectricityInput }
  | { kind: "tv"; input: TvInput };

export async function payBill(
  c: AppContext,
  user_id: string,
  order: BillOrder,
  idempotency_key: string | undefined,
): Promise<HeldAnswer> {
  const port = purchasesOrUnavailable(c);
  const words = order.kind === "electricity" ? "electricity payment" : "TV subscription";
  const identity =
    order.kind === "electricity"
      ? [
          order.input.disco,
          order.input.meter,
          order.input.type,
          String(order.input.amount),
          order.input.phone,
        ]
      : [
          order.input.provider,
          order.input.smartcard,
          order.input.action,
          order.input.bouquet ?? "",
          String(order.input.quantity ?? 1),
          order.input.phone,
        ];
  return runHeldPayment(c, {
    user_id,
    type: order.kind === "electricity" ? "ELECTRICITY" : "TV",
    idempotency_key,
    fingerprint: fingerprint(`POST /wallet/${order.kind}`, identity),
    port,
    prepare: async () => {
      const priced =
        order.kind === "electricity"
          ? await priceElectricity(c, port, order.input)
          : await priceTv(c, port, order.input);
      return {
        amount_minor: priced.amount_minor,
        fee_minor: 0,
        currency: "NGN",
        details: priced.details,
        // Named once, stored with the hold before any call: the payment's only name at the provider.
        provider_ref: port.newReference(Date.now()),
        start: startOf,
      };
    },
    before_claim: async ({ tx_ref, provider_ref }) => {
      if (!provider_ref) throw new Error(`bill ${tx_ref} has no provider reference`);
      const bound = await port.references.bind(provider_ref, tx_ref);
      if (bound !== "bound")
        throw new Error(`provider reference of ${tx_ref} is bound to another transaction`);
    },
    view: billView,
    refusal: {
      code: "purchase_refused",
      title: "Purchase refused",
      reason: (message) => `The ${words} was refused: ${message}`,
    },
    insufficient_detail: "The available balance does not cover this payment.",
    failures: {
      bound: {
        types: ["AIRTIME", "DATA", "ELECTRICITY", "TV"],
        max: PURCHASE_FAILURES_MAX,
        window_ms: PURCHASE_FAILURES_WINDOW_MS,
      },
      code: "too_many_failed_purchases",
      detail: (limit, window_ms) =>
        `${limit} purchases failed in the last ${Math.round(window_ms / 60_000)} minutes; check the meter or smartcard. Purchases open again after Retry-After seconds.`,
    },
  });
}
