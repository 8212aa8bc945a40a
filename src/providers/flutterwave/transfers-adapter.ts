/**
 * Flutterwave's transfers behind the transfers port (withdrawals): a payout
 * whose `reference` is our tx_ref, looked up by its id or that reference, and
 * its webhooks.
 */
import type { FoundFacts } from "../../domain/transactions";
import type { Outcome } from "../outcome";
import type { TransferPort } from "../port";
import type { FlutterwaveClient } from "./client";
import { FLUTTERWAVE, parseFlutterwaveEvent } from "./webhooks-adapter";

export function flutterwaveTransfers(client: FlutterwaveClient): TransferPort {
  return {
    name: FLUTTERWAVE,
    start: ({ tx_ref, ...request }): Promise<Outcome<FoundFacts>> =>
      client.createTransfer({ ...request, reference: tx_ref }),
    // A transfer id we stored is the exact key; without one (the create's answer
    // was lost) the transfer is searched by our reference.
    lookup: (ref) =>
      ref.provider_ref
        ? client.getTransfer(ref.provider_ref)
        : client.findTransferByReference(ref.tx_ref),
    lookupById: (provider_ref) => client.getTransfer(provider_ref),
    parseEvent: parseFlutterwaveEvent,
  };
}
