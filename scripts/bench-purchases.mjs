// Airtime purchase throughput against `wrangler dev`, beside the bare route
// measured in the same run on the same server.
//
//   npm run bench:purchases      (BENCH_N=300 BENCH_CONCURRENCY=8 BENCH_WALLETS=100 to change)
//
// 1. Baseline: GET /__sandbox/bare (answered before the app: no middleware).
// 2. One wallet: N airtime purchases for 08011111111 (delivered at once by the
//    VTpass look-alike) on ONE wallet, C in flight: each is the whole path
//    (auth, catalogue from cache, hold in the Wallet object, request_id index,
//    claim, /api/pay to the look-alike, settle, change feed to the room).
//    All of them meet in one Wallet object, which serialises them.
// 3. Across wallets: N purchases spread over W wallets, C in flight.
// Every purchase has its own amount, since the look-alike refuses the same
// number and amount within 30 s (VTpass's 019). The look-alike is a single
// Durable Object, so across wallets it, not the wallets, is the ceiling.
import { mkdirSync, writeFileSync } from "node:fs";
import { concurrent, nextIp, round, summarise, table } from "./bench-lib.mjs";
import { startDevServer } from "./dev-server.mjs";

const N = Number(process.env.BENCH_N ?? 300);
const C = Number(process.env.BENCH_CONCURRENCY ?? 8);
const W = Number(process.env.BENCH_WALLETS ?? 100);
const FUND_NAIRA = 5_000_000;

const server = await startDevServer();
try {
  const api = `${server.origin}/api/v1`;
  const bare = () => fetch(`${server.origin}/__sandbox/bare`).then((r) => r.arrayBuffer());

  async function user(i) {
    const email = `bench.purchase.${Date.now()}.${i}@example.com`;
    const password = "correct horse battery";
    const reg = await fetch(`${api}/auth/register`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ email, password }) });
    if (reg.status !== 201) throw new Error(`register ${reg.status}: ${await reg.text()}`);
    const login = await fetch(`${api}/auth/login`, { method: "POST", headers: { "cf-connecting-ip": nextIp() }, body: new URLSearchParams({ username: email, password }) });
    const { access_token } = await login.json();
    const auth = { authorization: `Bearer ${access_token}` };
    const funding = await (await fetch(`${api}/wallet/fund`, { method: "POST", headers: auth, body: new URLSearchParams({ amount: String(FUND_NAIRA) }) })).json();
    await fetch(funding.payment_link, { method: "POST", body: new URLSearchParams({ outcome: "full" }), redirect: "manual" });
    return auth;
  }

  async function funded(auth) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const wallet = await (await fetch(`${api}/wallet/`, { headers: auth })).json();
      if (wallet.balance_minor >= FUND_NAIRA * 100) return;
      if (Date.now() > deadline) throw new Error("funding did not settle");
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  let amount = 100;
  const buy = async (auth) => {
    amount += 1;
    const res = await fetch(`${api}/wallet/airtime`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ phone: "08011111111", network: "mtn", amount: String(amount) }),
    });
    if (res.status !== 202) throw new Error(`airtime ${res.status}: ${await res.text()}`);
    const body = await res.json();
    if (body.status !== "SUCCESS") throw new Error(`airtime not delivered: ${body.status}`);
  };

  console.error(`preparing ${W} funded wallets...`);
  const wallets = [];
  // One at a time: each registration and login holds argon2id's 19 MiB, and a
  // few at once in one isolate restarted the development worker.
  await concurrent(W, 1, async (i) => {
    wallets[i] = await user(i);
  });
  await concurrent(W, 8, async (i) => funded(wallets[i]));

  // Warm up.
  await concurrent(100, C, bare);
  await concurrent(20, 4, () => buy(wallets[0]));

  const baseline = await concurrent(N, C, bare);
  const one = await concurrent(N, C, () => buy(wallets[0]));
  const many = await concurrent(N, C, (i) => buy(wallets[i % W]));
  const b = summarise(baseline.samples);
  const o = summarise(one.samples);
  const m = summarise(many.samples);
  const rows = [
    { run: "GET /__sandbox/bare (baseline)", n: N, conc: C, rate_per_s: baseline.rate_per_s, p50_ms: b.p50_ms, p99_ms: b.p99_ms, ratio_rate: 1 },
    { run: "POST /wallet/airtime, one wallet", n: N, conc: C, rate_per_s: one.rate_per_s, p50_ms: o.p50_ms, p99_ms: o.p99_ms, ratio_rate: round(one.rate_per_s / baseline.rate_per_s, 3) },
    { run: `POST /wallet/airtime, ${W} wallets`, n: N, conc: C, rate_per_s: many.rate_per_s, p50_ms: m.p50_ms, p99_ms: m.p99_ms, ratio_rate: round(many.rate_per_s / baseline.rate_per_s, 3) },
  ];
  console.log(`\nPurchase benchmark against wrangler dev (local workerd, the VTpass look-alike, same machine)\n`);
  console.log(table(rows));
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/purchases.json", JSON.stringify({ n: N, concurrency: C, wallets: W, rows, at: new Date().toISOString() }, null, 2));
} finally {
  await server.stop();
}
