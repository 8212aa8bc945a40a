/**
 * Refunding money a funding's charge took that the wallet never credited, and
 * crediting it instead: the service (src/services/refunds.ts) over the real
 * Wallet object, with the Flutterwave look-alike as the outside world.
 *
 * Proves: an overpayment's excess refunded in part of its charge closes the
 * anomaly (in the wallet and in the operator index) and moves no wallet money
 * and no journal row; a pending refund is followed by the reconciler to its
 * end; a failed one leaves the anomaly open (the failure listed) and free for
 * another settlement; a create whose answer was lost is found by the
 * reconciler; the same proposal asked again, even at once, sends one refund
 * (the look-alike's count); more than owed is refused before any call; a
 * refund and a credit exclude each other; a mismatched payment is owed whole.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardName, shardOf } from "../../src/domain/operator";
import { operatorIndexShards } from "../../src/lib/config";
import { creditExcess, startRefund } from "../../src/services/refunds";
import { arm, served } from "../support/faults";
import {
  eventually,
  expectLedgerConsistent,
  loadMongoDriverFirst,
  runReconciler,
} from "../support/helpers";
import { paidFunding, refundMode, request, sandboxRefunds } from "../support/refunds";
import { control } from "../support/sandbox";

const ctx = () => createExecutionContext();

// The first test makes timed provider calls right after its first wallet (helpers.ts says why).
loadMongoDriverFirst();

/** Whether the operator index holds the anomaly resolved (its shard's own row). */
async function resolvedInIndex(anomaly: { tx_ref: string; kind: string; ref: string }) {
  const shards = operatorIndexShards(env);
  if (shards === null) throw new Error("no shards");
  const shard = env.OPERATIONS.getByName(shardName(shardOf(anomaly.tx_ref, shards)));
  return runInDurableObject(shard, (_o, state) => {
    const row = state.storage.sql
      .exec<{ resolved_at_ms: number | null }>(
        "SELECT resolved_at_ms FROM op_anomalies WHERE tx_ref = ? AND kind = ? AND ref = ?",
        anomaly.tx_ref,
        anomaly.kind,
        anomaly.ref,
      )
      .toArray()[0];
    return row ? row.resolved_at_ms !== null : null;
  });
}

describe("refunds and credits of money owed back", () => {
  it("refunds an overpayment's excess (part of its charge): anomaly closed, no wallet money or journal row moved", async () => {
    const w = await paidFunding(100_000, 1500);
    const before = await expectLedgerConsistent(w.stub);
    expect(before.balance_minor).toBe(100_000);
    await eventually(async () => expect(await resolvedInIndex(w.anomaly)).toBe(false));

    const answer = await startRefund(env, ctx(), request(w));
    expect(answer).toMatchObject({
      ok: true,
      tx: { type: "REFUND", stage: "refunded", status: "SUCCESS", amount_minor: 50_000 },
    });
    if (!answer.ok) return;
    expect(answer.tx.details).toMatchObject({
      anomaly_tx_ref: w.tx_ref,
      anomaly_kind: "overpaid",
      charge_ref: w.charge_id,
      owed_minor: 50_000,
      operator_id: "op_alice",
    });
    expect(await sandboxRefunds(w.charge_id)).toEqual([
      expect.objectContaining({ amount_refunded: 500, status: "completed" }),
    ]);
    const after = await expectLedgerConsistent(w.stub);
    expect(after.balance_minor).toBe(100_000);
    expect(after.journal_rows).toBe(before.journal_rows);
    expect(await w.stub.anomalySettlement(w.anomaly)).toEqual({
      refund_tx_ref: answer.tx.tx_ref,
      resolved_at_ms: expect.any(Number),
    });
    await eventually(async () => expect(await resolvedInIndex(w.anomaly)).toBe(true));
  });

  it("follows a pending refund to its end with the reconciler", async () => {
    const w = await paidFunding(100_000, 1200);
    await refundMode(w.charge_id, "pending");
    const answer = await startRefund(env, ctx(), request(w, { amount_minor: 5_000 }));
    expect(answer).toMatchObject({
      ok: true,
      tx: { stage: "refund_submitted", status: "PENDING" },
    });
    if (!answer.ok) return;
    await runReconciler(w.stub);
    expect(await w.stub.getTransaction(answer.tx.tx_ref)).toMatchObject({
      stage: "refund_submitted",
    });
    expect((await w.stub.anomalySettlement(w.anomaly))?.resolved_at_ms).toBeNull();
    const [refund] = await sandboxRefunds(w.charge_id);
    await control(`/refunds/${refund.id}/settle`, { body: { status: "completed" } });
    await runReconciler(w.stub);
    expect(await w.stub.getTransaction(answer.tx.tx_ref)).toMatchObject({
      stage: "refunded",
      status: "SUCCESS",
      amount_minor: 5_000,
    });
    expect((await w.stub.anomalySettlement(w.anomaly))?.resolved_at_ms).toEqual(expect.any(Number));
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(100_000);
  });

  it("a failed refund leaves the anomaly open, lists the failure, and frees it for another proposal", async () => {
    const w = await paidFunding(100_000, 1100);
    await refundMode(w.charge_id, "fail");
    const failed = await startRefund(env, ctx(), request(w));
    expect(failed).toMatchObject({ ok: true, tx: { stage: "refund_failed", status: "FAILED" } });
    if (!failed.ok) return;
    expect((await w.stub.anomalySettlement(w.anomaly))?.resolved_at_ms).toBeNull();
    expect(await w.stub.anomalies()).toContainEqual(
      expect.objectContaining({ tx_ref: failed.tx.tx_ref, kind: "refund_failed" }),
    );
    await eventually(async () => expect(await resolvedInIndex(w.anomaly)).toBe(false));
    await refundMode(w.charge_id, "complete");
    const again = await startRefund(env, ctx(), request(w));
    expect(again).toMatchObject({ ok: true, tx: { stage: "refunded" } });
    expect((await sandboxRefunds(w.charge_id)).map((r) => r.status)).toEqual([
      "completed",
      "failed",
    ]);
  });

  it("a create whose answer was lost is found by the reconciler by its reference, never sent again", async () => {
    const w = await paidFunding(100_000, 1300);
    await arm("flutterwave", "refunds.create", `/${w.charge_id}/refund`, "commit_then_500");
    const proposal = request(w);
    const lost = await startRefund(env, ctx(), proposal);
    expect(lost).toMatchObject({ ok: true, tx: { stage: "refund_unknown", provider_ref: null } });
    if (!lost.ok) return;
    expect(await startRefund(env, ctx(), proposal)).toMatchObject({
      ok: true,
      tx: { tx_ref: lost.tx.tx_ref, stage: "refund_unknown" },
    });
    await runReconciler(w.stub);
    const [refund] = await sandboxRefunds(w.charge_id);
    expect(await w.stub.getTransaction(lost.tx.tx_ref)).toMatchObject({
      stage: "refunded",
      provider_ref: String(refund.id),
    });
    expect((await served("flutterwave", "refunds.create", `/${w.charge_id}/refund`)).count).toBe(1);
  });

  it("the same proposal asked again, even at once, sends one refund", async () => {
    const w = await paidFunding(100_000, 1400);
    const proposal = request(w);
    const answers = await Promise.all([1, 2, 3].map(() => startRefund(env, ctx(), proposal)));
    const refs = new Set(answers.map((a) => (a.ok ? a.tx.tx_ref : a.refusal)));
    expect(refs.size).toBe(1);
    expect(await startRefund(env, ctx(), proposal)).toMatchObject({ ok: true });
    expect((await served("flutterwave", "refunds.create", `/${w.charge_id}/refund`)).count).toBe(1);
    expect(await sandboxRefunds(w.charge_id)).toHaveLength(1);
    // Another proposal for the same anomaly: already settled.
    expect(await startRefund(env, ctx(), request(w))).toMatchObject({
      ok: false,
      refusal: "already_refunded",
    });
  });

  it("refuses more than owed before any call, and an anomaly that does not exist", async () => {
    const w = await paidFunding(100_000, 1500);
    expect(await startRefund(env, ctx(), request(w, { amount_minor: 50_001 }))).toEqual({
      ok: false,
      refusal: "amount_too_large",
      owed_minor: 50_000,
    });
    expect(
      await startRefund(env, ctx(), request(w, { anomaly: { ...w.anomaly, kind: "paid_twice" } })),
    ).toEqual({ ok: false, refusal: "not_found" });
    expect((await served("flutterwave", "refunds.create", `/${w.charge_id}/refund`)).count).toBe(0);
  });

  it("a mismatched (underpaid) payment is owed whole; refunded, the funding stays open", async () => {
    const w = await paidFunding(100_000, 400);
    expect(w.anomaly.kind).toBe("refund_due");
    const answer = await startRefund(env, ctx(), request(w));
    expect(answer).toMatchObject({ ok: true, tx: { stage: "refunded", amount_minor: 40_000 } });
    expect(await w.stub.getTransaction(w.tx_ref)).toMatchObject({ status: "PENDING" });
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(0);
  });

  it("credits the excess to the wallet instead, once; a refund after it, or a credit after a refund, is refused", async () => {
    const w = await paidFunding(100_000, 1250);
    const credited = await creditExcess(env, ctx(), request(w));
    expect(credited).toMatchObject({
      ok: true,
      tx: { type: "REFUND", stage: "credited_to_wallet", status: "SUCCESS", amount_minor: 25_000 },
    });
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit.balance_minor).toBe(125_000);
    expect((await w.stub.anomalySettlement(w.anomaly))?.resolved_at_ms).toEqual(expect.any(Number));
    expect(await startRefund(env, ctx(), request(w))).toMatchObject({
      ok: false,
      refusal: "already_refunded",
    });
    expect(await creditExcess(env, ctx(), request(w))).toMatchObject({
      ok: false,
      refusal: "already_refunded",
    });
    expect((await served("flutterwave", "refunds.create", `/${w.charge_id}/refund`)).count).toBe(0);
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(125_000);
    await eventually(async () => expect(await resolvedInIndex(w.anomaly)).toBe(true));

    const v = await paidFunding(100_000, 1250);
    expect(await startRefund(env, ctx(), request(v))).toMatchObject({ ok: true });
    expect(await creditExcess(env, ctx(), request(v))).toMatchObject({
      ok: false,
      refusal: "already_refunded",
    });
    expect((await expectLedgerConsistent(v.stub)).balance_minor).toBe(100_000);
  });

  it("a forged webhook naming a pending refund's reference moves it only as the provider confirms", async () => {
    const w = await paidFunding(100_000, 1050);
    await refundMode(w.charge_id, "pending");
    const pending = await startRefund(env, ctx(), request(w));
    expect(pending).toMatchObject({ ok: true, tx: { stage: "refund_submitted" } });
    if (!pending.ok) return;
    // Another charge's completed refund: a real id, but not this refund's.
    const other = await paidFunding(100_000, 1060);
    const done = await startRefund(env, ctx(), request(other));
    if (!done.ok) throw new Error("the other refund did not complete");
    const { default: worker } = await import("../../src/worker");
    for (const id of [done.tx.provider_ref, pending.tx.provider_ref]) {
      const batch = createMessageBatch("wallet-events", [
        {
          id: `m-${crypto.randomUUID()}`,
          timestamp: new Date(),
          attempts: 1,
          body: {
            v: 1,
            kind: "flutterwave.webhook",
            request_id: `req-${crypto.randomUUID()}`,
            received_at_ms: Date.now(),
            raw_body: JSON.stringify({
              event: "charge.completed",
              data: { id: Number(id), tx_ref: pending.tx.tx_ref, status: "successful" },
            }),
          },
        },
      ]);
      const queue_ctx = createExecutionContext();
      await worker.queue(batch as never, env, queue_ctx);
      await getQueueResult(batch, queue_ctx);
      expect(await w.stub.getTransaction(pending.tx.tx_ref)).toMatchObject({
        stage: "refund_submitted",
        status: "PENDING",
      });
    }
    expect((await w.stub.anomalySettlement(w.anomaly))?.resolved_at_ms).toBeNull();
  });
});
