/**
 * The profiler's counters (src/sandbox/bench/counters.ts) are off unless the
 * Worker starts with BENCH_COUNTERS=1, and off means nothing is wrapped: the
 * suite (which never sets it) runs on the platform's own functions. The
 * counting itself is proven against `wrangler dev` in test/e2e/bench-counters.test.ts.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const COUNTERS = "http://example.com/__sandbox/bench/counters";
const isNative = (fn: unknown) =>
  typeof fn === "function" &&
  /\{\s*\[native code\]\s*\}/.test(Function.prototype.toString.call(fn));

describe("operation counters, off", () => {
  it("are off in the test configuration", () => {
    expect((env as unknown as Record<string, unknown>).BENCH_COUNTERS).toBeUndefined();
  });

  it("answer 404 and say how to turn them on, for reads and resets alike", async () => {
    for (const [url, method] of [
      [COUNTERS, "GET"],
      [`${COUNTERS}/reset`, "POST"],
    ] as const) {
      const res = await exports.default.fetch(url, { method });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("BENCH_COUNTERS=1");
    }
  });

  it("leave the isolate's globals as the platform made them", async () => {
    // A request first, so anything that would wrap lazily has had its chance.
    expect((await exports.default.fetch("http://example.com/api/v1/health")).status).toBe(200);
    expect(isNative(JSON.parse)).toBe(true);
    expect(isNative(JSON.stringify)).toBe(true);
    expect(isNative(console.log)).toBe(true);
    expect(isNative(Response.prototype.json)).toBe(true);
    expect(isNative(Object.getPrototypeOf(env.WALLET).getByName)).toBe(true);
    expect(
      (globalThis as { __zod_globalConfig?: { postProcessor?: unknown } }).__zod_globalConfig
        ?.postProcessor,
    ).toBeUndefined();
  });
});
