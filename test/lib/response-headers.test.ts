import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { describe, expect, it } from "vitest";
import { CORS_MAX_AGE_S } from "../../src/lib/limits";
import {
  corsPolicy,
  preflightResponse,
  setCorsHeaders,
  setSecurityHeaders,
} from "../../src/lib/response-headers";
import { api } from "../support/helpers";

/**
 * The request middleware sets the security and CORS headers itself, once, on
 * the final answer (src/lib/response-headers.ts), instead of running hono's
 * `secureHeaders()` and `cors()` as two more layers. These tests hold the
 * result to what those two middlewares answer with the options the app used
 * before: the same names and values, for the same requests.
 */
const CORS_OPTIONS = {
  allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
  allowMethods: ["GET", "POST", "OPTIONS"],
  exposeHeaders: ["X-Request-Id", "Retry-After", "Idempotent-Replayed"],
  maxAge: CORS_MAX_AGE_S,
};

/** What hono's own middlewares answer for `request`, the origins read as the app read CORS_ORIGINS. */
async function honoAnswer(cors_origins: string, request: Request): Promise<Headers> {
  const origins = cors_origins
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const app = new Hono();
  app.use("*", secureHeaders());
  app.use("*", cors({ origin: origins.includes("*") ? "*" : origins, ...CORS_OPTIONS }));
  app.get("/x", (c) => c.json({ ok: true }));
  return (await app.request(request)).headers;
}

/** Ours for the same request. */
function ourAnswer(cors_origins: string, request: Request): Headers {
  const policy = corsPolicy(cors_origins);
  const origin = request.headers.get("origin");
  // As the request middleware does: a preflight is answered before any route, then every answer gets the security headers.
  const res =
    request.method === "OPTIONS" ? preflightResponse(policy, origin) : Response.json({ ok: true });
  setSecurityHeaders(res.headers);
  if (request.method !== "OPTIONS") setCorsHeaders(res.headers, policy, origin);
  return res.headers;
}

const asRecord = (headers: Headers) =>
  Object.fromEntries([...headers].map(([k, v]) => [k.toLowerCase(), v]));

describe("response headers match hono's secureHeaders() and cors()", () => {
  const cases: [string, string, RequestInit][] = [
    ["any origin, a GET", "*", { headers: { origin: "https://app.example" } }],
    ["any origin, a GET without Origin", "*", {}],
    [
      "a list, an allowed origin",
      "https://a.example, https://b.example",
      { headers: { origin: "https://b.example" } },
    ],
    [
      "a list, a foreign origin",
      "https://a.example",
      { headers: { origin: "https://evil.example" } },
    ],
    ["none configured (production's default)", "", { headers: { origin: "https://app.example" } }],
    [
      "any origin, a preflight",
      "*",
      {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "POST" },
      },
    ],
    [
      "a list, a preflight from an allowed origin",
      "https://a.example",
      {
        method: "OPTIONS",
        headers: { origin: "https://a.example", "access-control-request-method": "POST" },
      },
    ],
    [
      "a list, a preflight from a foreign origin",
      "https://a.example",
      {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      },
    ],
  ];
  for (const [name, origins, init] of cases) {
    it(name, async () => {
      const expected = asRecord(await honoAnswer(origins, new Request("http://h.test/x", init)));
      const actual = asRecord(ourAnswer(origins, new Request("http://h.test/x", init)));
      expect(actual).toEqual(expected);
    });
  }

  it("the app's own answers carry them: a route, a problem document and a preflight", async () => {
    const health = await api("/health", { headers: { origin: "https://app.example" } });
    expect(health.status).toBe(200);
    for (const [name, value] of [
      ...(await honoAnswer(
        "*",
        new Request("http://h.test/x", { headers: { origin: "https://app.example" } }),
      )),
    ]) {
      if (name === "content-type") continue;
      expect(health.headers.get(name), name).toBe(value);
    }
    expect(health.headers.get("x-request-id")).toBeTruthy();
    expect(health.headers.get("cache-control")).toBe("no-store");

    const missing = await api("/no-such-route", { headers: { origin: "https://app.example" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    await missing.arrayBuffer();

    // A header set by the route before it threw survives on the problem document.
    const refused = await api("/auth/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "cf-connecting-ip": "10.9.9.9",
      },
      body: "username=nobody%40example.com&password=wrong-password",
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("server-timing")).toMatch(/^argon2id;dur=\d+$/);
    expect(refused.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    await refused.arrayBuffer();

    const preflight = await api("/wallet/airtime", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-max-age")).toBe(String(CORS_MAX_AGE_S));
    expect(preflight.headers.get("access-control-allow-headers")).toBe(
      CORS_OPTIONS.allowHeaders.join(","),
    );
    expect(preflight.headers.get("x-content-type-options")).toBe("nosniff");
    // Set once: the answer's own CORS headers are not stamped again on the way out.
    expect(preflight.headers.get("access-control-expose-headers")).toBe(
      CORS_OPTIONS.exposeHeaders.join(","),
    );
    await health.arrayBuffer();
  });
});
