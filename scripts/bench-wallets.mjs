// Settlements per second across 1, 5 and 20 wallets against `wrangler dev`:
// whether the aggregate grows with wallets, or something every change visits
// (once the single Operations object) caps it.
//
//   npm run bench:wallets      (BENCH_SETTLE=40 BENCH_WALLET_COUNTS=1,5,20 to change)
//
// For each wallet count W: W fresh users; the same total of paid fundings
// spread over them; all charge.completed webhooks delivered at once; time
// until every wallet shows its fundings credited. Like "settlements on one
// wallet" (bench-webhooks.mjs), this includes the local queue (batches of 10,
// 1 s timeout) and the consumer's verify call; the row for W = 1 is the
// reference the others divide by (ratio > 1: more wallets settle faster).
import { concurrent, envNumber, newUser, round, row, standalone } from "./bench-lib.mjs";
import { vars } from "./bench-webhooks.mjs";

const SETTLE_TIMEOUT_MS = 120_000;
const NAIRA = 100;

async function settleAcross(server, wallets, total, concurrency) {
  const control = `${server.origin}/__sandbox/flutterwave/__control`;
  const per_wallet = Math.ceil(total / wallets);
  const users = [];
  // One at a time: registrations hash passwords, and a burst is not what is measured here.
  for (let w = 0; w < wallets; w++)
    users.push((await newUser(server.origin, `wallets${wallets}`)).client);
  const ids = [];
  await concurrent(wallets * per_wallet, 4, async (i) => {
    const { tx_ref } = await users[i % wallets].fund({ amount: String(NAIRA) });
    const created = await fetch(`${control}/transactions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx_ref, amount: NAIRA, currency: "NGN", status: "successful" }),
    });
    if (created.status !== 200 && created.status !== 201)
      throw new Error(`sandbox transaction ${created.status}`);
    ids.push((await created.json()).data.id);
  });
  const started = performance.now();
  await concurrent(ids.length, concurrency, async (i) => {
    const res = await fetch(`${control}/transactions/${ids[i]}/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await res.arrayBuffer();
  });
  const expected = per_wallet * NAIRA * 100;
  // Every wallet still short is asked at once each round, so polling 20 wallets costs no more time than one.
  let waiting = users;
  while (waiting.length > 0) {
    const balances = await Promise.all(
      waiting.map((client) => client.wallet().then((w) => w.balance_minor)),
    );
    waiting = waiting.filter((_, i) => balances[i] < expected);
    if (waiting.length === 0) break;
    if (performance.now() - started > SETTLE_TIMEOUT_MS)
      throw new Error(
        `settlement across ${wallets} wallets stalled: ${waiting.length} wallets short of ${expected}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  const settle_ms = performance.now() - started;
  return { settled: ids.length, settle_ms };
}

/** One row per wallet count; each compares with the single wallet's rate. */
export async function run(server, { counts = [1, 5, 20], settle = 40, concurrency = 16 } = {}) {
  const rows = [];
  let single;
  for (const wallets of counts) {
    const { settled, settle_ms } = await settleAcross(
      server,
      wallets,
      Math.max(settle, wallets),
      concurrency,
    );
    const stats = {
      rate_per_s: round((settled / settle_ms) * 1000),
      note: `${settled} settlements over ${wallets} wallet(s), all credited ${round(settle_ms, 0)} ms after the first delivery`,
      extra: { wallets, settled, settle_ms: round(settle_ms) },
    };
    const r = row(
      "wallets",
      `settlements across ${wallets} wallet(s) (${settled} webhooks at once)`,
      stats,
      single,
    );
    if (single === undefined) single = r;
    rows.push(r);
  }
  return rows;
}

await standalone(import.meta.url, {
  name: "wallets",
  title: "Settlements across wallets against wrangler dev (local workerd, same machine)",
  vars,
  run,
  options: {
    counts: (process.env.BENCH_WALLET_COUNTS ?? "1,5,20").split(",").map(Number),
    settle: envNumber("BENCH_SETTLE", 40),
    concurrency: envNumber("BENCH_CONCURRENCY", 16),
  },
});
