// Small helpers shared by the benchmark scripts: percentiles, sequential and
// concurrent request loops, and a printable table. Benchmarks report ratios
// against a baseline measured in the same run on the same server; they never
// assert on time.
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
  return [line(keys), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(keys.map((k) => r[k])))].join("\n");
}

let ip = 0;
/** A distinct client address per call, so per-IP rate limits do not shape the numbers. */
export function nextIp() {
  ip += 1;
  return `198.18.${(ip >> 8) & 255}.${ip & 255}`;
}
