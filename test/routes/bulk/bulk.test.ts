/**
 * Bulk top-ups through the real routes, the wallet's alarm, the queue and
 * its consumer, against the VTpass look-alike: a batch is checked whole
 * before anything is held, refused when the balance cannot cover it (or,
 * with partial, buys exactly the prefix that fits), each line is one held
 * payment bought once even when its message is sent twice, the counts add
 * up, results.csv has a row per line, and another user's batch is 404.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  api,
  env,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
  loadMongoDriverFirst,
} from "../../support/helpers";
import { BULK_LINES_IN_FLIGHT_MAX } from "../../../src/durable/wallet/limits";
import { payCount, uniqueMtnNumber } from "../../support/purchases";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

loadMongoDriverFirst();

type Batch = {
  batch_id: string;
  status: "running" | "done";
  lines: number;
  total_minor: number;
  counts: Record<string, number>;
  items?: {
    line: number;
    phone: string;
    status: string;
    tx_ref: string | null;
    code: string | null;
    reason: string | null;
    amount_minor: number;
  }[];
};

function postCsv(auth: Record<string, string>, csv: string, query = ""): Promise<Response> {
  return api(`/wallet/bulk${query}`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/csv" },
    body: csv,
  });
}

async function started(res: Response): Promise<Batch> {
  const text = await res.text();
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
  return JSON.parse(text) as Batch;
}

async function getBatch(
  auth: Record<string, string>,
  batch_id: string,
  query = "",
): Promise<Batch> {
  const res = await api(`/wallet/bulk/${batch_id}${query}`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as Batch;
}

/** The batch once no line is queued or in flight. */
function finished(auth: Record<string, string>, batch_id: string): Promise<Batch> {
  return eventually(
    async () => {
      const batch = await getBatch(auth, batch_id);
      expect(batch.status).toBe("done");
      return batch;
    },
    30_000,
    200,
  );
}

async function txCount(stub: {
  listTransactions: (q: { limit: number }) => Promise<{ ok: boolean; data?: unknown[] }>;
}) {
  const listed = await stub.listTransactions({ limit: 50 });
  return listed.data?.length ?? -1;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Lines the look-alike delivers: its test number, each with an amount no
 * other line uses (it refuses the same number and amount within 30 s: 019).
 */
function deliverable(naira: number[]): { phone: string; naira: number }[] {
  return naira.map((v) => ({ phone: DELIVERS, naira: nextAmount++ + v }));
}
/** Amounts taken in turn from a random start, so no two lines of this file share one. */
let nextAmount = 100 + (crypto.getRandomValues(new Uint32Array(1))[0] % 20_000);
const DELIVERS = "08011111111";
const total = (lines: { naira: number }[]) => lines.reduce((a, l) => a + l.naira * 100, 0);

const airtimeCsv = (lines: { phone: string; naira: number }[]) =>
  `type,phone,amount\r\n${lines.map((l) => `airtime,${l.phone},${l.naira}`).join("\r\n")}\r\n`;

describe("POST /wallet/bulk: a batch bought line by line", () => {
  it("buys every line of a CSV once, as its own held payment; counts add up; results.csv has a row per line", async () => {
    const lines = deliverable([0, 0, 0, 0, 0, 0, 0, 0]);
    const refused_phone = uniqueMtnNumber();
    lines[3] = { phone: refused_phone, naira: 103 };
    const funded = total(lines) + 1_000_00;
    const w = await fundedWallet(funded);
    await controlData(
      await vtControl("/faults", {
        body: { operation: "pay", match: refused_phone, mode: "refuse" },
      }),
    );
    const batch = await started(await postCsv(w.auth, airtimeCsv(lines)));
    expect(batch).toMatchObject({ lines: 8, total_minor: total(lines), status: "running" });
    expect(sum(batch.counts)).toBe(8);

    const done = await finished(w.auth, batch.batch_id);
    expect(sum(done.counts)).toBe(8);
    expect(done.counts).toMatchObject({ succeeded: 7, failed: 1, queued: 0, sending: 0 });
    const items = done.items ?? [];
    expect(items.map((l) => l.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const refused = items[3];
    expect(refused.phone).toBe(refused_phone);
    expect(refused).toMatchObject({ status: "failed", code: "purchase_refused" });
    // Each line its own transaction, each paid at the provider once.
    const refs = items.map((l) => l.tx_ref);
    expect(new Set(refs).size).toBe(8);
    for (const tx_ref of refs) {
      const tx = await w.stub.getTransaction(tx_ref as string);
      expect(tx?.type).toBe("AIRTIME");
      expect(await payCount(String(tx?.provider_ref))).toBe(1);
    }
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit.balance_minor).toBe(funded - (total(lines) - 103_00));
    expect(audit.held_minor).toBe(0);

    const csv = await api(`/wallet/bulk/${batch.batch_id}/results.csv`, { headers: w.auth });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = (await csv.text()).trimEnd().split("\r\n");
    expect(rows[0]).toBe("line,recipient,product,amount,status,tx_ref,reason");
    expect(rows).toHaveLength(9);
    expect(rows[1]).toBe(`2,${DELIVERS},airtime,${lines[0].naira}.00,succeeded,${refs[0]},`);
    expect(rows[4]).toMatch(new RegExp(`^5,${refused_phone},airtime,103.00,failed,${refs[3]},`));
  });

  it("refuses a batch the available balance cannot cover, and holds nothing", async () => {
    const w = await fundedWallet(500_00);
    const before = await w.stub.listTransactions({ limit: 50 });
    const lines = Array.from({ length: 3 }, () => ({ phone: uniqueMtnNumber(), naira: 200 }));
    const problem = await expectProblem(await postCsv(w.auth, airtimeCsv(lines)), 422);
    expect(problem).toMatchObject({
      code: "batch_not_covered",
      total_minor: 600_00,
      available_minor: 500_00,
    });
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit).toMatchObject({ balance_minor: 500_00, held_minor: 0 });
    expect(await w.stub.listTransactions({ limit: 50 })).toEqual(before);
  });

  it("with partial: true buys exactly the prefix that fits, and skips the rest", async () => {
    const lines = deliverable([0, 0, 0, 0]);
    // The first two fit; the third does not, and a smaller fourth is not bought either (in order).
    const funded = lines[0].naira * 100 + lines[1].naira * 100 + 50_00;
    const w = await fundedWallet(funded);
    const batch = await started(await postCsv(w.auth, airtimeCsv(lines), "?partial=true"));
    expect(batch.counts).toMatchObject({ queued: 2, skipped: 2 });
    const done = await finished(w.auth, batch.batch_id);
    expect(done.counts).toMatchObject({ succeeded: 2, skipped: 2 });
    expect(done.items?.map((l) => l.status)).toEqual([
      "succeeded",
      "succeeded",
      "skipped",
      "skipped",
    ]);
    expect(done.items?.[2]).toMatchObject({ code: "not_covered", tx_ref: null });
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit).toMatchObject({ balance_minor: 50_00, held_minor: 0 });
    expect(done.items?.[3].amount_minor).toBeGreaterThan(50_00);
  });

  it("refuses a malformed file with every line's error and line number, and buys nothing", async () => {
    const w = await fundedWallet(500_00);
    const csv = `type,phone,amount\nairtime,${uniqueMtnNumber()},100\nairtime,,100\ndata,${uniqueMtnNumber()},\nairtime,12345,100\n`;
    const problem = await expectProblem(await postCsv(w.auth, csv), 422);
    expect(problem.code).toBe("bulk_invalid");
    // Every line's problems in one answer: a missing field, and a number that is not a
    // Nigerian mobile number (found when the well-formed lines are looked up).
    expect(problem).toMatchObject({
      line_errors: [
        { line: 3, field: "phone", code: "phone_required" },
        { line: 4, field: "plan", code: "plan_required" },
        { line: 5, field: "phone" },
      ],
    });
    expect((problem as unknown as { line_errors: unknown[] }).line_errors).toHaveLength(3);
    // A bad number alone is a line error too.
    const bad_number = await expectProblem(
      await postCsv(
        w.auth,
        `type,phone,amount\nairtime,${uniqueMtnNumber()},100\nairtime,12345,100\n`,
      ),
      422,
    );
    expect(
      (bad_number as unknown as { line_errors: { line: number; field: string }[] }).line_errors,
    ).toMatchObject([{ line: 3, field: "phone" }]);
    const data_unknown = await expectProblem(
      await api("/wallet/bulk", {
        method: "POST",
        headers: { ...w.auth, "content-type": "application/json" },
        body: JSON.stringify({
          lines: [{ type: "data", phone: uniqueMtnNumber(), plan: "no-such-plan" }],
        }),
      }),
      422,
    );
    expect(data_unknown).toMatchObject({
      code: "bulk_invalid",
      line_errors: [{ line: 1, code: "plan_unknown" }],
    });
    expect(await txCount(w.stub)).toBe(1);
    expect((await expectLedgerConsistent(w.stub)).held_minor).toBe(0);
  });

  it("refuses more than BULK_LINES_MAX lines, and a type it cannot read", async () => {
    const w = await fundedWallet(100_00);
    const many = airtimeCsv(
      Array.from({ length: 501 }, () => ({ phone: "08031234567", naira: 100 })),
    );
    const problem = await expectProblem(await postCsv(w.auth, many), 422);
    expect(problem).toMatchObject({
      code: "bulk_invalid",
      line_errors: [{ code: "too_many_lines" }],
    });
    await expectProblem(
      await api("/wallet/bulk", {
        method: "POST",
        headers: { ...w.auth, "content-type": "text/plain" },
        body: "x",
      }),
      415,
    );
  });

  it("takes JSON lines (application/x-ndjson)", async () => {
    const [a, b] = deliverable([0, 0]);
    const w = await fundedWallet(total([a, b]));
    const body = `{"type":"airtime","phone":"${a.phone}","amount":${a.naira}}\n\n{"type":"airtime","phone":"${b.phone}","amount":"${b.naira}"}\n`;
    const batch = await started(
      await api("/wallet/bulk", {
        method: "POST",
        headers: { ...w.auth, "content-type": "application/x-ndjson" },
        body,
      }),
    );
    const done = await finished(w.auth, batch.batch_id);
    expect(done.items?.map((l) => [l.line, l.status])).toEqual([
      [1, "succeeded"],
      [3, "succeeded"],
    ]);
  });
});

describe("each line buys once", () => {
  it("under a doubled alarm and re-sent messages: one transaction and one provider call per line", async () => {
    const lines = deliverable([0, 0, 0, 0, 0]);
    const w = await fundedWallet(total(lines) + 100_00);
    // VTpass delivers, then its answer is lost: each line stays in flight until our client gives up.
    await controlData(
      await vtControl("/faults", {
        body: { operation: "pay", match: DELIVERS, mode: "commit_then_hang", times: lines.length },
      }),
    );
    const batch = await started(await postCsv(w.auth, airtimeCsv(lines)));
    await eventually(async () =>
      expect((await getBatch(w.auth, batch.batch_id)).counts.sending).toBe(lines.length),
    );
    // The lines in flight look lost to the wallet: its next alarm, run twice, sends them again.
    for (let i = 0; i < 2; i++) {
      await runInDurableObject(w.stub, async (_i, state) => {
        if (i === 0)
          state.storage.sql.exec(
            "UPDATE bulk_lines SET released_at_ms = 0 WHERE state = 'sending'",
          );
        await state.storage.setAlarm(Date.now() + 3_600_000);
      });
      expect(await runDurableObjectAlarm(w.stub)).toBe(true);
    }
    const sends = await runInDurableObject(w.stub, (_i, state) =>
      state.storage.sql
        .exec<{ sends: number }>("SELECT sends FROM bulk_lines ORDER BY line")
        .toArray()
        .map((r) => r.sends),
    );
    expect(sends).toEqual(lines.map(() => 2));
    const done = await finished(w.auth, batch.batch_id);
    // The provider's answers were lost: held and pending until the reconciler asks.
    expect(done.counts.pending).toBe(lines.length);
    await runReconciler(w.stub);
    const settled = await getBatch(w.auth, batch.batch_id);
    expect(settled.counts.succeeded).toBe(lines.length);
    // Every line's message once more, as a redelivery would bring it: nothing changes.
    for (const item of settled.items ?? [])
      await env.WALLET_EVENTS.send({
        v: 1,
        kind: "bulk.line",
        request_id: `req_test_${item.line}`,
        user_id: w.user_id,
        batch_id: batch.batch_id,
        line: item.line,
      });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await getBatch(w.auth, batch.batch_id)).items).toEqual(settled.items);
    const listed = await w.stub.listTransactions({ limit: 50, type: "AIRTIME" });
    const txs = listed.ok ? listed.data : [];
    expect(txs).toHaveLength(lines.length);
    expect(new Set(txs.map((t) => t.tx_ref))).toEqual(new Set(settled.items?.map((l) => l.tx_ref)));
    for (const tx of txs) expect(await payCount(String(tx.provider_ref))).toBe(1);
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit).toMatchObject({ balance_minor: 100_00, held_minor: 0 });
  });
});

describe("the drain is bounded", () => {
  it("keeps at most BULK_LINES_IN_FLIGHT_MAX lines of a batch in flight, and a later small batch is not held up by a big one", async () => {
    const big = deliverable(Array.from({ length: 30 }, () => 0));
    const small = deliverable([0, 0]);
    const w = await fundedWallet(total(big) + total(small));
    const first = await started(await postCsv(w.auth, airtimeCsv(big)));
    const second = await started(await postCsv(w.auth, airtimeCsv(small)));
    let most_in_flight = 0;
    let big_when_small_done: Batch | null = null;
    await eventually(
      async () => {
        const [a, b] = await Promise.all([
          getBatch(w.auth, first.batch_id),
          getBatch(w.auth, second.batch_id),
        ]);
        most_in_flight = Math.max(most_in_flight, a.counts.sending, b.counts.sending);
        if (b.status === "done" && !big_when_small_done) big_when_small_done = a;
        expect(a.status).toBe("done");
        expect(b.status).toBe("done");
      },
      60_000,
      50,
    );
    expect(most_in_flight).toBeGreaterThan(0);
    expect(most_in_flight).toBeLessThanOrEqual(BULK_LINES_IN_FLIGHT_MAX);
    // The small batch finished while the big one still had lines to buy.
    expect((big_when_small_done as Batch | null)?.status).toBe("running");
    const done = await getBatch(w.auth, first.batch_id, "?limit=500");
    expect(
      done.counts.succeeded,
      JSON.stringify(done.items?.filter((l) => l.status !== "succeeded")),
    ).toBe(30);
    expect(sum(done.counts)).toBe(30);
    await expectLedgerConsistent(w.stub);
  });
});

describe("a batch is its owner's", () => {
  it("answers another user's batch id (and a malformed one) with 404", async () => {
    const owner = await fundedWallet(500_00);
    const other = await fundedWallet(500_00);
    const batch = await started(
      await postCsv(owner.auth, airtimeCsv([{ phone: uniqueMtnNumber(), naira: 100 }])),
    );
    for (const path of [
      `/wallet/bulk/${batch.batch_id}`,
      `/wallet/bulk/${batch.batch_id}/results.csv`,
    ]) {
      const problem = await expectProblem(await api(path, { headers: other.auth }), 404);
      expect(JSON.stringify(problem)).not.toContain(owner.user_id);
    }
    await expectProblem(await api("/wallet/bulk/bat_nope", { headers: owner.auth }), 404);
    await expectProblem(await api(`/wallet/bulk/${batch.batch_id}`), 401);
    await finished(owner.auth, batch.batch_id);
  });
});
