/**
 * The alarm's side of bulk top-ups: release lines (./bulk.ts releaseLines,
 * committed first) and send one `bulk.line` message per line to the
 * `wallet-events` queue, whose consumer buys it (src/services/bulk-runs.ts).
 * A send that fails is not retried here: the line stays `sending`, and the
 * alarm releases it again once BULK_LINE_RESEND_AFTER_MS has passed with no
 * report. Its Idempotency-Key makes a repeat harmless.
 */
import { newRequestId } from "../../lib/ids";
import { log } from "../../lib/log";
import { bulkDueAt, releaseLines } from "./bulk";
import type { WalletCore } from "./core";

export { bulkDueAt };

/** The wire shape of a released line (validated by the consumer: src/queue/messages.ts BulkLineMessage). */
export type BulkLineWire = {
  v: 1;
  kind: "bulk.line";
  request_id: string;
  user_id: string;
  batch_id: string;
  line: number;
};

export async function sendBulkLines(env: Env, core: WalletCore, now_ms: number): Promise<number> {
  const released = releaseLines(core, now_ms);
  if (released.length === 0) return 0;
  const user_id = core.ledger.owner();
  const messages = released.map(({ batch_id, line }): { body: BulkLineWire } => ({
    body: { v: 1, kind: "bulk.line", request_id: newRequestId(), user_id, batch_id, line },
  }));
  try {
    await env.WALLET_EVENTS.sendBatch(messages);
  } catch (error) {
    log.warn("bulk lines not sent; released again later", {
      user_id,
      lines: released.length,
      error,
    });
  }
  return released.length;
}
