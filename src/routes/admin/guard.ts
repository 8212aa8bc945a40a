/**
 * The operator guard: ADMIN_API_TOKEN as a bearer token, compared in constant
 * time. Every admin route spreads `admin` into its createRoute(), so the
 * OpenAPI document lists the security scheme and the middleware runs first.
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken } from "../../lib/bearer";
import { safeEqual } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../../lib/http";

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

export const admin = { security: [{ adminAuth: [] as string[] }], middleware: requireAdmin };
