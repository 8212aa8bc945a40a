/**
 * Queue consumer for `wallet-events` and its dead-letter queue.
 *
 * At-least-once delivery: every step below is idempotent (settling is guarded
 * in the Wallet object), each message is acked or retried on its own with
 * exponential backoff, and a message that keeps failing goes to the dead-letter
 * queue after `max_retries`, where `DeadLetters` keeps it for operators.
 *
 * An event is never trusted: it only says which of our transactions to look
 * at. A queued event carries its raw body and its source (the message's kind,
 * src/queue/messages.ts); the source's port parses it into a neutral hint
 * (src/providers/port.ts), the transaction's provider (picked by its type) is
 * asked, and the Wallet object applies the provider's answer, not the
 * event's. Nothing here knows a vendor's words or formats.
 *
 * Every fact about one of our transactions is verified and handed to its
 * wallet, whatever stage the transaction is in: a final transaction cannot
 * change, but money can still arrive for it (a genuine payment after its
 * funding ended, a second payment, a delivery after a purchase's hold was
 * released), and only the wallet, which is idempotent, decides whether that
 * credits once, records an anomaly for operators, or changes nothing. Every
 * message's ack or retry is logged with its reason.
 */
import {
  chargesInOrder,
  type FoundFacts,
  type ProviderFacts,
  type TxType,
} from "../domain/transactions";
import { DEAD_LETTERS_OBJECT } from "../durable/dead-letters/object";
import type { TransactionRecord, Wallet } from "../durable/wallet/object";
import { requireConfig } from "../lib/config";
import { TX_REF_MAX_CHARS, txRefOwner, txRefType } from "../lib/ids";
import { QUEUE_RETRY_BASE_DELAY_S, QUEUE_RETRY_MAX_DELAY_S } from "../lib/limits";
import { log } from "../lib/log";
import { eventPortFor, lookupNow, lookupsFor, type EventSource } from "../providers";
import type { Outcome } from "../providers/outcome";
import { eventSource, QueueMessage } from "./messages";
import { runBulkLine } from "../services/bulk-runs";
import { runScheduled } from "../services/schedule-runs";

export const MAIN_QUEUE = "wallet-events";
export const DEAD_LETTER_QUEUE = "wallet-events-dlq";

/** What becomes of a message, and why (logged for every message); `tx_ref` when it was about one of ours. */
type Verdict = { action: "ack" | "retry"; note: string; tx_ref?: string };
const ack = (note: string, tx_ref?: string): Verdict => ({ action: "ack", note, tx_ref });
const retry = (note: string, tx_ref?: string): Verdict => ({ action: "retry", note, tx_ref });

export function retryDelaySeconds(attempts: number): number {
  return Math.min(
    QUEUE_RETRY_MAX_DELAY_S,
    QUEUE_RETRY_BASE_DELAY_S * 2 ** Math.max(0, attempts - 1),
  );
}

export async function handleQueueBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE || batch.queue.endsWith("-dlq")) {
    await storeDeadLetters(batch, env);
    return;
  }
  // Messages are independent; process them concurrently, decide each on its own.
  await Promise.all(
    batch.messages.map(async (message) => {
      let verdict: Verdict;
      try {
        verdict = await processMessage(message.body, env, ctx);
      } catch (error) {
        log.error("queue message failed", {
          message_id: message.id,
          attempts: message.attempts,
          error,
        });
        verdict = retry("exception");
      }
      if (verdict.action === "ack") {
        log.info("queue message acked", {
          message_id: message.id,
          attempts: message.attempts,
          note: verdict.note,
          tx_ref: verdict.tx_ref,
        });
        message.ack();
      } else {
        const delaySeconds = retryDelaySeconds(message.attempts);
        log.warn("queue message will be retried", {
          message_id: message.id,
          attempts: message.attempts,
          delay_s: delaySeconds,
          note: verdict.note,
          tx_ref: verdict.tx_ref,
        });
        message.retry({ delaySeconds });
      }
    }),
  );
}

async function storeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const letters = batch.messages.map((m) => ({
    id: m.id,
    source: batch.queue,
    reason: "retries exhausted",
    body_json: JSON.stringify(m.body ?? null),
    attempts: m.attempts,
  }));
  await env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).add(letters);
  for (const m of batch.messages) {
    log.error("message dead-lettered", { message_id: m.id, attempts: m.attempts });
    m.ack();
  }
}

export async function processMessage(
  body: unknown,
  env: Env,
  ctx: ExecutionContext,
): Promise<Verdict> {
  const parsed = QueueMessage.safeParse(body);
  if (!parsed.success) {
    // A message we cannot read will not become readable by retrying; keep it for inspection.
    await env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).add([
      {
        id: `schema-${crypto.randomUUID()}`,
        source: MAIN_QUEUE,
        reason: "message failed schema validation",
        body_json: JSON.stringify(body ?? null),
        attempts: 1,
      },
    ]);
    log.error("queue message failed schema validation; dead-lettered", {});
    return ack("schema");
  }
  const message = parsed.data;
  if (message.kind === "ping") return ack("ping");
  if (message.kind === "funding.verify") {
    return settleFromProvider(env, ctx, message.request_id, {
      type: "FUND",
      tx_ref: message.tx_ref,
      provider_ref: message.provider_id,
    });
  }
  if (message.kind === "bulk.line") return runBulkLine(env, ctx, message);
  if (message.kind === "schedule.run") {
    const result = await runScheduled(env, ctx, message);
    return result.action === "retry"
      ? retry(result.note, result.tx_ref)
      : ack(result.note, result.tx_ref);
  }
  const source = eventSource(message);
  if (!source) throw new Error(`unhandled message kind ${message.kind}`);
  return settleEvent(env, ctx, message.request_id, source, message.raw_body);
}

/**
 * What an event or a request claims: one of our transactions, perhaps a
 * provider id to verify by (`by_reference`: the id is the one we stored, so
 * the transaction is looked up as the reconciler would).
 */
type Claim = {
  type: TxType;
  tx_ref: string;
  provider_ref?: string;
  event_key?: string;
  by_reference?: boolean;
};

/**
 * A provider's raw event: its source's port says what it claims. An event
 * that names our tx_ref is verified by the provider's id; one that names
 * only a reference we chose is mapped to our tx_ref through the port's
 * ReferenceIndex (bound before the reference was ever sent; an unbound one
 * changes nothing), and the transaction is then looked up by that reference.
 */
async function settleEvent(
  env: Env,
  ctx: ExecutionContext,
  request_id: string,
  source: EventSource,
  raw_body: string,
): Promise<Verdict> {
  const port = eventPortFor(source, { env, ctx, config: requireConfig(env), request_id });
  if (!port) {
    log.warn("event from a provider that is not configured", { request_id, source });
    return ack("no provider");
  }
  const parsed = port.parseEvent(raw_body);
  // A forged reference is never named, looked up or logged (only why it is not ours).
  if (parsed.kind !== "event") return ack(`ignored: ${parsed.reason}`);
  const hint = parsed.event;
  if (hint.our_ref !== undefined) {
    const type = hint.type ?? txRefType(hint.our_ref);
    if (!type) {
      log.warn("event for a reference that is not ours", {
        request_id,
        source,
        reference: hint.our_ref.slice(0, TX_REF_MAX_CHARS),
      });
      return ack("foreign reference");
    }
    return settleFromProvider(env, ctx, request_id, {
      type,
      tx_ref: hint.our_ref,
      provider_ref: hint.provider_ref,
      event_key: hint.event_key,
    });
  }
  const tx_ref = port.references ? await port.references.transactionFor(hint.provider_ref) : null;
  const type = tx_ref ? txRefType(tx_ref) : null;
  if (!tx_ref || !type) {
    log.warn("event for a provider reference we never bound", {
      request_id,
      source,
      provider_reference: hint.provider_ref.slice(0, TX_REF_MAX_CHARS),
    });
    return ack("unknown provider reference");
  }
  return settleFromProvider(env, ctx, request_id, {
    type,
    tx_ref,
    provider_ref: hint.provider_ref,
    event_key: hint.event_key,
    by_reference: true,
  });
}

/**
 * The wallet and transaction a claim names, or the verdict for a claim that is
 * not about one of our transactions of that type (logged, acked: a forged or
 * foreign reference changes nothing).
 */
async function ownTransaction(
  env: Env,
  request_id: string,
  claim: Claim,
): Promise<{ verdict: Verdict } | { wallet: DurableObjectStub<Wallet>; tx: TransactionRecord }> {
  const found = walletOf(env, request_id, claim);
  if ("verdict" in found) return found;
  const tx = await found.wallet.getTransaction(claim.tx_ref);
  if (!tx || tx.type !== claim.type) return { verdict: unknownTx(request_id, claim) };
  return { wallet: found.wallet, tx };
}

/** The wallet a claim's reference names, or the verdict for a reference that is not ours. */
function walletOf(
  env: Env,
  request_id: string,
  claim: Claim,
): { verdict: Verdict } | { wallet: DurableObjectStub<Wallet> } {
  const owner = txRefOwner(claim.tx_ref);
  if (!owner) {
    log.warn("event for a reference that is not ours", {
      request_id,
      reference: claim.tx_ref.slice(0, TX_REF_MAX_CHARS),
      type: claim.type,
    });
    return { verdict: ack("foreign reference") };
  }
  return { wallet: env.WALLET.getByName(owner) };
}

function unknownTx(request_id: string, claim: Claim): Verdict {
  log.warn("event for an unknown transaction", {
    request_id,
    reference: claim.tx_ref,
    type: claim.type,
  });
  return ack("unknown tx", claim.tx_ref);
}

/**
 * Verify a claim with the transaction's provider and hand the facts to its
 * wallet, which settles at most once. With a provider id the check is by id
 * (and the answer must carry our reference); without one, by our reference.
 * A provider that gives no answer means retry (with backoff, then the DLQ);
 * an answer that is not about this transaction means ack and change nothing.
 */
async function settleFromProvider(
  env: Env,
  ctx: ExecutionContext,
  request_id: string,
  claim: Claim,
): Promise<Verdict> {
  // By the event's provider id; or, asked to check the transaction itself, every payment the provider holds for it.
  const by_id = Boolean(claim.provider_ref && !claim.by_reference);
  // By id, the lookup needs only the claim, and the wallet checks the transaction's type as it settles: no read first.
  const found = by_id
    ? walletOf(env, request_id, claim)
    : await ownTransaction(env, request_id, claim);
  if ("verdict" in found) return found.verdict;
  const { wallet } = found;
  const known: TransactionRecord | null = "tx" in found ? (found.tx as TransactionRecord) : null;
  const tx = known ?? { tx_ref: claim.tx_ref, type: claim.type };
  const lookups = lookupsFor(tx.type, { env, ctx, config: requireConfig(env), request_id });
  if (!lookups) {
    log.warn("no provider serves this transaction type", {
      request_id,
      tx_ref: tx.tx_ref,
      type: tx.type,
    });
    return ack("no provider", tx.tx_ref);
  }

  if (claim.by_reference && known && claim.provider_ref !== known.provider_ref) {
    log.warn("claim names another provider reference than the transaction holds; ignored", {
      request_id,
      tx_ref: tx.tx_ref,
    });
    return ack("provider reference mismatch", tx.tx_ref);
  }
  const answer = known
    ? await lookupNow(lookups, known)
    : await lookups.lookupById(claim.provider_ref!).then(asList);
  let facts: ProviderFacts[];
  if (answer.ok) {
    if (answer.value.some((f) => f.our_ref !== tx.tx_ref)) {
      log.warn("event names a provider payment of another reference; ignored", {
        request_id,
        tx_ref: tx.tx_ref,
        provider_ref: claim.provider_ref,
      });
      return ack("reference mismatch", tx.tx_ref);
    }
    // One charge by id needs no ordering.
    facts = known?.type === "FUND" ? chargesInOrder(known, answer.value) : answer.value;
  } else if (answer.kind === "not_found") {
    if (claim.provider_ref) {
      log.warn("event names a provider payment that does not exist", {
        request_id,
        tx_ref: tx.tx_ref,
        provider_ref: claim.provider_ref,
      });
      return ack("provider id not found", tx.tx_ref);
    }
    facts = [{ found: false }];
  } else if (answer.kind === "refused") {
    log.error("provider refused a lookup", {
      request_id,
      tx_ref: tx.tx_ref,
      status: answer.status,
    });
    return retry("lookup refused", tx.tx_ref);
  } else {
    return retry(`lookup ${answer.reason}`, tx.tx_ref);
  }
  // The wallet decides, final or not: a terminal transaction does not change,
  // but money received for it is recorded (src/durable/wallet/funding-flow.ts, held-payment-flow.ts).
  const notes: string[] = [];
  for (const one of facts) {
    const outcome = await wallet.applyProviderFacts(
      tx.tx_ref,
      one,
      { via: claim.event_key ? "webhook" : "callback", event_key: claim.event_key },
      claim.type,
    );
    if (outcome.outcome === "unknown_tx" || outcome.outcome === "wrong_type")
      return unknownTx(request_id, claim);
    notes.push(outcome.outcome === "unchanged" ? `unchanged: ${outcome.reason}` : outcome.outcome);
  }
  return ack(notes.join("; "), tx.tx_ref);
}

const asList = (one: Outcome<FoundFacts>): Outcome<FoundFacts[]> =>
  one.ok ? { ok: true, value: [one.value] } : one;
