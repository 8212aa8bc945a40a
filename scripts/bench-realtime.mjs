// Realtime fan-out against `wrangler dev`: how long from a funding's settlement
// until the LAST of N watchers of its room has the final status, for N = 1, 100
// and 1,000 watchers on one room (BENCH_WATCHERS=1,100,1000 to change), each
// beside a bare hibernating object broadcasting to N sockets in the same run.
//
//   npm run bench:realtime            (BENCH_REPEATS=3 settlements per N by default)
//
// Each settlement: fund through the API, open N WebSockets with the funding's
// watch ticket (`?tx_ref=&ticket=`, the hibernating path), wait until every one
// has the PENDING status, pay in the sandbox checkout, and wait for SUCCESS on
// all N. Settlement time is the `updated_at` the Wallet stamps when it settles
// (the status frame carries it); server and watchers share this machine's
// clock, so receive time minus `updated_at` is the fan-out latency without the
// webhook -> queue delay in front of it (the queue waits up to
// max_batch_timeout = 1 s in development). pay -> last is kept beside it.
//
// Baseline: N sockets on the bare BenchBaseline object (src/sandbox/bench/);
// each broadcast frame carries its send time, so receive minus send is the
// platform's fan-out with nothing of ours in it. For each N the baseline's
// broadcasts run just before the settlements, never with both socket sets open.
//
// rate/s is deliveries per second until the last watcher (N / last), so the
// ratio is baseline last / settlement last. Nothing here asserts on time.
//
// The user and each funding come from the TypeScript client (clients/typescript);
// the N watchers are raw `ws` sockets, since the measure is each socket's
// own receive time, the same way for the app and the baseline.
import WebSocket from "ws";
import { envNumber, goalOf, newUser, percentile, round, row, standalone } from "./bench-lib.mjs";

const OPEN_CONCURRENCY = 100;
/**
 * Every settlement round opens a funding as the same user (1 + repeats per
 * room size), past FUND_USER_LIMITER's 10 a minute (development as
 * production): the benchmark's own server raises that limit.
 */
export const ratelimits = { FUND_USER_LIMITER: 1_000_000 };
const TIMEOUT_MS = 60_000;
/** Date.now() has 1 ms resolution: a fan-out faster than that is counted as 1 ms. */
const CLOCK_RESOLUTION_MS = 1;

function deadline(promise, what, ms = TIMEOUT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/**
 * One socket. `ready` resolves when `isReady(frame)` first holds (or on open
 * when no predicate is given); `next(match)` resolves with { at_ms, frame } on
 * the first later frame that `match` accepts.
 */
function openSocket(url, isReady) {
  const ws = new WebSocket(url);
  let waiting = null;
  let onReady, onError;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    onError = reject;
  });
  if (!isReady) ws.on("open", () => onReady());
  ws.on("message", (data) => {
    const at_ms = Date.now();
    const frame = JSON.parse(String(data));
    if (isReady?.(frame)) onReady();
    if (waiting?.match(frame)) {
      const { resolve } = waiting;
      waiting = null;
      resolve({ at_ms, frame });
    }
  });
  ws.on("unexpected-response", (_req, res) =>
    onError(new Error(`upgrade refused: ${res.statusCode}`)),
  );
  ws.on("error", (error) => onError(error));
  return { ws, ready, next: (match) => new Promise((resolve) => (waiting = { match, resolve })) };
}

async function openAll(url, n, isReady) {
  const sockets = [];
  for (let i = 0; i < n; i += OPEN_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(OPEN_CONCURRENCY, n - i) }, () =>
      openSocket(url, isReady),
    );
    await deadline(Promise.all(batch.map((s) => s.ready)), `open ${n} sockets`);
    sockets.push(...batch);
  }
  return sockets;
}

/** Latencies of one fan-out: each receive time minus the one send stamp. */
function fanOut(results, sent_at_ms) {
  const latencies = results.map((r) => r.at_ms - sent_at_ms).sort((a, b) => a - b);
  return {
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    last_ms: latencies[latencies.length - 1],
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median fan-out of several rounds, as a row's stats. */
function statsOf(n, rounds, note) {
  const last_ms = Math.max(CLOCK_RESOLUTION_MS, median(rounds.map((r) => r.last_ms)));
  return {
    rate_per_s: round((n / last_ms) * 1000, 1),
    p50_ms: median(rounds.map((r) => r.p50_ms)),
    p99_ms: median(rounds.map((r) => r.p99_ms)),
    note: `last of ${n} after ${last_ms} ms (median of ${rounds.length})${note ? `; ${note}` : ""}`,
    extra: { last_ms, rounds },
  };
}

export async function run(server, { watchers = [1, 100, 1000], repeats = 3 } = {}) {
  const wsOrigin = server.origin.replace(/^http/, "ws");
  const { client } = await newUser(server.origin, "realtime");

  /** One broadcast on the bare object to its open sockets. */
  async function bareRound(name, sockets) {
    const received = sockets.map((s) => s.next((frame) => frame.type === "broadcast"));
    const res = await fetch(`${server.origin}/__sandbox/bench/broadcast?name=${name}`, {
      method: "POST",
    });
    const { sockets: reached } = await res.json();
    if (reached !== sockets.length)
      throw new Error(`broadcast reached ${reached} of ${sockets.length}`);
    const results = await deadline(Promise.all(received), `broadcast to ${sockets.length}`);
    return fanOut(results, results[0].frame.sent_at_ms);
  }

  /** One funding settled while `n` watchers wait for it. */
  async function settlementRound(n) {
    const funding = await client.fund({ amount: "1000" });
    const url = new URL(funding.watch.websocket_url);
    url.searchParams.set("ticket", funding.watch.ticket);
    const sockets = await openAll(
      url.toString(),
      n,
      (frame) => frame.type === "status" && frame.status === "PENDING",
    );
    const settled = sockets.map((s) =>
      s.next((frame) => frame.type === "status" && frame.status !== "PENDING"),
    );
    const paid_at_ms = Date.now();
    const paid = await fetch(funding.payment_link, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    if (paid.status !== 303) throw new Error(`pay ${paid.status}`);
    const results = await deadline(Promise.all(settled), `settlement to reach ${n} watchers`);
    for (const s of sockets) s.ws.close(1000, "bench done");
    const pay_to_last_ms = Math.max(...results.map((r) => r.at_ms)) - paid_at_ms;
    return { ...fanOut(results, Date.parse(results[0].frame.updated_at)), pay_to_last_ms };
  }

  // Warm up the whole path once (first Room, first queue batch, module compilation).
  await settlementRound(1);

  const rows = [];
  for (const n of watchers) {
    const name = `bench-room-${n}-${Date.now()}`;
    const sockets = await openAll(`${wsOrigin}/__sandbox/bench/sockets?name=${name}`, n);
    await bareRound(name, sockets); // warm-up
    const bare = [];
    for (let r = 0; r < repeats; r++) bare.push(await bareRound(name, sockets));
    // Closed before the settlements open theirs: one set at a time halves the
    // peak. A run with both sets of 1,000 open (2,000 sockets in one
    // development isolate, on a loaded 2-core machine) saw the worker restart.
    for (const s of sockets) s.ws.close(1000, "bench done");
    const app = [];
    for (let r = 0; r < repeats; r++) app.push(await settlementRound(n));
    const baseline = row(
      "realtime",
      `bare hibernating broadcast -> ${n} socket${n === 1 ? "" : "s"}`,
      statsOf(n, bare),
    );
    const pay = median(app.map((x) => x.pay_to_last_ms));
    rows.push(
      baseline,
      row(
        "realtime",
        `settlement -> ${n} watcher${n === 1 ? "" : "s"}`,
        statsOf(n, app, `pay -> last ${pay} ms (adds webhook, queue, verify)`),
        baseline,
        n === 1000 ? goalOf("fanout_1000") : "-",
      ),
    );
  }
  return rows;
}

await standalone(import.meta.url, {
  name: "realtime",
  title:
    "Realtime fan-out against wrangler dev: one room, medians per row (ms from send/settle stamp to receive)",
  ratelimits,
  run,
  options: {
    watchers: (process.env.BENCH_WATCHERS ?? "1,100,1000").split(",").map(Number),
    repeats: envNumber("BENCH_REPEATS", 3),
  },
});
