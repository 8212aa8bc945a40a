/**
 * LOG_LEVEL and request metrics:
 * - lines below LOG_LEVEL are dropped, in every part of the Worker (the
 *   threshold comes from the environment, not from each caller);
 * - a LOG_LEVEL outside debug|info|warn|error is a configuration problem;
 * - a request writes one Analytics Engine data point in a fixed layout, and a
 *   missing or failing dataset never breaks the request.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/lib/config";
import { ANALYTICS_INDEX_MAX_BYTES } from "../../src/lib/limits";
import { log, logEnabled, parseLogLevel, setLogLevel } from "../../src/lib/log";
import { outcomeOf, recordRequest } from "../../src/lib/request-metrics";
import { api } from "../support/helpers";

afterEach(() => {
  setLogLevel(null);
  vi.restoreAllMocks();
});

describe("LOG_LEVEL", () => {
  it("defaults to info when unset", () => {
    expect(logEnabled("debug")).toBe(false);
    expect(logEnabled("info")).toBe(true);
    const config = parseConfig({});
    expect(config.ok && config.config.LOG_LEVEL).toBe("info");
  });

  it("drops lines below the level and keeps the rest", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    setLogLevel("warn");
    log.debug("hidden");
    log.info("hidden");
    log.warn("shown", { request_id: "r1" });
    expect(out).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.parse(warn.mock.calls[0][0] as string)).toMatchObject({
      level: "warn",
      msg: "shown",
      request_id: "r1",
    });
    setLogLevel("debug");
    log.debug("now shown");
    expect(out).toHaveBeenCalledTimes(1);
  });

  it("accepts only the four levels, in configuration too", () => {
    expect(["debug", "info", "warn", "error"].map(parseLogLevel)).toEqual([
      "debug",
      "info",
      "warn",
      "error",
    ]);
    expect(parseLogLevel("verbose")).toBeNull();
    expect(parseLogLevel("INFO")).toBeNull();
    const bad = parseConfig({ LOG_LEVEL: "verbose" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.some((p) => p.startsWith("LOG_LEVEL"))).toBe(true);
    const good = parseConfig({ LOG_LEVEL: "error" });
    expect(good.ok && good.config.LOG_LEVEL).toBe("error");
  });
});

describe("request metrics (Analytics Engine)", () => {
  it("writes one point: route pattern, method, outcome and status as blobs; duration and status as doubles; the route as index", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p!) };
    recordRequest(dataset, {
      route: "/api/v1/wallet/withdraw",
      method: "POST",
      status: 202,
      duration_ms: 17,
    });
    expect(points).toEqual([
      {
        blobs: ["/api/v1/wallet/withdraw", "POST", "ok", "202"],
        doubles: [17, 202],
        indexes: ["/api/v1/wallet/withdraw"],
      },
    ]);
  });

  it("names the outcome by status class", () => {
    expect([200, 303, 404, 429, 500, 503].map(outcomeOf)).toEqual([
      "ok",
      "ok",
      "client_error",
      "client_error",
      "server_error",
      "server_error",
    ]);
  });

  it("cuts an index longer than Analytics Engine accepts", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    recordRequest(
      { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p!) },
      { route: `/${"é".repeat(200)}`, method: "GET", status: 200, duration_ms: 1 },
    );
    expect(new TextEncoder().encode(points[0].indexes![0] as string).length).toBeLessThanOrEqual(
      ANALYTICS_INDEX_MAX_BYTES,
    );
  });

  it("records nothing without the binding, and a failing dataset never breaks the caller", () => {
    expect(() =>
      recordRequest(undefined, { route: "/x", method: "GET", status: 200, duration_ms: 1 }),
    ).not.toThrow();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const failing = {
      writeDataPoint: () => {
        throw new Error("dataset unavailable");
      },
    };
    expect(() =>
      recordRequest(failing, { route: "/x", method: "GET", status: 200, duration_ms: 1 }),
    ).not.toThrow();
  });

  it("serves requests with the configured dataset bound", async () => {
    expect(typeof env.REQUEST_METRICS?.writeDataPoint).toBe("function");
    const res = await api("/health");
    expect(res.status).toBe(200);
  });
});
