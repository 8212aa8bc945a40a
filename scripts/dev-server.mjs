// Starts `wrangler dev` for the e2e tests and the benchmarks, exactly as
// `npm run dev` does but on a chosen port and with its own state directory (and,
// when asked, other development rate limits), and waits until the API answers. Returns { origin, output, exitCode, stop }.
// `port` and `inspector_port` are free loopback ports unless given: wrangler
// otherwise takes 9229 for its inspector, or a random port when 9229 is taken,
// which races with any other `wrangler dev` starting at the same moment.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * wrangler.jsonc with other development limits for some `ratelimits` bindings
 * (a benchmark buying hundreds of times a minute on one wallet), written beside
 * it so that its relative paths (main, assets, .dev.vars) mean the same. Only
 * the development declarations (before `"env"`) change; a binding that is not
 * there is an error, never a silent no-op. Returns the file's path.
 */
function configWithLimits(limits) {
  const root = new URL("../", import.meta.url).pathname;
  const source = readFileSync(join(root, "wrangler.jsonc"), "utf8");
  const production_at = source.indexOf('"env": {');
  if (production_at < 0) throw new Error("wrangler.jsonc has no env section");
  let development = source.slice(0, production_at);
  for (const [name, limit] of Object.entries(limits)) {
    if (!/^[A-Z_]+$/.test(name) || !Number.isSafeInteger(limit) || limit < 1)
      throw new Error(`bad limit ${name}: ${limit}`);
    const binding = new RegExp(`("name": "${name}",[^}]*"limit": )\\d+`);
    if (!binding.test(development))
      throw new Error(`no development ratelimit binding ${name} in wrangler.jsonc`);
    development = development.replace(binding, (_, head) => `${head}${limit}`);
  }
  const path = join(root, `.wrangler-dev-${process.pid}-${port_tag++}.jsonc`);
  writeFileSync(path, development + source.slice(production_at));
  return path;
}
let port_tag = 0;

export async function startDevServer({
  vars = {},
  ratelimits = {},
  quiet = true,
  port: chosen_port,
  inspector_port: chosen_inspector_port,
  on_output,
} = {}) {
  const port = chosen_port ?? (await freePort());
  const inspector_port = chosen_inspector_port ?? (await freePort());
  const state = mkdtempSync(join(tmpdir(), "wallet-dev-"));
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector_port),
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
  ];
  const config = Object.keys(ratelimits).length > 0 ? configWithLimits(ratelimits) : null;
  if (config) args.push("--config", config);
  // Links the Worker hands out are built from APP_ADDRESS, never from the request's Host:
  // point it at the port chosen here (a caller's own APP_ADDRESS wins).
  const all_vars = { APP_ADDRESS: `http://127.0.0.1:${port}/api/v1`, ...vars };
  for (const [key, value] of Object.entries(all_vars)) args.push("--var", `${key}:${value}`);
  const child = spawn("npx", args, {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (chunk) => {
    output += chunk.toString();
    // `output` keeps only the tail; a watcher that must see every line (a restart) reads them here.
    on_output?.(chunk.toString());
    if (output.length > 200_000) output = output.slice(-100_000);
    if (!quiet) process.stderr.write(chunk);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (config) rmSync(config, { force: true });
      throw new Error(`wrangler dev exited early:\n${output}`);
    }
    try {
      const res = await fetch(`${origin}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid, "SIGKILL");
      if (config) rmSync(config, { force: true });
      throw new Error(`wrangler dev did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    origin,
    output: () => output,
    /** null while wrangler runs; its exit code (or signal name) once it has stopped. */
    exitCode: () => child.exitCode ?? child.signalCode ?? null,
    async stop() {
      if (child.exitCode === null) {
        process.kill(-child.pid, "SIGINT");
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            try {
              process.kill(-child.pid, "SIGKILL");
            } catch {}
            resolve();
          }, 5000);
          child.on("exit", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      rmSync(state, { recursive: true, force: true });
      if (config) rmSync(config, { force: true });
    },
  };
}
