// MongoDB projection throughput beside settlement throughput, in the same run,
// against `wrangler dev` (local workerd) and the MongoDB-wire test double.
//
//   npm run bench:projection     (BENCH_N=300 BENCH_CONCURRENCY=8 BENCH_WALLETS=50 to change)
//
// The double (test/support/mongo-double) runs in this process on loopback and
// `wrangler dev` projects into it (MONGODB_URI). Then:
// 1. W wallets are registered and funded through the checkout look-alike.
// 2. N airtime purchases spread over the W wallets, C in flight, each settled
//    at once by the VTpass look-alike: settlements per second.
// 3. Meanwhile every wallet's change feed drains to the projector in the
//    background. Documents per second = upserts MongoDB applied (counted in
//    the double) from the start of the burst until the projection has caught
//    up (every purchase SUCCESS in `transactions`), over that time.
// Finally the consistency checker runs over every wallet (not timed).
//
// The double is an in-memory, single-threaded stand-in: the numbers say what
// our side sustains (feed, lanes, driver), not what Atlas does.
//
// Registrations, logins, fundings and purchases go through the TypeScript
// client (clients/typescript); the checker is an operator route outside the
// API's public document, so it stays a raw fetch with the admin token.
import { mkdirSync, writeFileSync } from "node:fs";
import { benchClient, concurrent, round, table } from "./bench-lib.mjs";
import { startDevServer } from "./dev-server.mjs";
import { MongoDoubleServer } from "../test/support/mongo-double/server.mjs";

const N = Number(process.env.BENCH_N ?? 300);
const C = Number(process.env.BENCH_CONCURRENCY ?? 8);
const W = Number(process.env.BENCH_WALLETS ?? 50);
const FUND_NAIRA = 5_000_000;
const DB = `bench_${Date.now()}`;
const ADMIN = "bench-admin-token-that-is-long-enough-0123456789";
const CATCH_UP_TIMEOUT_MS = 300_000;

const double = new MongoDoubleServer();
await double.start();
// Count every upsert statement the double applies (n: matched + upserted).
let applied = 0;
const update = double.engine.update.bind(double.engine);
double.engine.update = async (db, body) => {
  const reply = await update(db, body);
  if (db === DB) applied += reply.n;
  return reply;
};

const server = await startDevServer({
  vars: { MONGODB_URI: double.uri, MONGO_DB_NAME: DB, ADMIN_API_TOKEN: ADMIN },
  quiet: process.env.BENCH_QUIET !== "0",
});
try {
  const api = `${server.origin}/api/v1`;
  const admin = { authorization: `Bearer ${ADMIN}` };

  async function user(i) {
    const email = `bench.projection.${Date.now()}.${i}@example.com`;
    const password = "correct horse battery";
    const client = benchClient(server.origin);
    const { id } = await client.register({ email, password });
    await client.login(email, password);
    const funding = await client.fund({ amount: String(FUND_NAIRA) });
    // The customer's browser pays on the checkout look-alike: not an API call.
    await fetch(funding.payment_link, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    return { id, client };
  }

  async function funded(client) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const wallet = await client.wallet();
      if (wallet.balance_minor >= FUND_NAIRA * 100) return;
      if (Date.now() > deadline) throw new Error("funding did not settle");
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const successes = () =>
    double.engine.dump(DB, "transactions").filter((d) => d.status === "SUCCESS").length;

  console.error(`preparing ${W} funded wallets...`);
  const wallets = [];
  // One at a time: password hashing is memory-hungry, and under `wrangler dev`
  // every object shares one isolate with the driver (concurrent logins there
  // have restarted the worker mid-request).
  await concurrent(W, 1, async (i) => {
    wallets[i] = await user(i);
  });
  await concurrent(W, 8, async (i) => funded(wallets[i].client));
  // Let the fundings' projection finish before the measured burst.
  for (const deadline = Date.now() + 60_000; successes() < W && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 100));

  let amount = 100;
  const buy = async (client) => {
    amount += 1;
    const purchase = await client.buyAirtime({
      phone: "08011111111",
      network: "mtn",
      amount: String(amount),
    });
    if (purchase.status !== "SUCCESS") throw new Error(`airtime not delivered: ${purchase.status}`);
  };

  const applied_before = applied;
  const started = performance.now();
  const burst = await concurrent(N, C, (i) => buy(wallets[i % W].client));
  const burst_ms = performance.now() - started;
  const applied_during_burst = applied - applied_before;
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  while (successes() < W + N) {
    if (Date.now() > deadline)
      throw new Error(`projection did not catch up: ${successes()} of ${W + N}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const caught_up_ms = performance.now() - started;
  const documents = applied - applied_before;

  let inconsistent = 0;
  await concurrent(W, 4, async (i) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const check = await (
        await fetch(`${api}/admin/wallets/${wallets[i].id}/projection`, { headers: admin })
      ).json();
      if (check.consistent && check.feed.backlog === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    inconsistent += 1;
  });

  const rows = [
    {
      measure: "settlements (airtime purchases, delivered)",
      count: N,
      seconds: round(burst_ms / 1000, 2),
      per_s: burst.rate_per_s,
    },
    {
      measure: "documents upserted during the burst",
      count: applied_during_burst,
      seconds: round(burst_ms / 1000, 2),
      per_s: round(applied_during_burst / (burst_ms / 1000), 1),
    },
    {
      measure: "documents upserted until caught up",
      count: documents,
      seconds: round(caught_up_ms / 1000, 2),
      per_s: round(documents / (caught_up_ms / 1000), 1),
    },
  ];
  console.log(
    `\nProjection benchmark: wrangler dev (local workerd) + MongoDB-wire test double, ${W} wallets, concurrency ${C}\n`,
  );
  console.log(table(rows));
  console.log(
    `\nprojection lag after the last settlement: ${round((caught_up_ms - burst_ms) / 1000, 2)} s; wallets inconsistent after catch-up: ${inconsistent} of ${W}`,
  );
  mkdirSync("bench-results", { recursive: true });
  writeFileSync(
    "bench-results/projection.json",
    JSON.stringify(
      { n: N, concurrency: C, wallets: W, rows, inconsistent, at: new Date().toISOString() },
      null,
      2,
    ),
  );
  if (inconsistent > 0) process.exitCode = 1;
} finally {
  await server.stop();
  await double.stop();
}
