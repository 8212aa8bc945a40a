/**
 * Flutterwave behind the provider port (src/providers/port.ts): hosted
 * checkout serves fundings, transfers serve withdrawals, and its webhooks are
 * reduced to neutral events. Everything Flutterwave-shaped stays in this folder.
 */
import type { FoundFacts } from "../../domain/transactions";
import type { Outcome } from "../outcome";
import type { CheckoutPort, HeldPaymentPort, ParsedEvent, TxRef } from "../port";
import type { FlutterwaveClient, TransferRequest } from "./client";
import { ChargeEvent, LegacyTransferEvent, TransferEvent } from "./schemas";
import { TX_REF_MAX_CHARS } from "../../lib/ids";

export function flutterwaveCheckout(client: FlutterwaveClient): CheckoutPort {
  return {
    start: (input) => client.createPaymentLink(input),
    lookup: (ref: TxRef) => client.verifyByReference(ref.tx_ref),
    lookupById: (provider_ref) => client.verifyTransaction(provider_ref),
    lookupAll: (ref: TxRef) => client.listCharges(ref.tx_ref),
  };
}

/** What a withdrawal's transfer is started with: the request, keyed by our tx_ref. */
export type TransferStart = Omit<TransferRequest, "reference"> & { tx_ref: string };

export function flutterwaveTransfers(client: FlutterwaveClient): HeldPaymentPort<TransferStart> {
  return {
    start: ({ tx_ref, ...request }): Promise<Outcome<FoundFacts>> => client.createTransfer({ ...request, reference: tx_ref }),
    // A transfer id we stored is the exact key; without one (the create's answer
    // was lost) the transfer is searched by our reference.
    lookup: (ref) => (ref.provider_ref ? client.getTransfer(ref.provider_ref) : client.findTransferByReference(ref.tx_ref)),
    lookupById: (provider_ref) => client.getTransfer(provider_ref),
  };
}

/**
 * A webhook body (already signature-checked) -> which of our transactions it
 * is about. `charge.completed` names a funding by tx_ref; `transfer.completed`
 * (v3, or the v2 `Transfer` shape some accounts still get) names a withdrawal
 * by its reference. Anything else is acknowledged and ignored.
 */
export function parseFlutterwaveEvent(raw_body: string): ParsedEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(raw_body);
  } catch {
    return { kind: "ignored", note: "not json" };
  }
  const charge = ChargeEvent.safeParse(payload);
  if (charge.success) {
    const id = String(charge.data.data.id);
    return {
      kind: "event",
      event: { type: "FUND", tx_ref: charge.data.data.tx_ref, provider_ref: id, event_key: `flw:charge.completed:${id}:${charge.data.data.status ?? "?"}` },
    };
  }
  const transfer = TransferEvent.safeParse(payload);
  const legacy = LegacyTransferEvent.safeParse(payload);
  const data = transfer.success ? transfer.data.data : legacy.success ? legacy.data.transfer : null;
  if (data) {
    const id = String(data.id);
    return { kind: "event", event: { type: "WITHDRAW", tx_ref: data.reference, provider_ref: id, event_key: `flw:transfer.completed:${id}:${data.status ?? "?"}` } };
  }
  const named = typeof payload === "object" && payload !== null && "event" in payload && typeof payload.event === "string" ? payload.event : "(none)";
  return { kind: "ignored", note: `event ${named.slice(0, TX_REF_MAX_CHARS)}` };
}
