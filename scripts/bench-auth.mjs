// Login latency against `wrangler dev`, beside the bare route measured in the
// same run on the same server.
//
//   npm run bench:auth            (BENCH_N=100 sequential requests by default)
//
// Reports the bare route (the baseline: no app) and POST /auth/login, one at a
// time, and the argon2id verification's share of login time (read from the
// Server-Timing header the Worker sets outside production). Then a burst:
// 20 logins at once into one isolate, where argon2id's 19 MiB per hash once
// restarted the runtime; the row says whether all were answered (a 503 with
// Retry-After is an answer, retried as a client would), none lost, and
// whether wrangler's output shows the runtime going away.
//
// Registrations and logins go through the TypeScript client (clients/typescript),
// each from its own client address; logins through its typed `api` to read the
// Server-Timing header. The bare route, the baseline, is a raw fetch.
import {
  BARE_ROUTE_NAME,
  bareRoute,
  benchClient,
  compare,
  envNumber,
  goalOf,
  round,
  row,
  sequential,
  standalone,
  summarise,
} from "./bench-lib.mjs";

const LOGINS_PER_USER = 4; // a few logins per user, as real traffic has (successes are never throttled per email)
const PASSWORD = "correct horse battery";
const WARMUP = 8;
/** Logins sent at once in the burst row (issue 18: 20 concurrent logins). */
const BURST_LOGINS = 20;
/** Rounds a 503'd login is retried after its Retry-After before the row counts it lost. */
const BURST_RETRIES_MAX = 10;
/** Lines of wrangler's output that say the runtime went away or started again (as scripts/load.mjs reads them). */
const RESTART_PATTERN =
  /(restart|crash|segmentation fault|out of memory|exceeded (its )?memory|workerd.*(exit|terminat)|the workers runtime failed|reloading local server)/i;

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
    const { data, error, response } = await client.api.POST("/api/v1/auth/login", {
      body: { email, password: PASSWORD },
    });
    if (response.status !== 200 || !data?.access_token)
      throw new Error(`login ${response.status}: ${JSON.stringify(error)}`);
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
    row(
      "auth",
      "POST /auth/login, one at a time",
      {
        ...measured.login,
        note: `argon2id verify p50 ${hashes.p50_ms} ms (Server-Timing) = ${share}% of login p50`,
        extra: { argon2id: hashes, argon2id_share_pct: share },
      },
      baseline,
    ),
    await burstRow(server, client, users),
  ];
}

/** BURST_LOGINS logins at once, over the registered users, each from its own address. */
async function burstRow(server, client, users) {
  const output_before = server.output();
  const once = async (i) => {
    const { response } = await client.api.POST("/api/v1/auth/login", {
      body: { email: users[i % users.length], password: PASSWORD },
    });
    return {
      status: response.status,
      retry_after_s: Number(response.headers.get("retry-after") ?? "1"),
    };
  };
  const started = performance.now();
  const latencies = [];
  const first = { ok: 0, busy: 0, other: [] };
  let retried = 0;
  let lost = 0;
  await Promise.all(
    Array.from({ length: BURST_LOGINS }, async (_, i) => {
      const t0 = performance.now();
      let answer = await once(i);
      if (answer.status === 200) first.ok += 1;
      else if (answer.status === 503) first.busy += 1;
      else first.other.push(answer.status);
      // As a client honouring Retry-After: a 503 is "come back", not a loss.
      for (let round_ = 0; answer.status === 503 && round_ < BURST_RETRIES_MAX; round_++) {
        retried += 1;
        await new Promise((r) => setTimeout(r, answer.retry_after_s * 1000));
        answer = await once(i);
      }
      if (answer.status !== 200) lost += 1;
      latencies.push(performance.now() - t0);
    }),
  );
  const elapsed_ms = performance.now() - started;
  const output_after = server.output();
  const fresh = output_after.startsWith(output_before)
    ? output_after.slice(output_before.length)
    : output_after.slice(-50_000);
  const restarts = fresh.split("\n").filter((line) => RESTART_PATTERN.test(line)).length;
  const health = await fetch(`${server.origin}/api/v1/health`);
  await health.arrayBuffer();
  const stats = summarise(latencies);
  const answered = first.ok + first.busy;
  return row(
    "auth",
    `${BURST_LOGINS} concurrent logins (burst)`,
    {
      rate_per_s: round((BURST_LOGINS / elapsed_ms) * 1000),
      p50_ms: stats.p50_ms,
      p99_ms: stats.p99_ms,
      ratio: `${answered}/${BURST_LOGINS} answered, ${lost} lost, ${restarts} restarts`,
      note: `first answers: ${first.ok} x 200, ${first.busy} x 503 + Retry-After${first.other.length ? `, other: ${first.other.join(",")}` : ""}; ${retried} retries; lost after retries: ${lost}; runtime restart lines in wrangler's output: ${restarts}; GET /health after: ${health.status}`,
      extra: { first, retried, lost, restarts, health_after: health.status },
    },
    undefined,
    goalOf("login_burst"),
  );
}

await standalone(import.meta.url, {
  name: "auth",
  title: "Auth benchmark against wrangler dev (sequential requests)",
  run,
  options: { n: envNumber("BENCH_N", 100) },
});
