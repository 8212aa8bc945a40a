/**
 * The Flutterwave look-alike's router, mounted at /__sandbox/flutterwave:
 *
 *   /v3/...          the API (api.ts), Flutterwave's paths and shapes, key required
 *   /checkout/:id    the hosted checkout page (checkout.ts)
 *   /__control/...   test hooks (control.ts), no key
 *
 * Errors thrown anywhere below are answered in Flutterwave's envelope, not as
 * our problem+json: this is the outside world, and a client must cope with
 * what the provider sends. No stack trace leaves the process.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../lib/http";
import { log } from "../../lib/log";
import { v3Routes } from "./api";
import { checkoutRoutes } from "./checkout";
import { controlRoutes } from "./control";
import { flwError } from "./responses";

export const flutterwaveRoutes = new Hono<AppEnv>();

flutterwaveRoutes.route("/v3", v3Routes);
flutterwaveRoutes.route("/checkout", checkoutRoutes);
flutterwaveRoutes.route("/__control", controlRoutes);

flutterwaveRoutes.onError((error, c) => {
  if (error instanceof HTTPException && error.status < 500)
    return flwError(error.status as 400, error.message || "Bad request");
  log.error("sandbox error", { request_id: c.var.request_id, route: c.req.routePath, error });
  return flwError(500, "Internal server error");
});
