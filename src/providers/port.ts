/**
 * The provider ports: one per capability the product buys from the outside
 * world, each carrying every operation the product needs from it, in our
 * words only (src/domain/transactions.ts). Vendor folders (flutterwave/,
 * vtpass/) implement them in files named `*-adapter.ts`; src/providers/index.ts
 * picks the adapter by transaction type or by event source. Nothing outside
 * src/providers/ imports a vendor folder (test/static/architecture.test.ts).
 *
 *   checkout   fundings: a hosted checkout link, the charges for our reference
 *   transfers  withdrawals: a bank transfer as a held payment
 *   purchases  airtime and data: a held payment, the catalogue, the quote,
 *              and the provider reference we name and index ourselves
 *   banks      the bank list and account resolution
 *   refunds    money a funding's charge took that is owed back, returned
 *              through the provider (partial amounts), and its status
 *
 * Operations shared by the payment ports:
 * - start:       create the checkout / transfer / purchase for our reference;
 * - lookup:      what the provider says now about one of our transactions,
 *                by our reference or by the provider reference we stored;
 * - lookupById:  verify an event's claim by the provider's own id;
 * - lookupAll:   every payment the provider holds for our reference, where
 *                there can be several (a funding's charges);
 * - parseEvent:  a raw webhook or callback body -> a neutral hint (which of
 *                our transactions, which provider id) or "ignored"; never
 *                trusted, always confirmed through lookup/lookupById before
 *                money moves.
 *
 * Every answer is classified ok / not_found / refused / unknown (outcome.ts).
 */
import type { BindResult, RequeryClaim } from "../durable/provider-refs/object";
import type { Network } from "../domain/phone";
import type { TransactionRecord } from "../domain/records";
import type { FoundFacts, TxType } from "../domain/transactions";
import type { Outcome } from "./outcome";

/** Which transaction: our reference, the provider's when stored, and its details where a lookup needs one (a refund's charge). */
export type TxRef = Pick<TransactionRecord, "tx_ref" | "provider_ref"> & {
  details?: TransactionRecord["details"];
};

export interface TxLookup {
  lookup(ref: TxRef): Promise<Outcome<FoundFacts>>;
  lookupById(provider_ref: string): Promise<Outcome<FoundFacts>>;
  /**
   * Every payment the provider holds for our reference, where one reference
   * can have several (a funding's charges: an underpayment, then the payment
   * in full, then a second payment). Without it, `lookup`'s one answer is all.
   */
  lookupAll?(ref: TxRef): Promise<Outcome<FoundFacts[]>>;
}

// ---- Events ----------------------------------------------------------------------------------

/**
 * What a provider's event claims, in our words: a hint to verify, never a fact.
 * `type` and `our_ref` are given when the event carries them (a charge names
 * our tx_ref); an event that names only a provider reference we chose and
 * indexed (a purchase's) leaves them out, and the port's `references` say
 * which transaction it is about.
 */
export type EventHint = {
  type?: TxType;
  /** Our tx_ref, when the provider carries it. */
  our_ref?: string;
  /** The provider's id for the payment, to verify by. */
  provider_ref: string;
  /** Names this event for the audit trail (provider, event, id, status). */
  event_key: string;
};

/**
 * - `event`: an event we act on;
 * - `ignored`: not one we act on (another event type, not JSON): acknowledged,
 *   nothing looked up; `reason` is safe to log;
 * - `forged`: shaped like one we act on but naming a reference we could never
 *   have made (too long, other characters): never looked up, never used in an
 *   object's name or a log line; `reason` and `length` are safe to log.
 */
export type ParsedEvent =
  | { kind: "event"; event: EventHint }
  | { kind: "ignored"; reason: string }
  | { kind: "forged"; reason: string; length: number };

/**
 * A source of events (a webhook, a callback URL). `name` is the adapter's
 * name: the source a queued event says it came from, and the namespace its
 * references are indexed under.
 */
export interface EventPort {
  readonly name: string;
  parseEvent(raw_body: string): ParsedEvent;
  /** Present when the source's events name our transactions only by a reference we chose (see ReferenceIndex). */
  readonly references?: ReferenceIndex;
}

/**
 * Provider references we name and index ourselves (a VTpass request_id: the
 * provider knows a purchase by it alone, and its callbacks name only it). The
 * reference is bound to our tx_ref before it is ever sent, and looked up,
 * never parsed. Backed by the ProviderRefs shards, a reference in the one its
 * port's name and the reference hash to (src/durable/provider-refs/object.ts).
 */
export interface ReferenceIndex {
  /** Bind once; binding the same tx_ref again is a no-op, another one a `conflict`. */
  bind(provider_ref: string, tx_ref: string): Promise<BindResult>;
  /** Our tx_ref behind a reference we bound, or null for one we never bound (nothing is written for it). */
  transactionFor(provider_ref: string): Promise<string | null>;
  /** Whether a callback naming this reference starts a requery now, later, or is covered (at most one per interval). */
  claimRequery(provider_ref: string, now_ms: number): Promise<RequeryClaim>;
  /** Give back a claim whose requery could not be queued, unless a later claim replaced it. */
  releaseRequery(provider_ref: string, at_ms: number, previous_at_ms: number | null): Promise<void>;
}

// ---- Payments ---------------------------------------------------------------------------------

/** Checkout (funding): start gives a link the customer pays on. */
export type CheckoutInput = {
  tx_ref: string;
  amount_minor: number;
  currency: string;
  redirect_url: string;
  customer: { email: string; name?: string | null };
  session_duration_minutes: number;
  link_expiry_minutes: number;
  title: string;
  meta: Record<string, string>;
};

export interface CheckoutPort extends TxLookup, EventPort {
  start(input: CheckoutInput): Promise<Outcome<{ link: string }>>;
}

/** What operators must hear about when a provider refuses: its trouble, not the user's. */
export type ProviderAnomaly =
  | "provider_float_low"
  | "provider_credentials"
  | "provider_request_invalid";

/** A definite refusal's detail: Flutterwave's HTTP status, VTpass's code, and an operator anomaly if any. */
export type Refusal = { status?: number; code?: string; anomaly?: ProviderAnomaly };

/** A held payment's provider: start submits the payment, answering the facts it knows at once. */
export interface HeldPaymentPort<StartInput> extends TxLookup {
  /** The adapter's name: the provider operators are told about when it refuses for our own trouble. */
  readonly name: string;
  start(input: StartInput): Promise<Outcome<FoundFacts, Refusal>>;
}

/** A withdrawal's transfer, keyed by our tx_ref. */
export type TransferStart = {
  tx_ref: string;
  account_bank: string;
  account_number: string;
  amount_minor: number;
  currency: string;
  narration: string;
  beneficiary_name?: string;
};

export interface TransferPort extends HeldPaymentPort<TransferStart>, EventPort {}

// ---- Purchases --------------------------------------------------------------------------------

/** What a purchase is started with, built from the transaction as opened (a retry resumes with the same values). */
export type PurchaseStart = {
  tx_ref: string;
  /** The reference named by `newReference`, stored with the hold and bound before this call. */
  provider_ref: string;
  /** The provider's product, from the quote (stored in the transaction's details). */
  service_id: string;
  /** Data: the plan; TV: the bouquet; electricity: the meter type. */
  variation_code?: string;
  amount_minor: number;
  /** The number to credit (airtime); the customer's number (data, bills). */
  phone: string;
  /** Bills: the meter or smartcard; data: absent (the phone is credited). */
  billers_code?: string;
  /** TV (DStv, GOtv): change or renew, and the months a change buys. */
  subscription_type?: "change" | "renew";
  quantity?: number;
};

/** A bill's service as the catalogue lists it (a DisCo), with its published range in kobo where given. */
export type BillService = {
  service_id: string;
  name: string | null;
  min_minor: number | null;
  max_minor: number | null;
};

/** What the provider knows of a meter or a smartcard. */
export type BillAccount = {
  customer_name: string;
  address: string | null;
  account_status: string | null;
  current_bouquet: string | null;
  current_bouquet_code: string | null;
  renewal_amount_minor: number | null;
  due_date: string | null;
  min_amount_minor: number | null;
  can_vend: boolean | null;
};

/** A verification: the account, "no such number", or no usable answer. */
export type VerifyAnswer =
  | { ok: true; account: BillAccount; cached: boolean }
  | { ok: false; kind: "wrong_number" | "unavailable" };

/** A product the user asks for, in our words. */
export type PurchaseProduct =
  | { kind: "airtime"; network: Network; amount_minor: number }
  | { kind: "data"; network: Network; plan_code: string };

/** The provider's product for ours and its price. */
export type Quote = {
  service_id: string;
  variation_code: string | null;
  amount_minor: number;
  plan_name: string | null;
};

export type QuoteAnswer =
  | { ok: true; quote: Quote }
  | { ok: false; kind: "plan_unknown" }
  | { ok: false; kind: "unavailable" };

/** A data plan as the catalogue lists it. */
export type DataPlan = { code: string; name: string; price_minor: number; price: string };

/**
 * A network's airtime range as the provider publishes it, already narrowed
 * to the product's own bounds (domain/limits.ts); null when the provider's
 * range and ours do not overlap.
 */
export type NetworkOffer = {
  network: Network;
  published: { min_minor: number; max_minor: number } | null;
};

/**
 * A list read through the adapter's per-isolate cache: fresh, or cached
 * (`stale` past its time while the provider is unreachable); else why not:
 * `refused` (a definite answer) or `unknown` (no usable answer).
 */
export type ListRead<T> =
  | { ok: true; value: T; cached: boolean; stale: boolean }
  | { ok: false; kind: "refused" | "unknown" };

export interface PurchasePort extends HeldPaymentPort<PurchaseStart>, EventPort {
  readonly references: ReferenceIndex;
  /** A fresh provider reference for a new purchase, chosen before any call and stored with the hold. */
  newReference(now_ms: number): string;
  /** Our product -> the provider's product and price, using the catalogue. */
  quote(product: PurchaseProduct): Promise<QuoteAnswer>;
  /** Every network's published airtime range (cached). */
  networks(): Promise<ListRead<NetworkOffer[]>>;
  /** A network's data plans (cached). */
  dataPlans(network: Network): Promise<ListRead<DataPlan[]>>;
  /** The electricity services (DisCos) the provider lists, with their ranges (cached). */
  electricityServices(): Promise<ListRead<BillService[]>>;
  /** A TV service's bouquets (cached like the data plans). */
  tvBouquets(service_id: string): Promise<ListRead<DataPlan[]>>;
  /** A meter (`type`: prepaid or postpaid) or smartcard, cached briefly per (service, number, type). */
  verify(input: { service_id: string; number: string; type?: string }): Promise<VerifyAnswer>;
}

// ---- Banks ------------------------------------------------------------------------------------

/** The countries whose banks can be listed. */
export const BANK_COUNTRIES = ["NG", "GH", "KE", "UG", "ZA", "TZ"] as const;
export type BankCountry = (typeof BANK_COUNTRIES)[number];
export type Bank = { code: string; name: string };

export interface BanksPort {
  /** A country's banks, by name (cached). */
  listBanks(country: BankCountry): Promise<ListRead<Bank[]>>;
  /** The name of an account at a bank. */
  resolveAccount(
    account_number: string,
    bank_code: string,
  ): Promise<Outcome<{ account_name: string }>>;
}

// ---- Refunds ----------------------------------------------------------------------------------

/**
 * A refund of (part of) a charge the provider holds. `reference` is our
 * REFUND transaction's tx_ref: the provider has no idempotency key for
 * refunds, so it travels in the note, and a refund whose create answer was
 * lost is found again by it. Sending at most once is the caller's claim
 * (the Wallet's `claimRefund`), never the provider's.
 */
export type RefundRequest = {
  /** The provider's id of the charge to refund. */
  provider_tx_id: string;
  amount_minor: number;
  currency: string;
  comments: string;
  reference: string;
};

/** Where a refund stands at the provider: a final `completed` or `failed`, or still `pending`. */
export type RefundState = "completed" | "pending" | "failed";

export type RefundView = {
  refund_id: string;
  state: RefundState;
  /** Null when the provider did not say. */
  amount_minor: number | null;
  /** Our reference as the provider's note carries it (null when it carries none). */
  reference: string | null;
};

/** A refund's view in the words the Wallet's one apply path takes (the reconciler's and the service's). */
export function refundFacts(view: RefundView, currency: string): FoundFacts {
  return {
    found: true,
    provider_ref: view.refund_id,
    our_ref: view.reference,
    outcome:
      view.state === "completed" ? "succeeded" : view.state === "failed" ? "failed" : "pending",
    amount_minor: view.amount_minor,
    currency,
    message: null,
  };
}

/**
 * Refunds. `refund`: accepted (the provider's refund id; its status is
 * followed with `refundStatus`, never taken from the create answer), or
 * refused (nothing happened) or unknown (it may have happened: found again
 * with `findRefund`, never re-sent). Also a `TxLookup` for the reconciler: a
 * REFUND transaction's refund by its stored id, else searched by reference
 * for its charge (`details.charge_ref`).
 */
export interface RefundPort extends TxLookup {
  readonly name: string;
  refund(request: RefundRequest): Promise<Outcome<RefundView>>;
  refundStatus(refund_id: string): Promise<Outcome<RefundView>>;
  findRefund(provider_tx_id: string, reference: string): Promise<Outcome<RefundView>>;
  /** The charge as the provider holds it now (what was paid, for how much owed). */
  charge(provider_tx_id: string): Promise<Outcome<FoundFacts>>;
}
