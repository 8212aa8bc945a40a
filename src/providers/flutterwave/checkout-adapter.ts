/**
 * Flutterwave's hosted checkout behind the checkout port (fundings): a
 * payment link for our tx_ref, the charges it holds for it, and its webhooks.
 */
import type { CheckoutPort, TxRef } from "../port";
import type { FlutterwaveClient } from "./client";
import { FLUTTERWAVE, parseFlutterwaveEvent } from "./webhooks-adapter";

export function flutterwaveCheckout(client: FlutterwaveClient): CheckoutPort {
  return {
    name: FLUTTERWAVE,
    start: (input) => client.createPaymentLink(input),
    lookup: (ref: TxRef) => client.verifyByReference(ref.tx_ref),
    lookupById: (provider_ref) => client.verifyTransaction(provider_ref),
    lookupAll: (ref: TxRef) => client.listCharges(ref.tx_ref),
    parseEvent: parseFlutterwaveEvent,
  };
}
