/**
 * Messages on the `wallet-events` queue: one zod union on `kind`, shared by the
 * producers (webhook route, readiness probe) and the consumer, which validates
 * every message before acting on it.
 */
import { z } from "zod";

export const PingMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("ping"),
  request_id: z.string(),
  sent_at_ms: z.number().int(),
});

export const QueueMessage = z.discriminatedUnion("kind", [PingMessage]);
export type QueueMessage = z.infer<typeof QueueMessage>;
