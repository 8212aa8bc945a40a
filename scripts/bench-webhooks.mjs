// Webhook intake and settlement throughput against `wrangler dev`, each beside
// its physical baseline measured in the same run on the same server.
//
//   npm run bench:webhooks      (BENCH_N=2000 BENCH_CONCURRENCY=16 BENCH_SETTLE=100 to change)
//
// 1. Baseline: GET /__sandbox/bare (answered before the app: no middleware).
// 2. Middleware only: GET /api/v1/health, the cheapest route through the whole
//    middleware chain (request id, access log, config, headers, CORS).
// 3. Intake: POST /api/v1/wallet/flutterwave/webhook with a valid verif-hash:
//    signature check on the raw body + enqueue + 200. Events name a foreign
//    tx_ref, so the consumer acks them without provider calls.
// 4. Settlement on ONE wallet: K paid fundings; all K charge.completed webhooks
//    are delivered at once; time until the wallet shows all K credited. This
//    includes the local queue (batch size 10, 1 s batch timeout), the
//    consumer's verify call to the sandbox and the Wallet object's settle. Its
//    baseline is one bare Durable Object doing one SQLite increment per
//    request (src/sandbox/bench/), half measured before and half after.
//
// The settling user and its fundings go through the TypeScript client
// (clients/typescript). The measured HTTP rows stay raw fetch, sent exactly as
// the bare route is, so each ratio is the server's cost alone; the webhook is
// the provider's call, and the sandbox's control routes are not the API.
import {
  BARE_ROUTE_NAME,
  bareRoute,
  compare,
  envNumber,
  goalOf,
  newUser,
  round,
  row,
  standalone,
} from "./bench-lib.mjs";

export const HASH = "bench-webhook-hash-0123456789abcdef";
const FLW_KEY = "FLWSECK_TEST-bench00000000000000000000000000000-X";
/** Open fundings the settlement row may leave on one wallet at once (it opens `settle` of them). */
const BENCH_FUND_PENDING_MAX = 1_000;
/**
 * The server variables this benchmark's requests are signed for, and the one
 * bound it must raise: the settlement row opens up to 100 fundings on ONE
 * wallet, past FUND_PENDING_MAX's production default of 10. wrangler.jsonc
 * keeps production's value, so a newcomer's `npm run dev` behaves as
 * production does; only the benchmark's own server is raised.
 */
export const vars = {
  FLUTTERWAVE_WEBHOOK_HASH: HASH,
  FLUTTERWAVE_SECRET_KEY: FLW_KEY,
  FUND_PENDING_MAX: String(BENCH_FUND_PENDING_MAX),
};
/** The same for FUND_USER_LIMITER (10 a minute per user, development as production): the settling user funds `settle` times in seconds. */
export const ratelimits = { FUND_USER_LIMITER: 1_000_000 };
const SETTLE_TIMEOUT_MS = 120_000;

export async function run(
  server,
  { n = 2000, concurrency = 16, settle = 100, log_level = process.env.LOG_LEVEL ?? "info" } = {},
) {
  const api = `${server.origin}/api/v1`;
  const control = `${server.origin}/__sandbox/flutterwave/__control`;
  const get = (url) => async () => {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url} ${res.status}`);
    await res.arrayBuffer();
  };
  const body = JSON.stringify({
    event: "charge.completed",
    "event.type": "CARD_TRANSACTION",
    data: {
      id: 1,
      tx_ref: "bench-foreign-ref",
      status: "successful",
      amount: 100,
      currency: "NGN",
    },
  });
  const intake = async () => {
    const res = await fetch(`${api}/wallet/flutterwave/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "verif-hash": HASH },
      body,
    });
    if (res.status !== 200) throw new Error(`webhook ${res.status}`);
    await res.arrayBuffer();
  };

  const http = await compare(
    { n, concurrency, warmup: Math.min(50, n) },
    { bare: bareRoute(server), health: get(`${api}/health`), intake },
  );
  const bare = row("webhooks", `${BARE_ROUTE_NAME}, ${concurrency} in flight`, http.bare);

  // ---- settlements on one wallet, beside one object's bare SQLite increment ----
  const counter = `bench-counter-${Date.now()}`;
  const increment = async () => {
    const res = await fetch(`${server.origin}/__sandbox/bench/increment?name=${counter}`, {
      method: "POST",
    });
    if (res.status !== 200) throw new Error(`increment ${res.status}`);
    await res.arrayBuffer();
  };
  const increments_n = Math.max(200, settle * 2);
  const before = await compare({ n: increments_n / 2, concurrency, warmup: 20 }, { increment });

  const { client } = await newUser(server.origin, "settle");
  const ids = [];
  await compare(
    { n: settle, concurrency: 4 },
    {
      fund: async () => {
        const { tx_ref } = await client.fund({ amount: "100" });
        const created = await fetch(`${control}/transactions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tx_ref, amount: 100, currency: "NGN", status: "successful" }),
        });
        ids.push((await created.json()).data.id);
      },
    },
  );
  const started = performance.now();
  await compare(
    { n: settle, concurrency },
    {
      deliver: (i) =>
        fetch(`${control}/transactions/${ids[i]}/deliver`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        }).then((r) => r.arrayBuffer()),
    },
  );
  let balance = 0;
  while (balance < settle * 10000) {
    balance = (await client.wallet()).balance_minor;
    if (performance.now() - started > SETTLE_TIMEOUT_MS)
      throw new Error(`settlement stalled at ${balance}`);
    if (balance < settle * 10000) await new Promise((r) => setTimeout(r, 50));
  }
  const settle_ms = performance.now() - started;
  const after = await compare({ n: increments_n / 2, concurrency }, { increment });
  const increments = {
    rate_per_s: round(
      increments_n /
        (increments_n / before.increment.rate_per_s / 2 +
          increments_n / after.increment.rate_per_s / 2),
    ),
    p50_ms: round((before.increment.p50_ms + after.increment.p50_ms) / 2),
    p99_ms: Math.max(before.increment.p99_ms, after.increment.p99_ms),
  };
  const doBaseline = row(
    "webhooks",
    `bare DO SQLite increment, one object, ${concurrency} in flight`,
    increments,
  );

  return [
    bare,
    row(
      "webhooks",
      "GET /api/v1/health (middleware only)",
      http.health,
      bare,
      goalOf("health", log_level),
    ),
    row(
      "webhooks",
      "POST /wallet/flutterwave/webhook (intake)",
      http.intake,
      bare,
      goalOf("intake"),
    ),
    doBaseline,
    row(
      "webhooks",
      `settlements on one wallet (${settle} webhooks at once)`,
      {
        rate_per_s: round((settle / settle_ms) * 1000),
        note: `all ${settle} credited ${round(settle_ms, 0)} ms after the first delivery (local queue: batches of 10, 1 s timeout)`,
        extra: { settle_ms: round(settle_ms) },
      },
      doBaseline,
      goalOf("settlements_one_wallet"),
    ),
  ];
}

await standalone(import.meta.url, {
  name: "webhooks",
  title: "Webhook benchmark against wrangler dev (local workerd, same machine)",
  vars,
  ratelimits,
  run,
  options: {
    n: envNumber("BENCH_N", 2000),
    concurrency: envNumber("BENCH_CONCURRENCY", 16),
    settle: envNumber("BENCH_SETTLE", 100),
  },
});
