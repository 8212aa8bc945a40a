/**
 * Builds a VTpass client from configuration: the embedded look-alike in
 * development unless VTPASS_BASE_URL says otherwise, VTpass's sandbox or live
 * API when configured. Null when VTpass is not configured (purchases are then
 * answered 503, and readiness says so). The purchases adapter beside it puts
 * the client behind the purchases port (src/providers/port.ts).
 */
import type { Config } from "../../lib/config";
import { providerFetch, SANDBOX_FALLBACK_ORIGIN } from "../http";
import { VtpassClient } from "./client";

export { VtpassClient } from "./client";
export { parseCallback, type CallbackParse } from "./callbacks";
export { clearCatalogueCache, VTPASS, vtpassPurchases } from "./purchases-adapter";

export const SANDBOX_VTPASS_PATH = "/__sandbox/vtpass";

export function vtpassBaseUrl(config: Config, origin?: string): string | null {
  if (!config.vtpass) return null;
  if (config.vtpass.base_url) return config.vtpass.base_url;
  const public_origin =
    origin ?? (config.APP_ADDRESS ? new URL(config.APP_ADDRESS).origin : SANDBOX_FALLBACK_ORIGIN);
  return `${public_origin}${SANDBOX_VTPASS_PATH}`;
}

export function vtpassClient(
  env: Env,
  ctx: ExecutionContext,
  config: Config,
  options: { origin?: string; request_id?: string } = {},
): VtpassClient | null {
  const base_url = vtpassBaseUrl(config, options.origin);
  if (!config.vtpass || !base_url) return null;
  return new VtpassClient({
    base_url,
    api_key: config.vtpass.api_key,
    public_key: config.vtpass.public_key,
    secret_key: config.vtpass.secret_key,
    timeout_ms: config.vtpass.timeout_ms,
    read_timeout_ms: Math.min(config.vtpass.timeout_ms, config.vtpass.read_timeout_ms),
    fetch: providerFetch(env, ctx),
    request_id: options.request_id,
  });
}
