/**
 * Queue consumer for `wallet-events` (and its dead-letter queue).
 *
 * At-least-once delivery: every step taken here is idempotent, each message is
 * acked or retried on its own, and a message that keeps failing lands in the
 * dead-letter queue after `max_retries`.
 */
import { log } from "../lib/log";
import { QueueMessage } from "./messages";

export async function handleQueueBatch(batch: MessageBatch<unknown>, _env: Env, _ctx: ExecutionContext): Promise<void> {
  for (const message of batch.messages) {
    const parsed = QueueMessage.safeParse(message.body);
    if (!parsed.success) {
      log.error("queue message rejected: schema", { queue: batch.queue, message_id: message.id });
      message.ack();
      continue;
    }
    switch (parsed.data.kind) {
      case "ping":
        message.ack();
        break;
    }
  }
}
