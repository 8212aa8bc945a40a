/**
 * Operators signed in through Cloudflare Access (here its look-alike,
 * src/sandbox/access/), next to the read-only script token:
 * - GET /admin/whoami names the operator: the Access email and the role its
 *   group maps to, or `script:admin-token` for the script token; the
 *   CF_Authorization cookie works as the header does;
 * - every admin route the OpenAPI document serves admits a viewer's token
 *   (the static-token side is the routes' own tests and the security suite);
 * - requireRole, on a route of our real API app with the real configuration:
 *   operator and approver tokens pass as the order says, a viewer gets 403
 *   role_required naming the role, the script token 403 operator_required,
 *   nothing at all 401;
 * - the look-alike's sign-in page sets the cookie a browser then uses.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApiApp } from "../../../src/api-app";
import { type Operator, requireRole, requireAdmin } from "../../../src/lib/admin-auth";
import { api, expectProblem, ORIGIN, uniqueEmail } from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS, operatorHeaders, operatorToken } from "../../support/operators";

async function whoami(headers: Record<string, string>): Promise<Operator> {
  const response = await api("/admin/whoami", { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return (await response.json()) as Operator;
}

describe("who the admin guards see", () => {
  it("names an Access operator by email (lower-cased) with the role their group maps to", async () => {
    const email = uniqueEmail("Ops");
    for (const role of ["viewer", "operator", "approver"] as const) {
      expect(await whoami(await operatorHeaders(email.toUpperCase(), role))).toEqual({
        id: email.toLowerCase(),
        role,
        via: "access",
      });
    }
  });

  it("names the script token script:admin-token, a viewer", async () => {
    expect(await whoami({ ...ADMIN_TOKEN_HEADERS })).toEqual({
      id: "script:admin-token",
      role: "viewer",
      via: "token",
    });
  });

  it("takes the token from the CF_Authorization cookie as from the header", async () => {
    const email = uniqueEmail("cookie");
    const token = await operatorToken(email, "approver");
    expect(await whoami({ cookie: `other=1; CF_Authorization=${token}` })).toEqual({
      id: email,
      role: "approver",
      via: "access",
    });
    // The same token in both places is what Cloudflare sends: accepted.
    expect(
      await whoami({ cookie: `CF_Authorization=${token}`, "cf-access-jwt-assertion": token }),
    ).toEqual({ id: email, role: "approver", via: "access" });
  });

  it("signs a browser in: the page, then its form sets the cookie and lands on whoami", async () => {
    const page = await fetchSandbox("/login");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="email"');
    expect(html).toContain('<option value="approver">');
    const email = uniqueEmail("browser");
    const response = await fetchSandbox("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, role: "operator" }).toString(),
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/api/v1/admin/whoami");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^CF_Authorization=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    const pair = cookie.split(";")[0];
    expect(await whoami({ cookie: pair })).toEqual({ id: email, role: "operator", via: "access" });
  });

  it("refuses a sign-in without a valid email or role", async () => {
    for (const body of [
      { email: "not-an-email", role: "viewer" },
      { email: "a@example.com", role: "admin" },
      { role: "viewer" },
    ]) {
      const response = await fetchSandbox("/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await expectProblem(response, 422);
    }
  });
});

/** The Access look-alike, through the real Worker. */
function fetchSandbox(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/__sandbox/access${path}`, init);
}

describe("every admin route admits a viewer signed in through Access", () => {
  it("answers every operation under /admin without 401 or 403", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    const headers = await operatorHeaders(uniqueEmail("viewer"), "viewer");
    let tried = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.includes("/admin/")) continue;
      for (const [method, operation] of Object.entries(item)) {
        // Only routes guarded by adminOnly: role-guarded actions (accessAuth alone) are not a viewer's.
        if (!(operation.security ?? []).some((s) => "adminAuth" in s)) continue;
        const filled = path
          .replace(/^\/api\/v1/, "")
          .replace(/\{([^}]+)\}/g, (_m, name: string) =>
            name === "user_id" ? "usr0000000000000000" : name === "kind" ? "overpaid" : "x",
          );
        const response = await api(filled, { method: method.toUpperCase(), headers });
        const text = await response.text();
        expect([401, 403], `${method} ${filled}: ${text}`).not.toContain(response.status);
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(9);
  });
});

describe("requireRole on a route of the real API app", () => {
  const app = createApiApp();
  app.post("/api/v1/admin/__probe/operator", requireRole("operator"), (c) =>
    c.json(c.var.operator ?? null),
  );
  app.post("/api/v1/admin/__probe/approver", requireRole("approver"), (c) =>
    c.json(c.var.operator ?? null),
  );
  app.get("/api/v1/admin/__probe/viewer", requireAdmin, (c) => c.json(c.var.operator ?? null));
  const call = (path: string, headers: Record<string, string>, method = "POST") =>
    app.fetch(
      new Request(`${ORIGIN}/api/v1/admin/__probe/${path}`, { method, headers }),
      env,
      createExecutionContext(),
    );

  it("lets each role through exactly as far as the order viewer < operator < approver says", async () => {
    const email = uniqueEmail("role");
    const table = [
      ["viewer", { viewer: true, operator: false, approver: false }],
      ["operator", { viewer: true, operator: true, approver: false }],
      ["approver", { viewer: true, operator: true, approver: true }],
    ] as const;
    for (const [role, allowed] of table) {
      const headers = await operatorHeaders(email, role);
      for (const [guard, ok] of Object.entries(allowed)) {
        const response = await call(guard, headers, guard === "viewer" ? "GET" : "POST");
        if (ok) {
          expect(response.status, `${role} on ${guard}`).toBe(200);
          expect(await response.json()).toEqual({ id: email, role, via: "access" });
        } else {
          const problem = await expectProblem(response, 403);
          expect(problem.code).toBe("role_required");
          expect(problem.detail).toContain(guard);
        }
      }
    }
  });

  it("refuses the script token on a role-guarded route with 403 operator_required", async () => {
    for (const guard of ["operator", "approver"]) {
      const problem = await expectProblem(await call(guard, { ...ADMIN_TOKEN_HEADERS }), 403);
      expect(problem.code).toBe("operator_required");
      expect(problem.detail).toContain("read-only");
    }
    // The same token still reads.
    expect((await call("viewer", { ...ADMIN_TOKEN_HEADERS }, "GET")).status).toBe(200);
  });

  it("answers 401 with no credentials, and with a wrong script token", async () => {
    for (const headers of [{}, { authorization: "Bearer not-the-token" }] as Record<
      string,
      string
    >[]) {
      const problem = await expectProblem(await call("operator", headers), 401);
      expect(problem.code).toBe("unauthorized");
    }
  });
});
