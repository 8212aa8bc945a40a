/**
 * Messages on the `wallet-events` queue: one zod union on `kind`, shared by the
 * producers (webhook route, callback routes, callback page, readiness probe)
 * and the consumer, which validates every message before acting on it.
 * Versioned with `v` so a deploy can tell old messages from new ones.
 */
import { z } from "zod";
import { BATCH_ID_PATTERN, TX_REF_MAX_CHARS, USER_ID_PATTERN } from "../lib/ids";
import { IDENTIFIER_MAX_CHARS } from "../lib/limits";
import type { EventSource } from "../providers";

export const PingMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("ping"),
  request_id: z.string(),
  sent_at_ms: z.number().int(),
});

/**
 * Which provider a queued event came from, by the message's kind: the one
 * place a kind meets its source (an adapter's name, src/providers/index.ts).
 * The kinds are the wire format, unchanged since each source's first message,
 * so messages queued before a deploy are read the same after it.
 */
export const EVENT_KINDS = {
  flutterwave: "flutterwave.webhook",
  vtpass: "vtpass.callback",
} as const satisfies Record<EventSource, string>;
type EventKind = (typeof EVENT_KINDS)[EventSource];

/** A provider's webhook or callback exactly as received (raw body), after its authentication was checked: a hint, never a fact. */
const eventMessage = <K extends EventKind>(kind: K) =>
  z.strictObject({
    v: z.literal(1),
    kind: z.literal(kind),
    request_id: z.string(),
    received_at_ms: z.number().int(),
    raw_body: z.string(),
  });

/** Ask the consumer to verify a funding now (the browser came back from checkout). */
export const VerifyFundingMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("funding.verify"),
  request_id: z.string(),
  tx_ref: z.string().max(TX_REF_MAX_CHARS),
  provider_id: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
});

/** Buy one released line of a bulk top-up (sent by the wallet's alarm: src/durable/wallet/bulk-drain.ts). */
export const BulkLineMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("bulk.line"),
  request_id: z.string(),
  user_id: z.string().regex(USER_ID_PATTERN),
  batch_id: z.string().regex(BATCH_ID_PATTERN),
  line: z.number().int().min(0),
});

/**
 * A scheduled top-up's run is due (sent by the user's Wallet alarm,
 * src/durable/wallet/schedule-alarm.ts): place its order under the run's
 * Idempotency-Key (src/services/schedule-runs.ts). Sent again until its
 * outcome is recorded; a repeat buys nothing more.
 */
export const ScheduleRunMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("schedule.run"),
  request_id: z.string(),
  user_id: z.string().regex(USER_ID_PATTERN),
  schedule_id: z.string().max(IDENTIFIER_MAX_CHARS),
  period: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export const QueueMessage = z.discriminatedUnion("kind", [
  ScheduleRunMessage,
  PingMessage,
  eventMessage(EVENT_KINDS.flutterwave),
  VerifyFundingMessage,
  eventMessage(EVENT_KINDS.vtpass),
  BulkLineMessage,
]);
export type QueueMessage = z.infer<typeof QueueMessage>;
export type EventMessage = Extract<QueueMessage, { kind: EventKind }>;

const SOURCE_OF_KIND = new Map<string, EventSource>(
  Object.entries(EVENT_KINDS).map(([source, kind]) => [kind, source as EventSource]),
);

/** The source of an event message, or null for a message that is not a provider's event. */
export function eventSource(message: QueueMessage): EventSource | null {
  return SOURCE_OF_KIND.get(message.kind) ?? null;
}

/** The message that queues a provider's raw event, as its intake route received it. */
export function eventMessageFor(
  source: EventSource,
  request_id: string,
  raw_body: string,
  received_at_ms: number,
): EventMessage {
  return { v: 1, kind: EVENT_KINDS[source], request_id, received_at_ms, raw_body };
}
