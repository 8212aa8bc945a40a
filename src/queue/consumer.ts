/**
 * Queue consumer for `wallet-events` and its dead-letter queue.
 *
 * At-least-once delivery: every step below is idempotent (settling is guarded
 * in the Wallet object), each message is acked or retried on its own with
 * exponential backoff, and a message that keeps failing goes to the dead-letter
 * queue after `max_retries`, where `DeadLetters` keeps it for operators.
 *
 * A webhook is never trusted: the consumer asks Flutterwave's verify API and
 * the Wallet object applies the provider's answer, not the event's.
 */
import { z } from "zod";
import { type ChargeFacts } from "../domain/transactions";
import { requireConfig } from "../lib/config";
import { txRefOwner } from "../lib/ids";
import { QUEUE_RETRY_BASE_DELAY_S, QUEUE_RETRY_MAX_DELAY_S } from "../lib/limits";
import { log } from "../lib/log";
import { flutterwaveClient } from "../providers/flutterwave";
import { ChargeEvent, LegacyTransferEvent, TransferEvent } from "../providers/flutterwave/schemas";
import { DEAD_LETTERS_OBJECT } from "../durable/dead-letters";
import type { TransactionRecord, Wallet } from "../durable/wallet";
import { QueueMessage } from "./messages";

export const MAIN_QUEUE = "wallet-events";
export const DEAD_LETTER_QUEUE = "wallet-events-dlq";

type Verdict = { action: "ack"; note: string } | { action: "retry"; note: string };
const ack = (note: string): Verdict => ({ action: "ack", note });
const retry = (note: string): Verdict => ({ action: "retry", note });

export function retryDelaySeconds(attempts: number): number {
  return Math.min(QUEUE_RETRY_MAX_DELAY_S, QUEUE_RETRY_BASE_DELAY_S * 2 ** Math.max(0, attempts - 1));
}

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
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
        log.error("queue message failed", { message_id: message.id, attempts: message.attempts, error });
        verdict = retry("exception");
      }
      if (verdict.action === "ack") {
        message.ack();
      } else {
        const delaySeconds = retryDelaySeconds(message.attempts);
        log.warn("queue message will be retried", { message_id: message.id, attempts: message.attempts, delay_s: delaySeconds, note: verdict.note });
        message.retry({ delaySeconds });
      }
    }),
  );
}

async function storeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const letters = batch.messages.map((m) => ({ id: m.id, source: batch.queue, reason: "retries exhausted", body_json: JSON.stringify(m.body ?? null), attempts: m.attempts }));
  await env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).add(letters);
  for (const m of batch.messages) {
    log.error("message dead-lettered", { message_id: m.id, attempts: m.attempts });
    m.ack();
  }
}

export async function processMessage(body: unknown, env: Env, ctx: ExecutionContext): Promise<Verdict> {
  const parsed = QueueMessage.safeParse(body);
  if (!parsed.success) {
    // A message we cannot read will not become readable by retrying; keep it for inspection.
    await env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).add([
      { id: `schema-${crypto.randomUUID()}`, source: MAIN_QUEUE, reason: "message failed schema validation", body_json: JSON.stringify(body ?? null), attempts: 1 },
    ]);
    log.error("queue message failed schema validation; dead-lettered", {});
    return ack("schema");
  }
  const message = parsed.data;
  switch (message.kind) {
    case "ping":
      return ack("ping");
    case "flutterwave.webhook":
      return handleFlutterwaveWebhook(message, env, ctx);
    case "funding.verify":
      return verifyFunding(env, ctx, message.request_id, message.tx_ref, message.provider_id, undefined);
    default: {
      const unreachable: never = message;
      throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
    }
  }
}

async function handleFlutterwaveWebhook(
  message: Extract<QueueMessage, { kind: "flutterwave.webhook" }>,
  env: Env,
  ctx: ExecutionContext,
): Promise<Verdict> {
  let payload: unknown;
  try {
    payload = JSON.parse(message.raw_body);
  } catch {
    log.error("webhook body is not JSON", { request_id: message.request_id });
    return ack("not json");
  }
  const charge = ChargeEvent.safeParse(payload);
  if (charge.success) {
    const provider_id = String(charge.data.data.id);
    const event_key = `flw:charge.completed:${provider_id}:${charge.data.data.status ?? "?"}`;
    return verifyFunding(env, ctx, message.request_id, charge.data.data.tx_ref, provider_id, event_key);
  }
  const transfer = TransferEvent.safeParse(payload);
  const legacy = LegacyTransferEvent.safeParse(payload);
  if (transfer.success || legacy.success) {
    const data = transfer.success ? transfer.data.data : legacy.data!.transfer;
    return handleTransferEvent(env, ctx, message.request_id, data.reference, String(data.id));
  }
  const event = z.object({ event: z.string() }).safeParse(payload);
  log.info("webhook event ignored", { request_id: message.request_id, event: event.success ? event.data.event : "(none)" });
  return ack("ignored event");
}

/**
 * The wallet and transaction an event names, or the verdict for an event that
 * is not about one of our transactions of that type (logged, acked: a forged or
 * foreign reference changes nothing).
 */
async function ownTransaction(
  env: Env,
  request_id: string,
  reference: string,
  type: "FUND" | "WITHDRAW",
): Promise<{ verdict: Verdict } | { wallet: DurableObjectStub<Wallet>; tx: TransactionRecord }> {
  const owner = txRefOwner(reference);
  if (!owner) {
    log.warn("event for a reference that is not ours", { request_id, reference: reference.slice(0, 64), type });
    return { verdict: ack("foreign reference") };
  }
  const wallet = env.WALLET.getByName(owner);
  const tx = await wallet.getTransaction(reference);
  if (!tx || tx.type !== type) {
    log.warn("event for an unknown transaction", { request_id, reference, type });
    return { verdict: ack("unknown tx") };
  }
  return { wallet, tx };
}

/**
 * Verify a funding with the provider and hand the facts to its wallet. With a
 * provider transaction id the check is by id (then the tx_ref must match);
 * without one, by reference.
 */
async function verifyFunding(
  env: Env,
  ctx: ExecutionContext,
  request_id: string,
  tx_ref: string,
  provider_id: string | undefined,
  event_key: string | undefined,
): Promise<Verdict> {
  const found = await ownTransaction(env, request_id, tx_ref, "FUND");
  if ("verdict" in found) return found.verdict;
  const { wallet, tx } = found;
  if (tx.status === "SUCCESS") return ack("already credited");

  const config = requireConfig(env);
  const flutterwave = flutterwaveClient(env, ctx, config, { request_id });
  const verified = provider_id ? await flutterwave.verifyTransaction(provider_id) : await flutterwave.verifyByReference(tx_ref);
  let facts: ChargeFacts;
  if (verified.ok) {
    if (verified.value.tx_ref !== tx_ref) {
      log.warn("event names a provider transaction of another tx_ref; ignored", { request_id, tx_ref, provider_id });
      return ack("tx_ref mismatch");
    }
    facts = { found: true, ...verified.value };
  } else if (verified.kind === "not_found") {
    if (provider_id) {
      log.warn("event names a provider transaction that does not exist", { request_id, tx_ref, provider_id });
      return ack("provider id not found");
    }
    facts = { found: false };
  } else if (verified.kind === "refused") {
    log.error("provider refused a verification", { request_id, tx_ref, status: verified.status });
    return retry("verify refused");
  } else {
    return retry(`verify ${verified.reason}`);
  }
  const outcome = await wallet.applyFundingFacts(tx_ref, facts, { via: event_key ? "webhook" : "callback", event_key });
  log.info("funding event processed", { request_id, tx_ref, outcome: outcome.outcome });
  return ack(outcome.outcome);
}

/**
 * A transfer event settles a withdrawal, after the provider confirms it: the
 * consumer fetches the transfer by id, checks it carries our reference, and
 * hands the facts to the wallet, which posts or voids the hold exactly once.
 */
async function handleTransferEvent(env: Env, ctx: ExecutionContext, request_id: string, reference: string, provider_id: string): Promise<Verdict> {
  const found = await ownTransaction(env, request_id, reference, "WITHDRAW");
  if ("verdict" in found) return found.verdict;
  const { wallet, tx } = found;
  if (tx.status === "SUCCESS") return ack("already settled");

  const flutterwave = flutterwaveClient(env, ctx, requireConfig(env), { request_id });
  const fetched = await flutterwave.getTransfer(provider_id);
  if (fetched.ok) {
    if (fetched.value.reference !== reference) {
      log.warn("transfer event names a transfer of another reference; ignored", { request_id, reference, provider_id });
      return ack("reference mismatch");
    }
    const outcome = await wallet.applyTransferFacts(reference, { found: true, ...fetched.value }, {
      via: "webhook",
      event_key: `flw:transfer.completed:${provider_id}:${fetched.value.status}`,
    });
    log.info("transfer event processed", { request_id, tx_ref: reference, outcome: outcome.outcome });
    return ack(outcome.outcome);
  }
  if (fetched.kind === "not_found") {
    log.warn("transfer event names a transfer that does not exist", { request_id, reference, provider_id });
    return ack("provider id not found");
  }
  if (fetched.kind === "refused") {
    log.error("provider refused a transfer lookup", { request_id, reference, status: fetched.status });
    return retry("lookup refused");
  }
  return retry(`lookup ${fetched.reason}`);
}
