/**
 * Security: the provider look-alikes answer nothing in production. The static
 * test (test/static/production-bundle.test.ts) proves their code is not in the
 * production bundle; the sandbox tests prove the development app refuses them
 * under a production configuration. This file drives the production entry
 * itself (src/worker-production.ts, what `wrangler deploy --env production`
 * ships) and the development entry's pre-app routes (the benchmarks' bare
 * route and baselines) with a production environment, over every sandbox path
 * and the usual path-spelling tricks, and checks that the provider clients
 * never route a `/__sandbox/` URL in-process there.
 */
import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/lib/config";
import { registerSelf } from "../../src/lib/self";
import { providerFetch } from "../../src/providers/http";
import { env, expectProblem, ORIGIN } from "../support/helpers";
import { SECRET_KEY } from "../support/sandbox";

const randomHex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");

/** Production's variables (strong, random secrets; SANDBOX_ENABLED asked for and ignored), and none of the look-alikes' bindings. */
function productionEnv(): Env {
  const {
    FLUTTERWAVE_SANDBOX: _f,
    VTPASS_SANDBOX: _v,
    BENCH_BASELINE: _b,
    ...bindings
  } = env as unknown as Record<string, unknown>;
  return {
    ...bindings,
    ENVIRONMENT: "production",
    SANDBOX_ENABLED: "true",
    APP_ADDRESS: "https://wallet.example/api/v1",
    JWT_SECRET_KEY: randomHex(32),
    ADMIN_API_TOKEN: randomHex(32),
    FLUTTERWAVE_SECRET_KEY: `FLWSECK-${randomHex(16)}-X`,
    FLUTTERWAVE_WEBHOOK_HASH: randomHex(16),
    FLUTTERWAVE_BASE_URL: "https://api.flutterwave.com",
    VTPASS_API_KEY: undefined,
    VTPASS_PUBLIC_KEY: undefined,
    VTPASS_SECRET_KEY: undefined,
  } as unknown as Env;
}

/** The same, with VTpass's keys and this callback secret. */
function productionWithVtpass(callback_secret: string): Env {
  return {
    ...(productionEnv() as unknown as Record<string, unknown>),
    VTPASS_API_KEY: randomHex(16),
    VTPASS_PUBLIC_KEY: `PK_${randomHex(16)}`,
    VTPASS_SECRET_KEY: `SK_${randomHex(16)}`,
    VTPASS_CALLBACK_SECRET: callback_secret,
  } as unknown as Env;
}

/** Every look-alike surface: APIs, checkout, control, callbacks, benchmark baselines; GET and POST. */
const SANDBOX_PATHS = [
  "/__sandbox/flutterwave/v3/banks/NG",
  "/__sandbox/flutterwave/v3/payments",
  "/__sandbox/flutterwave/v3/transfers",
  "/__sandbox/flutterwave/v3/transactions/1/verify",
  "/__sandbox/flutterwave/checkout/flwlnk-x",
  "/__sandbox/flutterwave/__control/faults",
  "/__sandbox/flutterwave/__control/transactions",
  "/__sandbox/flutterwave/__control/requests",
  "/__sandbox/vtpass/api/pay",
  "/__sandbox/vtpass/api/requery",
  "/__sandbox/vtpass/api/balance",
  "/__sandbox/vtpass/__control/faults",
  "/__sandbox/vtpass/__control/callback-url",
  "/__sandbox/bare",
  "/__sandbox/bench/increment",
  "/__sandbox/bench/sockets",
  "/__sandbox/bench/broadcast",
  "/__sandbox",
  "/__sandbox/",
];

/** The same paths as a client might spell them to slip past a prefix check. */
const SPELLINGS = (path: string) => [
  path,
  path.replace("/__sandbox", "//__sandbox"),
  path.replace("/__sandbox", "/__SANDBOX"),
  path.replace("/__sandbox", "/%5F%5Fsandbox"),
  path.replace("/__sandbox", "/%5f%5fsandbox"),
  path.replace("/__sandbox", "/api/v1/../__sandbox"),
  path.replace("/__sandbox", "/api/v1/%2E%2E/__sandbox"),
  path.replace("/__sandbox", "/api/v1/__sandbox"),
  path.replace("/__sandbox", "/./__sandbox"),
  `${path}/`,
  `${path}?x=1`,
];

async function expectNotFound(
  fetcher: {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
  },
  production: Env,
) {
  let checked = 0;
  for (const path of SANDBOX_PATHS) {
    for (const spelled of SPELLINGS(path)) {
      for (const method of ["GET", "POST"]) {
        const init: RequestInit =
          method === "POST"
            ? { method, headers: { "content-type": "application/json" }, body: "{}" }
            : { method };
        const res = await fetcher.fetch(
          new Request(`${ORIGIN}${spelled}`, init),
          production,
          createExecutionContext(),
        );
        const problem = await expectProblem(res, 404).catch((error: Error) => {
          throw new Error(`${method} ${spelled}: ${error.message}`);
        });
        expect(problem.code, `${method} ${spelled}`).toBe("not_found");
        checked += 1;
      }
    }
  }
  return checked;
}

// The production entry registers itself as the in-process target of provider
// calls when it loads; give that role back to the development app afterwards.
const developmentApp = createApp();
afterEach(() => {
  registerSelf((request, e, ctx) => Promise.resolve(developmentApp.fetch(request, e, ctx)));
  vi.restoreAllMocks();
});

describe("the look-alikes do not exist in production", () => {
  it("a production configuration has no sandbox, whatever SANDBOX_ENABLED says", () => {
    const parsed = parseConfig(productionEnv() as unknown as Record<string, string | undefined>);
    expect(parsed.ok, parsed.ok ? "" : parsed.problems.join("; ")).toBe(true);
    expect(parsed.ok && parsed.config.sandbox).toBe(false);
  });

  it("the production entry (src/worker-production.ts) answers every sandbox path, however spelled, with a 404 problem", async () => {
    const { default: production } = await import("../../src/worker-production");
    const prod = productionEnv();
    // The control: the same entry and environment serve the API.
    const health = await production.fetch(
      new Request(`${ORIGIN}/api/v1/health`),
      prod,
      createExecutionContext(),
    );
    expect(await health.json()).toMatchObject({ status: "ok", environment: "production" });
    expect(await expectNotFound(production, prod)).toBe(SANDBOX_PATHS.length * 11 * 2);
  });

  it("the development entry (src/worker.ts) with a production environment answers every sandbox path (bare route and baselines included) with a 404 problem, never a 405 listing a hidden route's methods", async () => {
    const { default: development } = await import("../../src/worker");
    // The control: in development the bare route answers before the app.
    const bare = await development.fetch(
      new Request(`${ORIGIN}/__sandbox/bare`),
      env,
      createExecutionContext(),
    );
    expect(await bare.text()).toBe("hello");
    expect(await expectNotFound(development, productionEnv())).toBe(SANDBOX_PATHS.length * 11 * 2);
  });

  it("provider calls to a /__sandbox/ URL leave the process in production (the network), never reaching the look-alikes in-process", async () => {
    const outside = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => new Response("from the network", { status: 418 }));
    const call = providerFetch(productionEnv(), createExecutionContext());
    const res = await call(
      new Request(`${ORIGIN}/__sandbox/flutterwave/v3/banks/NG`, {
        headers: { authorization: `Bearer ${SECRET_KEY}` },
      }),
    );
    expect(res.status).toBe(418);
    expect(outside).toHaveBeenCalledTimes(1);
    // The control: in development the same call is answered by the look-alike, in-process.
    outside.mockClear();
    const dev = await providerFetch(
      env,
      createExecutionContext(),
    )(
      new Request(`${ORIGIN}/__sandbox/flutterwave/v3/banks/NG`, {
        headers: { authorization: `Bearer ${SECRET_KEY}` },
      }),
    );
    expect(dev.status).toBe(200);
    expect(outside).not.toHaveBeenCalled();
  });

  it("the production entry answers every request 503 service_misconfigured, the VTpass callback included, when VTPASS_CALLBACK_SECRET is weak or not URL-safe; the log names the variable, never the value", async () => {
    const { default: entry } = await import("../../src/worker-production");
    const production: {
      fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
    } = entry;
    const lines: string[] = [];
    for (const stream of ["log", "warn", "error"] as const) {
      vi.spyOn(console, stream).mockImplementation(
        (...args: unknown[]) => void lines.push(args.map(String).join(" ")),
      );
    }
    const strong = randomHex(24);
    // Nothing earlier in this file runs a misconfigured environment, and the
    // configuration's problems are logged once per isolate: the first case writes the line.
    const weak = [
      "a".repeat(32),
      "12345678901234567890123456789012",
      "changeme-changeme-changeme-changeme",
      `${strong.slice(0, 24)}/${strong.slice(24)}`,
    ];
    for (const secret of weak) {
      const prod = productionWithVtpass(secret);
      for (const [method, path] of [
        ["GET", "/api/v1/health"],
        ["POST", "/api/v1/auth/login"],
        ["POST", `/api/v1/wallet/vtpass/callback/${secret}`],
      ]) {
        const init: RequestInit =
          method === "POST"
            ? { method, headers: { "content-type": "application/json" }, body: "{}" }
            : { method };
        const res = await production.fetch(
          new Request(`${ORIGIN}${path}`, init),
          prod,
          createExecutionContext(),
        );
        const problem = await expectProblem(res, 503);
        expect(problem.code, `${method} ${path}`).toBe("service_misconfigured");
        expect(JSON.stringify(problem)).not.toContain(secret);
      }
    }
    const reported = lines.filter((line) => line.includes("configuration invalid"));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/VTPASS_CALLBACK_SECRET: too predictable/);
    for (const secret of weak) expect(lines.join("\n")).not.toContain(secret);
    // The control: the same entry with a strong secret serves the API.
    const health = await production.fetch(
      new Request(`${ORIGIN}/api/v1/health`),
      productionWithVtpass(randomHex(32)),
      createExecutionContext(),
    );
    expect(health.status).toBe(200);
  });
});
