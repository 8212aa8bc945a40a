// Starts `wrangler dev` for the e2e tests and the benchmarks, exactly as
// `npm run dev` does but on a chosen port and with its own state directory, and
// waits until the API answers. Returns { origin, output, exitCode, stop }.
// `port` and `inspector_port` are free loopback ports unless given: wrangler
// otherwise takes 9229 for its inspector, or a random port when 9229 is taken,
// which races with any other `wrangler dev` starting at the same moment.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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

export async function startDevServer({ vars = {}, quiet = true, port: chosen_port, inspector_port: chosen_inspector_port, on_output } = {}) {
  const port = chosen_port ?? (await freePort());
  const inspector_port = chosen_inspector_port ?? (await freePort());
  const state = mkdtempSync(join(tmpdir(), "wallet-dev-"));
  const args = ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector_port), "--persist-to", state, "--show-interactive-dev-session=false"];
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
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const res = await fetch(`${origin}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid, "SIGKILL");
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
    },
  };
}
