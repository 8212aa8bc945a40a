import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { requireConfig } from "../../../src/lib/config";
import { READINESS_CACHE_TTL_MS } from "../../../src/lib/limits";
import { cachedReadiness } from "../../../src/routes/health";
import { api, env, ORIGIN } from "../../support/helpers";

/** The real bindings, with the queue and the Durable Object probe counted. */
function countingEnv(options: { queueFails?: boolean } = {}) {
  const counts = { sends: 0, pings: 0 };
  const counted = {
    ...env,
    WALLET_EVENTS: {
      send: async (message: unknown) => {
        counts.sends += 1;
        if (options.queueFails) throw new Error("queue refused");
        return env.WALLET_EVENTS.send(message);
      },
    },
    CREDENTIALS: {
      getByName: (name: string) => ({
        ping: () => {
          counts.pings += 1;
          return env.CREDENTIALS.getByName(name).ping();
        },
      }),
    },
  } as unknown as Env;
  return { env: counted, counts };
}

function ready(target: Env, path = "/api/v1/health/ready") {
  return createApp().fetch(new Request(`${ORIGIN}${path}`), target, createExecutionContext());
}

describe("readiness costs at most one probe per isolate per READINESS_CACHE_TTL_MS", () => {
  it("answers 100 concurrent requests on both paths with one queue message and one object round trip", async () => {
    const { env: counted, counts } = countingEnv();
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ready(counted, i % 2 === 0 ? "/api/v1/health/ready" : "/api/v1/ping-rabbitmq"),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(counts).toEqual({ sends: 1, pings: 1 });
    // ... and later requests within the TTL reuse the same result.
    for (let i = 0; i < 10; i++) expect((await ready(counted)).status).toBe(200);
    expect(counts).toEqual({ sends: 1, pings: 1 });
  });

  it("probes again once the TTL has passed", async () => {
    const { env: counted, counts } = countingEnv();
    const first = await cachedReadiness(counted, requireConfig(env), "req_test");
    await cachedReadiness(
      counted,
      requireConfig(env),
      "req_test",
      Date.now() + READINESS_CACHE_TTL_MS - 1_000,
    );
    expect(counts.sends).toBe(1);
    const later = await cachedReadiness(
      counted,
      requireConfig(env),
      "req_test",
      Date.now() + READINESS_CACHE_TTL_MS + 1,
    );
    expect(counts.sends).toBe(2);
    expect(later.status).toBe(first.status);
  });

  it("caches a degraded answer too, so a failing binding is not hammered", async () => {
    const { env: counted, counts } = countingEnv({ queueFails: true });
    for (let i = 0; i < 5; i++) {
      const res = await ready(counted);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { checks: { queue: { ok: boolean } } }).checks.queue.ok).toBe(
        false,
      );
    }
    expect(counts.sends).toBe(1);
  });

  it("reuses the result across requests to the real Worker (the isolate's env is one object)", async () => {
    const checked = async (path: string) =>
      ((await (await api(path)).json()) as { checked_at: string }).checked_at;
    const a = await checked("/health/ready");
    const b = await checked("/ping-rabbitmq");
    // Two fresh probes in a row would differ; if `a` was an older result that just expired, `c` reuses `b`.
    const c = await checked("/health/ready");
    expect(b === a || c === b).toBe(true);
  });
});
