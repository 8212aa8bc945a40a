/**
 * The headers every answer carries besides its own, set in one pass by the
 * request middleware (src/api-app.ts) once the route has answered:
 *
 * - security headers: exactly the set, values and overwrite rule of hono's
 *   `secureHeaders()` with its defaults (no CSP here: the HTML pages set their
 *   own), and `X-Powered-By` removed;
 * - CORS under /api/v1, from CORS_ORIGINS: what hono's `cors()` answers with
 *   our options (`*` or a list of origins; the exposed, allowed and preflight
 *   headers below), a preflight (OPTIONS) answered 204 before any route.
 *
 * Why not hono's middlewares themselves: each is one more layer every request
 * passes through, and `cors()` writes its headers into the context's response
 * before the route runs, so every answer was built twice (the route's
 * Response copied to merge those headers in). Set afterwards, on the final
 * answer, the headers are the same and the copy is gone.
 * test/lib/response-headers.test.ts holds both against hono's own output.
 */
import { CORS_MAX_AGE_S } from "./limits";

/** hono `secureHeaders()` defaults (Cross-Origin-Embedder-Policy is off there too). */
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

export function setSecurityHeaders(headers: Headers): void {
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  headers.delete("X-Powered-By");
}

const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"].join(
  ",",
);
const ALLOW_METHODS = ["GET", "POST", "OPTIONS"].join(",");
const EXPOSE_HEADERS = ["X-Request-Id", "Retry-After", "Idempotent-Replayed"].join(",");
const MAX_AGE = String(CORS_MAX_AGE_S);

/** CORS_ORIGINS read: any origin (`*` among them), or exactly these. */
export type CorsPolicy = { readonly any_origin: boolean; readonly origins: readonly string[] };

/** The one policy in use: configuration does not change while an isolate lives, so it is read once, not per request. */
let cached: { text: string; policy: CorsPolicy } | null = null;

export function corsPolicy(cors_origins: string): CorsPolicy {
  if (cached?.text !== cors_origins) {
    const origins = cors_origins
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean);
    cached = { text: cors_origins, policy: { any_origin: origins.includes("*"), origins } };
  }
  return cached.policy;
}

function allowedOrigin(policy: CorsPolicy, origin: string | null): string | null {
  if (policy.any_origin) return "*";
  const asked = origin ?? "";
  return policy.origins.includes(asked) ? asked : null;
}

/** The CORS headers of an ordinary answer. */
export function setCorsHeaders(headers: Headers, policy: CorsPolicy, origin: string | null): void {
  const allowed = allowedOrigin(policy, origin);
  if (allowed) headers.set("Access-Control-Allow-Origin", allowed);
  headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
  if (!policy.any_origin) headers.append("Vary", "Origin");
}

/** The answer to a preflight (OPTIONS): 204 and the CORS headers, nothing else of the route's. */
export function preflightResponse(policy: CorsPolicy, origin: string | null): Response {
  const headers = new Headers();
  const allowed = allowedOrigin(policy, origin);
  if (allowed) headers.set("Access-Control-Allow-Origin", allowed);
  headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
  if (!policy.any_origin) headers.append("Vary", "Origin");
  headers.set("Access-Control-Max-Age", MAX_AGE);
  headers.set("Access-Control-Allow-Methods", ALLOW_METHODS);
  headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS);
  headers.append("Vary", "Access-Control-Request-Headers");
  return new Response(null, { headers, status: 204, statusText: "No Content" });
}
