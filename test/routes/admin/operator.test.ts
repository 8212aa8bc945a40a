/**
 * The operator's view and metrics across all wallets:
 * - a scripted mix (a withdrawal stuck past its deadline and escalated, an
 *   overpaid funding, a dead letter) shows up in GET /admin/operations and in
 *   GET /admin/metrics exactly, learned through the wallets' change feeds;
 * - a redelivery (a reader's position lost, or the same batch sent twice)
 *   counts nothing twice, and an older version never replaces a newer one;
 * - terminal transactions leave the index after their retention, the
 *   counters stay;
 * - both routes refuse without the admin token, with a wrong one, and with a
 *   user's token.
 *
 * The Operations index is one per deployment, so tests compare before and
 * after (deltas) rather than absolute totals; this file runs in a project of
 * its own (vitest.config.ts) so no other file moves those totals meanwhile,
 * and waits for a wallet's feed to reach the index before reading "before".
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TransactionFact } from "../../../src/domain/operator";
import type { Wallet } from "../../../src/durable/wallet/object";
import { OPERATIONS_OBJECT } from "../../../src/durable/operations/object";
import { requireConfig } from "../../../src/lib/config";
import { newTxRef } from "../../../src/lib/ids";
import { FUND_PENDING_MAX_CEILING, WITHDRAW_ESCALATE_AFTER_MS } from "../../../src/domain/limits";
import { OPERATOR_TERMINAL_RETAIN_MS } from "../../../src/durable/operations/limits";
import {
  api,
  expectProblem,
  fundedWallet,
  newWallet,
  runReconciler,
  uniqueEmail,
} from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";
import { overpaidFunding, stuckWithdrawal } from "../../support/escalations";

const ADMIN = { authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` };

type View = {
  object: string;
  pending: {
    type: string;
    count: number;
    overdue: number;
    escalated: number;
    oldest_age_s: number;
  }[];
  overdue: {
    total: number;
    has_more: boolean;
    data: {
      tx_ref: string;
      user_id: string;
      type: string;
      status: string;
      stage: string;
      escalated: boolean;
      overdue_s: number;
      amount: string;
    }[];
  };
  escalations: { total: number; data: { tx_ref: string }[] };
  anomalies: {
    total: number;
    by_kind: Record<string, number>;
    data: { tx_ref: string; kind: string; user_id: string | null }[];
  };
  settlements: { type: string; outcome: string; count: number }[];
  dead_letters: { stored: number; unreplayed: number; oldest_unreplayed_age_s: number };
  provider_problems: unknown[];
};

async function view(limit = 100): Promise<View> {
  const res = await api(`/admin/operations?limit=${limit}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

/** Samples of the metrics page, keyed `name{labels}` exactly as exposed. */
async function metrics(): Promise<Map<string, number>> {
  const res = await api("/admin/metrics", { headers: ADMIN });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const pendingOf = (v: View, type: string) =>
  v.pending.find((p) => p.type === type) ?? { count: 0, overdue: 0, escalated: 0 };
const settledOf = (v: View, type: string, outcome: string) =>
  v.settlements.find((s) => s.type === type && s.outcome === outcome)?.count ?? 0;
const sample = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

/**
 * Wait until the wallet's operations reader has delivered everything in its
 * feed: the index is fed in the background, so a total read right after an
 * action may or may not include it yet.
 */
async function fedToOperators(stub: DurableObjectStub<Wallet>) {
  for (let i = 0; i < 100; i++) {
    const caught_up = await runInDurableObject(stub, (_i, state) => {
      const { position } = state.storage.sql
        .exec<{ position: number }>("SELECT position FROM feed_readers WHERE reader = 'operations'")
        .one();
      const { last } = state.storage.sql
        .exec<{ last: number }>("SELECT MAX(seq) AS last FROM changes")
        .one();
      return position === last;
    });
    if (caught_up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the wallet's operations reader did not catch up");
}

/** A message that exhausted its retries, arriving on the dead-letter queue. */
async function deadLetter() {
  const { default: worker } = await import("../../../src/worker");
  const body = {
    v: 1,
    kind: "flutterwave.webhook",
    request_id: `req-${crypto.randomUUID()}`,
    received_at_ms: Date.now(),
    raw_body: "{}",
  };
  const batch = createMessageBatch("wallet-events-dlq", [
    { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 6, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  expect(
    ((await getQueueResult(batch, ctx)) as unknown as { explicitAcks: string[] }).explicitAcks,
  ).toHaveLength(1);
}

describe("operator view and metrics reflect a scripted mix", () => {
  it("shows a stuck withdrawal as overdue and escalated, an overpayment as an anomaly, and a dead letter", async () => {
    const before = await view();
    const m0 = await metrics();

    const stuck = await stuckWithdrawal();
    const over = await overpaidFunding();
    await deadLetter();

    const after = await view();
    const m1 = await metrics();
    expect(after.object).toBe("operator_view");

    // Pending, overdue, escalated: exactly one more withdrawal each; nothing else moved.
    expect(pendingOf(after, "WITHDRAW").count - pendingOf(before, "WITHDRAW").count).toBe(1);
    expect(pendingOf(after, "WITHDRAW").overdue - pendingOf(before, "WITHDRAW").overdue).toBe(1);
    expect(pendingOf(after, "WITHDRAW").escalated - pendingOf(before, "WITHDRAW").escalated).toBe(
      1,
    );
    expect(pendingOf(after, "FUND").count - pendingOf(before, "FUND").count).toBe(0);
    expect(after.overdue.total - before.overdue.total).toBe(1);
    expect(after.escalations.total - before.escalations.total).toBe(1);
    const listed = after.overdue.data.find((t) => t.tx_ref === stuck.tx_ref)!;
    expect(listed).toMatchObject({
      user_id: stuck.user_id,
      type: "WITHDRAW",
      status: "PENDING",
      escalated: true,
      amount: "1000.00",
    });
    expect(listed.overdue_s).toBeGreaterThanOrEqual(60);
    expect(after.escalations.data.map((t) => t.tx_ref)).toContain(stuck.tx_ref);

    // Anomalies: the escalation and the overpayment, with their owners.
    expect(after.anomalies.total - before.anomalies.total).toBe(2);
    expect(
      (after.anomalies.by_kind.escalated ?? 0) - (before.anomalies.by_kind.escalated ?? 0),
    ).toBe(1);
    expect((after.anomalies.by_kind.overpaid ?? 0) - (before.anomalies.by_kind.overpaid ?? 0)).toBe(
      1,
    );
    expect(after.anomalies.data).toContainEqual(
      expect.objectContaining({ tx_ref: over.tx_ref, kind: "overpaid", user_id: over.user_id }),
    );
    expect(after.anomalies.data).toContainEqual(
      expect.objectContaining({ tx_ref: stuck.tx_ref, kind: "escalated", user_id: stuck.user_id }),
    );

    // Settlements: the stuck withdrawal's own funding and the overpaid funding.
    expect(settledOf(after, "FUND", "succeeded") - settledOf(before, "FUND", "succeeded")).toBe(2);
    expect(
      settledOf(after, "WITHDRAW", "succeeded") - settledOf(before, "WITHDRAW", "succeeded"),
    ).toBe(0);

    // Dead letters.
    expect(after.dead_letters.stored - before.dead_letters.stored).toBe(1);
    expect(after.dead_letters.unreplayed - before.dead_letters.unreplayed).toBe(1);

    // The same facts in the metrics.
    const delta = (key: string) => sample(m1, key) - sample(m0, key);
    expect(delta('wallet_transactions_pending{type="WITHDRAW"}')).toBe(1);
    expect(delta('wallet_transactions_overdue{type="WITHDRAW"}')).toBe(1);
    expect(delta('wallet_transactions_pending{type="FUND"}')).toBe(0);
    expect(
      sample(m1, 'wallet_transactions_pending_oldest_age_seconds{type="WITHDRAW"}'),
    ).toBeGreaterThanOrEqual(WITHDRAW_ESCALATE_AFTER_MS / 1000);
    expect(delta("wallet_escalations_open")).toBe(1);
    expect(delta('wallet_anomalies_open{kind="escalated"}')).toBe(1);
    expect(delta('wallet_anomalies_open{kind="overpaid"}')).toBe(1);
    expect(delta('wallet_settlements_total{type="FUND",outcome="succeeded"}')).toBe(2);
    expect(delta('wallet_settlements_total{type="WITHDRAW",outcome="failed"}')).toBe(0);
    expect(m1.has('wallet_settlements_total{type="DATA",outcome="reversed"}')).toBe(true);
    expect(delta("wallet_dead_letters")).toBe(1);
    expect(delta("wallet_dead_letters_unreplayed")).toBe(1);
  });

  it("bounds each list by `limit` and says how many there are", async () => {
    await stuckWithdrawal();
    await stuckWithdrawal();
    const v = await view(1);
    expect(v.overdue.data).toHaveLength(1);
    expect(v.overdue.total).toBeGreaterThanOrEqual(2);
    expect(v.overdue.has_more).toBe(true);
    await expectProblem(await api("/admin/operations?limit=0", { headers: ADMIN }), 422);
    await expectProblem(await api("/admin/operations?limit=101", { headers: ADMIN }), 422);
  });

  it("closes an escalation when its transaction ends", async () => {
    const stuck = await stuckWithdrawal();
    const provider_ref = (await stuck.stub.getTransaction(stuck.tx_ref))!.provider_ref ?? "0";
    const facts = {
      found: true,
      provider_ref,
      our_ref: stuck.tx_ref,
      outcome: "succeeded",
      amount_minor: 100_000,
      currency: "NGN",
      message: null,
    } as const;
    expect(
      (await stuck.stub.applyProviderFacts(stuck.tx_ref, facts, { via: "webhook" })).outcome,
    ).toBe("debited");
    const v = await view();
    expect(v.escalations.data.map((t) => t.tx_ref)).not.toContain(stuck.tx_ref);
    expect(v.overdue.data.map((t) => t.tx_ref)).not.toContain(stuck.tx_ref);
    expect(v.anomalies.data.filter((a) => a.tx_ref === stuck.tx_ref)).toEqual([]);
  });
});

describe("operator index: redelivery, ordering, retention", () => {
  it("feeds an anomaly once however often it recurs (a success reported twice after a funding failed)", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = newTxRef("FUND", user_id);
    await stub.openFunding({
      tx_ref,
      amount_minor: 150_000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + 3_600_000,
    });
    const facts = {
      found: true,
      provider_ref: "1",
      our_ref: tx_ref,
      outcome: "failed",
      amount_minor: 150_000,
      currency: "NGN",
      message: "declined",
    } as const;
    await stub.applyProviderFacts(tx_ref, facts, { via: "webhook" });
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("UPDATE transactions SET deadline_at_ms = 1 WHERE tx_ref = ?", tx_ref),
    );
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED");
    for (let i = 0; i < 2; i++)
      await stub.applyProviderFacts(
        tx_ref,
        { ...facts, provider_ref: "2", outcome: "succeeded" },
        { via: "webhook" },
      );
    expect((await stub.anomalies()).map((a) => a.kind)).toEqual(["paid_after_terminal"]);
    const fed = (await stub.changes(0)).filter((c) => c.entity === "anomaly");
    expect(fed.map((c) => c.entity_key)).toEqual([`${tx_ref}/paid_after_terminal/2`]);
    expect((await view()).anomalies.data).toContainEqual(
      expect.objectContaining({ tx_ref, kind: "paid_after_terminal", ref: "2", user_id }),
    );
  });

  it("counts nothing twice when a wallet's feed redelivers everything from the start", async () => {
    const over = await overpaidFunding();
    await fedToOperators(over.stub);
    const before = await view();
    const m0 = await metrics();
    await runInDurableObject(over.stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE feed_readers SET position = 0 WHERE reader = 'operations'");
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(over.stub)).toBe(true);
    await runInDurableObject(over.stub, (_i, state) => {
      const { position } = state.storage.sql
        .exec<{ position: number }>("SELECT position FROM feed_readers WHERE reader = 'operations'")
        .one();
      const { last } = state.storage.sql
        .exec<{ last: number }>("SELECT MAX(seq) AS last FROM changes")
        .one();
      expect(position).toBe(last);
    });
    const after = await view();
    expect(after.settlements).toEqual(before.settlements);
    expect(after.anomalies.by_kind).toEqual(before.anomalies.by_kind);
    expect([after.anomalies.total, after.overdue.total, after.escalations.total]).toEqual([
      before.anomalies.total,
      before.overdue.total,
      before.escalations.total,
    ]);
    const m1 = await metrics();
    expect(m1.get('wallet_settlements_total{type="FUND",outcome="succeeded"}')).toBe(
      m0.get('wallet_settlements_total{type="FUND",outcome="succeeded"}'),
    );
    expect(m1.get('wallet_anomalies_open{kind="overpaid"}')).toBe(
      m0.get('wallet_anomalies_open{kind="overpaid"}'),
    );
  });

  it("applies the same batch twice as once, and never lets an older version replace a newer one", async () => {
    const ops = env.OPERATIONS.getByName(OPERATIONS_OBJECT);
    const { user_id } = await newWallet();
    const tx_ref = newTxRef("AIRTIME", user_id);
    const now_ms = Date.now();
    const v1: TransactionFact = {
      fact: "transaction",
      tx_ref,
      version: 1,
      owner_user_id: user_id,
      type: "AIRTIME",
      status: "PENDING",
      stage: "hold_placed",
      amount_minor: 10_000,
      currency: "NGN",
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
      deadline_at_ms: now_ms + 60_000,
      escalated_at_ms: null,
    };
    const v2: TransactionFact = { ...v1, version: 2, status: "SUCCESS", stage: "settled" };
    const v3: TransactionFact = { ...v1, version: 3, status: "FAILED", stage: "reversed" };
    expect(await ops.ingest([v1, v2])).toBe(1);
    expect(await ops.ingest([v1, v2])).toBe(0);
    expect(await ops.ingest([v3])).toBe(1);
    expect(await ops.ingest([v2, v3])).toBe(0);
    await runInDurableObject(ops, (_i, state) => {
      const row = state.storage.sql
        .exec<{ version: number; stage: string }>(
          "SELECT version, stage FROM op_transactions WHERE tx_ref = ?",
          tx_ref,
        )
        .one();
      expect(row).toEqual({ version: 3, stage: "reversed" });
      const keys = state.storage.sql
        .exec<{ outcome: string }>(
          "SELECT outcome FROM op_settlements WHERE tx_ref = ? ORDER BY outcome",
          tx_ref,
        )
        .toArray();
      expect(keys.map((k) => k.outcome)).toEqual(["reversed", "succeeded"]);
    });
  });

  it("keeps the newest version when an older one arrives after it, in a later batch or later in the same one", async () => {
    const ops = env.OPERATIONS.getByName(OPERATIONS_OBJECT);
    const { user_id } = await newWallet();
    const now_ms = Date.now();
    // v2: still pending, its deadline long past (the overdue list, oldest deadline first, would
    // show it at the top); v3: paid out.
    const version = (tx_ref: string) => {
      const v2: TransactionFact = {
        fact: "transaction",
        tx_ref,
        version: 2,
        owner_user_id: user_id,
        type: "WITHDRAW",
        status: "PENDING",
        stage: "submitted",
        amount_minor: 25_000,
        currency: "NGN",
        created_at_ms: 1_000,
        updated_at_ms: now_ms - 60_000,
        deadline_at_ms: 2_000,
        escalated_at_ms: null,
      };
      return {
        v2,
        v3: {
          ...v2,
          version: 3,
          status: "SUCCESS",
          stage: "settled",
          updated_at_ms: now_ms,
        } satisfies TransactionFact,
      };
    };
    const apart = version(newTxRef("WITHDRAW", user_id));
    const together = version(newTxRef("WITHDRAW", user_id));
    const before = settledOf(await view(), "WITHDRAW", "succeeded");
    expect(await ops.ingest([apart.v3])).toBe(1);
    expect(await ops.ingest([apart.v2])).toBe(0);
    expect(await ops.ingest([together.v3, together.v2])).toBe(1);
    await runInDurableObject(ops, (_i, state) => {
      for (const { v3 } of [apart, together]) {
        const row = state.storage.sql
          .exec(
            "SELECT version, status, stage, updated_at_ms FROM op_transactions WHERE tx_ref = ?",
            v3.tx_ref,
          )
          .one();
        expect(row, v3.tx_ref).toEqual({
          version: 3,
          status: "SUCCESS",
          stage: "settled",
          updated_at_ms: now_ms,
        });
      }
    });
    const after = await view();
    expect(settledOf(after, "WITHDRAW", "succeeded") - before).toBe(2);
    const listed = after.overdue.data.map((t) => t.tx_ref);
    for (const { v3 } of [apart, together]) expect(listed).not.toContain(v3.tx_ref);
  });

  it("prunes a terminal transaction past its retention and keeps its count", async () => {
    const ops = env.OPERATIONS.getByName(OPERATIONS_OBJECT);
    const { user_id } = await newWallet();
    const tx_ref = newTxRef("DATA", user_id);
    const old_ms = Date.now() - OPERATOR_TERMINAL_RETAIN_MS - 60_000;
    const before = settledOf(await view(), "DATA", "failed");
    expect(
      await ops.ingest([
        {
          fact: "transaction",
          tx_ref,
          version: 2,
          owner_user_id: user_id,
          type: "DATA",
          status: "FAILED",
          stage: "failed",
          amount_minor: 10_000,
          currency: "NGN",
          created_at_ms: old_ms,
          updated_at_ms: old_ms,
          deadline_at_ms: old_ms + 60_000,
          escalated_at_ms: null,
        },
      ]),
    ).toBe(1);
    await runInDurableObject(ops, (_i, state) => {
      expect(
        state.storage.sql.exec("SELECT 1 FROM op_transactions WHERE tx_ref = ?", tx_ref).toArray(),
      ).toEqual([]);
      expect(
        state.storage.sql.exec("SELECT 1 FROM op_settlements WHERE tx_ref = ?", tx_ref).toArray(),
      ).toEqual([]);
    });
    expect(settledOf(await view(), "DATA", "failed") - before).toBe(1);
  });
});

describe("resolving an anomaly", () => {
  it("takes it off the open list and the gauge, once; an unknown one is 404", async () => {
    const over = await overpaidFunding();
    await fedToOperators(over.stub);
    const path = `/admin/anomalies/${over.tx_ref}/overpaid/resolve`;
    const m0 = await metrics();
    // Resolving is an act: the read-only script token and a viewer are refused, an operator resolves.
    const byScript = await expectProblem(await api(path, { method: "POST", headers: ADMIN }), 403);
    expect(byScript.code).toBe("operator_required");
    const viewer = await operatorHeaders(uniqueEmail("viewer"), "viewer");
    expect(
      (await expectProblem(await api(path, { method: "POST", headers: viewer }), 403)).code,
    ).toBe("role_required");
    const OPS = await operatorHeaders(uniqueEmail("ops"), "operator");
    const res = await api(path, { method: "POST", headers: OPS });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tx_ref: over.tx_ref,
      kind: "overpaid",
      ref: null,
      resolved: true,
    });
    expect((await view()).anomalies.data.map((a) => a.tx_ref)).not.toContain(over.tx_ref);
    expect(sample(await metrics(), 'wallet_anomalies_open{kind="overpaid"}')).toBe(
      sample(m0, 'wallet_anomalies_open{kind="overpaid"}') - 1,
    );
    await expectProblem(await api(path, { method: "POST", headers: OPS }), 404);
    await expectProblem(
      await api(`/admin/anomalies/${over.tx_ref}/Not-A-Kind/resolve`, {
        method: "POST",
        headers: OPS,
      }),
      422,
    );
    // The wallet's own audit trail keeps it.
    expect((await over.stub.anomalies()).map((a) => a.kind)).toEqual(["overpaid"]);
  });
});

describe("operator routes refuse without the admin token", () => {
  const routes: [string, string][] = [
    ["GET", "/admin/operations"],
    ["GET", "/admin/metrics"],
    ["POST", "/admin/anomalies/fnd_x/overpaid/resolve"],
  ];
  for (const [method, path] of routes) {
    it(`refuses ${method} ${path} without a token, with a wrong one, and with a user's token`, async () => {
      const none = await expectProblem(await api(path, { method }), 401);
      expect(none.code).toBe("unauthorized");
      await expectProblem(
        await api(path, { method, headers: { authorization: "Bearer wrong-token" } }),
        401,
      );
      await expectProblem(
        await api(path, { method, headers: { authorization: `${ADMIN.authorization}x` } }),
        401,
      );
      const { auth } = await fundedWallet(100);
      await expectProblem(await api(path, { method, headers: auth }), 401);
    });
  }
});
