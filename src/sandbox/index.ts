/**
 * Development-only provider sandbox, mounted at /__sandbox (never in
 * production: app.ts answers 404 for the whole prefix unless the config says
 * `sandbox`, which it never does in production).
 *
 * - /__sandbox/flutterwave: a Flutterwave v3 look-alike with a checkout page,
 *   state in the FlutterwaveSandbox Durable Object (flutterwave/object.ts).
 * - /__sandbox/vtpass: a VTpass look-alike (airtime and data, requery,
 *   transaction-update callbacks), state in the VtpassSandbox Durable Object
 *   (vtpass/object.ts).
 * - /__sandbox/dojah: a Dojah look-alike (BVN and NIN lookups, stateless,
 *   test numbers in identity/people.ts).
 * - /__sandbox/access: a Cloudflare Access look-alike (signing keys, a sign-in
 *   page, tokens for tests), so operator sign-in runs the production check.
 * - kit/: what every look-alike shares: faults, webhook deliveries, request
 *   counts and their control routes, and the SandboxObject base class.
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/http";
import { callSelf } from "../lib/self";
import { FLUTTERWAVE_MOUNT, SANDBOX_ROOT } from "./flutterwave/paths";
import { flutterwaveRoutes } from "./flutterwave/routes";
import { executionContextOf } from "./flutterwave/runtime";
import { VTPASS_MOUNT } from "./vtpass/paths";
import { vtpassRoutes } from "./vtpass/routes";
import { benchProviderRoutes } from "./bench/routes";
import { ACCESS_MOUNT, accessRoutes } from "./access/routes";
import { DOJAH_MOUNT, identityRoutes } from "./identity/routes";

export const SANDBOX_BASE: "/__sandbox" = SANDBOX_ROOT;
export const sandboxRoutes = new Hono<AppEnv>();

/**
 * Flutterwave's servers accept doubled slashes, and its official Node SDK
 * relies on that (`Transfer.get_a_transfer` and `Transfer.fetch` request
 * `<base>/` + `/v3/transfers...`). The request is re-dispatched in-process with
 * the path collapsed, through the whole app again.
 */
const collapseSlashes: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  if (!url.pathname.includes("//")) return next();
  url.pathname = url.pathname.replace(/\/{2,}/g, "/");
  return callSelf(new Request(url, c.req.raw), c.env, executionContextOf(c));
};

sandboxRoutes.use("*", collapseSlashes);
sandboxRoutes.route(FLUTTERWAVE_MOUNT, flutterwaveRoutes);
sandboxRoutes.route(VTPASS_MOUNT, vtpassRoutes);
sandboxRoutes.route(ACCESS_MOUNT, accessRoutes);
sandboxRoutes.route(DOJAH_MOUNT, identityRoutes);
// The purchase baseline's do-nothing provider (src/sandbox/bench/routes.ts).
sandboxRoutes.route("/bench", benchProviderRoutes);
