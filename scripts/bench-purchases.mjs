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
// 4. The purchase baseline (/__sandbox/bench/purchase): what a purchase costs
//    with nothing of ours in it: as many Durable Object round trips as a
//    purchase makes (each one SQLite increment in one object, so they
//    serialise as one wallet's do) and, halfway, one in-process provider call
//    to a route that does nothing. The one-wallet row is read against it too:
//    that ratio is the app's own cost, not the platform's.
// 5. One at a time: a purchase's p50 beside GET /wallet's (the goal: at most 3x).
// 6. Electricity: the same one-wallet and one-at-a-time runs for a prepaid
//    meter (1111111111111, delivered at once with its token), measured in the
//    same compare as airtime so its ratio to the airtime row is of one run:
//    a bill adds merchant-verify (cached per DisCo, meter and type) and the
//    token to the same held payment.
// Every purchase has its own amount, since the look-alike refuses the same
// number and amount within 30 s (VTpass's 019). The look-alike is a single
// Durable Object, so across wallets it, not the wallets, is the ceiling.
// Registration, funding and purchases go through the TypeScript client
// (clients/typescript, built first by bench-client.mjs); the baseline is a
// raw fetch.
import {
  BARE_ROUTE_NAME,
  bareRoute,
  compare,
  concurrent,
  envNumber,
  goalOf,
  newUser,
  round,
  row,
  standalone,
} from "./bench-lib.mjs";

const FUND_NAIRA = 5_000_000;
/**
 * The one-wallet row buys hundreds of times a minute on one wallet, far past
 * PURCHASE_USER_LIMITER's 10 a minute (wrangler.jsonc, development as
 * production): the server it runs on raises that one limit, so the row
 * measures the purchase path and not the limiter's refusals.
 */
export const ratelimits = { PURCHASE_USER_LIMITER: 1_000_000 };
const FUNDED_TIMEOUT_MS = 60_000;
/**
 * Each wallet funds NGN 5,000,000 and buys hundreds of times in a minute,
 * past every KYC tier's day (an unverified wallet gets tier 1's NGN 50,000 in
 * development). The tier table is configuration: the server the bench runs on
 * takes one that never binds (the largest KYC_TIERS allows), so the rows still
 * pay for every tier check and measure the purchase path, not the refusals.
 */
const NEVER_BINDS = { daily_limit_minor: 1_000_000_000_00, max_balance_minor: null };
export const vars = {
  KYC_TIERS: JSON.stringify({ 1: NEVER_BINDS, 2: NEVER_BINDS, 3: NEVER_BINDS }),
};
/**
 * Durable Object round trips per purchase, as `npm run profile -- purchases`
 * counts them (stub calls per purchase, sequential): 9 since the hot path was
 * cut (it was 17: 8 to the Wallet, 4 to Operations, 4 to Room, 1 to
 * ProviderRefs). The baseline makes as many; when the purchase path changes,
 * profile again and update this (or set BENCH_PURCHASE_ROUND_TRIPS).
 */
export const PURCHASE_ROUND_TRIPS = envNumber("BENCH_PURCHASE_ROUND_TRIPS", 9);
/** Sequential purchases (and GET /wallet calls) in the one-at-a-time row. */
const SEQUENTIAL_N = 20;

export async function run(server, { n = 300, concurrency = 8, wallets: w = 100 } = {}) {
  async function fundedUser() {
    const { client } = await newUser(server.origin, "purchase");
    const funding = await client.fund({ amount: String(FUND_NAIRA) });
    // The customer's browser pays on the checkout look-alike: not an API call.
    await fetch(funding.payment_link, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    return client;
  }

  async function funded(client) {
    const deadline = Date.now() + FUNDED_TIMEOUT_MS;
    for (;;) {
      const wallet = await client.wallet();
      if (wallet.balance_minor >= FUND_NAIRA * 100) return;
      if (Date.now() > deadline) throw new Error("funding did not settle");
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  let amount = 100;
  // Through the client, so each purchase carries an Idempotency-Key as every client's does.
  const buy = async (client) => {
    amount += 1;
    const purchase = await client.buyAirtime({
      phone: "08011111111",
      network: "mtn",
      amount: String(amount),
    });
    if (purchase.status !== "SUCCESS") throw new Error(`airtime not delivered: ${purchase.status}`);
  };

  // Raw fetch with the client's token (the typed client's bill calls are not on every branch), with an
  // Idempotency-Key as the client sends one.
  let electricity_naira = 1_000;
  const payElectricity = async (client) => {
    electricity_naira += 1;
    const res = await fetch(`${server.origin}/api/v1/wallet/electricity`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${client.token}`,
        "content-type": "application/json",
        accept: "application/json",
        "idempotency-key": `bench-elc-${crypto.randomUUID()}`,
      },
      body: JSON.stringify({
        disco: "ikeja-electric",
        meter: "1111111111111",
        type: "prepaid",
        amount: electricity_naira,
        phone: "08031234567",
      }),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`electricity ${res.status}: ${text.slice(0, 300)}`);
    const bill = JSON.parse(text);
    if (bill.status !== "SUCCESS" || !bill.token)
      throw new Error(`electricity not delivered with a token: ${bill.status}`);
  };

  // Our balance at the VTpass look-alike: its default (N1,000,000) is less than the electricity rows spend.
  const float = await fetch(`${server.origin}/__sandbox/vtpass/__control/float`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: 100_000_000 }),
  });
  if (float.status !== 200) throw new Error(`VTpass float: ${float.status} ${await float.text()}`);
  console.error(`preparing ${w} funded wallets...`);
  const wallets = [];
  // One at a time: each registration and login holds argon2id's 19 MiB, and a
  // few at once in one isolate restarted the development worker.
  await concurrent(w, 1, async (i) => {
    wallets[i] = await fundedUser();
  });
  await concurrent(w, 8, async (i) => funded(wallets[i]));

  const counter = `bench-purchase-${Date.now()}`;
  const physical = async () => {
    const res = await fetch(
      `${server.origin}/__sandbox/bench/purchase?name=${counter}&round_trips=${PURCHASE_ROUND_TRIPS}`,
      { method: "POST" },
    );
    if (res.status !== 200) throw new Error(`purchase baseline ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const readWallet = async () => {
    await wallets[0].wallet();
  };

  await concurrent(5, 1, () => buy(wallets[0])); // warm-up of the purchase path
  await concurrent(5, 1, () => payElectricity(wallets[0]));
  const measured = await compare(
    { n, concurrency, warmup: 10 },
    {
      bare: bareRoute(server),
      physical,
      one: () => buy(wallets[0]),
      electricity: () => payElectricity(wallets[0]),
      many: (i) => buy(wallets[i % w]),
    },
  );
  const sequential = await compare(
    { n: SEQUENTIAL_N, concurrency: 1, warmup: 3 },
    { get: readWallet, buy: () => buy(wallets[0]), electricity: () => payElectricity(wallets[0]) },
  );

  const baseline = row("purchases", `${BARE_ROUTE_NAME}, ${concurrency} in flight`, measured.bare);
  const floor = row(
    "purchases",
    `purchase baseline: ${PURCHASE_ROUND_TRIPS} DO round trips + 1 no-op provider call, ${concurrency} in flight`,
    measured.physical,
    baseline,
  );
  const one = row(
    "purchases",
    "POST /wallet/airtime, one wallet",
    measured.one,
    baseline,
    goalOf("purchase_one_wallet"),
  );
  const get = row("purchases", "GET /wallet, one at a time", sequential.get);
  const sequential_airtime = row(
    "purchases",
    "POST /wallet/airtime, one at a time",
    sequential.buy,
  );
  return [
    baseline,
    floor,
    one,
    row(
      "purchases",
      "POST /wallet/airtime, one wallet, vs its physical baseline",
      measured.one,
      floor,
    ),
    row(
      "purchases",
      `POST /wallet/airtime, ${w} wallets, vs one wallet`,
      measured.many,
      one,
      w >= 20 ? goalOf("purchase_across_wallets") : "-",
    ),
    get,
    row(
      "purchases",
      "POST /wallet/airtime, one at a time, p50 vs GET /wallet p50",
      {
        ...sequential.buy,
        ratio: round(sequential.get.p50_ms / sequential.buy.p50_ms, 3),
        note: `p50 ${sequential.buy.p50_ms} ms vs GET /wallet ${sequential.get.p50_ms} ms (ratio = GET p50 / purchase p50)`,
      },
      get,
      goalOf("purchase_sequential"),
    ),
    row(
      "purchases",
      "POST /wallet/electricity (prepaid token), one wallet, vs airtime one wallet",
      measured.electricity,
      one,
    ),
    row(
      "purchases",
      "POST /wallet/electricity (prepaid token), one at a time, p50 vs airtime p50",
      {
        ...sequential.electricity,
        ratio: round(sequential.buy.p50_ms / sequential.electricity.p50_ms, 3),
        note: `p50 ${sequential.electricity.p50_ms} ms vs airtime ${sequential.buy.p50_ms} ms (ratio = airtime p50 / electricity p50)`,
      },
      sequential_airtime,
    ),
  ];
}

await standalone(import.meta.url, {
  name: "purchases",
  title:
    "Purchase benchmark against wrangler dev (local workerd, the VTpass look-alike, same machine)",
  vars,
  ratelimits,
  run,
  options: {
    n: envNumber("BENCH_N", 300),
    concurrency: envNumber("BENCH_CONCURRENCY", 8),
    wallets: envNumber("BENCH_WALLETS", 100),
  },
});
