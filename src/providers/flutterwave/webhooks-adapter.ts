/**
 * Flutterwave's webhooks behind the events port (src/providers/port.ts),
 * reduced to neutral hints. One webhook URL serves checkout and transfers
 * alike, so both adapters and the queue consumer's event port parse with this
 * one function; its events carry our tx_ref, so it indexes no references.
 */
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import type { EventPort, ParsedEvent } from "../port";
import { ChargeEvent, LegacyTransferEvent, TransferEvent } from "./schemas";

/** The name of Flutterwave's adapters: the source of its webhooks. */
export const FLUTTERWAVE = "flutterwave";

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
    return { kind: "ignored", reason: "not json" };
  }
  const charge = ChargeEvent.safeParse(payload);
  if (charge.success) {
    const id = String(charge.data.data.id);
    return {
      kind: "event",
      event: {
        type: "FUND",
        our_ref: charge.data.data.tx_ref,
        provider_ref: id,
        event_key: `flw:charge.completed:${id}:${charge.data.data.status ?? "?"}`,
      },
    };
  }
  const transfer = TransferEvent.safeParse(payload);
  const legacy = LegacyTransferEvent.safeParse(payload);
  const data = transfer.success ? transfer.data.data : legacy.success ? legacy.data.transfer : null;
  if (data) {
    const id = String(data.id);
    return {
      kind: "event",
      event: {
        type: "WITHDRAW",
        our_ref: data.reference,
        provider_ref: id,
        event_key: `flw:transfer.completed:${id}:${data.status ?? "?"}`,
      },
    };
  }
  const named =
    typeof payload === "object" &&
    payload !== null &&
    "event" in payload &&
    typeof payload.event === "string"
      ? payload.event
      : "(none)";
  return { kind: "ignored", reason: `event ${named.slice(0, TX_REF_MAX_CHARS)}` };
}

/** The port the queue consumer reads a queued Flutterwave webhook through. */
export function flutterwaveWebhooks(): EventPort {
  return { name: FLUTTERWAVE, parseEvent: parseFlutterwaveEvent };
}
