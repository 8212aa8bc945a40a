/**
 * The provider port: the small surface every provider offers the ledger, in
 * our words only (src/domain/transactions.ts). The Worker starts an operation
 * through a flow's port; the queue consumer and the Wallet's reconciler look
 * transactions up through `lookupsFor(type)` without knowing which vendor
 * serves that type.
 *
 * - start:       create the checkout / transfer / purchase for our reference;
 * - lookup:      what the provider says now about one of our transactions,
 *                by our reference or by the provider reference we stored;
 * - lookupById:  verify an event's claim by the provider's own id;
 * - lookupAll:   every payment the provider holds for our reference, where
 *                there can be several (a funding's charges);
 * - events:      parse a provider's event into a neutral hint (which of our
 *                transactions, which provider id); never trusted, always
 *                confirmed through lookup/lookupById before money moves.
 *
 * Every answer is classified ok / not_found / refused / unknown (outcome.ts).
 */
import type { TransactionRecord } from "../domain/records";
import type { FoundFacts, TxType } from "../domain/transactions";
import type { Outcome } from "./outcome";

export type TxRef = Pick<TransactionRecord, "tx_ref" | "provider_ref">;

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

export interface CheckoutPort extends TxLookup {
  start(input: CheckoutInput): Promise<Outcome<{ link: string }>>;
}

/** What operators must hear about when a provider refuses: its trouble, not the user's. */
export type ProviderAnomaly = "provider_float_low" | "provider_credentials" | "provider_request_invalid";

/** A definite refusal's detail: Flutterwave's HTTP status, VTpass's code, and an operator anomaly if any. */
export type Refusal = { status?: number; code?: string; anomaly?: ProviderAnomaly };

/** A held payment's provider: start submits the payment, answering the facts it knows at once. */
export interface HeldPaymentPort<StartInput> extends TxLookup {
  start(input: StartInput): Promise<Outcome<FoundFacts, Refusal>>;
}

/** A provider event, reduced to which transaction it is about. */
export type ProviderEvent = {
  type: TxType;
  /** Our tx_ref when the provider carries it. */
  tx_ref: string;
  /** The provider's id for the payment, to verify by. */
  provider_ref: string;
  /** Names this event for the audit trail (provider, event, id, status). */
  event_key: string;
};

export type ParsedEvent = { kind: "event"; event: ProviderEvent } | { kind: "ignored"; note: string };
