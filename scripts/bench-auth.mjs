// Login latency against `wrangler dev`, beside a trivial route measured in the
// same run on the same server.
//
//   npm run bench:auth            (N=100 by default; BENCH_N=300 for more)
//
// Reports p50/p99 of GET /api/v1/health (the baseline) and of POST /auth/login,
// their ratio, and the argon2id verification's share of login time (read from
// the Server-Timing header the Worker sets outside production).
import { mkdirSync, writeFileSync } from "node:fs";
import { nextIp, round, sequential, summarise, table } from "./bench-lib.mjs";
import { startDevServer } from "./dev-server.mjs";

const N = Number(process.env.BENCH_N ?? 100);
const LOGINS_PER_USER = 4; // a few logins per user, as real traffic has (successes are never throttled per email)
const PASSWORD = "correct horse battery";

const server = await startDevServer();
try {
  const base = `${server.origin}/api/v1`;
  const users = [];
  for (let i = 0; i < Math.ceil((N + 10) / LOGINS_PER_USER); i++) {
    const email = `bench.${Date.now()}.${i}@example.com`;
    const res = await fetch(`${base}/auth/register`, {
      method: "POST",
      headers: { "cf-connecting-ip": nextIp() },
      body: new URLSearchParams({ email, password: PASSWORD }),
    });
    if (res.status !== 201) throw new Error(`register ${res.status}: ${await res.text()}`);
    users.push(email);
  }

  const health = () => fetch(`${base}/health`).then((r) => r.arrayBuffer());
  const hash_ms = [];
  let loginCount = 0;
  const login = async () => {
    const email = users[Math.floor(loginCount++ / LOGINS_PER_USER)];
    const res = await fetch(`${base}/auth/login`, {
      method: "POST",
      headers: { "cf-connecting-ip": nextIp() },
      body: new URLSearchParams({ username: email, password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`login ${res.status}: ${await res.text()}`);
    const timing = /argon2id;dur=(\d+(?:\.\d+)?)/.exec(res.headers.get("server-timing") ?? "");
    if (timing) hash_ms.push(Number(timing[1]));
    await res.arrayBuffer();
  };

  // Warm up both paths (module compilation, first Durable Object start).
  await sequential(10, health);
  await sequential(8, login);
  hash_ms.length = 0;

  const baseline = summarise(await sequential(N, health));
  const logins = summarise(await sequential(N, login));
  const hashes = summarise(hash_ms);

  const rows = [
    { route: "GET /health (baseline)", ...baseline, ratio_p50: 1 },
    { route: "POST /auth/login", ...logins, ratio_p50: round(logins.p50_ms / baseline.p50_ms, 1) },
    { route: "  argon2id verify (server)", ...hashes, ratio_p50: round(hashes.p50_ms / baseline.p50_ms, 1) },
  ];
  const share = round((hashes.p50_ms / logins.p50_ms) * 100, 1);
  console.log(`\nAuth benchmark against wrangler dev, N=${N} sequential requests per route\n`);
  console.log(table(rows));
  console.log(`\nargon2id (m=19 MiB, t=2, p=1) share of login p50: ${share}%`);
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/auth.json", JSON.stringify({ n: N, baseline, logins, hashes, hash_share_pct: share, at: new Date().toISOString() }, null, 2));
} finally {
  await server.stop();
}
