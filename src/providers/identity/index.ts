/**
 * Which adapter serves the identity port (./port.ts): Dojah, the one the
 * providers reference documents best (section 19.3). In development, unless
 * DOJAH_BASE_URL says otherwise, the embedded look-alike (/__sandbox/dojah).
 * Null when no provider is configured (production without Dojah's keys):
 * verifications then answer 503.
 */
import type { Config } from "../../lib/config";
import { providerFetch, SANDBOX_FALLBACK_ORIGIN } from "../http";
import { DojahClient } from "./dojah/client";
import type { IdentityPort } from "./port";

export type { IdentityKind, IdentityLookup, IdentityPort, IssuedPerson } from "./port";

/** Where the Dojah look-alike is mounted (src/sandbox/identity/routes.ts names the same). */
export const SANDBOX_DOJAH_PATH = "/__sandbox/dojah";

export function identityPort(deps: {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  request_id?: string;
  origin?: string;
}): IdentityPort | null {
  const provider = deps.config.identity.provider;
  if (!provider) return null;
  const origin =
    deps.origin ??
    (deps.config.APP_ADDRESS ? new URL(deps.config.APP_ADDRESS).origin : SANDBOX_FALLBACK_ORIGIN);
  return new DojahClient({
    base_url: provider.base_url ?? `${origin}${SANDBOX_DOJAH_PATH}`,
    app_id: provider.app_id,
    secret_key: provider.secret_key,
    timeout_ms: provider.timeout_ms,
    fetch: providerFetch(deps.env, deps.ctx),
    request_id: deps.request_id,
  });
}
