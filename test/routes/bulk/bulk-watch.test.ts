/**
 * Watching a bulk top-up over the WebSocket, through the real routes: the
 * batch's answer carries a watch ticket; the socket opened with it hears the
 * counts and each line that changed, version by version, while the wallet's
 * alarm and the queue's consumer buy the lines against the VTpass
 * look-alike, until every line is final; then the socket is closed (1000).
 * Only the batch's owner opens it: another user's ticket, or a ticket signed
 * for another user naming this batch, or another user's bearer token, is
 * refused, and leaves the owner's watch working.
 */
import { describe, expect, it } from "vitest";
import { BULK_WATCH_LINES_MAX } from "../../../src/durable/wallet/limits";
import { api, eventually, expectLedgerConsistent, fundedWallet } from "../../support/helpers";
import { ticketFor, upgrade, watch, type Frame } from "../../support/realtime";
import { uniqueMtnNumber } from "../../support/purchases";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

type Started = { batch_id: string; watch: { websocket_url: string; ticket: string } };
type BatchFrame = Frame & {
  type: "batch";
  batch_id: string;
  final: boolean;
  version: number;
  counts: Record<string, number>;
  changed: { line: number; status: string; amount_minor: number; tx_ref: string | null }[];
  truncated: boolean;
};

const DELIVERS = "08011111111";
/** Amounts no other line of this file uses (the look-alike refuses a repeat of number and amount within 30 s). */
let nextAmount = 200 + (crypto.getRandomValues(new Uint32Array(1))[0] % 20_000);

async function startCsv(auth: Record<string, string>, rows: string[]): Promise<Started> {
  const res = await api("/wallet/bulk", {
    method: "POST",
    headers: { ...auth, "content-type": "text/csv" },
    body: `type,phone,amount\r\n${rows.join("\r\n")}\r\n`,
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
  return JSON.parse(text) as Started;
}

const isBatch = (f: Frame | string): f is BatchFrame => typeof f === "object" && f.type === "batch";
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe("watching a batch over the WebSocket", () => {
  it("hears counts and each changed line until every line is final, then closes", async () => {
    const amounts = Array.from({ length: 6 }, () => nextAmount++);
    const refused_phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", {
        body: { operation: "pay", match: refused_phone, mode: "refuse" },
      }),
    );
    const rows = amounts.map((a, i) => `airtime,${i === 2 ? refused_phone : DELIVERS},${a}`);
    const funded = amounts.reduce((a, b) => a + b, 0) * 100 + 100_00;
    const w = await fundedWallet(funded);
    const batch = await startCsv(w.auth, rows);
    const url = new URL(batch.watch.websocket_url);
    expect(url.pathname).toBe("/api/v1/ws/wallet");
    expect(url.searchParams.get("tx_ref")).toBe(batch.batch_id);

    const watcher = await watch({ tx_ref: batch.batch_id, ticket: batch.watch.ticket });
    const last = await watcher.waitFor<BatchFrame>((f) => isBatch(f) && f.final, 30_000);
    const frames = watcher.frames.filter(isBatch);
    // The socket opens while the alarm is still releasing: later versions come as their own frames.
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.slice(1).some((f) => f.changed.length > 0)).toBe(true);
    for (const f of frames) {
      expect(f.batch_id).toBe(batch.batch_id);
      expect(sum(f.counts)).toBe(6);
      expect(f.changed.length).toBeLessThanOrEqual(BULK_WATCH_LINES_MAX);
    }
    // Versions only grow: the first frame is the state at join, each later one a newer version.
    const versions = frames.map((f) => f.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
    expect(last.counts).toMatchObject({ succeeded: 5, failed: 1, queued: 0, sending: 0 });
    expect(last.status).toBe("done");
    // Each line's newest status, from the join frame's lines and every change after it.
    const latest = new Map<number, string>();
    for (const f of frames) for (const l of f.changed) latest.set(l.line, l.status);
    expect([...latest.keys()].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    expect([...latest.entries()].filter(([, s]) => s === "succeeded")).toHaveLength(5);
    expect(latest.get(4)).toBe("failed");
    // The settled socket is closed after its grace.
    expect((await watcher.closedWithin(15_000)).code).toBe(1000);

    // The batch's GET gives a fresh ticket, which opens the room at its final state.
    const got = (await (
      await api(`/wallet/bulk/${batch.batch_id}`, { headers: w.auth })
    ).json()) as Started;
    const late = await watch({ tx_ref: batch.batch_id, ticket: got.watch.ticket });
    const first = await late.waitFor<BatchFrame>(isBatch);
    expect(first).toMatchObject({ final: true, version: last.version, truncated: false });
    expect(first.changed.map((l) => l.status).sort()).toEqual([
      "failed",
      ...Array(5).fill("succeeded"),
    ]);
    late.close();
    const audit = await expectLedgerConsistent(w.stub);
    expect(audit.balance_minor).toBe(
      funded - (amounts.reduce((a, b) => a + b, 0) - amounts[2]) * 100,
    );
  });

  it("opens only for the batch's owner", async () => {
    // Amounts run up to ~20,200 naira (see nextAmount).
    const owner = await fundedWallet(25_000_00);
    const other = await fundedWallet(25_000_00);
    const mine = await startCsv(owner.auth, [`airtime,${DELIVERS},${nextAmount++}`]);
    const theirs = await startCsv(other.auth, [`airtime,${DELIVERS},${nextAmount++}`]);

    // Another user comes first: the room asks their wallet, finds nothing, and stores nothing.
    const forged = await ticketFor(other.user_id, mine.batch_id);
    const refusals: {
      query: Record<string, string>;
      headers?: Record<string, string>;
      status: number;
    }[] = [
      // Their own ticket, for their own batch, names another batch: 401.
      { query: { tx_ref: mine.batch_id, ticket: theirs.watch.ticket }, status: 401 },
      // A valid ticket of theirs naming this batch (never issued by us; signed here): not theirs, 404.
      { query: { tx_ref: mine.batch_id, ticket: forged }, status: 404 },
      // Their bearer token: 404, as for a batch that does not exist.
      { query: { tx_ref: mine.batch_id }, headers: other.auth, status: 404 },
      { query: { tx_ref: "bat_0000000000000000000000zz" }, headers: owner.auth, status: 404 },
    ];
    for (const r of refusals) {
      const { res, watcher } = await upgrade(r.query, r.headers ?? {});
      expect(res.status, JSON.stringify(r.query)).toBe(r.status);
      expect(watcher).toBeNull();
      expect(await res.text()).not.toContain(owner.user_id);
    }

    // The owner's ticket and token both open it, and hear the batch to its end.
    const watcher = await watch({ tx_ref: mine.batch_id, ticket: mine.watch.ticket });
    const by_token = await watch({ tx_ref: mine.batch_id }, owner.auth);
    for (const w of [watcher, by_token]) {
      const final = await w.waitFor<BatchFrame>((f) => isBatch(f) && f.final, 30_000);
      expect(final.counts.succeeded).toBe(1);
      w.close();
    }
    // After the owner's, another user is still refused.
    const again = await upgrade({ tx_ref: mine.batch_id }, other.auth);
    expect(again.res.status).toBe(404);
    await eventually(async () => {
      const res = await api(`/wallet/bulk/${theirs.batch_id}`, { headers: other.auth });
      expect(((await res.json()) as { status: string }).status).toBe("done");
    });
  });
});
