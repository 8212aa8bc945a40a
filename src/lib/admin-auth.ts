/**
 * Who is on the admin surface, and what they may do.
 *
 * - A person signs in through Cloudflare Access: the token (the
 *   `Cf-Access-Jwt-Assertion` header, or the `CF_Authorization` cookie a
 *   browser sends) is verified (src/lib/operator-access.ts); the operator is its
 *   email, the role comes from OPS_ROLES (an email or a group the token names).
 *   An identity the map names nowhere has no role: 403.
 * - A script holds ADMIN_API_TOKEN as a bearer token, compared in constant time
 *   (a timing difference must not reveal how much of a guess was right). It is
 *   `script:admin-token`, a viewer: it reads, and every action refuses it.
 *
 * When both the header and the cookie carry a token and they differ, the
 * request is refused: Access puts the same token in both, so a difference
 * means one was planted, and picking either would let a planted one act.
 * When an Access token is present it decides alone (a bearer token beside it
 * is not consulted), so a failed sign-in is never rescued by the script token.
 *
 * `c.var.operator` is set for the route by every guard here.
 */
import type { Context, MiddlewareHandler } from "hono";

/** An OpenAPI security requirement list (each entry one way in). */
type Security = Record<string, string[]>[];
import { getCookie } from "hono/cookie";
import { bearerToken } from "./bearer";
import { safeEqual } from "./crypto";
import { AppError } from "./errors";
import type { AppEnv } from "./http";
import { log } from "./log";
import {
  ACCESS_COOKIE,
  ACCESS_HEADER,
  accessKeysFetch,
  accessTeamDomain,
  verifyAccessJwt,
} from "./operator-access";
import {
  type Operator,
  type OperatorRole,
  roleAtLeast,
  roleOf,
  SCRIPT_OPERATOR,
} from "./operator-roles";

export type { Operator, OperatorRole } from "./operator-roles";

function unauthorized(detail: string): AppError {
  return new AppError({
    status: 401,
    code: "unauthorized",
    title: "Unauthorized",
    detail,
    headers: { "www-authenticate": 'Bearer realm="admin"' },
  });
}

function roleRequired(role: OperatorRole): AppError {
  return new AppError({
    status: 403,
    code: "role_required",
    title: "Forbidden",
    detail: `This needs the ${role} role (or above), which this operator does not hold.`,
  });
}

/** The Access token the request carries, if any; refused when header and cookie disagree. */
function accessTokenOf(c: Context<AppEnv>): string | null {
  const header = c.req.header(ACCESS_HEADER)?.trim() || null;
  const cookie = getCookie(c, ACCESS_COOKIE)?.trim() || null;
  if (header !== null && cookie !== null && header !== cookie)
    throw unauthorized("The Access header and cookie carry different tokens; send one.");
  return header ?? cookie;
}

/** The operator behind a verified Access token, or a 401/403. */
async function accessOperator(c: Context<AppEnv>, token: string): Promise<Operator> {
  const config = c.var.config;
  const access = config.access;
  if (!access) {
    log.warn("admin_access_not_configured", { request_id: c.var.request_id });
    throw unauthorized(
      "Operator sign-in (Cloudflare Access) is not configured here; only the read-only script token works.",
    );
  }
  const team_domain = accessTeamDomain(config, access, new URL(c.req.url).origin);
  const check = await verifyAccessJwt(
    token,
    { team_domain, aud: access.aud },
    accessKeysFetch(c.env, c.executionCtx as unknown as ExecutionContext, config.sandbox),
  );
  if (!check.ok) {
    if (check.reason === "keys_unavailable")
      log.warn("admin_access_keys_unavailable", { request_id: c.var.request_id });
    throw unauthorized(
      check.reason === "expired"
        ? "The Access token has expired; sign in again."
        : check.reason === "keys_unavailable"
          ? "The Access token could not be checked (signing keys unavailable); try again."
          : "The Access token is not valid.",
    );
  }
  const role = roleOf(access.roles, check.identity.email, check.identity.groups);
  if (role === null) throw roleRequired("viewer");
  return { id: check.identity.email, role, via: "access" };
}

function isScriptToken(c: Context<AppEnv>): boolean {
  const token = bearerToken(c.req.header("authorization"));
  return token !== null && token !== undefined && safeEqual(token, c.var.config.ADMIN_API_TOKEN);
}

/** Viewer or above: an Access identity with a role, or the script token. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = accessTokenOf(c);
  let operator: Operator;
  if (token !== null) operator = await accessOperator(c, token);
  else if (isScriptToken(c)) operator = SCRIPT_OPERATOR;
  else throw unauthorized("An operator token is required.");
  c.set("operator", operator);
  c.header("cache-control", "no-store");
  await next();
};

/**
 * At least `role`, and only through Access: the script token is read-only
 * (403 `operator_required`), a lower role gets 403 `role_required`.
 */
export function requireRole(role: OperatorRole): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = accessTokenOf(c);
    if (token === null) {
      if (isScriptToken(c)) {
        throw new AppError({
          status: 403,
          code: "operator_required",
          title: "Forbidden",
          detail: "The script token is read-only; sign in as an operator through Access.",
        });
      }
      // The same 401 as every admin route's: no route says, unasked, that it acts.
      throw unauthorized("An operator token is required.");
    }
    const operator = await accessOperator(c, token);
    if (!roleAtLeast(operator.role, role)) throw roleRequired(role);
    c.set("operator", operator);
    c.header("cache-control", "no-store");
    await next();
  };
}

/** Spread into an admin `createRoute`: the OpenAPI security requirement and the guard (viewer+, Access or script token). */
export const adminOnly = {
  security: [{ adminAuth: [] }, { accessAuth: [] }] as Security,
  middleware: requireAdmin,
};
/** Spread into an action's `createRoute`: an operator (or approver) signed in through Access. */
export const operatorOnly = {
  security: [{ accessAuth: [] }] as Security,
  middleware: requireRole("operator"),
};
/** Spread into a decision's `createRoute`: an approver signed in through Access. */
export const approverOnly = {
  security: [{ accessAuth: [] }] as Security,
  middleware: requireRole("approver"),
};
