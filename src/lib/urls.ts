/** Public URLs of this API, for links we hand to browsers and providers. */
import type { Context } from "hono";
import type { Config } from "./config";

export const API_BASE_PATH = "/api/v1";

/** `https://host/api/v1`: APP_ADDRESS when configured, else the request's own origin. */
export function publicApiBase(c: Context, config: Config): string {
  if (config.APP_ADDRESS) return config.APP_ADDRESS.replace(/\/+$/, "");
  return `${new URL(c.req.url).origin}${API_BASE_PATH}`;
}

/** FLUTTERWAVE_REDIRECT_URL may be absolute or a path under the API base. */
export function checkoutRedirectUrl(c: Context, config: Config): string {
  const target = config.FLUTTERWAVE_REDIRECT_URL;
  if (/^https?:\/\//.test(target)) return target;
  return `${publicApiBase(c, config)}${target.startsWith("/") ? "" : "/"}${target}`;
}
