/**
 * The production bundle carries no look-alike code (src/sandbox). It is built
 * the way `npm run deploy` builds it (`wrangler deploy --dry-run --env
 * production`), then read two ways: the source map must list no file under
 * src/sandbox, and strings that only the look-alikes contain must be absent.
 * Each marker is first found in its source file, so the check cannot pass
 * because a marker went stale.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
/** Strings only the look-alikes hold, each with the file that proves it is real. */
const MARKERS = [
  { text: "SANDBOX checkout", file: "src/sandbox/flutterwave/checkout.ts" },
  { text: "class SandboxObject", file: "src/sandbox/kit/object.ts" },
  { text: "__sandbox/bare", file: "src/worker.ts" },
];
const BUILD_TIMEOUT_MS = 180_000;

let outdir = "";
let bundle = "";
let sources: string[] = [];

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "production-bundle-"));
  execFileSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--env", "production", "--outdir", outdir],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: "pipe",
      timeout: BUILD_TIMEOUT_MS,
    },
  );
  const script = readdirSync(outdir).find((name) => name.endsWith(".js"));
  if (!script) throw new Error("wrangler wrote no script");
  bundle = readFileSync(join(outdir, script), "utf8");
  sources = (
    JSON.parse(readFileSync(join(outdir, `${script}.map`), "utf8")) as { sources: string[] }
  ).sources;
  // Reported, not asserted: the size is a number to watch, not a contract.
  console.info(`production bundle: ${bundle.length} bytes, ${gzipSync(bundle).length} bytes gzip`);
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe("the production bundle", () => {
  it("is built from our own sources (the map is not blind)", () => {
    expect(sources.some((s) => s.endsWith("src/api-app.ts"))).toBe(true);
    expect(sources.some((s) => s.endsWith("src/durable/wallet/object.ts"))).toBe(true);
  });

  it("lists no source file under src/sandbox", () => {
    expect(sources.filter((s) => s.includes("src/sandbox/"))).toEqual([]);
  });

  it("contains none of the look-alikes' markers", () => {
    for (const marker of MARKERS) {
      expect(readFileSync(join(ROOT, marker.file), "utf8")).toContain(marker.text);
      expect(bundle.includes(marker.text), marker.text).toBe(false);
    }
  });

  it("still exports the classes the migrations name, as placeholders", () => {
    expect(sources.some((s) => s.endsWith("src/sandbox-placeholders.ts"))).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*\bFlutterwaveSandbox\b[^}]*\}/);
    expect(bundle).toMatch(/export\s*\{[^}]*\bVtpassSandbox\b[^}]*\}/);
  });
});
