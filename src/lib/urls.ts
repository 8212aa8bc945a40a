/**
 * Public URLs of this API, for links we hand to browsers and providers: the
 * checkout's redirect_url, the WebSocket watch URL, the 303 Location after a
 * withdrawal, the OpenAPI document's `servers`.
 *
 * They come from configuration only, never from the request: `Host` (and so
 * `c.req.url`) is whatever the client sent, and a link built from it would send
 * a victim's browser, their watch ticket and the provider's redirect to the
 * client's chosen host. Production requires APP_ADDRESS (config.ts); in
 * development it falls back to `npm run dev`'s fixed loopback address, which
 * `npm run dev` and the dev-server helper set to the port they really use.
 *
 * The functions keep their request context parameter so that call sites stay
 * as they were; it is deliberately unused.
 */
import type { Context } from "hono";
import type { Config } from "./config";

export const API_BASE_PATH = "/api/v1";
/** Where `npm run dev` serves by default; the development fallback for APP_ADDRESS. */
export const DEVELOPMENT_API_BASE = `http://127.0.0.1:8787${API_BASE_PATH}`;

/** `https://host/api/v1`: APP_ADDRESS, or the development fallback. Never the request's own origin. */
export function publicApiBase(_c: Context, config: Config): string {
  return (config.APP_ADDRESS ?? DEVELOPMENT_API_BASE).replace(/\/+$/, "");
}

/** `https://host`: the origin of the public API base. */
export function publicOrigin(c: Context, config: Config): string {
  return new URL(publicApiBase(c, config)).origin;
}

/** The OpenAPI `servers` URL: the public base without the `/api/v1` its paths already carry. */
export function publicServerUrl(c: Context, config: Config): string {
  const base = publicApiBase(c, config);
  return base.endsWith(API_BASE_PATH)
    ? base.slice(0, -API_BASE_PATH.length)
    : publicOrigin(c, config);
}

/** FLUTTERWAVE_REDIRECT_URL may be absolute or a path under the API base. */
export function checkoutRedirectUrl(c: Context, config: Config): string {
  const target = config.FLUTTERWAVE_REDIRECT_URL;
  if (/^https?:\/\//.test(target)) return target;
  return `${publicApiBase(c, config)}${target.startsWith("/") ? "" : "/"}${target}`;
}
