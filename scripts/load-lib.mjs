// Plumbing of the load check (scripts/load.mjs): the seeded random source,
// the recorder every request goes through (latency per route kind, status
// classes, problem documents), the global gates that keep the run inside the
// server's own limits, and the printed and written result.
import { isIP } from "node:net";
import { percentile, round, table } from "./bench-lib.mjs";

/** mulberry32: a small seeded generator; the same seed gives each client the same choices. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string: the per-client seed from LOAD_SEED and the client's index. */
export function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Picks a key of `weights` (name -> weight) with `random`. */
export function weighted(random, weights) {
  const entries = Object.entries(weights);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let x = random() * total;
  for (const [name, w] of entries) {
    x -= w;
    if (x < 0) return name;
  }
  return entries[entries.length - 1][0];
}

/** The load check only ever talks to this machine: a host that is not loopback is refused. */
export function assertLoopback(origin) {
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, "");
  const loopback =
    host === "localhost" ||
    (isIP(host) === 4 && host.startsWith("127.")) ||
    (isIP(host) === 6 && host === "::1");
  if (!loopback)
    throw new Error(
      `refusing to load ${origin}: the load check runs against loopback only (127.0.0.0/8, ::1, localhost)`,
    );
}

/** Route kinds, for the latency table: method + path pattern -> name. */
const KINDS = [
  ["POST", /\/api\/v1\/auth\/register$/, "register"],
  ["POST", /\/api\/v1\/auth\/login$/, "login"],
  ["GET", /\/api\/v1\/auth\/me$/, "me"],
  ["GET", /\/api\/v1\/wallet\/?$/, "wallet"],
  ["GET", /\/api\/v1\/wallet\/transactions$/, "transactions list"],
  ["GET", /\/api\/v1\/wallet\/transactions\/[^/]+$/, "transaction by tx_ref"],
  ["POST", /\/api\/v1\/wallet\/fund$/, "fund"],
  ["POST", /\/api\/v1\/wallet\/withdraw$/, "withdraw"],
  ["POST", /\/api\/v1\/wallet\/airtime$/, "airtime"],
  ["POST", /\/api\/v1\/wallet\/data$/, "data"],
  ["POST", /\/api\/v1\/wallet\/electricity$/, "electricity"],
  ["POST", /\/api\/v1\/wallet\/tv$/, "tv"],
  ["GET", /\/api\/v1\/catalog\//, "catalogue"],
  ["GET", /\/api\/v1\/wallet\/flutterwave\/get-banks$/, "banks"],
  ["GET", /\/api\/v1\/wallet\/flutterwave\/verify-bank$/, "verify-bank"],
  ["GET", /\/api\/v1\/health(\/ready)?$/, "health/ready"],
  ["GET", /\/api\/v1\/wallet\/(flutterwave\/callback|withdraw\/success\/|purchases\/)/, "pages"],
  ["GET", /\/api\/v1\/pages\//, "pages"],
  ["GET", /\/api\/v1\/admin\//, "admin"],
  ["POST", /\/__sandbox\/flutterwave\/checkout\//, "checkout pay (look-alike)"],
  [
    "POST",
    /\/__sandbox\/flutterwave\/__control\/transactions\/[^/]+\/deliver$/,
    "webhook redelivery (look-alike)",
  ],
];

export function kindOf(method, url) {
  const path = new URL(url).pathname;
  for (const [m, pattern, name] of KINDS) if (m === method && pattern.test(path)) return name;
  return `${method} other`;
}

/**
 * Every answer is recorded here: its latency under its route kind, and its
 * status class. A 4xx or 5xx must be an RFC 9457 problem document with no
 * stack trace; anything else is a failure of its own. `phase` keeps the
 * preparation and the settling reads out of the run's latency table.
 */
export class Recorder {
  constructor() {
    this.phase = "prepare";
    this.kinds = new Map();
    this.total = 0;
    this.run_requests = 0;
    this.status_5xx = [];
    this.non_problem_4xx = [];
    this.transport_errors = [];
    this.problem_codes = new Map();
    this.ws_first_frame_ms = [];
    /** Answers from wrangler's own proxy saying the Worker restarted under the request (it retries GETs silently). */
    this.restarted_mid_request = 0;
  }

  kind(name) {
    let k = this.kinds.get(`${this.phase}:${name}`);
    if (!k) {
      k = { phase: this.phase, name, samples: [], statuses: new Map() };
      this.kinds.set(`${this.phase}:${name}`, k);
    }
    return k;
  }

  /** One answer: its kind, latency, status and (already read) body text. */
  answer(method, url, ms, response, text) {
    this.total += 1;
    if (this.phase === "run") this.run_requests += 1;
    const k = this.kind(kindOf(method, url));
    k.samples.push(ms);
    k.statuses.set(response.status, (k.statuses.get(response.status) ?? 0) + 1);
    const where = `${method} ${new URL(url).pathname} -> ${response.status}`;
    if (response.status === 503 && text.startsWith("Your worker restarted mid-request"))
      this.restarted_mid_request += 1;
    if (response.status >= 500) this.status_5xx.push(`${where}: ${text.slice(0, 300)}`);
    if (response.status >= 400) {
      const problem = problemOf(response, text);
      if (problem.ok) {
        const key = `${response.status} ${problem.code}`;
        this.problem_codes.set(key, (this.problem_codes.get(key) ?? 0) + 1);
      } else if (response.status < 500) {
        this.non_problem_4xx.push(`${where}: ${problem.why}: ${text.slice(0, 200)}`);
      } else {
        this.status_5xx.push(`${where} is not a problem document either: ${problem.why}`);
      }
    }
  }

  transport(method, url, error) {
    this.total += 1;
    this.transport_errors.push(
      `${method} ${new URL(url).pathname}: ${error?.cause?.code ?? error?.name ?? ""} ${error?.message ?? error}`,
    );
  }
}

/** Is this answer an RFC 9457 problem document of ours (type, title, status, code, request_id), free of stack traces? */
export function problemOf(response, text) {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json"))
    return { ok: false, why: `content-type ${type || "(none)"}` };
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, why: "body is not JSON" };
  }
  for (const field of ["type", "title", "code", "request_id"])
    if (typeof body[field] !== "string") return { ok: false, why: `no ${field}` };
  if (body.status !== response.status) return { ok: false, why: `status member ${body.status}` };
  if (/\n\s+at\s|\.ts:\d+|\.js:\d+/.test(text))
    return { ok: false, why: "looks like a stack trace" };
  return { ok: true, code: body.code, body };
}

/**
 * At most one call per `interval_ms` across all clients (logins: each costs an
 * argon2id hash, 19 MiB and ~250 ms of CPU in the one development isolate).
 */
export class RateGate {
  constructor(interval_ms) {
    this.interval_ms = interval_ms;
    this.next_ms = 0;
  }
  take() {
    const now = Date.now();
    if (now < this.next_ms) return false;
    this.next_ms = now + this.interval_ms;
    return true;
  }
}

/**
 * The VTpass look-alike refuses the same service, number and amount within
 * 30 s (VTpass's 019, "likely duplicate"), across all wallets. Every purchase
 * reserves its (network, phone, amount) here first and releases it when its
 * answer is back: under load a purchase may reach VTpass long after it was
 * sent, so the window runs from the answer, not from the send. A refusal in
 * this run is then never one the load itself provoked.
 */
export class PurchaseSlots {
  static WINDOW_MS = 40_000;
  constructor() {
    this.last_ms = new Map();
  }
  /** A key to release, or null when the slot is in flight or was used within the window. */
  reserve(network, phone, amount_minor) {
    const key = `${network}|${phone}|${amount_minor}`;
    const last = this.last_ms.get(key);
    if (last !== undefined && (last === Infinity || Date.now() - last < PurchaseSlots.WINDOW_MS))
      return null;
    this.last_ms.set(key, Infinity);
    return key;
  }
  release(key) {
    this.last_ms.set(key, Date.now());
  }
}

/** { n, p50_ms, p90_ms, p99_ms, max_ms } of latencies. */
export function latency(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50), 1),
    p90_ms: round(percentile(sorted, 90), 1),
    p99_ms: round(percentile(sorted, 99), 1),
    max_ms: round(sorted[sorted.length - 1] ?? NaN, 1),
  };
}

/** The run's rows: one per route kind, then all of them together. */
export function latencyRows(recorder, phase, elapsed_s) {
  const kinds = [...recorder.kinds.values()]
    .filter((k) => k.phase === phase)
    .sort((a, b) => b.samples.length - a.samples.length);
  const statuses = (k) =>
    [...k.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}x${n}`)
      .join(" ");
  const rows = kinds.map((k) => ({
    kind: k.name,
    rate_per_s: round(k.samples.length / elapsed_s, 1),
    ...latency(k.samples),
    statuses: statuses(k),
  }));
  const all = kinds.flatMap((k) => k.samples);
  rows.push({
    kind: "all HTTP",
    rate_per_s: round(all.length / elapsed_s, 1),
    ...latency(all),
    statuses: "",
  });
  if (recorder.ws_first_frame_ms.length)
    rows.push({
      kind: "WebSocket watch: first frame",
      rate_per_s: "-",
      ...latency(recorder.ws_first_frame_ms),
      statuses: "",
    });
  return rows;
}

export function printableRows(rows) {
  return table(
    rows.map((r) => ({
      kind: r.kind,
      n: r.n,
      "rate/s": r.rate_per_s,
      "p50 ms": r.p50_ms,
      "p90 ms": r.p90_ms,
      "p99 ms": r.p99_ms,
      "max ms": r.max_ms,
      statuses: r.statuses,
    })),
  );
}

export function markdownRows(rows) {
  const cols = [
    ["kind", "kind"],
    ["n", "n"],
    ["rate_per_s", "rate/s"],
    ["p50_ms", "p50 ms"],
    ["p90_ms", "p90 ms"],
    ["p99_ms", "p99 ms"],
    ["max_ms", "max ms"],
    ["statuses", "statuses"],
  ];
  return [
    `| ${cols.map(([, l]) => l).join(" | ")} |`,
    `|${cols.map(([k]) => (k === "kind" || k === "statuses" ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${cols.map(([k]) => String(r[k]).replaceAll("|", "\\|")).join(" | ")} |`),
  ].join("\n");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
