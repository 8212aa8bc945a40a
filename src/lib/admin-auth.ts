/**
 * The operators' credential: ADMIN_API_TOKEN as a bearer token, compared in
 * constant time (a timing difference must not reveal how much of a guess was
 * right). Shared by every admin router.
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken } from "./bearer";
import { safeEqual } from "./crypto";
import { AppError } from "./errors";
import type { AppEnv } from "./http";

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !safeEqual(token, c.var.config.ADMIN_API_TOKEN)) {
    throw new AppError({
      status: 401,
      code: "unauthorized",
      title: "Unauthorized",
      detail: "An operator token is required.",
      headers: { "www-authenticate": 'Bearer realm="admin"' },
    });
  }
  c.header("cache-control", "no-store");
  await next();
};

/** Spread into an admin `createRoute`: the OpenAPI security requirement and the guard. */
export const adminOnly = { security: [{ adminAuth: [] as string[] }], middleware: requireAdmin };
