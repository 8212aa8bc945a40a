/**
 * How a client watches one of its transactions live: the WebSocket URL and a
 * watch ticket for that tx_ref, added to an answer (funding's 201, a
 * purchase's 202). Never stored with an idempotent answer: a credential has no
 * business at rest, and the ticket is derived from the transaction (issued at
 * its creation time), so a replay carries the same ticket as the first answer.
 */
import type { Answer } from "./idempotency";
import type { AppContext } from "../lib/http";
import { WATCH_TICKET_TTL_S } from "../lib/limits";
import { issueWatchTicket } from "../lib/tokens";
import { publicApiBase } from "../lib/urls";
import { watchView } from "./views";

export async function withWatch(c: AppContext, user_id: string, answer: Answer): Promise<Answer> {
  const body = answer.body as { tx_ref: string; created_at?: unknown };
  const tx = { tx_ref: body.tx_ref, created_at_ms: await createdAtMs(c, user_id, body) };
  const ticket = await issueWatchTicket(
    c.var.config,
    user_id,
    tx.tx_ref,
    WATCH_TICKET_TTL_S,
    Math.floor(tx.created_at_ms / 1000),
  );
  const url = new URL(`${publicApiBase(c, c.var.config)}/ws/wallet`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("tx_ref", tx.tx_ref);
  return { ...answer, body: { ...body, watch: watchView(url.toString(), ticket) } };
}

/**
 * The transaction's creation time: from the answer when it shows it (our own
 * view, written from the transaction: no wallet call on a purchase's hot
 * path), else read from the wallet.
 */
async function createdAtMs(
  c: AppContext,
  user_id: string,
  body: { tx_ref: string; created_at?: unknown },
): Promise<number> {
  const shown = typeof body.created_at === "string" ? Date.parse(body.created_at) : Number.NaN;
  if (Number.isFinite(shown)) return shown;
  const tx = await c.env.WALLET.getByName(user_id).getTransaction(body.tx_ref);
  if (!tx) throw new Error("an answer names a transaction its wallet does not hold");
  return tx.created_at_ms;
}

/**
 * How a client watches one of its batches (src/durable/room/batch.ts): the
 * same socket, named by the batch id, and a ticket for that id, issued now
 * (a batch's answer is never replayed, and a GET later gets a fresh one).
 */
export async function batchWatch(c: AppContext, user_id: string, batch_id: string) {
  const ticket = await issueWatchTicket(c.var.config, user_id, batch_id, WATCH_TICKET_TTL_S);
  const url = new URL(`${publicApiBase(c, c.var.config)}/ws/wallet`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("tx_ref", batch_id);
  return watchView(url.toString(), ticket);
}
