import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newTxRef } from "../../src/lib/ids";
import { FUND_PENDING_MAX_CEILING } from "../../src/domain/limits";
import { QUEUE_RETRY_MAX_DELAY_S } from "../../src/lib/limits";
import { requireConfig } from "../../src/lib/config";
import { retryDelaySeconds } from "../../src/queue/consumer";
import type { QueueMessage } from "../../src/queue/messages";
import {
  api,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  newWallet,
  runReconciler,
  uniqueEmail,
} from "../support/helpers";
import { operatorHeaders } from "../support/operators";
import { control, envelope } from "../support/sandbox";

type Result = {
  outcome: string;
  ackAll: boolean;
  explicitAcks: string[];
  retryMessages: { msgId: string; delaySeconds?: number }[];
};

/** A batch through the Worker's exported queue handler with our own ctx (and, if given, another configuration). */
async function runBatch(bodies: unknown[], attempts = 1, target: Env = env): Promise<Result> {
  const { default: worker } = await import("../../src/worker");
  const batch = createMessageBatch(
    "wallet-events",
    bodies.map((body, i) => ({
      id: `m-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as never, target, ctx);
  return (await getQueueResult(batch, ctx)) as unknown as Result;
}

const webhook = (payload: unknown): QueueMessage => ({
  v: 1,
  kind: "flutterwave.webhook",
  request_id: `req-${crypto.randomUUID()}`,
  received_at_ms: Date.now(),
  raw_body: JSON.stringify(payload),
});

async function openFunding(amount_minor = 150000) {
  const w = await newWallet();
  const tx_ref = newTxRef("FUND", w.user_id);
  await w.stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3600_000,
  });
  return { ...w, tx_ref };
}

/** A charge recorded at the sandbox (as if the customer paid), without any webhook. */
async function providerCharge(
  tx_ref: string,
  amount: number,
  status = "successful",
  currency = "NGN",
) {
  const body = await envelope<{ id: number }>(
    await control("/transactions", { body: { tx_ref, amount, currency, status } }),
  );
  return body.data.id;
}

const chargeEvent = (id: number, tx_ref: string, status = "successful") => ({
  event: "charge.completed",
  "event.type": "CARD_TRANSACTION",
  data: { id, tx_ref, status, amount: 1, currency: "NGN" },
});

describe("queue consumer: funding settlement", () => {
  it("credits once when the same webhook arrives 50 times in one batch", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    const result = await runBatch(
      Array.from({ length: 50 }, () => webhook(chargeEvent(id, tx_ref))),
    );
    expect(result.explicitAcks).toHaveLength(50);
    expect(result.retryMessages).toHaveLength(0);
    expect(await stub.summary()).toMatchObject({ balance_minor: 150000 });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("credits once when the same webhook is posted 50 times at once to the real route and queue", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    const deliveries = await Promise.all(
      Array.from({ length: 50 }, () => control(`/transactions/${id}/deliver`, { body: {} })),
    );
    for (const d of deliveries) expect(d.status).toBe(200);
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    await new Promise((r) => setTimeout(r, 1500)); // let the remaining deliveries drain through the queue
    expect((await stub.summary())?.balance_minor).toBe(150000);
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("credits once when a failed event arrives before the success, and ignores it after", async () => {
    const { stub, tx_ref } = await openFunding();
    const failedId = await providerCharge(tx_ref, 1500, "failed");
    const okId = await providerCharge(tx_ref, 1500);
    await runBatch([webhook(chargeEvent(failedId, tx_ref, "failed"))]);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    await runBatch([
      webhook(chargeEvent(okId, tx_ref)),
      webhook(chargeEvent(failedId, tx_ref, "failed")),
    ]);
    await runBatch([webhook(chargeEvent(failedId, tx_ref, "failed"))]);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
    expect((await stub.summary())?.balance_minor).toBe(150000);
  });

  it("changes nothing when the webhook arrives after the reconciler already settled the funding", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
    const result = await runBatch([
      webhook(chargeEvent(id, tx_ref)),
      webhook(chargeEvent(id, tx_ref)),
    ]);
    expect(result.explicitAcks).toHaveLength(2);
    expect((await stub.summary())?.balance_minor).toBe(150000);
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("owes back a payment in the wrong currency without crediting, and keeps the checkout open", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500, "successful", "USD");
    await runBatch([webhook(chargeEvent(id, tx_ref))]);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "payment_mismatch",
    });
    expect(await stub.anomalies()).toEqual([
      expect.objectContaining({
        tx_ref,
        kind: "refund_due",
        ref: String(id),
        detail: expect.stringMatching(/USD/),
      }),
    ]);
    expect((await stub.summary())?.balance_minor).toBe(0);
  });

  it("credits nothing for an event whose amount claims more than the verified charge", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 10); // paid N10 for a N1,500 funding
    const lying = {
      ...chargeEvent(id, tx_ref),
      data: { ...chargeEvent(id, tx_ref).data, amount: 1500 },
    };
    await runBatch([webhook(lying)]);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "payment_mismatch",
    });
    expect((await stub.anomalies()).map((a) => [a.kind, a.ref])).toEqual([
      ["refund_due", String(id)],
    ]);
    expect((await stub.summary())?.balance_minor).toBe(0);
  });

  it("ignores a forged event: unknown provider id, someone else's charge, a foreign or unknown tx_ref", async () => {
    const { stub, tx_ref } = await openFunding();
    const other = await openFunding();
    const othersCharge = await providerCharge(other.tx_ref, 1500);
    const foreignCharge = await providerCharge("not-our-reference-1", 1500);
    const result = await runBatch([
      webhook(chargeEvent(987654321, tx_ref)),
      webhook(chargeEvent(othersCharge, tx_ref)),
      webhook(chargeEvent(foreignCharge, "not-our-reference-1")),
      webhook(chargeEvent(foreignCharge, newTxRef("FUND", "usr000000000000000f"))),
    ]);
    expect(result.explicitAcks).toHaveLength(4);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    expect((await other.stub.getTransaction(other.tx_ref))?.status).toBe("PENDING");
    expect((await stub.summary())?.balance_minor).toBe(0);
  });

  it("acks malformed and unknown payloads without changing anything", async () => {
    const { stub, tx_ref } = await openFunding();
    const result = await runBatch([
      {
        v: 1,
        kind: "flutterwave.webhook",
        request_id: "r",
        received_at_ms: 1,
        raw_body: "{not json",
      },
      webhook({ event: "charge.completed" }),
      webhook({ event: "charge.completed", data: { id: "abc", tx_ref } }),
      webhook({ event: "subscription.cancelled", data: {} }),
      webhook([]),
    ]);
    expect(result.explicitAcks).toHaveLength(5);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
  });

  it("retries with backoff when Flutterwave does not answer the verification, and settles on a later attempt", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    await envelope(
      await control("/faults", {
        body: {
          operation: "transactions.verify",
          match: String(id),
          mode: "gateway_timeout",
          times: 3,
        },
      }),
    );
    const first = await runBatch([webhook(chargeEvent(id, tx_ref))], 2);
    // Three failed reads (the client's own bounded retries) -> the message is retried later.
    expect(first.retryMessages).toHaveLength(1);
    expect(first.explicitAcks).toHaveLength(0);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    const second = await runBatch([webhook(chargeEvent(id, tx_ref))], 3);
    expect(second.explicitAcks).toHaveLength(1);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
  });

  it("retries a message whose settlement throws, never acks it, and settles it on a later attempt", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    const message = webhook(chargeEvent(id, tx_ref));
    // A deploy whose configuration no longer parses (a timeout that is not a number): the
    // consumer throws where it reads the configuration to reach the provider. No verdict
    // comes back; the exception is what the batch handler meets.
    const broken = { ...env, FLUTTERWAVE_TIMEOUT_MS: "soon" } as unknown as Env;
    const thrown = await runBatch([message], 1, broken);
    expect(thrown.explicitAcks).toEqual([]);
    expect(thrown.ackAll).toBe(false);
    expect(thrown.retryMessages).toHaveLength(1);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "link_requested",
    });
    // The configuration fixed, the retried delivery of the same message credits the funding, once.
    const retried = await runBatch([message], 2);
    expect(retried.explicitAcks).toHaveLength(1);
    expect(retried.retryMessages).toEqual([]);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({ status: "SUCCESS" });
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 150000,
      journal_rows: 1,
    });
  });

  it("dead-letters a message that fails its schema instead of retrying it forever", async () => {
    const marker = crypto.randomUUID();
    const result = await runBatch([{ v: 9, kind: "mystery", marker }]);
    expect(result.explicitAcks).toHaveLength(1);
    const page = await env.DEAD_LETTERS.getByName("wallet-events-dlq").list({ limit: 100 });
    expect(page!.data.some((l) => l.body_json.includes(marker))).toBe(true);
  });
});

describe("retry schedule", () => {
  it("doubles from the base and stops at the cap", () => {
    expect(retryDelaySeconds(1)).toBe(2);
    expect(retryDelaySeconds(2)).toBe(4);
    expect(retryDelaySeconds(5)).toBe(32);
    expect(retryDelaySeconds(50)).toBe(QUEUE_RETRY_MAX_DELAY_S);
  });
});

describe("dead-letter queue and operator replay", () => {
  const ADMIN = { authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` };

  it("keeps dead letters, lists them for operators and replays one into the main queue", async () => {
    const { stub, tx_ref } = await openFunding();
    const id = await providerCharge(tx_ref, 1500);
    const poisoned = webhook(chargeEvent(id, tx_ref));
    const { default: worker } = await import("../../src/worker");
    const batch = createMessageBatch("wallet-events-dlq", [
      { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 6, body: poisoned },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    expect(((await getQueueResult(batch, ctx)) as unknown as Result).explicitAcks).toHaveLength(1);

    const list = await api("/admin/dead-letters?limit=100", { headers: ADMIN });
    expect(list.status).toBe(200);
    const letters = (await list.json()) as {
      data: { id: string; body: QueueMessage; attempts: number; replay_count: number }[];
    };
    const letter = letters.data.find(
      (l) => l.body.kind === "flutterwave.webhook" && l.body.request_id === poisoned.request_id,
    )!;
    expect(letter.attempts).toBe(6);

    // Replaying is an act: the read-only script token is refused; an operator replays.
    const path = `/admin/dead-letters/${letter.id}/replay`;
    const byScript = await expectProblem(await api(path, { method: "POST", headers: ADMIN }), 403);
    expect(byScript.code).toBe("operator_required");
    const replay = await api(path, {
      method: "POST",
      headers: await operatorHeaders(uniqueEmail("ops"), "operator"),
    });
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as { replay_count: number }).replay_count).toBe(1);
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
  });

  it("refuses operator routes without the admin token, or with a user's token", async () => {
    await expectProblem(await api("/admin/dead-letters"), 401);
    await expectProblem(
      await api("/admin/dead-letters", { headers: { authorization: "Bearer wrong" } }),
      401,
    );
    await expectProblem(
      await api("/admin/dead-letters/x/replay", {
        method: "POST",
        headers: { authorization: "Bearer wrong" },
      }),
      401,
    );
  });

  it("audits a wallet for operators", async () => {
    const { stub, tx_ref, user_id } = await openFunding();
    await providerCharge(tx_ref, 1500);
    await runReconciler(stub);
    const res = await api(`/admin/wallets/${user_id}/audit`, { headers: ADMIN });
    expect(await res.json()).toMatchObject({
      ok: true,
      balance_minor: 150000,
      journal_balance_minor: 150000,
      journal_rows: 1,
      anomalies: [],
    });
  });
});
