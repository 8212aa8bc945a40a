/**
 * Builds a Flutterwave client from configuration: the live API in production,
 * the embedded sandbox in development unless FLUTTERWAVE_BASE_URL says otherwise.
 * The adapters beside it put the client behind the ports (src/providers/port.ts).
 */
import type { Config } from "../../lib/config";
import {
  FLUTTERWAVE_LIVE_BASE,
  providerFetch,
  SANDBOX_FALLBACK_ORIGIN,
  SANDBOX_FLUTTERWAVE_PATH,
} from "../http";
import { FlutterwaveClient } from "./client";

export * from "./client";

/**
 * `origin` is the public origin of the current request when there is one: the
 * sandbox builds checkout links from it, so a browser can open them.
 */
export function flutterwaveBaseUrl(config: Config, origin?: string): string {
  if (config.FLUTTERWAVE_BASE_URL) return config.FLUTTERWAVE_BASE_URL;
  if (config.sandbox) {
    const public_origin =
      origin ?? (config.APP_ADDRESS ? new URL(config.APP_ADDRESS).origin : SANDBOX_FALLBACK_ORIGIN);
    return `${public_origin}${SANDBOX_FLUTTERWAVE_PATH}`;
  }
  return FLUTTERWAVE_LIVE_BASE;
}

export function flutterwaveClient(
  env: Env,
  ctx: ExecutionContext,
  config: Config,
  options: { origin?: string; request_id?: string } = {},
): FlutterwaveClient {
  return new FlutterwaveClient({
    base_url: flutterwaveBaseUrl(config, options.origin),
    secret_key: config.FLUTTERWAVE_SECRET_KEY,
    timeout_ms: config.FLUTTERWAVE_TIMEOUT_MS,
    fetch: providerFetch(env, ctx),
    request_id: options.request_id,
  });
}

export { flutterwaveBanks, clearBankCache } from "./banks-adapter";
export { flutterwaveCheckout } from "./checkout-adapter";
export { flutterwaveRefunds } from "./refunds-adapter";
export { flutterwaveTransfers } from "./transfers-adapter";
export { FLUTTERWAVE, flutterwaveWebhooks, parseFlutterwaveEvent } from "./webhooks-adapter";
export { chargesOfWindow, transfersOfWindow, type TimeWindow } from "./lists";
