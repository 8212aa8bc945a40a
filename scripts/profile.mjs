// Where a purchase and a settlement spend their time and their round trips,
// against `wrangler dev` (local workerd, the look-alikes, same machine).
//
//   npm run profile                      both scenarios
//   npm run profile -- purchases         or: settlements
//
//   PROFILE_N=100            purchases per phase / settlements
//   PROFILE_CONCURRENCY=8    purchases in flight in the concurrent phase (settlements: 16 deliveries)
//   PROFILE_INTERVAL_US=100  the CPU profiler's sampling interval
//   PROFILE_TOP=25           frames listed
//   PROFILE_MODE=both        cpu (profile only), counts (counters only) or both
//   LOG_LEVEL=info           passed to the Worker
//
// Two servers per scenario, one after the other, each with its own state:
// 1. cpu: V8's sampling profiler over the inspector (Profiler.start/stop)
//    while the workload runs; the .cpuprofile goes to bench-results/ (open it
//    in Chrome's DevTools, Performance tab) and the top frames by self and by
//    total time are printed, mapped back to src/ through wrangler's source map.
// 2. counts: the same workload with BENCH_COUNTERS=1, which makes the Worker
//    count Durable Object round trips, SQL statements, JSON and zod parses,
//    provider calls and log lines (src/sandbox/bench/counters.ts); the counts
//    are read back through GET /__sandbox/bench/counters and divided by the
//    number of operations. Counting wraps functions, which costs time, so the
//    profile is taken on a server that counts nothing.
//
// Scenarios (the same paths as scripts/bench-purchases.mjs and bench-webhooks.mjs):
// - purchases: one funded wallet; N airtime purchases one after another, then
//   N with C in flight (counted apart: concurrency changes what is batched).
// - settlements: one wallet with N paid fundings; all N charge.completed
//   webhooks delivered at once; done when all N are credited. Counted from the
//   first delivery until the Worker has been quiet for 2 s after the last credit.
// Results: bench-results/profile-<scenario>.{cpuprofile,json,md}.
import { cpus, loadavg } from "node:os";
import { concurrent, envNumber, newUser, round, sequential, writeResult } from "./bench-lib.mjs";
import { ratelimits as purchaseLimits } from "./bench-purchases.mjs";
import { vars as webhookVars } from "./bench-webhooks.mjs";
import { freePort, startDevServer } from "./dev-server.mjs";
import {
  analyseProfile,
  connectInspector,
  countsTables,
  framesTable,
  perOperation,
  startProfiler,
  stopProfiler,
  summaryTable,
  topFrames,
} from "./profile-lib.mjs";

const FUND_NAIRA = 5_000_000;
const READY_TIMEOUT_MS = 120_000;
const QUIET_MS = 2_000;

const options = {
  n: envNumber("PROFILE_N", 100),
  concurrency: envNumber("PROFILE_CONCURRENCY", 8),
  interval_us: envNumber("PROFILE_INTERVAL_US", 100),
  top: envNumber("PROFILE_TOP", 25),
  mode: process.env.PROFILE_MODE || "both",
  log_level: process.env.LOG_LEVEL || "info",
};
if (!["both", "cpu", "counts"].includes(options.mode))
  throw new Error(`PROFILE_MODE must be both, cpu or counts, not ${options.mode}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeout_ms = READY_TIMEOUT_MS, every_ms = 250) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every_ms);
  }
}

// ---- the counters route ------------------------------------------------------------------------

const counters = (server) => ({
  async read() {
    const res = await fetch(`${server.origin}/__sandbox/bench/counters`);
    if (res.status !== 200) throw new Error(`counters: ${res.status} ${await res.text()}`);
    return res.json();
  },
  async reset() {
    const res = await fetch(`${server.origin}/__sandbox/bench/counters/reset`, { method: "POST" });
    if (res.status !== 200) throw new Error(`counters reset: ${res.status}`);
  },
  /** Waits until `done(counts)` holds and no count has moved for QUIET_MS: the background work (feed drains, queue) is over. */
  async settled(done = () => true) {
    let last = "";
    let since = Date.now();
    for (;;) {
      const { counts } = await this.read();
      const now = JSON.stringify(counts);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= QUIET_MS && done(counts)) return counts;
      await sleep(250);
    }
  },
});

// ---- scenarios ---------------------------------------------------------------------------------

const purchases = {
  name: "purchases",
  unit: "purchase",
  vars: {},
  // The development limit (10 a minute per user) would refuse the run: raised as the purchase benchmark does.
  ratelimits: purchaseLimits,
  async prepare(server) {
    const { client } = await newUser(server.origin, "profile");
    const funding = await client.fund({ amount: String(FUND_NAIRA) });
    await fetch(funding.payment_link, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    await until("funding", async () => (await client.wallet()).balance_minor >= FUND_NAIRA * 100);
    // Every purchase has its own amount: the look-alike refuses a repeat within 30 s, as VTpass does.
    let amount = 100;
    const buy = async () => {
      amount += 1;
      const purchase = await client.buyAirtime({
        phone: "08011111111",
        network: "mtn",
        amount: String(amount),
      });
      if (purchase.status !== "SUCCESS")
        throw new Error(`airtime not delivered: ${purchase.status}`);
    };
    await sequential(5, buy); // warm-up: the purchase path compiled, the catalogue cached, the objects started
    return { buy };
  },
  phases: ({ buy }) => [
    { name: "sequential", ops: options.n, run: () => sequential(options.n, buy) },
    {
      name: `concurrent (${options.concurrency} in flight)`,
      ops: options.n,
      run: () => concurrent(options.n, options.concurrency, buy),
    },
  ],
};

const settlements = {
  name: "settlements",
  unit: "settlement",
  vars: webhookVars,
  async prepare(server) {
    const control = `${server.origin}/__sandbox/flutterwave/__control`;
    const { client } = await newUser(server.origin, "profile-settle");
    const paidFunding = async () => {
      const { tx_ref } = await client.fund({ amount: "100" });
      const created = await fetch(`${control}/transactions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tx_ref, amount: 100, currency: "NGN", status: "successful" }),
      });
      if (created.status >= 300) throw new Error(`sandbox transaction: ${created.status}`);
      return (await created.json()).data.id;
    };
    const deliver = async (id) => {
      const res = await fetch(`${control}/transactions/${id}/deliver`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (res.status >= 300) throw new Error(`deliver ${id}: ${res.status}`);
      await res.arrayBuffer();
    };
    const credited = async (n) => (await client.wallet()).balance_minor >= n * 10_000;
    // Warm-up: five settlements through the whole path (intake, queue, consumer, verify, wallet).
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push(await paidFunding());
    for (const id of warm) await deliver(id);
    await until("warm-up settlements", () => credited(5));
    const ids = [];
    await concurrent(options.n, 4, async () => ids.push(await paidFunding()));
    return { deliver, credited, ids, warm: warm.length };
  },
  phases: ({ deliver, credited, ids, warm }) => [
    {
      name: "all at once",
      ops: ids.length,
      run: () => concurrent(ids.length, 16, (i) => deliver(ids[i])),
      // With counters on, the end is read from them (no API call disturbs the counts); without, from the balance.
      done_when: (counts) => (counts["call Wallet.applyProviderFacts"] ?? 0) >= ids.length,
      wait: () => until("settlements", () => credited(warm + ids.length), READY_TIMEOUT_MS, 250),
    },
  ],
};

const SCENARIOS = { purchases, settlements };

// ---- runs ----------------------------------------------------------------------------------------

async function withServer({ vars, ratelimits = {} }, inspector_port, fn) {
  const server = await startDevServer({
    vars: { LOG_LEVEL: options.log_level, ...vars },
    ratelimits,
    inspector_port,
  });
  const stop = () => server.stop().finally(() => process.exit(130));
  process.once("SIGINT", stop);
  try {
    return await fn(server);
  } catch (error) {
    console.error(`\nwrangler dev's last output:\n${server.output().slice(-10000)}`);
    throw error;
  } finally {
    process.off("SIGINT", stop);
    await server.stop();
  }
}

async function cpuRun(scenario) {
  const inspector_port = await freePort();
  return withServer(scenario, inspector_port, async (server) => {
    const state = await scenario.prepare(server);
    const inspector = await connectInspector(inspector_port);
    try {
      await startProfiler(inspector, options.interval_us);
      const load_before = loadavg();
      const started = performance.now();
      const timings = [];
      for (const phase of scenario.phases(state)) {
        const t0 = performance.now();
        await phase.run();
        await phase.wait?.();
        timings.push({ phase: phase.name, ops: phase.ops, ms: round(performance.now() - t0) });
      }
      await sleep(QUIET_MS);
      const profile = await stopProfiler(inspector);
      const analysis = analyseProfile(profile, inspector.scripts);
      writeResult(`profile-${scenario.name}.cpuprofile`, JSON.stringify(profile));
      return {
        analysis,
        timings,
        wall_ms: round(performance.now() - started),
        load_before,
        load_after: loadavg(),
      };
    } finally {
      inspector.close();
    }
  });
}

async function countsRun(scenario) {
  return withServer(
    { ...scenario, vars: { ...scenario.vars, BENCH_COUNTERS: "1" } },
    undefined,
    async (server) => {
      const count = counters(server);
      const state = await scenario.prepare(server);
      await count.settled();
      const phases = [];
      for (const phase of scenario.phases(state)) {
        await count.reset();
        await phase.run();
        const counts = await count.settled(phase.done_when);
        await phase.wait?.(); // the outcome checked after the counts are read, so the check is not counted
        phases.push({
          phase: phase.name,
          ops: phase.ops,
          counts,
          per: perOperation(counts, phase.ops),
        });
      }
      return phases;
    },
  );
}

function report(scenario, cpu, counted) {
  const md = [`## ${scenario.name}`, ""];
  md.push(
    `Machine: ${cpus().length} cores; load average ${
      cpu
        ? cpu.load_before.map((l) => l.toFixed(2)).join(" / ")
        : loadavg()
            .map((l) => l.toFixed(2))
            .join(" / ")
    } (1/5/15 min) when the profile started.`,
  );
  md.push(`Options: ${JSON.stringify(options)}`, "");
  if (cpu) {
    const a = cpu.analysis;
    md.push(
      `CPU profile: ${a.samples} samples over ${round(a.duration_ms)} ms wall (mean interval ${a.mean_interval_us === null ? "?" : round(a.mean_interval_us)} µs; samples are taken while the isolate runs JavaScript), source map ${a.mapped ? "applied" : "NOT applied (bundle positions)"}.`,
      `Phases: ${cpu.timings.map((t) => `${t.phase}: ${t.ops} in ${t.ms} ms`).join("; ")}.`,
      "",
      `### Top ${options.top} frames by self time`,
      "",
      framesTable(topFrames(a, "self", options.top)),
      "",
      `### Top ${options.top} frames by total (inclusive) time`,
      "",
      framesTable(topFrames(a, "total", options.top)),
      "",
      `### Top ${options.top} of our own functions (src/) by total time`,
      "",
      framesTable(topFrames(a, "total", options.top, (f) => f.ours)),
      "",
    );
  }
  if (counted?.length)
    md.push(
      `### Counts per ${scenario.unit}, summary`,
      "",
      summaryTable(counted, scenario.unit),
      "",
    );
  for (const phase of counted ?? []) {
    md.push(
      `### Counts per ${scenario.unit}: ${phase.phase} (${phase.ops} ${scenario.unit}s)`,
      "",
      countsTables(phase.per, scenario.unit),
      "",
    );
  }
  return md.join("\n");
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of wanted)
  if (!SCENARIOS[name])
    throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(", ")}`);
for (const scenario of (wanted.length ? wanted : Object.keys(SCENARIOS)).map((n) => SCENARIOS[n])) {
  console.error(
    `\n== ${scenario.name}: ${options.mode === "counts" ? "" : "cpu profile"}${options.mode === "both" ? " then " : ""}${options.mode === "cpu" ? "" : "counts"} ==`,
  );
  const cpu = options.mode === "counts" ? null : await cpuRun(scenario);
  const counted = options.mode === "cpu" ? null : await countsRun(scenario);
  const md = report(scenario, cpu, counted);
  writeResult(`profile-${scenario.name}.md`, md);
  writeResult(`profile-${scenario.name}.json`, {
    at: new Date().toISOString(),
    options,
    cpu: cpu && {
      ...cpu,
      analysis: {
        ...cpu.analysis,
        frames: undefined,
        top_self: topFrames(cpu.analysis, "self", options.top),
        top_total: topFrames(cpu.analysis, "total", options.top),
      },
    },
    counts:
      counted &&
      counted.map((p) => ({ phase: p.phase, ops: p.ops, counts: p.counts, totals: p.per.totals })),
  });
  console.log(`\n${md}`);
  console.error(
    `written: bench-results/profile-${scenario.name}.{md,json}${cpu ? ", .cpuprofile" : ""}`,
  );
}
