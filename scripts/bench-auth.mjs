// Login latency against `wrangler dev`, beside the bare route measured in the
// same run on the same server.
//
//   npm run bench:auth            (BENCH_N=100 sequential requests by default)
//
// Reports the bare route (the baseline: no app) and POST /auth/login, one at a
// time, and the argon2id verification's share of login time (read from the
// Server-Timing header the Worker sets outside production).
//
// Registrations and logins go through the TypeScript client (clients/typescript),
// each from its own client address; logins through its typed `api` to read the
// Server-Timing header. The bare route, the baseline, is a raw fetch.
import { BARE_ROUTE_NAME, bareRoute, benchClient, compare, envNumber, round, row, sequential, standalone, summarise } from "./bench-lib.mjs";

const LOGINS_PER_USER = 4; // a few logins per user, as real traffic has (successes are never throttled per email)
const PASSWORD = "correct horse battery";
const WARMUP = 8;

/** Rows for the bare route and login, `n` sequential requests each. */
export async function run(server, { n = 100 } = {}) {
  const client = benchClient(server.origin);
  const users = [];
  for (let i = 0; i < Math.ceil((n + WARMUP) / LOGINS_PER_USER); i++) {
    const email = `bench.${Date.now()}.${i}@example.com`;
    await client.register({ email, password: PASSWORD });
    users.push(email);
  }

  const hash_ms = [];
  let loginCount = 0;
  const login = async () => {
    const email = users[Math.floor(loginCount++ / LOGINS_PER_USER)];
    const { data, error, response } = await client.api.POST("/api/v1/auth/login", { body: { email, password: PASSWORD } });
    if (response.status !== 200 || !data?.access_token) throw new Error(`login ${response.status}: ${JSON.stringify(error)}`);
    const timing = /argon2id;dur=(\d+(?:\.\d+)?)/.exec(response.headers.get("server-timing") ?? "");
    if (timing) hash_ms.push(Number(timing[1]));
  };

  // Warm up both paths; only measured logins count towards the argon2id share.
  await sequential(WARMUP, bareRoute(server));
  await sequential(WARMUP, login);
  hash_ms.length = 0;

  const measured = await compare({ n, concurrency: 1 }, { bare: bareRoute(server), login });
  const hashes = summarise(hash_ms);
  const share = round((hashes.p50_ms / measured.login.p50_ms) * 100, 1);
  const baseline = row("auth", `${BARE_ROUTE_NAME}, one at a time`, measured.bare);
  return [
    baseline,
    row("auth", "POST /auth/login, one at a time", { ...measured.login, note: `argon2id verify p50 ${hashes.p50_ms} ms (Server-Timing) = ${share}% of login p50`, extra: { argon2id: hashes, argon2id_share_pct: share } }, baseline),
  ];
}

await standalone(import.meta.url, {
  name: "auth",
  title: "Auth benchmark against wrangler dev (sequential requests)",
  run,
  options: { n: envNumber("BENCH_N", 100) },
});
