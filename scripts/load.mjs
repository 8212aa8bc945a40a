// The load check: a few hundred concurrent customers mixing every route
// against `wrangler dev` on loopback, bounded in count and time; then every
// wallet is compared with its customer's own model.
//
//   npm run test:load
//   LOAD_CLIENTS=20 LOAD_SECONDS=10 npm run test:load      (a quick one)
//
//   LOAD_CLIENTS          concurrent customers (default 300)
//   LOAD_SECONDS          length of the mixed run (default 60)
//   LOAD_REQUESTS_MAX     hard cap on requests during the run (default 200000)
//   LOAD_SEED             the mix's seed (default 20261127): each customer's choices follow from it
//   LOAD_PORT             the server's port (default 8899; 8787 is `npm run dev`'s)
//   LOAD_ORIGIN           an already running server on loopback instead of our own
//                         `wrangler dev` (then the ledger audit is skipped: it needs the admin token)
//   LOAD_LOGIN_INTERVAL_MS  at most one login per this many ms across all customers (default 1000)
//   LOAD_THINK_MS         each customer waits up to this long between steps (default 300)
//   LOAD_PREPARE_CONCURRENCY  registrations at once before the clock (default 2: argon2id holds
//                         19 MiB per hash in the one development isolate, whose limit is 128 MB)
//   LOAD_SETTLE_SECONDS   the longest wait for pending transactions after the run (default 240)
//   LOAD_VIA_PROXY=1      send every request through wrangler's local proxy (the port `npm run dev`
//                         prints) instead of straight to the Worker's runtime; see "Which port" below
//   LOAD_KEEP_ALIVE=1     reuse connections instead of one connection per request; see below
//   LOAD_TIMEOUT_SECONDS  the whole check, preparation included, or it fails (default 1800)
//
// Which port, and why one connection per request: `wrangler dev` is a proxy
// (its own workerd) in front of the runtime that runs the Worker, and the
// proxy keeps a pool of connections to it. The runtime closes a connection
// that has been idle for a few seconds; a request the pool sends into a
// connection being closed is reset, and the proxy answers a POST that met
// that reset with 503 "Your worker restarted mid-request" (a GET it quietly
// sends again). With a few hundred customers on two cores every queue is
// seconds long, so that race is met hundreds of times a minute (measured:
// 1,872 of 3,696 requests, and none with the same load sent to the runtime on
// fresh connections). Newer wrangler releases retry such a request; they need
// a newer Node than this project's. So by default the check talks to the
// runtime itself (its port is read from wrangler's debug output), on a fresh
// connection per request, which leaves our Worker, its bindings and the
// look-alikes exactly as `npm run dev` runs them and takes only the
// forwarding hop and the race out. LOAD_VIA_PROXY=1 and LOAD_KEEP_ALIVE=1 put
// each back, to measure them.
//
// Passes when: no 5xx, every 4xx is a problem document, no transport error
// (a refused or reset connection is how a restarted or crashed `wrangler dev`
// shows), wrangler dev still runs and printed no restart, every transaction
// ended as its customer expects, every wallet holds exactly what its customer's
// model says (nothing lost, nothing doubled), no hold is left, the ledger
// audit agrees with the journal, and no dead letter was stored. Prints the
// latency percentiles per route kind; writes bench-results/load.json and
// bench-results/load.md. Exits 1 on any failure.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { concurrent, envNumber, round, writeResult } from "./bench-lib.mjs";
import { SimClient, INITIAL_FUND_NAIRA, MIX } from "./load-client.mjs";
import {
  assertLoopback,
  hashSeed,
  latencyRows,
  markdownRows,
  PurchaseSlots,
  printableRows,
  RateGate,
  Recorder,
  seededRandom,
  sleep,
} from "./load-lib.mjs";
import * as purchasesBench from "./bench-purchases.mjs";
import { startDevServer } from "./dev-server.mjs";

const CLIENTS = envNumber("LOAD_CLIENTS", 300);
const SECONDS = envNumber("LOAD_SECONDS", 60);
const REQUESTS_MAX = envNumber("LOAD_REQUESTS_MAX", 200_000);
const SEED = envNumber("LOAD_SEED", 20261127);
const PORT = envNumber("LOAD_PORT", 8899);
const LOGIN_INTERVAL_MS = envNumber("LOAD_LOGIN_INTERVAL_MS", 1000);
const THINK_MS = envNumber("LOAD_THINK_MS", 300);
const PREPARE_CONCURRENCY = envNumber("LOAD_PREPARE_CONCURRENCY", 2);
const SETTLE_SECONDS = envNumber("LOAD_SETTLE_SECONDS", 240);
const TIMEOUT_SECONDS = envNumber("LOAD_TIMEOUT_SECONDS", 1800);
const REQUEST_TIMEOUT_MS = 90_000;
/** The server's LOG_LEVEL: warn keeps wrangler's output (scanned line by line) to what matters. */
const LOG_LEVEL = process.env.LOAD_LOG_LEVEL || "warn";
/** Lines of wrangler's output that say the runtime went away or started again. */
const RESTART_PATTERN =
  /(restart|crash|segmentation fault|out of memory|exceeded (its )?memory|workerd.*(exit|terminat)|the workers runtime failed|reloading local server)/i;

function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

const failures = [];
/** wrangler's lines that say it restarted or crashed, and our own error-level log lines (our faults). */
const restarts = [];
const error_lines = [];
/** tx_refs of the refunds owed that the service logged (at error level: an operator must act on each). */
const refunds_logged = new Set();
/** workerd's "disconnected" exceptions: the connection between wrangler's proxy and the Worker's runtime broke. */
let runtime_disconnects = 0;
/** wrangler's output but its per-request lines, kept for the record (bench-results/load-wrangler.log). */
const wrangler_lines = [];
let partial_line = "";
function watchOutput(chunk) {
  const lines = (partial_line + chunk).split("\n");
  partial_line = lines.pop();
  for (const line of lines) {
    if (!line.startsWith("[wrangler:info]") && wrangler_lines.length < 20_000)
      wrangler_lines.push(line);
    if (/^exception = kj\/.*disconnected/.test(line)) runtime_disconnects += 1;
    const refund = /"msg":"ledger anomaly recorded","tx_ref":"([^"]+)","kind":"refund_due"/.exec(
      line,
    );
    if (refund) refunds_logged.add(refund[1]);
    else if (/"level":"error"/.test(line)) error_lines.push(line.trim().slice(0, 600));
    else if (RESTART_PATTERN.test(line)) restarts.push(line.trim().slice(0, 300));
  }
}
const recorder = new Recorder();
const admin_token = randomBytes(24).toString("hex");
let server = null;
const VIA_PROXY = process.env.LOAD_VIA_PROXY === "1";
const KEEP_ALIVE = process.env.LOAD_KEEP_ALIVE === "1";
/** Straight to the runtime: links the service hands out (APP_ADDRESS) name the proxy; they are sent to the runtime. */
const rewrite = { from: null, to: null };

async function stopServer() {
  const s = server;
  server = null;
  if (s) await s.stop();
}
// The server runs in its own process group: stop it on Ctrl-C and on kill too.
for (const signal of ["SIGINT", "SIGTERM"])
  process.once(signal, () => stopServer().finally(() => process.exit(130)));

async function main() {
  const started_at = new Date().toISOString();
  const load_before = loadavg().map((x) => round(x));
  let origin = process.env.LOAD_ORIGIN?.replace(/\/+$/, "");
  if (origin) assertLoopback(origin);
  else {
    if (!(await portFree(PORT)))
      throw new Error(`port ${PORT} is taken on 127.0.0.1: choose another with LOAD_PORT`);
    console.error(`starting wrangler dev on 127.0.0.1:${PORT} ...`);
    // wrangler names the runtime's port only in its debug output.
    if (!VIA_PROXY) process.env.WRANGLER_LOG = "debug";
    server = await startDevServer({
      port: PORT,
      // Each customer funds NGN 500,000 and pays all through the run, past every KYC tier's
      // day: the tier table is configuration, so the server takes the purchase bench's table
      // that never binds, and every payment still pays for its tier check.
      vars: { ADMIN_API_TOKEN: admin_token, LOG_LEVEL: LOG_LEVEL, ...purchasesBench.vars },
      on_output: watchOutput,
    });
    origin = server.origin;
    if (!VIA_PROXY) {
      const port =
        /"type":"reloadComplete","proxyData":\{"userWorkerUrl":\{"protocol":"http:","hostname":"127\.0\.0\.1","port":"(\d+)"/.exec(
          server.output(),
        )?.[1];
      if (!port)
        throw new Error(
          "the runtime's port is not in wrangler's debug output (LOAD_VIA_PROXY=1 goes through wrangler's proxy instead)",
        );
      rewrite.from = origin;
      origin = `http://127.0.0.1:${port}`;
      rewrite.to = origin;
      console.error(
        `sending every request straight to the Worker's runtime: ${origin} (LOAD_VIA_PROXY=1 to go through wrangler's proxy)`,
      );
    }
    assertLoopback(origin);
  }
  const admin = { authorization: `Bearer ${admin_token}` };

  // ---- before the clock: the look-alikes' float, the catalogue, the users --------------
  const float = await fetch(`${origin}/__sandbox/vtpass/__control/float`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: 100_000_000 }),
  });
  if (float.status !== 200)
    throw new Error(`setting the VTpass look-alike's float: ${float.status} ${await float.text()}`);

  const slots = new PurchaseSlots();
  const login_gate = new RateGate(LOGIN_INTERVAL_MS);
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const clients = [];
  const plans = {};
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(
      new SimClient({
        index: i,
        origin,
        recorder,
        random: seededRandom(hashSeed(`${SEED}:${i}`)),
        slots,
        login_gate,
        plans,
        peers: clients,
        request_timeout_ms: REQUEST_TIMEOUT_MS,
        tag,
        rewrite,
        keep_alive: KEEP_ALIVE,
      }),
    );
  }
  const t_prepare = performance.now();
  console.error(`preparing ${CLIENTS} users, ${PREPARE_CONCURRENCY} at a time (argon2id) ...`);
  let registered = 0;
  await concurrent(CLIENTS, PREPARE_CONCURRENCY, async (i) => {
    await clients[i].register();
    if (++registered % 50 === 0)
      console.error(
        `  ${registered} registered (${round((performance.now() - t_prepare) / 1000, 0)} s)`,
      );
  });
  for (const network of ["mtn", "airtel", "glo", "9mobile"]) {
    const { data, response } = await clients[0].client.api.GET("/api/v1/catalog/data-plans", {
      params: { query: { network } },
    });
    if (response.status !== 200 || !data?.data?.length)
      throw new Error(`data plans of ${network}: ${response.status}`);
    plans[network] = data.data.map((p) => ({ code: p.code, price_minor: p.price_minor }));
  }
  console.error(
    `funding each with ${INITIAL_FUND_NAIRA} naira through the checkout look-alike ...`,
  );
  await concurrent(CLIENTS, 8, (i) => clients[i].initialFunding());
  await concurrent(CLIENTS, 8, async (i) => {
    const deadline = Date.now() + 120_000;
    while ((await clients[i].client.wallet()).balance_minor < INITIAL_FUND_NAIRA * 100) {
      if (Date.now() > deadline)
        throw new Error(`client ${i}: the initial funding was not credited in 120 s`);
      await sleep(500);
    }
  });
  const prepare_s = round((performance.now() - t_prepare) / 1000, 1);
  if (
    recorder.status_5xx.length ||
    recorder.non_problem_4xx.length ||
    recorder.transport_errors.length ||
    clients.some((c) => c.unexpected.length)
  ) {
    failures.push("the preparation already failed (see the lists below)");
  }

  // ---- the clock: every customer steps through its seeded mix ----------------------------
  console.error(
    `running ${CLIENTS} customers for ${SECONDS} s (at most ${REQUESTS_MAX} requests) ...`,
  );
  recorder.phase = "run";
  const t_run = performance.now();
  const end_ms = Date.now() + SECONDS * 1000;
  await Promise.all(
    clients.map(async (c) => {
      await sleep(c.random() * Math.min(2000, THINK_MS * 5)); // spread the start
      while (Date.now() < end_ms && recorder.run_requests < REQUESTS_MAX) {
        await c.step();
        await sleep(c.random() * THINK_MS);
      }
    }),
  );
  const run_s = (performance.now() - t_run) / 1000;
  recorder.phase = "settle";

  // ---- after the clock: everything pending settles, then each wallet is checked ---------
  console.error(
    `waiting (at most ${SETTLE_SECONDS} s) for pending transactions and watches to settle ...`,
  );
  const t_settle = performance.now();
  const settle_deadline = Date.now() + SETTLE_SECONDS * 1000;
  await concurrent(CLIENTS, 16, async (i) => {
    const c = clients[i];
    for (const [ref, t] of c.txs) {
      if (t.expect === "PENDING" || t.expect === "UNCERTAIN") continue;
      for (;;) {
        const tx = await c.client
          .transaction(ref)
          .catch((e) => ({ status: "ERROR", failure_reason: e.message }));
        if (tx.status !== "PENDING" && tx.status !== "ERROR") break;
        if (Date.now() > settle_deadline) {
          failures.push(
            `client ${i}: ${ref} (${t.how}) still ${tx.status} after the settling wait`,
          );
          break;
        }
        await sleep(1000);
      }
    }
  });
  const watch_results = await Promise.all(
    clients.flatMap((c) =>
      c.watches.map((w) =>
        Promise.race([
          w.done,
          sleep(Math.max(1000, settle_deadline - Date.now())).then(() => ({
            tx_ref: w.tx_ref,
            error: "watch did not end in time",
          })),
        ]),
      ),
    ),
  );
  const settle_s = round((performance.now() - t_settle) / 1000, 1);
  for (const w of watch_results) if (w.error) failures.push(`watch ${w.tx_ref}: ${w.error}`);

  recorder.phase = "verify";
  const totals = {
    transactions: 0,
    by_type: {},
    by_outcome: {},
    lost: 0,
    doubled: 0,
    wrong_status: 0,
    balance_mismatches: 0,
    audits: 0,
  };
  await concurrent(CLIENTS, 8, async (i) => {
    const c = clients[i];
    const server_txs = new Map();
    let starting_after;
    for (let page = 0; page < 1000; page++) {
      const list = await c.client.transactions({
        limit: 100,
        ...(starting_after ? { starting_after } : {}),
      });
      for (const tx of list.data) {
        if (server_txs.has(tx.tx_ref)) failures.push(`client ${i}: ${tx.tx_ref} listed twice`);
        server_txs.set(tx.tx_ref, tx);
      }
      if (!list.has_more) break;
      starting_after = list.data.at(-1).tx_ref;
    }
    let listed_balance = 0;
    for (const tx of server_txs.values()) {
      if (tx.status === "SUCCESS")
        listed_balance += tx.type === "FUND" ? tx.amount_minor : -(tx.amount_minor + tx.fee_minor);
    }
    for (const [ref, t] of c.txs) {
      totals.transactions += 1;
      totals.by_type[t.type] = (totals.by_type[t.type] ?? 0) + 1;
      totals.by_outcome[`${t.type} ${t.expect}`] =
        (totals.by_outcome[`${t.type} ${t.expect}`] ?? 0) + 1;
      const tx = server_txs.get(ref);
      // A checkout whose answer was lost: the server's status is taken as the outcome (the run has failed already).
      if (tx && t.expect === "UNCERTAIN")
        t.expect = tx.status === "SUCCESS" ? "SUCCESS" : tx.status;
      if (!tx) {
        totals.lost += 1;
        failures.push(`client ${i}: ${ref} (${t.how}) is missing from the server's list`);
      } else if (
        tx.status !== t.expect ||
        tx.amount_minor !== t.amount_minor ||
        tx.type !== t.type
      ) {
        totals.wrong_status += 1;
        failures.push(
          `client ${i}: ${ref} (${t.how}) is ${tx.type} ${tx.status}/${tx.stage} ${tx.amount_minor}, expected ${t.type} ${t.expect} ${t.amount_minor}${tx.failure_reason ? ` (${tx.failure_reason})` : ""}`,
        );
      }
    }
    for (const ref of server_txs.keys()) {
      if (!c.txs.has(ref)) {
        totals.doubled += 1;
        failures.push(
          `client ${i}: the server lists ${ref} (${server_txs.get(ref).type} ${server_txs.get(ref).status}), which this customer never started`,
        );
      }
    }
    const w = await c.client.wallet();
    const expected = c.expectedBalanceMinor();
    if (
      w.balance_minor !== expected ||
      w.held_minor !== 0 ||
      w.available_minor !== expected ||
      listed_balance !== expected
    ) {
      totals.balance_mismatches += 1;
      if (w.balance_minor > expected) totals.doubled += 1;
      if (w.balance_minor < expected) totals.lost += 1;
      failures.push(
        `client ${i}: wallet ${JSON.stringify({ balance_minor: w.balance_minor, held_minor: w.held_minor, available_minor: w.available_minor })}, transactions add up to ${listed_balance}, the model expects ${expected} and nothing held`,
      );
    }
    if (server) {
      const res = await c.raw("GET", `${origin}/api/v1/admin/wallets/${c.user_id}/audit`, {
        headers: admin,
      });
      const audit = await res.json();
      totals.audits += 1;
      if (res.status !== 200 || !audit.ok || audit.journal_balance_minor !== w.balance_minor)
        failures.push(
          `client ${i}: ledger audit ${res.status} ${JSON.stringify(audit).slice(0, 300)}`,
        );
    }
  });
  // The mix's underpaid fundings ("Pay less than asked") each owe a refund, logged once for an operator; nothing else may.
  const underpaid = new Set(
    clients.flatMap((c) => [...c.txs].filter(([, t]) => t.how === "fund less").map(([ref]) => ref)),
  );
  if (server) {
    for (const ref of refunds_logged)
      if (!underpaid.has(ref))
        failures.push(`a refund is owed for ${ref}, which no customer underpaid`);
    for (const ref of underpaid)
      if (!refunds_logged.has(ref))
        failures.push(`the underpaid funding ${ref} logged no refund owed`);
  }
  let dead_letters = null;
  if (server) {
    const res = await fetch(`${origin}/api/v1/admin/operations?limit=1`, { headers: admin });
    const view = await res.json();
    dead_letters = view.dead_letters?.stored ?? null;
    if (res.status !== 200 || dead_letters !== 0)
      failures.push(`dead letters stored: ${dead_letters} (operations view ${res.status})`);
  }

  // ---- the verdict ----------------------------------------------------------------------
  for (const c of clients) failures.push(...c.unexpected);
  failures.push(...recorder.status_5xx.map((s) => `5xx: ${s}`));
  failures.push(...recorder.non_problem_4xx.map((s) => `4xx without a problem document: ${s}`));
  failures.push(
    ...recorder.transport_errors.map(
      (s) => `transport error (connection refused, reset or timed out): ${s}`,
    ),
  );
  if (restarts.length)
    failures.push(...restarts.slice(0, 20).map((line) => `wrangler dev printed: ${line}`));
  if (error_lines.length)
    failures.push(
      ...error_lines.slice(0, 20).map((line) => `error logged by the service: ${line}`),
    );
  // wrangler's proxy answers "Your worker restarted mid-request" (503) whenever its fetch to the
  // Worker's runtime fails on a POST, restart or not (GETs it sends again silently).
  if (recorder.restarted_mid_request)
    failures.push(
      `wrangler dev's proxy lost ${recorder.restarted_mid_request} POST requests on their way to the Worker ("Your worker restarted mid-request"; workerd logged ${runtime_disconnects} disconnected streams)`,
    );
  if (server && server.exitCode() !== null)
    failures.push(`wrangler dev exited during the check (${server.exitCode()})`);

  const rows = latencyRows(recorder, "run", run_s);
  const ops = {};
  for (const c of clients)
    for (const [op, n] of Object.entries(c.ops)) ops[op] = (ops[op] ?? 0) + n;
  const watches_ok = watch_results.filter((w) => !w.error).length;
  const summary = {
    started_at,
    finished_at: new Date().toISOString(),
    options: {
      route: process.env.LOAD_ORIGIN
        ? "LOAD_ORIGIN"
        : VIA_PROXY
          ? "wrangler's proxy"
          : "the runtime",
      keep_alive: KEEP_ALIVE,
      log_level: LOG_LEVEL,
      clients: CLIENTS,
      seconds: SECONDS,
      requests_max: REQUESTS_MAX,
      seed: SEED,
      think_ms: THINK_MS,
      login_interval_ms: LOGIN_INTERVAL_MS,
      settle_seconds: SETTLE_SECONDS,
    },
    machine: {
      cpus: cpus().length,
      loadavg_before: load_before,
      loadavg_after: loadavg().map((x) => round(x)),
    },
    timing_s: { prepare: prepare_s, run: round(run_s, 1), settle: settle_s },
    requests: {
      run: recorder.run_requests,
      all: recorder.total,
      rate_per_s: round(recorder.run_requests / run_s, 1),
      status_5xx: recorder.status_5xx.length,
      non_problem_4xx: recorder.non_problem_4xx.length,
      transport_errors: recorder.transport_errors.length,
    },
    problems: Object.fromEntries([...recorder.problem_codes.entries()].sort()),
    steps: ops,
    mix: MIX,
    money: totals,
    watches: { started: watch_results.length, ended_as_expected: watches_ok },
    dead_letters,
    restarts: restarts.length,
    restarted_mid_request: recorder.restarted_mid_request,
    runtime_disconnects,
    error_log_lines: error_lines.length,
    refunds_owed_logged: refunds_logged.size,
    failures: failures.length,
    latency: rows,
  };
  const passed = failures.length === 0;
  const md = [
    `# npm run test:load, ${started_at}`,
    "",
    `${passed ? "PASSED" : `FAILED (${failures.length})`}: ${CLIENTS} customers for ${round(run_s, 1)} s against local \`wrangler dev\` (through ${summary.options.route}, ${KEEP_ALIVE ? "connections reused" : "a connection per request"}) on ${summary.machine.cpus} cores (load average ${load_before.join(" / ")} before, ${summary.machine.loadavg_after.join(" / ")} after), seed ${SEED}.`,
    `${recorder.run_requests} requests in the run (${summary.requests.rate_per_s}/s), ${summary.requests.status_5xx} 5xx, ${summary.requests.non_problem_4xx} 4xx without a problem document, ${summary.requests.transport_errors} transport errors.`,
    `${totals.transactions} transactions checked (${JSON.stringify(totals.by_outcome)}): ${totals.lost} lost, ${totals.doubled} doubled, ${totals.wrong_status} ended otherwise than expected; ${totals.audits} ledger audits; ${watches_ok}/${watch_results.length} WebSocket watches ended as expected.`,
    `Preparation ${prepare_s} s, settling ${settle_s} s.`,
    "",
    markdownRows(rows),
    "",
    `Problems answered (expected refusals of the mix): ${JSON.stringify(summary.problems)}`,
    "",
    ...(passed ? [] : ["## Failures", "", ...failures.slice(0, 200).map((f) => `- ${f}`), ""]),
  ].join("\n");
  writeResult("load.json", { ...summary, failure_list: failures.slice(0, 1000) });
  writeResult("load.md", md);
  writeResult("load-wrangler.log", wrangler_lines.join("\n"));

  console.log(
    `\nLoad check against wrangler dev (local workerd, look-alike providers, same machine)\n`,
  );
  console.log(printableRows(rows));
  console.log(`\n${md.split("\n").slice(2, 6).join("\n")}`);
  console.log(`steps: ${JSON.stringify(ops)}`);
  console.log(`problems answered: ${JSON.stringify(summary.problems)}`);
  if (!passed) {
    console.log(`\nFAILURES (${failures.length}, first 50):`);
    for (const f of failures.slice(0, 50)) console.log(`- ${f}`);
    if (server) console.error(`\nwrangler dev's last output:\n${server.output().slice(-8000)}`);
  }
  console.log(
    `\nWritten: bench-results/load.json, bench-results/load.md, bench-results/load-wrangler.log`,
  );
  return passed;
}

let passed = false;
// The whole check is bounded in time too: past it, it stops its server and fails.
const watchdog = setTimeout(() => {
  console.error(`\nload check took longer than LOAD_TIMEOUT_SECONDS=${TIMEOUT_SECONDS}: failing`);
  stopServer().finally(() => process.exit(1));
}, TIMEOUT_SECONDS * 1000);
watchdog.unref();
try {
  passed = await main();
} catch (error) {
  console.error(`\nload check aborted: ${error?.stack ?? error}`);
  if (server) console.error(`\nwrangler dev's last output:\n${server.output().slice(-8000)}`);
} finally {
  await stopServer();
}
process.exit(passed ? 0 : 1);
