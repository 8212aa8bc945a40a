import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { api, env, expectProblem, ORIGIN } from "./support/helpers";

describe("every error is problem+json", () => {
  it("an unknown route is a 404 problem", async () => {
    expect((await expectProblem(await api("/no/such/route"), 404)).code).toBe("not_found");
  });

  it("a known route with the wrong method is a 405 problem with Allow", async () => {
    const res = await api("/auth/login", { method: "GET" });
    expect(res.headers.get("allow")).toBe("POST");
    expect((await expectProblem(res, 405)).code).toBe("method_not_allowed");
  });

  it("an unexpected exception is a bare 500 with no stack trace", async () => {
    const app = createApp();
    app.get("/api/v1/__boom", () => {
      throw new Error("secret internal detail at /srv/app.ts:10:5");
    });
    const res = await app.fetch(
      new Request(`${ORIGIN}/api/v1/__boom`),
      env,
      createExecutionContext(),
    );
    const problem = await expectProblem(res, 500);
    expect(problem.code).toBe("internal_error");
    expect(JSON.stringify(problem)).not.toContain("secret internal detail");
  });
});

describe("request ids", () => {
  it("echoes a well-formed X-Request-Id", async () => {
    const res = await api("/health", { headers: { "x-request-id": "client-abc.123" } });
    expect(res.headers.get("x-request-id")).toBe("client-abc.123");
  });

  it("replaces an odd X-Request-Id with its own and puts it in problems", async () => {
    const res = await api("/nope", { headers: { "x-request-id": "<script>" } });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^req_[0-9a-z]{20}$/);
    expect((await expectProblem(res, 404)).request_id).toBe(id);
  });
});

describe("response headers", () => {
  it("sets no-sniff and no-store", async () => {
    const res = await api("/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("answers a CORS preflight from config", async () => {
    const res = await api("/auth/login", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

describe("configuration", () => {
  const productionEnv = (overrides: Record<string, string | undefined>) =>
    ({
      ...env,
      ENVIRONMENT: "production",
      APP_ADDRESS: "https://wallet.example/api/v1",
      JWT_SECRET_KEY: "p".repeat(16) + crypto.randomUUID(),
      // Random, as a live key is: one that counts 0123...f is refused as guessable.
      FLUTTERWAVE_SECRET_KEY: `FLWSECK-${crypto.randomUUID().replaceAll("-", "")}-X`,
      FLUTTERWAVE_WEBHOOK_HASH: crypto.randomUUID(),
      ADMIN_API_TOKEN: crypto.randomUUID() + crypto.randomUUID(),
      ...overrides,
    }) as unknown as Env;

  it("serves in production when every secret is present and strong", async () => {
    const res = await createApp().fetch(
      new Request(`${ORIGIN}/api/v1/health`),
      productionEnv({}),
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ environment: "production" });
  });

  for (const [name, overrides] of [
    ["a missing JWT secret", { JWT_SECRET_KEY: undefined }],
    ["a short JWT secret", { JWT_SECRET_KEY: "short" }],
    [
      "the development JWT default",
      { JWT_SECRET_KEY: "development-only-jwt-secret-not-for-production-0001" },
    ],
    ["a missing webhook hash", { FLUTTERWAVE_WEBHOOK_HASH: undefined }],
    ["a missing Flutterwave key", { FLUTTERWAVE_SECRET_KEY: undefined }],
    ["a plain-http APP_ADDRESS", { APP_ADDRESS: "http://wallet.example/api/v1" }],
  ] as const) {
    it(`answers every request 503 in production with ${name}, without echoing values`, async () => {
      const env503 = productionEnv(overrides as Record<string, string | undefined>);
      for (const path of ["/api/v1/health", "/api/v1/auth/login"]) {
        const res = await createApp().fetch(
          new Request(`${ORIGIN}${path}`),
          env503,
          createExecutionContext(),
        );
        const problem = await expectProblem(res, 503);
        expect(problem.code).toBe("service_misconfigured");
        expect(JSON.stringify(problem)).not.toMatch(/JWT|FLUTTERWAVE|short|development-only/);
      }
    });
  }
});

describe("health", () => {
  it("liveness answers ok", async () => {
    const res = await api("/health");
    expect(await res.json()).toMatchObject({ status: "ok", environment: "development" });
  });

  it("readiness touches a Durable Object and the queue", async () => {
    for (const path of ["/health/ready", "/ping-rabbitmq"]) {
      const res = await api(path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        status: string;
        checks: Record<string, { ok: boolean }>;
      };
      expect(body.status).toBe("ready");
      expect(body.checks.durable_objects.ok).toBe(true);
      expect(body.checks.queue.ok).toBe(true);
    }
  });
});
