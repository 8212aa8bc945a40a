// The TypeScript client (clients/typescript, workspace @airtime-wallet/client)
// for the benchmark scripts, which are plain Node and cannot import its
// TypeScript: its dist/ (git-ignored, never committed) is built here first,
// when missing or older than its sources, and the package is then imported by
// name, as an integrator would. So `npm run bench*` and `node scripts/bench-*.mjs`
// both work from a fresh `npm ci`.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLIENT = new URL("../clients/typescript/", import.meta.url);

function mtimeMs(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return -1;
  }
}

const built_ms = mtimeMs(new URL("dist/index.js", CLIENT));
const sources = [
  new URL("package.json", CLIENT),
  new URL("tsconfig.build.json", CLIENT),
  ...readdirSync(new URL("src/", CLIENT)).map((f) => new URL(`src/${f}`, CLIENT)),
];
if (built_ms < 0 || sources.some((source) => mtimeMs(source) > built_ms)) {
  console.error("building @airtime-wallet/client (clients/typescript/dist) ...");
  execFileSync("npm", ["run", "build", "--silent", "-w", "@airtime-wallet/client"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32",
  });
}

export const { createWalletClient, ApiProblem } = await import("@airtime-wallet/client");
