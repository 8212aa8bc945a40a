// Realtime fan-out against `wrangler dev`: how long from a funding's settlement
// until the LAST of N watchers of its room has the final status, for N = 1, 100
// and 1,000 watchers on one room (BENCH_WATCHERS=1,100,1000 to change).
//
//   npm run bench:realtime            (BENCH_REPEATS=3 settlements per N by default)
//
// Each round: register once, then per settlement fund through the API, open N
// WebSockets with the funding's watch ticket (`?tx_ref=&ticket=`, the
// hibernating path), wait until every one has the PENDING status, pay in the
// sandbox checkout, and wait for SUCCESS on all N.
//
// Settlement time is the `updated_at` the Wallet stamps when it settles (the
// status frame carries it); server and watchers share this machine's clock, so
// receive time minus `updated_at` is the fan-out latency without the webhook ->
// queue delay in front of it (the queue waits up to max_batch_timeout = 1 s in
// development). pay -> last is reported beside it for the whole path.
//
// Baseline, measured in the same run on the same server: a plain HTTP round
// trip (GET /health) and the N = 1 row. Nothing here asserts on time.
import { mkdirSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import { nextIp, round, sequential, summarise, table } from "./bench-lib.mjs";
import { startDevServer } from "./dev-server.mjs";

const WATCHERS = (process.env.BENCH_WATCHERS ?? "1,100,1000").split(",").map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const OPEN_CONCURRENCY = 100;
const TIMEOUT_MS = 60_000;
const PASSWORD = "correct horse battery";

function deadline(promise, what, ms = TIMEOUT_MS) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** One watcher: resolves `pending` on its first PENDING frame and `settled` (with the receive time) on SUCCESS. */
function openWatcher(url) {
  const ws = new WebSocket(url);
  let onPending, onSettled, onError;
  const pending = new Promise((resolve, reject) => {
    onPending = resolve;
    onError = reject;
  });
  const settled = new Promise((resolve) => (onSettled = resolve));
  ws.on("message", (data) => {
    const at_ms = Date.now();
    const frame = JSON.parse(String(data));
    if (frame.type !== "status") return;
    if (frame.status === "PENDING") onPending();
    else onSettled({ at_ms, frame });
  });
  ws.on("unexpected-response", (_req, res) => onError(new Error(`upgrade refused: ${res.statusCode}`)));
  ws.on("error", (error) => onError(error));
  return { ws, pending, settled };
}

async function openAll(url, n) {
  const watchers = [];
  for (let i = 0; i < n; i += OPEN_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(OPEN_CONCURRENCY, n - i) }, () => openWatcher(url));
    await deadline(Promise.all(batch.map((w) => w.pending)), `open ${n} watchers`);
    watchers.push(...batch);
  }
  return watchers;
}

const server = await startDevServer();
try {
  const base = `${server.origin}/api/v1`;
  const email = `bench.realtime.${Date.now()}@example.com`;
  const registered = await fetch(`${base}/auth/register`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ email, password: PASSWORD }) });
  if (registered.status !== 201) throw new Error(`register ${registered.status}: ${await registered.text()}`);
  const login = await fetch(`${base}/auth/login`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ username: email, password: PASSWORD }) });
  if (login.status !== 200) throw new Error(`login ${login.status}: ${await login.text()}`);
  const { access_token } = await login.json();

  const health = () => fetch(`${base}/health`).then((r) => r.arrayBuffer());
  await sequential(10, health);
  const baseline = summarise(await sequential(100, health));

  async function round_(n) {
    const res = await fetch(`${base}/wallet/fund`, { method: "POST", headers: { authorization: `Bearer ${access_token}` }, body: new URLSearchParams({ amount: "1000" }) });
    if (res.status !== 201) throw new Error(`fund ${res.status}: ${await res.text()}`);
    const funding = await res.json();
    const url = new URL(funding.watch.websocket_url);
    url.searchParams.set("ticket", funding.watch.ticket);
    const opened_at = performance.now();
    const watchers = await openAll(url.toString(), n);
    const open_ms = performance.now() - opened_at;

    const paid_at_ms = Date.now();
    const paid = await fetch(funding.payment_link, { method: "POST", body: new URLSearchParams({ outcome: "full" }), redirect: "manual" });
    if (paid.status !== 303) throw new Error(`pay ${paid.status}`);
    const results = await deadline(Promise.all(watchers.map((w) => w.settled)), `settlement to reach ${n} watchers`);
    for (const w of watchers) w.ws.close(1000, "bench done");
    const settled_at_ms = Date.parse(results[0].frame.updated_at);
    const latencies = results.map((r) => r.at_ms - settled_at_ms).sort((a, b) => a - b);
    return {
      open_ms,
      first_ms: latencies[0],
      p50_ms: latencies[Math.floor(latencies.length / 2)],
      last_ms: latencies[latencies.length - 1],
      pay_to_last_ms: Math.max(...results.map((r) => r.at_ms)) - paid_at_ms,
    };
  }

  // Warm up the whole path once (first Room, first queue batch, module compilation).
  await round_(1);

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [{ case: "GET /health round trip (baseline)", watchers: 0, open_all_ms: "-", settle_to_first_ms: "-", settle_to_p50_ms: "-", settle_to_last_ms: baseline.p50_ms, pay_to_last_ms: "-", last_vs_baseline: 1 }];
  const raw = [];
  for (const n of WATCHERS) {
    const runs = [];
    for (let r = 0; r < REPEATS; r++) runs.push(await round_(n));
    raw.push({ n, runs });
    const last = median(runs.map((x) => x.last_ms));
    rows.push({
      case: `settlement -> ${n} watcher${n === 1 ? "" : "s"}`,
      watchers: n,
      open_all_ms: round(median(runs.map((x) => x.open_ms)), 0),
      settle_to_first_ms: median(runs.map((x) => x.first_ms)),
      settle_to_p50_ms: median(runs.map((x) => x.p50_ms)),
      settle_to_last_ms: last,
      pay_to_last_ms: median(runs.map((x) => x.pay_to_last_ms)),
      last_vs_baseline: round(last / baseline.p50_ms, 1),
    });
  }

  console.log(`\nRealtime fan-out against wrangler dev: one room, medians of ${REPEATS} settlements per row (ms)\n`);
  console.log(table(rows));
  console.log("\nsettle_to_*: from the Wallet's settlement stamp (updated_at) to the frame's arrival; pay_to_last adds the webhook -> queue -> verify path.");
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/realtime.json", JSON.stringify({ repeats: REPEATS, baseline, rows, raw, at: new Date().toISOString() }, null, 2));
} finally {
  await server.stop();
}
