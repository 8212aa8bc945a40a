/**
 * The one door to the outside world for provider clients.
 *
 * In production this is the global `fetch`. When the sandbox is enabled (never
 * in production), requests whose path starts with `/__sandbox/` are served
 * in-process by this Worker's own sandbox routes (see src/lib/self.ts); the
 * request's abort signal is honoured, so client timeouts behave the same.
 */
import { configOf } from "../lib/config";
import { callSelf } from "../lib/self";

export type ProviderFetch = (request: Request) => Promise<Response>;

export const SANDBOX_PATH_PREFIX = "/__sandbox/";

export function providerFetch(env: Env, ctx: ExecutionContext): ProviderFetch {
  const config = configOf(env);
  const sandbox = config.ok && config.config.sandbox;
  return async (request) => {
    if (!sandbox || !new URL(request.url).pathname.startsWith(SANDBOX_PATH_PREFIX)) return fetch(request);
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      callSelf(request, env, ctx).then(
        (response) => {
          signal.removeEventListener("abort", onAbort);
          resolve(response);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };
}

/** Default base URLs (without `/v3`), used when FLUTTERWAVE_BASE_URL is unset. */
export const FLUTTERWAVE_LIVE_BASE = "https://api.flutterwave.com";
export const SANDBOX_FLUTTERWAVE_PATH = "/__sandbox/flutterwave";
/** Origin used for sandbox calls that have no incoming request (queue, alarms); any origin routes in-process. */
export const SANDBOX_FALLBACK_ORIGIN = "http://127.0.0.1:8787";
