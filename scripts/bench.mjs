// Every benchmark against ONE `wrangler dev`, each beside its physical
// baseline measured in the same run (ratios, never absolute targets):
//
//   npm run bench
//
//   scenario                                   baseline
//   HTTP routes (health, webhook intake,       the bare route /__sandbox/bare
//     login, airtime purchases)                  (answered before the app)
//   settlements on one wallet                  one bare Durable Object doing one
//                                                SQLite increment per request
//   realtime fan-out to N watchers             a bare hibernating object
//                                                broadcasting to N sockets
//
// The whole set runs once per log level (BENCH_LOG_LEVELS, default
// "info,warn"), each on a fresh server started with LOG_LEVEL set, so the cost
// of the per-request log line is visible. The defaults finish in about five
// minutes on a 2-core machine; scale up with:
//
//   BENCH_SCALE=4            multiplies every request count (default 1)
//   BENCH_WATCHERS=1,100     room sizes for the fan-out (default 1,100,1000)
//   BENCH_REPEATS=5          broadcasts/settlements per room size (default 3)
//   BENCH_CONCURRENCY=32     requests in flight for the throughput runs (default 16)
//   BENCH_WALLETS=50         wallets for the purchases across wallets (default 20)
//   BENCH_ONLY=purchases     run only these steps (comma-separated names of PLAN below), e.g. to
//                            measure one row on a shared machine (default: every step)
//
// The server runs with wrangler.jsonc's development values (production's
// limits) plus each benchmark's own overrides (`vars`, `ratelimits` exported
// by the scripts): a benchmark that needs a bound raised says so itself.
//
// Writes bench-results/bench.json and bench-results/bench.md and prints the
// table, with the goal of each row (README "Targets", bench-lib.mjs GOALS)
// beside its ratio. Nothing here asserts on time.
import { cpus, loadavg } from "node:os";
import * as auth from "./bench-auth.mjs";
import { envNumber, markdown, printable, round, writeResult } from "./bench-lib.mjs";
import * as purchases from "./bench-purchases.mjs";
import * as realtime from "./bench-realtime.mjs";
import * as wallets from "./bench-wallets.mjs";
import * as webhooks from "./bench-webhooks.mjs";
import { startDevServer } from "./dev-server.mjs";

const SCALE = envNumber("BENCH_SCALE", 1);
const CONCURRENCY = envNumber("BENCH_CONCURRENCY", 16);
const LEVELS = (process.env.BENCH_LOG_LEVELS ?? "info,warn").split(",").map((l) => l.trim());
const scaled = (count) => Math.max(1, Math.round(count * SCALE));

const PLAN = [
  {
    name: "webhooks",
    run: webhooks.run,
    options: { n: scaled(400), concurrency: CONCURRENCY, settle: scaled(20) },
  },
  { name: "auth", run: auth.run, options: { n: scaled(10) } },
  {
    name: "purchases",
    run: purchases.run,
    options: {
      n: scaled(40),
      concurrency: Math.max(1, CONCURRENCY / 2),
      wallets: envNumber("BENCH_WALLETS", 20),
    },
  },
  {
    name: "realtime",
    run: realtime.run,
    options: {
      watchers: (process.env.BENCH_WATCHERS ?? "1,100,1000").split(",").map(Number),
      repeats: envNumber("BENCH_REPEATS", 3),
    },
  },
  {
    name: "wallets",
    run: wallets.run,
    options: { counts: [1, 5, 20], settle: scaled(40), concurrency: CONCURRENCY },
  },
];
const ONLY = (process.env.BENCH_ONLY ?? "")
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean);
for (const name of ONLY)
  if (!PLAN.some((step) => step.name === name))
    throw new Error(`BENCH_ONLY: no step "${name}" (steps: ${PLAN.map((s) => s.name).join(", ")})`);
const STEPS = ONLY.length > 0 ? PLAN.filter((step) => ONLY.includes(step.name)) : PLAN;
/** What the benchmarks raise for their own server (each script says why). */
const VARS = { ...webhooks.vars, ...purchases.vars };
const RATELIMITS = { ...webhooks.ratelimits, ...purchases.ratelimits, ...realtime.ratelimits };

const started_at = new Date().toISOString();
const load_before = loadavg().map((x) => round(x));
const results = {};
for (const level of LEVELS) {
  console.error(`\n== LOG_LEVEL=${level}: starting wrangler dev ==`);
  // LOG_LEVEL is passed whether or not this build reads it: a build that does
  // not just logs as before, and the two tables then differ only by noise.
  const server = await startDevServer({
    vars: { ...VARS, LOG_LEVEL: level },
    ratelimits: RATELIMITS,
  });
  const stop = () => server.stop().finally(() => process.exit(130));
  process.once("SIGINT", stop);
  try {
    results[level] = [];
    for (const step of STEPS) {
      const t0 = performance.now();
      console.error(`-- ${step.name} ${JSON.stringify(step.options)}`);
      // A failed step is a row of the table (what failed, and why), not the end of
      // the run: the rows measured before it, and the next steps, still count.
      const rows = await step.run(server, { ...step.options, log_level: level }).catch((error) => {
        console.error(
          `\n${step.name} failed: ${error?.stack ?? error}\nwrangler dev's last output:\n${server.output().slice(-20000)}`,
        );
        return [
          {
            group: step.name,
            scenario: `${step.name}: FAILED`,
            rate_per_s: "-",
            p50_ms: "-",
            p99_ms: "-",
            baseline: "-",
            ratio: "-",
            goal: "-",
            note: `failed: ${String(error?.message ?? error).slice(0, 300)}`,
          },
        ];
      });
      console.error(`   ${round((performance.now() - t0) / 1000, 1)} s`);
      results[level].push(...rows);
    }
  } finally {
    process.removeListener("SIGINT", stop);
    await server.stop();
  }
}

const machine = {
  cpus: cpus().length,
  loadavg_before: load_before,
  loadavg_after: loadavg().map((x) => round(x)),
};
const sections = LEVELS.map((level) => `### LOG_LEVEL=${level}\n\n${markdown(results[level])}`);
const notes = [
  ...new Set(
    LEVELS.flatMap((level) =>
      results[level].filter((r) => r.note).map((r) => `- [${level}] ${r.scenario}: ${r.note}`),
    ),
  ),
];
const md = [
  `# npm run bench, ${started_at}`,
  "",
  `Local \`wrangler dev\` on ${machine.cpus} cores (load average ${machine.loadavg_before.join(" / ")} before, ${machine.loadavg_after.join(" / ")} after).`,
  "ratio = the scenario's rate / its baseline's rate (for fan-out: baseline time to the last socket / the scenario's), both measured in the same run; 1 is the physical floor.",
  `Options: ${JSON.stringify(Object.fromEntries(STEPS.map((s) => [s.name, s.options])))}`,
  "",
  ...sections.flatMap((s) => [s, ""]),
  "Notes:",
  "",
  ...notes,
  "",
].join("\n");
writeResult("bench.json", {
  started_at,
  finished_at: new Date().toISOString(),
  machine,
  plan: STEPS.map(({ name, options }) => ({ name, options })),
  results,
});
writeResult("bench.md", md);
for (const level of LEVELS) console.log(`\nLOG_LEVEL=${level}\n\n${printable(results[level])}`);
console.log(`\nWritten: bench-results/bench.json, bench-results/bench.md`);
