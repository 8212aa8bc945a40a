// The model-based HTTP test's soak: 10,000 seeded sequences, run as shards of
// test/proofs/http-model.test.ts, each in a fresh test runtime with its own
// seed. One runtime is not enough: it slows down as thousands of Durable
// Objects pile up in it (a room per tx_ref, a throttle per email), measured at
// 500 sequences in 176 s and the next 500 in 791 s, until the look-alikes'
// answers outlast the tests' 1.5 s provider timeout and the model reads a
// slow machine as a provider fault.
//
//   node scripts/model-soak.mjs              (part of npm run test:soak)
//
//   MODEL_SOAK_SEQUENCES  sequences in all (default 10000)
//   MODEL_SOAK_SHARD      sequences per runtime (default 500)
//   MODEL_SOAK_SEED       the first shard's seed; shard i uses seed + i (default 20261127)
//   MODEL_SOAK_SECONDS    the bound on the whole soak (default 5400): past it, it fails
//   MODEL_SOAK_PARALLEL   shards at once (default 1)
//
// Shards run one after another by default: each test runtime takes a core, and
// a runtime starved of CPU can make the look-alikes outlast the tests' 1.5 s
// provider timeout, which the model rightly reads as a fault it never injected. Each shard compares every answer and
// every wallet with the model; that every command kind ran and every named
// outcome happened is checked over all shards together, as the CI form checks
// it over its 300 sequences (one shard's seed may miss a rare outcome). A
// failing shard stops the soak and prints the command that replays it.
import { spawn } from "node:child_process";
import { envNumber } from "./bench-lib.mjs";

/** Terminal colour codes in vitest's output (ESC [ ... m), removed before reading it. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

const TOTAL = envNumber("MODEL_SOAK_SEQUENCES", 10_000);
const SHARD = envNumber("MODEL_SOAK_SHARD", 500);
const SEED = envNumber("MODEL_SOAK_SEED", 20_261_127);
const BOUND_S = envNumber("MODEL_SOAK_SECONDS", 5_400);
const PARALLEL = envNumber("MODEL_SOAK_PARALLEL", 1);

const started = performance.now();
const deadline = Date.now() + BOUND_S * 1000;
let done = 0;
const totals = { requests: 0, faults: 0, attacks: 0, commands: {}, outcomes: {} };
let required = null;

function runShard(seed, sequences) {
  return new Promise((resolve) => {
    // --silent=false: the shard's summary line (its counts) is printed although it passes.
    const child = spawn(
      "npx",
      ["vitest", "run", "--silent=false", "--project", "proofs", "test/proofs/http-model.test.ts"],
      {
        env: { ...process.env, MODEL_SEED: String(seed), MODEL_SEQUENCES: String(sequences) },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    const keep = (chunk) => {
      output += chunk.toString();
      if (output.length > 400_000) output = output.slice(-200_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(
      () => {
        output += `\nmodel soak: the bound of MODEL_SOAK_SECONDS=${BOUND_S} passed during this shard`;
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      },
      Math.max(1_000, deadline - Date.now()),
    );
    children.add(child.pid);
    child.on("exit", (code) => {
      children.delete(child.pid);
      clearTimeout(timer);
      resolve({ ok: code === 0, output });
    });
  });
}

const shards = [];
for (let start = 0, i = 0; start < TOTAL; start += SHARD, i++)
  shards.push({ index: i, seed: SEED + i, sequences: Math.min(SHARD, TOTAL - start) });
const children = new Set();

function stopAll(code) {
  for (const pid of children) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
  process.exit(code);
}

async function runOne({ index, seed, sequences }) {
  const t0 = performance.now();
  const { ok, output } = await runShard(seed, sequences);
  const seconds = (performance.now() - t0) / 1000;
  if (!ok) {
    const plain = output.replace(ANSI_COLOUR, "");
    const failed = plain.slice(Math.max(0, plain.indexOf("Failed Tests") - 200));
    console.error(`${failed.slice(0, 6_000)}\n`);
    console.error(
      `model soak FAILED in shard ${index + 1} (seed ${seed}, ${sequences} sequences) after ${done} sequences had passed.`,
    );
    console.error(
      `Replay it: MODEL_SEED=${seed} MODEL_SEQUENCES=${sequences} npx vitest run --project proofs test/proofs/http-model.test.ts`,
    );
    stopAll(1);
  }
  const line = /http model shard: (\{.*\})/.exec(output.replace(ANSI_COLOUR, ""))?.[1];
  if (!line) {
    console.error(
      `model soak: shard ${index + 1} passed but printed no summary line:\n${output.slice(-3_000)}`,
    );
    stopAll(1);
  }
  const summary = JSON.parse(line);
  if (summary.sequences !== sequences) {
    console.error(
      `model soak: shard ${index + 1} ran ${summary.sequences} sequences, not ${sequences}`,
    );
    stopAll(1);
  }
  required = summary.required;
  for (const key of ["requests", "faults", "attacks"]) totals[key] += summary[key];
  for (const key of ["commands", "outcomes"])
    for (const [name, n] of Object.entries(summary[key]))
      totals[key][name] = (totals[key][name] ?? 0) + n;
  done += sequences;
  console.log(
    `shard ${index + 1}/${shards.length}: seed ${seed}, ${sequences} sequences in ${seconds.toFixed(0)} s (${(sequences / seconds).toFixed(2)}/s); ${done}/${TOTAL} passed`,
  );
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(PARALLEL, shards.length) }, async () => {
    while (next < shards.length) await runOne(shards[next++]);
  }),
);
const total_s = (performance.now() - started) / 1000;
const missing = [
  ...required.commands
    .filter((kind) => !totals.commands[kind])
    .map((kind) => `command ${kind} never ran`),
  ...required.outcomes
    .filter((outcome) => !totals.outcomes[outcome])
    .map((outcome) => `outcome "${outcome}" never happened`),
];
console.log(
  `model soak: ${done} sequences in ${total_s.toFixed(0)} s (${(done / total_s).toFixed(2)}/s), ${totals.requests} requests, ${totals.faults} faults, ${totals.attacks} attacks`,
);
if (missing.length) {
  console.error(`model soak FAILED: over all shards, ${missing.join("; ")}`);
  process.exit(1);
}
console.log(
  `model soak passed: every answer and wallet matched the model, all ${required.commands.length} command kinds ran and all ${required.outcomes.length} named outcomes happened`,
);
