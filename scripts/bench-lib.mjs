// Small helpers shared by the benchmark scripts: percentiles, sequential and
// concurrent request loops, interleaved comparisons against a baseline, result
// rows and their tables, and the standalone entry every script shares.
// Benchmarks report ratios against a baseline measured in the same run on the
// same server; they never assert on time.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createWalletClient } from "./bench-client.mjs";
import { startDevServer } from "./dev-server.mjs";

export const RESULTS_DIR = "bench-results";
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summarise(samples_ms) {
  const sorted = [...samples_ms].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    mean_ms: round(total / sorted.length),
    max_ms: round(sorted[sorted.length - 1]),
  };
}

export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Run `fn(i)` n times one after another; returns each call's latency in ms. */
export async function sequential(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Run `fn(i)` n times with `concurrency` in flight; returns { samples, elapsed_ms, rate_per_s }. */
export async function concurrent(n, concurrency, fn) {
  const samples = [];
  let next = 0;
  const started = performance.now();
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t0 = performance.now();
      await fn(i);
      samples.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed_ms = performance.now() - started;
  return { samples, elapsed_ms: round(elapsed_ms), rate_per_s: round((n / elapsed_ms) * 1000) };
}

export function table(rows) {
  const keys = Object.keys(rows[0]);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ");
  return [
    line(keys),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((r) => line(keys.map((k) => r[k]))),
  ].join("\n");
}

let ip = 0;
/** A distinct client address per call, so per-IP rate limits do not shape the numbers. */
export function nextIp() {
  ip += 1;
  return `198.18.${(ip >> 8) & 255}.${ip & 255}`;
}

/**
 * Measures each of `fns` (name -> fn(i)) over `n` calls with `concurrency` in
 * flight, interleaved in halves as A B .. B A: on a machine shared with other
 * work, load drifts during a run, and the mirrored order gives every candidate
 * the same share of early and late load, so the ratios stay honest even when
 * the absolute numbers move. `warmup` calls of each come first, unmeasured
 * (module compilation, first Durable Object start).
 * Returns name -> { n, rate_per_s, p50_ms, p99_ms, ... }.
 */
export async function compare({ n, concurrency, warmup = 0 }, fns) {
  const names = Object.keys(fns);
  for (const name of names)
    if (warmup > 0) await concurrent(warmup, Math.min(concurrency, warmup), fns[name]);
  const halves = [Math.ceil(n / 2), Math.floor(n / 2)];
  const acc = Object.fromEntries(
    names.map((name) => [name, { samples: [], elapsed_ms: 0, done: 0 }]),
  );
  for (const [half, order] of [
    [0, names],
    [1, [...names].reverse()],
  ]) {
    for (const name of order) {
      const a = acc[name];
      const offset = a.done;
      const run = await concurrent(halves[half], concurrency, (i) => fns[name](offset + i));
      a.samples.push(...run.samples);
      a.elapsed_ms += run.elapsed_ms;
      a.done += halves[half];
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const a = acc[name];
      return [
        name,
        {
          ...summarise(a.samples),
          conc: concurrency,
          rate_per_s: round((a.done / a.elapsed_ms) * 1000),
        },
      ];
    }),
  );
}

/** GET /__sandbox/bare: the platform's cost of one HTTP request, no app (development only). */
export function bareRoute(server) {
  return async () => {
    const res = await fetch(`${server.origin}/__sandbox/bare`);
    if (res.status !== 200) throw new Error(`bare route ${res.status}`);
    await res.arrayBuffer();
  };
}
export const BARE_ROUTE_NAME = "bare route";

/**
 * The goals of issue 18 (README "Targets", the goal column): the ratio each
 * row should reach in one `npm run bench` run. Printed beside the ratio; the
 * regression floors (what a run on this machine has always cleared) are the
 * README's other column. Nothing asserts on them: a benchmark reports.
 * `health` has one goal per log level: the access log line is part of it.
 */
export const GOALS = {
  health: { warn: ">= 0.90", info: ">= 0.75" },
  intake: ">= 0.80",
  purchase_one_wallet: ">= 0.30",
  purchase_sequential: ">= 0.33 (p50 <= 3x GET /wallet)",
  purchase_across_wallets: ">= 1.0 (20 wallets)",
  settlements_one_wallet: ">= 0.60",
  fanout_1000: ">= 0.60",
  login_burst: "all answered",
};

/** The goal for `key` at `log_level` ("-" when the issue set none). */
export function goalOf(key, log_level) {
  const goal = GOALS[key];
  if (goal === undefined) return "-";
  return typeof goal === "string" ? goal : (goal[log_level] ?? goal.warn);
}

/**
 * One result row. `ratio` is always "share of the baseline's rate": rate /
 * baseline rate for throughput, baseline time / scenario time for latency, so
 * 1 is the physical floor and smaller is slower. `goal` is printed beside it.
 */
export function row(group, scenario, stats, baseline, goal = "-") {
  return {
    group,
    scenario,
    rate_per_s: stats.rate_per_s ?? "-",
    p50_ms: stats.p50_ms ?? "-",
    p99_ms: stats.p99_ms ?? "-",
    baseline: baseline ? baseline.scenario : "-",
    ratio: stats.ratio ?? (baseline ? round(stats.rate_per_s / baseline.rate_per_s, 3) : 1),
    goal,
    ...(stats.note ? { note: stats.note } : {}),
    ...(stats.extra ? { extra: stats.extra } : {}),
  };
}

export const COLUMNS = [
  ["scenario", "scenario"],
  ["rate_per_s", "rate/s"],
  ["p50_ms", "p50 ms"],
  ["p99_ms", "p99 ms"],
  ["baseline", "baseline"],
  ["ratio", "ratio"],
  ["goal", "goal"],
];

/** The printable table of result rows, then their notes. */
export function printable(rows) {
  const shown = rows.map((r) => Object.fromEntries(COLUMNS.map(([key, label]) => [label, r[key]])));
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`);
  return [table(shown), ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** The same rows as a markdown table. */
export function markdown(rows) {
  const cell = (v) => String(v).replaceAll("|", "\\|");
  return [
    `| ${COLUMNS.map(([, label]) => label).join(" | ")} |`,
    `|${COLUMNS.map(([key]) => (key === "scenario" || key === "baseline" ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${COLUMNS.map(([key]) => cell(r[key])).join(" | ")} |`),
  ].join("\n");
}

export function writeResult(file, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}/${file}`,
    typeof data === "string" ? data : JSON.stringify(data, null, 2),
  );
}

/** True when the module at `meta_url` is the script node was started with. */
export function isMain(meta_url) {
  return Boolean(process.argv[1]) && pathToFileURL(resolve(process.argv[1])).href === meta_url;
}

/**
 * A script's own entry (`npm run bench:<name>`): its own `wrangler dev`, its
 * `run(server, options)`, the table printed and `bench-results/<name>.json`.
 * Does nothing when the module is imported (by scripts/bench.mjs).
 */
export async function standalone(
  meta_url,
  { name, title, vars = {}, ratelimits = {}, run, options },
) {
  if (!isMain(meta_url)) return;
  const server = await startDevServer({ vars, ratelimits });
  // The server runs in its own process group: stop it on Ctrl-C too.
  process.once("SIGINT", () => server.stop().finally(() => process.exit(130)));
  try {
    const rows = await run(server, options).catch((error) => {
      console.error(`\nwrangler dev's last output:\n${server.output().slice(-20000)}`);
      throw error;
    });
    console.log(`\n${title}\n`);
    console.log(printable(rows));
    writeResult(`${name}.json`, { options, rows, at: new Date().toISOString() });
  } finally {
    await server.stop();
  }
}

/** Reads a number from the environment, or `fallback`. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

const AUTH_PATH = /\/api\/v1\/auth\/(register|login)$/;

/**
 * The TypeScript client against `origin` (the server's bare origin), as the
 * benchmarks use it for every API call an integrator makes. Registrations and
 * logins each come from a distinct client address (nextIp), so the per-IP
 * limiters do not shape the numbers. Retrying is off: a 429 or 503 fails the
 * run instead of hiding in the latencies.
 */
export function benchClient(origin, options = {}) {
  return createWalletClient({
    baseUrl: origin,
    retry: { max_attempts: 1 },
    fetch: (request) => {
      if (AUTH_PATH.test(new URL(request.url).pathname))
        request.headers.set("cf-connecting-ip", nextIp());
      return fetch(request);
    },
    ...options,
  });
}

/** One registered and logged-in user, through the client: { email, client, auth } (auth: a bearer header for raw calls). */
export async function newUser(origin, label, password = "correct horse battery") {
  const email = `bench.${label}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const client = benchClient(origin);
  await client.register({ email, password });
  await client.login(email, password);
  return { email, client, auth: { authorization: `Bearer ${client.token}` } };
}
