/**
 * Security: the operators' routes open only to ADMIN_API_TOKEN, sent as a
 * bearer token. The routes are read from the served OpenAPI document (every
 * operation under /admin, and every operation that declares `adminAuth`), so a
 * route added later is attacked here without anyone listing it. Each route is
 * tried with near misses of the token (last character changed, a prefix, one
 * character more, other case), with a user's bearer token, and with the right
 * token in places other than the Authorization header. Every refusal must be
 * the same 401: a refusal that differs for a nearly right token is an oracle.
 */
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { api, bearerFor, env, expectProblem, newWallet, type Problem } from "../support/helpers";

const TOKEN = requireConfig(env).ADMIN_API_TOKEN;

type Operation = { method: string; path: string };

/** Every operator operation the document serves, with its path parameters filled in. */
let cached: Operation[] | null = null;
/**
 * The tests that try every operator route several ways: each new admin route
 * adds requests, and on a loaded machine they outgrew the default 30 s budget.
 */
const EVERY_ROUTE_MS = 120_000;

async function adminOperations(): Promise<Operation[]> {
  if (cached) return cached;
  const doc = (await (await api("/openapi.json")).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const admin =
        path.includes("/admin/") || (operation.security ?? []).some((s) => "adminAuth" in s);
      if (!admin) continue;
      const filled = path
        .replace(/^\/api\/v1/, "")
        .replace(/\{([^}]+)\}/g, (_m, name: string) =>
          name === "user_id"
            ? "usr0000000000000000"
            : name === "tx_ref"
              ? "fnd_x"
              : name === "kind"
                ? "overpaid"
                : "x",
        );
      operations.push({ method: method.toUpperCase(), path: filled });
    }
  }
  cached = operations;
  return operations;
}

function near(token: string): string[] {
  const last = token.at(-1)!;
  const flipped = token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase();
  return [
    token.slice(0, -1) + (last === "0" ? "1" : "0"),
    token.slice(0, -1),
    `${token}0`,
    ...(flipped === token ? [] : [flipped]),
    "",
  ];
}

const said = (p: Problem) => ({
  status: p.status,
  code: p.code,
  title: p.title,
  detail: p.detail,
  type: p.type,
});

describe("admin routes: only the exact token, only in the Authorization header", () => {
  it("the document lists the operator routes this file attacks", async () => {
    const operations = await adminOperations();
    const listed = operations.map((o) => `${o.method} ${o.path}`);
    for (const expected of [
      "GET /admin/dead-letters",
      "POST /admin/dead-letters/x/replay",
      "GET /admin/wallets/usr0000000000000000/audit",
      "GET /admin/operations",
      "GET /admin/metrics",
      "GET /admin/users",
    ]) {
      expect(listed).toContain(expected);
    }
    for (const o of operations)
      expect(o.path.startsWith("/admin/"), `${o.method} ${o.path}`).toBe(true);
  });

  it(
    "refuses no token, near misses of the token, another scheme, and a user's bearer token with one and the same 401",
    async () => {
      const user = await bearerFor((await newWallet()).user_id);
      const headerSets: Record<string, string>[] = [
        {},
        ...near(TOKEN).map((t) => ({ authorization: `Bearer ${t}` })),
        { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
        { authorization: TOKEN },
        { authorization: `Bearer ${TOKEN},Bearer ${TOKEN}` },
        user,
      ];
      let first: ReturnType<typeof said> | null = null;
      let refused = 0;
      for (const { method, path } of await adminOperations()) {
        // The control: the exact token passes the guard on this route.
        const allowed = await api(path, {
          method,
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          ...(method === "POST" ? { body: "{}" } : {}),
        });
        expect(allowed.status, `${method} ${path} with the token`).not.toBe(401);
        for (const headers of headerSets) {
          const res = await api(path, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            ...(method === "POST" ? { body: "{}" } : {}),
          });
          expect(res.headers.get("www-authenticate"), `${method} ${path}`).toMatch(/^Bearer/);
          const problem = said(await expectProblem(res, 401));
          first ??= problem;
          expect(problem, `${method} ${path} ${JSON.stringify(headers).slice(0, 40)}`).toEqual(
            first,
          );
          refused += 1;
        }
      }
      expect(refused).toBeGreaterThanOrEqual(9 * headerSets.length);
    },
    EVERY_ROUTE_MS,
  );

  it(
    "refuses the exact token in the query string, a cookie or another header",
    async () => {
      for (const { method, path } of await adminOperations()) {
        for (const name of ["token", "access_token", "admin_token"]) {
          const sep = path.includes("?") ? "&" : "?";
          const res = await api(`${path}${sep}${name}=${encodeURIComponent(TOKEN)}`, {
            method,
            headers: { "content-type": "application/json" },
            ...(method === "POST" ? { body: "{}" } : {}),
          });
          expect((await expectProblem(res, 401)).code, `${method} ${path}?${name}=`).toBe(
            "unauthorized",
          );
        }
        const elsewhere: Record<string, string>[] = [
          { cookie: `token=${TOKEN}; admin_token=${TOKEN}` },
          { "x-admin-token": TOKEN, "x-api-key": TOKEN },
          { "proxy-authorization": `Bearer ${TOKEN}` },
        ];
        for (const headers of elsewhere) {
          const res = await api(path, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            ...(method === "POST" ? { body: "{}" } : {}),
          });
          await expectProblem(res, 401);
        }
      }
    },
    EVERY_ROUTE_MS,
  );
});
