/**
 * Messages on the `wallet-events` queue: one zod union on `kind`, shared by the
 * producers (webhook route, callback page, readiness probe) and the consumer,
 * which validates every message before acting on it. Versioned with `v` so a
 * deploy can tell old messages from new ones.
 */
import { z } from "zod";
import { TX_REF_MAX_CHARS } from "../lib/ids";

export const PingMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("ping"),
  request_id: z.string(),
  sent_at_ms: z.number().int(),
});

/** A webhook exactly as received (raw body), after its signature was checked. */
export const FlutterwaveWebhookMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("flutterwave.webhook"),
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
  provider_id: z.string().regex(/^\d{1,20}$/).optional(),
});

/** A VTpass `transaction-update` callback exactly as received on the secret URL: a hint to requery, never a fact. */
export const VtpassCallbackMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("vtpass.callback"),
  request_id: z.string(),
  received_at_ms: z.number().int(),
  raw_body: z.string(),
});

export const QueueMessage = z.discriminatedUnion("kind", [PingMessage, FlutterwaveWebhookMessage, VerifyFundingMessage, VtpassCallbackMessage]);
export type QueueMessage = z.infer<typeof QueueMessage>;
