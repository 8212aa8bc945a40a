/**
 * Security: operator sign-in through Cloudflare Access (src/lib/admin-auth.ts,
 * src/lib/operator-access.ts). Tokens are made here as an attacker (or a
 * misconfigured Access) would make them, most of them signed with the
 * look-alike's own key (the one the Worker trusts in development, as it trusts
 * the team's key in production) so that exactly one thing is wrong in each.
 * Every refusal is a 401 problem that echoes nothing of the token; an identity
 * OPS_ROLES does not name is 403; the script token never acts.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiApp } from "../../src/api-app";
import { requireRole } from "../../src/lib/admin-auth";
import { DEV_ACCESS_AUD } from "../../src/lib/access-config";
import KEY from "../../src/sandbox/access/dev-signing-key.json";
import { publicJwk } from "../../src/sandbox/access/signer";
import { api, expectProblem, ORIGIN, uniqueEmail } from "../support/helpers";
import { ADMIN_TOKEN_HEADERS, operatorToken } from "../support/operators";

const TEAM = `${ORIGIN}/__sandbox/access`;

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: [DEV_ACCESS_AUD],
    iss: TEAM,
    email: uniqueEmail("attacker"),
    sub: crypto.randomUUID(),
    type: "app",
    identity_nonce: "n",
    country: "NG",
    groups: ["wallet-approvers"],
    iat: now,
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
}

async function signed(payload: JWTPayload, key?: CryptoKey, kid = KEY.kid): Promise<string> {
  const signing = key ?? ((await importJWK(KEY.private_jwk as JWK, "RS256")) as CryptoKey);
  const body = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(body).setProtectedHeader({ alg: "RS256", kid }).sign(signing);
}

const b64url = (data: string | Uint8Array) =>
  btoa(typeof data === "string" ? data : String.fromCharCode(...data))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

async function hs256(payload: JWTPayload, secret: string): Promise<string> {
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: KEY.kid }))}.${b64url(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)),
  );
  return `${input}.${b64url(mac)}`;
}

/** Every line the Worker logs during a test (it logs through console; nothing is silenced). */
let logged: string[] = [];
beforeEach(() => {
  logged = [];
  for (const method of ["log", "warn", "error"] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
      original(...args);
    });
  }
});
afterEach(() => vi.restoreAllMocks());

/** Nothing of `token` (no header, payload or signature part) in `text`. */
function expectNothingOf(token: string, text: string) {
  for (const part of token.split(".").filter((p) => p.length > 8)) expect(text).not.toContain(part);
}

/** Asserts the one refusal every bad token gets, and that neither it nor the log echoes the token. */
async function expectRefused(headers: Record<string, string>, token: string) {
  const response = await api("/admin/whoami", { headers });
  const problem = await expectProblem(response, 401);
  expect(problem.code).toBe("unauthorized");
  expectNothingOf(token, JSON.stringify(problem));
  expectNothingOf(token, logged.join("\n"));
}

describe("Access tokens the admin guards refuse", () => {
  it("accepts the hand-made Access token these attacks start from (the control)", async () => {
    const email = uniqueEmail("control");
    const response = await api("/admin/whoami", {
      headers: { "cf-access-jwt-assertion": await signed(claims({ email })) },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: email, role: "approver", via: "access" });
  });

  it("refuses a token signed by another key, under the trusted key's kid or its own", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    for (const kid of [KEY.kid, "another-key"]) {
      const token = await signed(claims(), privateKey as CryptoKey, kid);
      await expectRefused({ "cf-access-jwt-assertion": token }, token);
    }
  });

  it("refuses alg:none and HS256 signed with the public key (algorithm confusion)", async () => {
    const payload = claims();
    const none = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(payload))}.`;
    const pub = publicJwk();
    const confused = [
      await hs256(payload, JSON.stringify(pub)),
      await hs256(payload, pub.n as string),
      await hs256(payload, JSON.stringify({ keys: [pub] })),
    ];
    for (const token of [none, ...confused])
      await expectRefused({ "cf-access-jwt-assertion": token }, token);
  });

  it("refuses a wrong aud, a wrong iss, an expired token, one not yet valid, and one without an email", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: JWTPayload[] = [
      claims({ aud: ["another-application"] }),
      claims({ aud: undefined }),
      claims({ iss: "https://attacker.cloudflareaccess.com" }),
      claims({ iss: `${ORIGIN}/__sandbox/access/` }),
      claims({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
      claims({ nbf: now + 3600 }),
      claims({ exp: undefined }),
      claims({ email: undefined }),
      claims({ email: "" }),
      claims({ email: 42 as unknown as string }),
    ];
    for (const payload of cases) {
      const token = await signed(payload);
      await expectRefused({ "cf-access-jwt-assertion": token }, token);
    }
  });

  it("refuses a valid token whose email and groups OPS_ROLES maps nowhere with 403 role_required", async () => {
    for (const groups of [[], ["wallet-admins"], undefined]) {
      const response = await api("/admin/whoami", {
        headers: { "cf-access-jwt-assertion": await signed(claims({ groups })) },
      });
      const problem = await expectProblem(response, 403);
      expect(problem.code).toBe("role_required");
      expect(problem.detail).toContain("viewer");
    }
  });

  it("refuses the script token on a role-guarded route, whatever else it carries", async () => {
    const app = createApiApp();
    app.post("/api/v1/admin/__probe", requireRole("operator"), (c) => c.json(c.var.operator));
    const call = (headers: Record<string, string>) =>
      app.fetch(
        new Request(`${ORIGIN}/api/v1/admin/__probe`, { method: "POST", headers }),
        env,
        createExecutionContext(),
      );
    const problem = await expectProblem(await call({ ...ADMIN_TOKEN_HEADERS }), 403);
    expect(problem.code).toBe("operator_required");
    // A broken Access token beside the script token is judged alone: 401, not rescued by the token.
    const bad = await expectProblem(
      await call({ ...ADMIN_TOKEN_HEADERS, "cf-access-jwt-assertion": "a.b.c" }),
      401,
    );
    expect(bad.code).toBe("unauthorized");
  });

  it("refuses a request whose header and cookie carry different tokens, even two valid ones", async () => {
    const approver = await operatorToken(uniqueEmail("approver"), "approver");
    const viewer = await operatorToken(uniqueEmail("viewer"), "viewer");
    await expectRefused(
      { "cf-access-jwt-assertion": viewer, cookie: `CF_Authorization=${approver}` },
      approver,
    );
    await expectRefused(
      { "cf-access-jwt-assertion": approver, cookie: `CF_Authorization=${viewer}` },
      viewer,
    );
  });

  it("refuses Access tokens when Access is not configured, and the script token still only reads", async () => {
    // Development without the sandbox and without ACCESS_*: as production without them.
    const bare = { ...(env as unknown as Record<string, unknown>), SANDBOX_ENABLED: "false" };
    const app = createApiApp();
    app.post("/api/v1/admin/__probe", requireRole("viewer"), (c) => c.json(c.var.operator));
    const call = (path: string, method: string, headers: Record<string, string>) =>
      app.fetch(
        new Request(`${ORIGIN}/api/v1${path}`, { method, headers }),
        bare as unknown as Env,
        createExecutionContext(),
      );
    const token = await signed(claims());
    const refused = await expectProblem(
      await call("/admin/whoami", "GET", { "cf-access-jwt-assertion": token }),
      401,
    );
    expect(refused.detail).toContain("not configured");
    expect(logged.some((line) => line.includes("admin_access_not_configured"))).toBe(true);
    expectNothingOf(token, logged.join("\n"));
    const script = await call("/admin/whoami", "GET", { ...ADMIN_TOKEN_HEADERS });
    expect(script.status).toBe(200);
    expect(await script.json()).toEqual({ id: "script:admin-token", role: "viewer", via: "token" });
    expect(
      (await expectProblem(await call("/admin/__probe", "POST", { ...ADMIN_TOKEN_HEADERS }), 403))
        .code,
    ).toBe("operator_required");
  });
});
