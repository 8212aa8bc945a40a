// Webhook intake and settlement throughput against `wrangler dev`, beside a
// bare hello-world route measured in the same run on the same server.
//
//   npm run bench:webhooks      (BENCH_N=2000 BENCH_CONCURRENCY=16 BENCH_SETTLE=100 to change)
//
// 1. Baseline: GET /__sandbox/bare (answered before the app: no middleware).
// 2. Intake: POST /api/v1/wallet/flutterwave/webhook with a valid verif-hash:
//    signature check on the raw body + enqueue + 200. Events name a foreign
//    tx_ref, so the consumer acks them without provider calls.
// 3. Settlement on ONE wallet: K paid fundings; all K charge.completed webhooks
//    are delivered at once; time until the wallet shows all K credited. This
//    includes the local queue (batch size 10, 1 s batch timeout), the
//    consumer's verify call to the sandbox and the Wallet object's settle.
import { mkdirSync, writeFileSync } from "node:fs";
import { concurrent, nextIp, round, summarise, table } from "./bench-lib.mjs";
import { startDevServer } from "./dev-server.mjs";

const N = Number(process.env.BENCH_N ?? 2000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);
const K = Number(process.env.BENCH_SETTLE ?? 100);
const HASH = "bench-webhook-hash-0123456789abcdef";
const FLW_KEY = "FLWSECK_TEST-bench00000000000000000000000000000-X";

const server = await startDevServer({ vars: { FLUTTERWAVE_WEBHOOK_HASH: HASH, FLUTTERWAVE_SECRET_KEY: FLW_KEY } });
try {
  const api = `${server.origin}/api/v1`;
  const control = `${server.origin}/__sandbox/flutterwave/__control`;
  const bare = () => fetch(`${server.origin}/__sandbox/bare`).then((r) => r.arrayBuffer());
  const body = JSON.stringify({ event: "charge.completed", "event.type": "CARD_TRANSACTION", data: { id: 1, tx_ref: "bench-foreign-ref", status: "successful", amount: 100, currency: "NGN" } });
  const intake = async () => {
    const res = await fetch(`${api}/wallet/flutterwave/webhook`, { method: "POST", headers: { "content-type": "application/json", "verif-hash": HASH }, body });
    if (res.status !== 200) throw new Error(`webhook ${res.status}`);
    await res.arrayBuffer();
  };

  // Warm up both paths.
  await concurrent(200, C, bare);
  await concurrent(200, C, intake);

  const baseline = await concurrent(N, C, bare);
  const intakeRun = await concurrent(N, C, intake);
  const b = summarise(baseline.samples);
  const w = summarise(intakeRun.samples);

  // ---- settlements on one wallet ----
  const email = `bench.settle.${Date.now()}@example.com`;
  const password = "correct horse battery";
  await fetch(`${api}/auth/register`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ email, password }) });
  const login = await fetch(`${api}/auth/login`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ username: email, password }) });
  const { access_token } = await login.json();
  const auth = { authorization: `Bearer ${access_token}` };
  const ids = [];
  await concurrent(K, 4, async () => {
    const res = await fetch(`${api}/wallet/fund`, { method: "POST", headers: auth, body: new URLSearchParams({ amount: "100" }) });
    if (res.status !== 201) throw new Error(`fund ${res.status}: ${await res.text()}`);
    const { tx_ref } = await res.json();
    const created = await fetch(`${control}/transactions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx_ref, amount: 100, currency: "NGN", status: "successful" }),
    });
    ids.push((await created.json()).data.id);
  });
  const started = performance.now();
  await concurrent(K, C, (i) => fetch(`${control}/transactions/${ids[i]}/deliver`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.arrayBuffer()));
  let balance = 0;
  while (balance < K * 10000) {
    const wallet = await (await fetch(`${api}/wallet/`, { headers: auth })).json();
    balance = wallet.balance_minor;
    if (performance.now() - started > 120_000) throw new Error(`settlement stalled at ${balance}`);
    if (balance < K * 10000) await new Promise((r) => setTimeout(r, 50));
  }
  const settle_ms = performance.now() - started;
  const settlements_per_s = round((K / settle_ms) * 1000);

  const rows = [
    { route: "GET /__sandbox/bare (baseline)", n: N, conc: C, rate_per_s: baseline.rate_per_s, p50_ms: b.p50_ms, p99_ms: b.p99_ms, ratio_rate: 1 },
    { route: "POST /wallet/flutterwave/webhook", n: N, conc: C, rate_per_s: intakeRun.rate_per_s, p50_ms: w.p50_ms, p99_ms: w.p99_ms, ratio_rate: round(intakeRun.rate_per_s / baseline.rate_per_s, 3) },
  ];
  console.log(`\nWebhook benchmark against wrangler dev (local workerd, same machine)\n`);
  console.log(table(rows));
  console.log(`\nSettlement on one wallet: ${K} webhooks delivered at once -> all credited in ${round(settle_ms)} ms = ${settlements_per_s} settlements/s`);
  console.log(`(baseline bare route: ${baseline.rate_per_s} req/s; ratio ${round(settlements_per_s / baseline.rate_per_s, 4)})`);
  mkdirSync("bench-results", { recursive: true });
  writeFileSync(
    "bench-results/webhooks.json",
    JSON.stringify({ n: N, concurrency: C, baseline: { ...b, rate_per_s: baseline.rate_per_s }, intake: { ...w, rate_per_s: intakeRun.rate_per_s }, settlement: { k: K, ms: round(settle_ms), per_s: settlements_per_s }, at: new Date().toISOString() }, null, 2),
  );
} finally {
  await server.stop();
}
