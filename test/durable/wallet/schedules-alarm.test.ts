/**
 * Scheduled top-ups driven by the Wallet's alarm (issue 23), through the real
 * routes, the real alarm, the real queue and consumer, and the VTpass
 * look-alike. Time is moved by storing a schedule's next run in the past and
 * running the alarm (never by sleeping through a period).
 *
 * What is proven:
 *  - a run without the balance is skipped with insufficient_funds, holds
 *    nothing, reaches the operator index as an anomaly, and the schedule goes on;
 *  - SCHEDULE_SKIPS_MAX (3) consecutive skips pause it; resuming starts the
 *    count afresh, and a run that goes resets it;
 *  - a doubled alarm over the same due time and a doubled queue message buy once;
 *  - a schedule changed while its run is in flight: that run keeps the
 *    product it was recorded with, the next run takes the new one;
 *  - a late alarm buys once for the missed periods (no catch-up burst), a
 *    count ends the schedule, and a monthly 31st runs on the month's last
 *    Lagos day at the Lagos time.
 */
import {
  createExecutionContext,
  createMessageBatch,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { SCHEDULE_RUN_SKIPPED, shardName, shardOf } from "../../../src/domain/operator";
import { daysInMonth } from "../../../src/domain/schedules";
import type { Wallet } from "../../../src/durable/wallet/object";
import { operatorIndexShards } from "../../../src/lib/config";
import {
  api,
  env,
  eventually,
  expectLedgerConsistent,
  fundedWallet,
  verifyForAmount,
} from "../../support/helpers";
import { newTxRef } from "../../../src/lib/ids";
import { ADMIN_TOKEN_HEADERS } from "../../support/operators";
import { payCount, uniqueNaira } from "../../support/purchases";

const DAY = 24 * 3_600_000;

type Run = {
  period: string;
  status: "due" | "submitted" | "skipped";
  tx_ref: string | null;
  reason_code: string | null;
};
type Schedule = {
  id: string;
  status: string;
  paused_reason: string | null;
  consecutive_skips: number;
  runs_done: number;
  next_run_at: string | null;
  last_runs: Run[];
  product: { amount_minor?: number };
};

const send = (auth: Record<string, string>, method: string, path: string, body?: unknown) =>
  api(path, {
    method,
    headers: { "content-type": "application/json", ...auth },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A saved phone that the look-alike delivers to at once, and a daily airtime schedule for it. */
async function airtimeSchedule(
  auth: Record<string, string>,
  amount: string,
  extra: Record<string, unknown> = {},
): Promise<Schedule> {
  const b = await json<{ id: string }>(
    await send(auth, "POST", "/wallet/beneficiaries", {
      kind: "phone",
      nickname: "Delivers",
      phone: "08011111111",
      network: "mtn",
    }),
    201,
  );
  return json<Schedule>(
    await send(auth, "POST", "/wallet/schedules", {
      beneficiary_id: b.id,
      product: { kind: "airtime", amount },
      frequency: "daily",
      time: "08:00",
      ...extra,
    }),
    201,
  );
}

const read = async (auth: Record<string, string>, id: string) =>
  json<Schedule>(await send(auth, "GET", `/wallet/schedules/${id}`), 200);

/** Time passing: the schedule's next run is `at_ms` (in the past), and the alarm runs now. */
async function alarmAt(stub: DurableObjectStub<Wallet>, id: string, at_ms: number): Promise<void> {
  await runInDurableObject(stub, async (_wallet, state) => {
    state.storage.sql.exec(
      "UPDATE schedules SET next_run_at_ms = ?, status = 'active' WHERE id = ?",
      at_ms,
      id,
    );
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  if (!(await runDurableObjectAlarm(stub))) throw new Error("no alarm ran");
}

/** Wait until the run of `period` has its outcome (the queue's consumer placed or skipped it). */
async function settledRun(auth: Record<string, string>, id: string, period: string) {
  return eventually(async () => {
    const s = await read(auth, id);
    const run = s.last_runs.find((r) => r.period === period);
    if (!run || run.status === "due") throw new Error(`run ${period} has no outcome yet`);
    return { schedule: s, run };
  }, 20_000);
}

/** Money arriving in an existing wallet through the real funding path (as fundedWallet credits a new one). */
async function credit(stub: DurableObjectStub<Wallet>, amount_minor: number): Promise<void> {
  const user_id = (await stub.profile())?.user_id ?? "";
  await verifyForAmount(stub, user_id, amount_minor);
  const tx_ref = newTxRef("FUND", user_id);
  await stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
  });
  const credited = await stub.applyProviderFacts(
    tx_ref,
    {
      found: true,
      provider_ref: String(Date.now()),
      our_ref: tx_ref,
      outcome: "succeeded",
      amount_minor,
      currency: "NGN",
      message: null,
    },
    { via: "webhook" },
  );
  if (credited.outcome !== "credited") throw new Error(`not credited: ${credited.outcome}`);
}

const lagosDay = (ms: number) => new Date(ms + 3_600_000).toISOString().slice(0, 10);

async function airtimeRows(stub: DurableObjectStub<Wallet>) {
  return runInDurableObject(stub, (_wallet, state) =>
    state.storage.sql
      .exec<{ tx_ref: string; amount_minor: number; provider_ref: string | null; status: string }>(
        "SELECT tx_ref, amount_minor, provider_ref, status FROM transactions WHERE type = 'AIRTIME' ORDER BY created_at_ms",
      )
      .toArray(),
  );
}

describe("scheduled runs from the Wallet's alarm", () => {
  it("a run without the balance is skipped with its reason, holds nothing, reaches the operator index, and the schedule goes on", async () => {
    const { auth, stub, user_id } = await fundedWallet(1_00);
    const s = await airtimeSchedule(auth, "100");
    const due = Date.now() - 60_000;
    await alarmAt(stub, s.id, due);
    const { schedule, run } = await settledRun(auth, s.id, lagosDay(due));
    expect(run).toMatchObject({
      status: "skipped",
      reason_code: "insufficient_funds",
      tx_ref: null,
    });
    expect(schedule).toMatchObject({ status: "active", consecutive_skips: 1, runs_done: 1 });
    expect(Date.parse(schedule.next_run_at ?? "")).toBeGreaterThan(Date.now());
    const audit = await expectLedgerConsistent(stub);
    expect(audit).toMatchObject({ balance_minor: 1_00, held_minor: 0 });
    expect(await airtimeRows(stub)).toEqual([]);
    // The operator index hears it (the feed's operations reader), keyed by schedule and period.
    const shards = operatorIndexShards(env) ?? 1;
    const shard = env.OPERATIONS.getByName(shardName(shardOf(s.id, shards)));
    await eventually(async () => {
      const rows = await runInDurableObject(shard, (_o, state) =>
        state.storage.sql
          .exec<{ kind: string; ref: string; detail: string }>(
            "SELECT kind, ref, detail FROM op_anomalies WHERE tx_ref = ?",
            s.id,
          )
          .toArray(),
      );
      expect(rows).toEqual([
        {
          kind: SCHEDULE_RUN_SKIPPED,
          ref: lagosDay(due),
          detail: expect.stringMatching(/^insufficient_funds: /),
        },
      ]);
    });
    // The console's overview links it to the wallet's page: no transaction was made.
    const overview = await api("/admin/console", { headers: ADMIN_TOKEN_HEADERS });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain(`href="/api/v1/admin/console/wallets/${user_id}"`);
    expect(html).toContain(`<code>${s.id}</code> (${lagosDay(due)})`);
    expect(html).not.toContain(`/admin/console/transactions/${s.id}`);
  }, 60_000);

  it("pauses itself after 3 consecutive skips (SCHEDULE_SKIPS_MAX); resuming starts afresh and a run that goes resets the count", async () => {
    const { auth, stub } = await fundedWallet(1_00);
    const s = await airtimeSchedule(auth, "100");
    let last: Schedule = s;
    for (const days_ago of [5, 4, 3]) {
      const due = Date.now() - days_ago * DAY;
      await alarmAt(stub, s.id, due);
      ({ schedule: last } = await settledRun(auth, s.id, lagosDay(due)));
    }
    expect(last).toMatchObject({
      status: "paused",
      paused_reason: "skipped_runs",
      consecutive_skips: 3,
      next_run_at: null,
    });
    expect(last.last_runs.map((r) => r.status)).toEqual(["skipped", "skipped", "skipped"]);
    // Paused: the alarm records nothing for it.
    await runDurableObjectAlarm(stub);
    expect((await read(auth, s.id)).last_runs).toHaveLength(3);

    const resumed = await json<Schedule>(
      await send(auth, "PATCH", `/wallet/schedules/${s.id}`, { status: "active" }),
      200,
    );
    expect(resumed).toMatchObject({ status: "active", consecutive_skips: 0, paused_reason: null });
    expect(resumed.next_run_at).not.toBeNull();

    // One more skip, then money arrives and the next run goes: the count is back to 0.
    const skipped_at = Date.now() - 2 * DAY;
    await alarmAt(stub, s.id, skipped_at);
    expect((await settledRun(auth, s.id, lagosDay(skipped_at))).schedule.consecutive_skips).toBe(1);
    await credit(stub, 100_000_00);
    const goes_at = Date.now() - DAY;
    await alarmAt(stub, s.id, goes_at);
    const { schedule: after, run } = await settledRun(auth, s.id, lagosDay(goes_at));
    expect(run.status).toBe("submitted");
    expect(after).toMatchObject({ status: "active", consecutive_skips: 0 });
  }, 90_000);

  it("a doubled alarm over the same due time and a doubled queue message buy once", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const s = await airtimeSchedule(auth, amount);
    const due = Date.now() - 60_000;
    await alarmAt(stub, s.id, due);
    await alarmAt(stub, s.id, due);
    const period = lagosDay(due);
    // The same message delivered twice more, at once, to the Worker's queue handler.
    const { default: worker } = await import("../../../src/worker");
    const message = {
      v: 1,
      kind: "schedule.run",
      request_id: "req_doubled",
      user_id: (await stub.profile())?.user_id,
      schedule_id: s.id,
      period,
    };
    const ctx = createExecutionContext();
    await Promise.all(
      [1, 2].map((i) =>
        worker.queue!(
          createMessageBatch("wallet-events", [
            { id: `doubled-${i}`, timestamp: new Date(), attempts: 1, body: message },
          ]),
          env,
          ctx,
        ),
      ),
    );
    await waitOnExecutionContext(ctx);
    const { schedule, run } = await settledRun(auth, s.id, period);
    expect(run.status).toBe("submitted");
    expect(schedule.runs_done).toBe(1);
    expect(schedule.last_runs).toHaveLength(1);
    const rows = await airtimeRows(stub);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tx_ref: run.tx_ref, amount_minor: Number(amount) * 100 });
    expect(await payCount(rows[0].provider_ref ?? "")).toBe(1);
    const audit = await expectLedgerConsistent(stub);
    expect(audit.balance_minor).toBe(100_000_00 - Number(amount) * 100);
  }, 60_000);

  it("a schedule changed while its run is in flight: that run keeps its product, the next run takes the new one", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const first = uniqueNaira();
    let second = uniqueNaira();
    while (second === first) second = uniqueNaira();
    const s = await airtimeSchedule(auth, first);
    const due = Date.now() - 2 * DAY;
    await alarmAt(stub, s.id, due);
    // The run is recorded (in flight); the change comes before or while the consumer places it.
    const changed = await json<Schedule>(
      await send(auth, "PATCH", `/wallet/schedules/${s.id}`, {
        product: { kind: "airtime", amount: second },
      }),
      200,
    );
    expect(changed.product.amount_minor).toBe(Number(second) * 100);
    const { run } = await settledRun(auth, s.id, lagosDay(due));
    const next_due = Date.now() - DAY;
    await alarmAt(stub, s.id, next_due);
    const { run: next } = await settledRun(auth, s.id, lagosDay(next_due));
    const rows = await airtimeRows(stub);
    expect(rows.find((r) => r.tx_ref === run.tx_ref)?.amount_minor).toBe(Number(first) * 100);
    expect(rows.find((r) => r.tx_ref === next.tx_ref)?.amount_minor).toBe(Number(second) * 100);
    await expectLedgerConsistent(stub);
  }, 60_000);

  it("a late alarm buys once for the missed periods, and a count of 2 ends the schedule after its second run", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const s = await airtimeSchedule(auth, uniqueNaira(), { count: 2 });
    const long_ago = Date.now() - 40 * DAY;
    await alarmAt(stub, s.id, long_ago);
    const { schedule } = await settledRun(auth, s.id, lagosDay(long_ago));
    expect(schedule.runs_done).toBe(1);
    const next = Date.parse(schedule.next_run_at ?? "");
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + DAY);
    expect(await airtimeRows(stub)).toHaveLength(1);

    const due = Date.now() - 60_000;
    await alarmAt(stub, s.id, due);
    const { schedule: done } = await settledRun(auth, s.id, lagosDay(due));
    expect(done).toMatchObject({ status: "ended", next_run_at: null, runs_done: 2 });
    expect(await airtimeRows(stub)).toHaveLength(2);
  }, 60_000);

  it("a monthly 31st runs on the month's last Lagos day at the Lagos time (07:00 UTC for 08:00)", async () => {
    const { auth } = await fundedWallet(1_00);
    const b = await json<{ id: string }>(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Month end",
        phone: "08011111111",
      }),
      201,
    );
    const s = await json<Schedule>(
      await send(auth, "POST", "/wallet/schedules", {
        beneficiary_id: b.id,
        product: { kind: "airtime", amount: "100" },
        frequency: "monthly",
        day: 31,
        time: "08:00",
      }),
      201,
    );
    const next = new Date(s.next_run_at ?? "");
    expect(next.getUTCHours()).toBe(7);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getUTCDate()).toBe(daysInMonth(next.getUTCFullYear(), next.getUTCMonth()));
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // Weekly needs its weekday; a daily one takes no day.
    const weekly = await send(auth, "POST", "/wallet/schedules", {
      beneficiary_id: b.id,
      product: { kind: "airtime", amount: "100" },
      frequency: "weekly",
      time: "08:00",
    });
    expect(weekly.status).toBe(422);
  });
});
