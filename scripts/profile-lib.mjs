// The profiler's plumbing (scripts/profile.mjs): a DevTools-protocol client for
// wrangler's inspector, the bundle's source map, the CPU profile reduced to its
// top frames, and the Worker's operation counters (src/sandbox/bench/counters.ts)
// reduced to counts per operation.
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// ---- the inspector --------------------------------------------------------------------------

/**
 * wrangler 4.86 serves one target at http://127.0.0.1:<port>/json, "Cloudflare
 * Worker", whose websocket reaches the user Worker's isolate: the Worker and
 * every Durable Object of it (the look-alikes' too) run there, so one profile
 * sees them all. Some calls (Profiler.enable, .start, .setSamplingInterval)
 * are answered by workerd with the request itself, with no `result`: the
 * first message carrying a call's id settles it.
 */
export async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? null;
  if (!target) throw new Error(`no inspector target at port ${port}: ${JSON.stringify(targets)}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 1024 * 1024 * 1024 });
  await new Promise((resolve_, reject) => {
    ws.once("open", resolve_);
    ws.once("error", reject);
  });
  let next_id = 0;
  const pending = new Map();
  const scripts = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.id !== undefined && pending.has(message.id)) {
      const { resolve_, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${message.error.message} (${message.error.code})`));
      else resolve_(message.result ?? {});
    } else if (message.method === "Debugger.scriptParsed") {
      scripts.set(message.params.scriptId, message.params);
    }
  });
  const send = (method, params = {}, timeout_ms = 120_000) =>
    new Promise((resolve_, reject) => {
      const id = ++next_id;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeout_ms} ms`));
      }, timeout_ms);
      pending.set(id, {
        resolve_: (v) => {
          clearTimeout(timer);
          resolve_(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { target, send, scripts, close: () => ws.close() };
}

/**
 * Starts V8's sampling profiler. The scripts are learnt first (Debugger.enable
 * replays every parsed script with its source map), then the debugger is
 * switched off again so it costs nothing while the workload runs.
 */
export async function startProfiler(inspector, interval_us) {
  await inspector.send("Debugger.enable");
  await new Promise((r) => setTimeout(r, 500));
  await inspector.send("Debugger.disable");
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: interval_us });
  await inspector.send("Profiler.start");
}

export async function stopProfiler(inspector) {
  const { profile } = await inspector.send("Profiler.stop");
  await inspector.send("Profiler.disable");
  return profile;
}

// ---- source maps ----------------------------------------------------------------------------

const B64 = new Map(
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]),
);

/** Source map v3 `mappings` -> per generated line, [column, source, line, column] segments in column order. */
export function decodeMappings(mappings) {
  const lines = [];
  let segments = [];
  const state = [0, 0, 0, 0, 0];
  let fields = [];
  let value = 0;
  let shift = 0;
  const endSegment = () => {
    if (fields.length === 0) return;
    state[0] += fields[0];
    if (fields.length >= 4) {
      state[1] += fields[1];
      state[2] += fields[2];
      state[3] += fields[3];
      segments.push([state[0], state[1], state[2], state[3]]);
    }
    if (fields.length >= 5) state[4] += fields[4];
    fields = [];
  };
  for (const char of mappings) {
    if (char === ";" || char === ",") {
      endSegment();
      if (char === ";") {
        lines.push(segments);
        segments = [];
        state[0] = 0;
      }
      continue;
    }
    const digit = B64.get(char);
    if (digit === undefined) throw new Error(`bad mapping character ${char}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  endSegment();
  lines.push(segments);
  return lines;
}

/** A script's source map, read from disk next to the script (wrangler writes both under .wrangler/tmp while it runs). */
export function loadSourceMap(script) {
  if (!script?.sourceMapURL || !script.url.startsWith("file://")) return null;
  try {
    const script_path = fileURLToPath(script.url);
    const map_path = resolve(dirname(script_path), script.sourceMapURL);
    const map = JSON.parse(readFileSync(map_path, "utf8"));
    const base = resolve(dirname(map_path), map.sourceRoot ?? "");
    return {
      sources: map.sources.map((s) => relative(ROOT, resolve(base, s))),
      lines: decodeMappings(map.mappings),
    };
  } catch {
    return null;
  }
}

/** The original `file:line` (1-based) of a 0-based generated position, or null; `first`: the line's first mapped segment. */
export function originalPosition(map, line, column, first = false) {
  const segments = map?.lines[line];
  if (!segments || segments.length === 0) return null;
  if (first) return { file: map.sources[segments[0][1]], line: segments[0][2] + 1 };
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid][0] <= column) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const segment = segments[found === -1 ? 0 : found];
  return { file: map.sources[segment[1]], line: segment[2] + 1 };
}

// ---- the CPU profile ------------------------------------------------------------------------

/**
 * Frames by self and by total (inclusive) samples. A frame is a function at a
 * place (name, file, line); its total counts each sample once however often
 * it recurs on that sample's stack. `where` maps a bundle position to its
 * source when the source map allows it.
 */
export function analyseProfile(profile, scripts) {
  const maps = new Map();
  const mapOf = (scriptId) => {
    if (!maps.has(scriptId)) maps.set(scriptId, loadSourceMap(scripts.get(scriptId)));
    return maps.get(scriptId);
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = new Map();
  const frames = new Map();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = f.functionName || (f.url ? "(anonymous)" : "(native)");
    const mapped =
      f.lineNumber >= 0 ? originalPosition(mapOf(f.scriptId), f.lineNumber, f.columnNumber) : null;
    const script = scripts.get(f.scriptId)?.url ?? f.url;
    const where = mapped
      ? `${mapped.file}:${mapped.line}`
      : script
        ? `${shortUrl(script)}:${f.lineNumber + 1}`
        : "";
    const key = `${name} ${where}`;
    keyOf.set(node.id, key);
    if (!frames.has(key))
      frames.set(key, {
        name,
        where,
        self: 0,
        total: 0,
        ours: mapped ? mapped.file.startsWith("src/") : false,
        lines: new Map(),
      });
    // Which lines of the function its own samples fell on (1-based lines of the bundle, mapped like the function).
    for (const { line, ticks } of f.url ? (node.positionTicks ?? []) : []) {
      const at = originalPosition(mapOf(f.scriptId), line - 1, Number.MAX_SAFE_INTEGER, true);
      const label = at ? `${at.file}:${at.line}` : `${shortUrl(script ?? "")}:${line}`;
      const lines = frames.get(key).lines;
      lines.set(label, (lines.get(label) ?? 0) + ticks);
    }
  }
  const samples = profile.samples ?? [];
  for (const id of samples) {
    frames.get(keyOf.get(id)).self += 1;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf.get(at);
      if (seen.has(key) || byId.get(at).callFrame.functionName === "(root)") continue;
      seen.add(key);
      frames.get(key).total += 1;
    }
  }
  const deltas = profile.timeDeltas ?? [];
  const mean_interval_us =
    deltas.length > 1 ? deltas.slice(1).reduce((a, b) => a + b, 0) / (deltas.length - 1) : null;
  return {
    samples: samples.length,
    duration_ms: (profile.endTime - profile.startTime) / 1000,
    mean_interval_us,
    frames: [...frames.values()],
    mapped: [...maps.values()].some(Boolean),
  };
}

function shortUrl(url) {
  if (url.startsWith("file://")) return relative(ROOT, fileURLToPath(url));
  return url;
}

export function topFrames(analysis, by, n, filter = () => true) {
  return analysis.frames
    .filter((f) => f[by] > 0 && filter(f))
    .sort((a, b) => b[by] - a[by])
    .slice(0, n)
    .map((f) => {
      const [hot_line, hot_ticks] = [...f.lines].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
      const line_ticks = [...f.lines.values()].reduce((a, b) => a + b, 0);
      const { lines: _lines, ...rest } = f;
      return {
        ...rest,
        self_pct: pct(f.self, analysis.samples),
        total_pct: pct(f.total, analysis.samples),
        hot_line: hot_line ? `${hot_line} (${pct(hot_ticks, line_ticks)}%)` : "",
      };
    });
}

function pct(n, of) {
  return of === 0 ? 0 : Math.round((n / of) * 1000) / 10;
}

export function framesTable(frames) {
  const cell = (v) => String(v).replaceAll("|", "\\|");
  return [
    "| # | function | where | self % | total % | self | total | hottest line of its self time |",
    "|---:|---|---|---:|---:|---:|---:|---|",
    ...frames.map(
      (f, i) =>
        `| ${i + 1} | ${cell(f.name)} | ${cell(f.where)} | ${f.self_pct} | ${f.total_pct} | ${f.self} | ${f.total} | ${cell(f.hot_line)} |`,
    ),
  ].join("\n");
}

// ---- the counters ---------------------------------------------------------------------------

/** Contexts and objects that are the look-alikes' (a provider's own work), not ours. */
const LOOKALIKE_OBJECTS = new Set(["FlutterwaveSandbox", "VtpassSandbox", "BenchBaseline"]);
function isLookalike(where) {
  return (
    where.startsWith("worker:/__sandbox") ||
    where.startsWith("self:/__sandbox") ||
    LOOKALIKE_OBJECTS.has(where)
  );
}

/**
 * One counter key (src/sandbox/bench/counters.ts) in parts: its kind, where it
 * happened (the caller for `rpc`, `provider`, `fetch`, `queue.send`; the object
 * for `call`, `alarm`, `sql`, `storage.*`) and what it reached.
 */
export function parseKey(key) {
  const [head, target] = key.split(" -> ");
  const [kind, ...rest] = head.split(" ");
  let where = rest.join(" ");
  if (kind === "call") where = where.split(".")[0];
  if (kind === "queue.batch" || kind === "queue.message") where = "queue";
  return {
    kind,
    where,
    target: target ?? (kind === "call" ? rest.join(" ") : ""),
    side: isLookalike(where) ? "look-alike" : "ours",
  };
}

/** Per-operation rows: every counter, and the totals by kind, ours and the look-alikes' apart. */
export function perOperation(counts, ops) {
  const rows = Object.entries(counts).map(([key, n]) => ({
    key,
    ...parseKey(key),
    n,
    per_op: round(n / ops),
  }));
  const totals = new Map();
  for (const row of rows) {
    const k = `${row.side} ${row.kind}`;
    totals.set(k, (totals.get(k) ?? 0) + row.n);
  }
  return {
    rows,
    totals: [...totals]
      .map(([k, n]) => ({
        side: k.split(" ")[0],
        kind: k.split(" ")[1],
        n,
        per_op: round(n / ops),
      }))
      .sort((a, b) => (a.side + a.kind).localeCompare(b.side + b.kind)),
  };
}

export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The per-operation counts as markdown: the totals, then every counter. */
export function countsTables(per, label) {
  const lines = [
    `| side | kind | per ${label} |`,
    "|---|---|---:|",
    ...per.totals.map((t) => `| ${t.side} | ${t.kind} | ${t.per_op} |`),
  ];
  lines.push("", `| side | counter | per ${label} |`, "|---|---|---:|");
  const order = (r) => `${r.side === "ours" ? 0 : 1} ${r.kind} ${r.key}`;
  for (const row of [...per.rows].sort((a, b) => order(a).localeCompare(order(b))))
    lines.push(`| ${row.side} | ${row.key.replaceAll("|", "\\|")} | ${row.per_op} |`);
  return lines.join("\n");
}

/**
 * The headline counts per operation, ours only unless said: round trips by
 * callee, SQL by object, storage calls, JSON, zod, provider calls, log lines,
 * queue messages; then the look-alikes' own totals.
 */
export function summaryRows(counts, ops) {
  const rows = [];
  const parsed = Object.entries(counts).map(([key, n]) => ({ ...parseKey(key), key, n }));
  const sum = (test) => parsed.filter(test).reduce((a, r) => a + r.n, 0);
  const add = (label, n) => rows.push({ label, per_op: round(n / ops) });
  const ours = (r) => r.side === "ours";
  add(
    "Durable Object round trips (stub calls)",
    sum((r) => ours(r) && r.kind === "rpc"),
  );
  const callees = [
    ...new Set(
      parsed.filter((r) => ours(r) && r.kind === "rpc").map((r) => r.target.split(".")[0]),
    ),
  ].sort();
  for (const callee of callees) {
    const calls = parsed.filter(
      (r) => ours(r) && r.kind === "rpc" && r.target.startsWith(`${callee}.`),
    );
    add(
      `  to ${callee}`,
      sum((r) => calls.includes(r)),
    );
    for (const target of [...new Set(calls.map((r) => r.target))].sort())
      add(
        `    ${target}`,
        sum((r) => calls.includes(r) && r.target === target),
      );
  }
  add(
    "SQL statements (SqlStorage.exec)",
    sum((r) => ours(r) && r.kind === "sql"),
  );
  for (const object of [
    ...new Set(parsed.filter((r) => ours(r) && r.kind === "sql").map((r) => r.where)),
  ].sort())
    add(
      `  in ${object}`,
      sum((r) => ours(r) && r.kind === "sql" && r.where === object),
    );
  for (const kind of [
    "storage.transactionSync",
    "storage.getAlarm",
    "storage.setAlarm",
    "storage.get",
    "storage.put",
  ]) {
    const n = sum((r) => ours(r) && r.kind === kind);
    if (n > 0) add(kind, n);
  }
  add(
    "JSON.parse",
    sum((r) => ours(r) && r.kind === "json.parse"),
  );
  add(
    "Request/Response .json()",
    sum((r) => ours(r) && (r.kind === "json.request.json" || r.kind === "json.response.json")),
  );
  add(
    "JSON.stringify",
    sum((r) => ours(r) && r.kind === "json.stringify"),
  );
  add(
    "zod parses (parse, safeParse, async, decode)",
    sum((r) => ours(r) && r.kind.startsWith("zod.")),
  );
  add(
    "provider calls",
    sum((r) => ours(r) && r.kind === "provider"),
  );
  add(
    "log lines",
    sum((r) => ours(r) && r.kind.startsWith("log.")),
  );
  add(
    "queue messages sent",
    sum((r) => ours(r) && r.kind.startsWith("queue.send")),
  );
  add("look-alikes: round trips / SQL / log lines", 0);
  rows[rows.length - 1].per_op = [
    sum((r) => !ours(r) && r.kind === "rpc"),
    sum((r) => !ours(r) && r.kind === "sql"),
    sum((r) => !ours(r) && r.kind.startsWith("log.")),
  ]
    .map((n) => round(n / ops))
    .join(" / ");
  return rows;
}

export function summaryTable(phases, unit) {
  const tables = phases.map((p) => summaryRows(p.counts, p.ops));
  const header = `| per ${unit} (ours) | ${phases.map((p) => `${p.phase}`).join(" | ")} |`;
  const labels = [...new Set(tables.flatMap((t) => t.map((r) => r.label)))];
  const value = (t, label) => t.find((r) => r.label === label)?.per_op ?? 0;
  return [
    header,
    `|---|${phases.map(() => "---:").join("|")}|`,
    ...labels.map(
      (label) =>
        `| ${label.replace(/^ +/, (pad) => "&nbsp;".repeat(pad.length))} | ${tables.map((t) => value(t, label)).join(" | ")} |`,
    ),
  ].join("\n");
}
