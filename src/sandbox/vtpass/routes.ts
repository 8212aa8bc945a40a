/**
 * The VTpass look-alike's router, mounted at /__sandbox/vtpass:
 *
 *   /api/...         the API (api.ts), VTpass's paths, headers and answers
 *   /__control/...   test hooks (control.ts), no key
 *
 * Errors thrown anywhere below are answered as VTpass's stack would answer
 * them (500 `{"message":"Server Error"}`), not as our problem+json: this is
 * the outside world, and a client must cope with what the provider sends. No
 * stack trace leaves the process.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../lib/http";
import { log } from "../../lib/log";
import { apiRoutes } from "./api";
import { controlRoutes } from "./control";
import { serverError } from "./responses";

export const vtpassRoutes = new Hono<AppEnv>();

vtpassRoutes.route("/api", apiRoutes);
vtpassRoutes.route("/__control", controlRoutes);

vtpassRoutes.onError((error, c) => {
  log.error("sandbox error", { request_id: c.var.request_id, route: c.req.routePath, error });
  return serverError();
});
