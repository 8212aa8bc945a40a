/**
 * The one door to the outside world for provider clients.
 *
 * In production this is the global `fetch`. When the sandbox is enabled (never
 * in production), requests whose path starts with `/__sandbox/` are served
 * in-process by this Worker's own sandbox routes (see src/lib/self.ts); the
 * request's abort signal is honoured, so client timeouts behave the same.
 *
 * Either way the request's signal bounds the whole exchange, the body read
 * included: a provider that sends its headers at once and then trickles the
 * body would otherwise hold the caller (a route, the consumer, the wallet's
 * alarm) long past its timeout, since resolving `fetch` ends the signal's
 * reach over the in-process answer.
 */
import { configOf } from "../lib/config";
import { callSelf } from "../lib/self";

export type ProviderFetch = (request: Request) => Promise<Response>;

export const SANDBOX_PATH_PREFIX = "/__sandbox/";

export function providerFetch(env: Env, ctx: ExecutionContext): ProviderFetch {
  const config = configOf(env);
  const sandbox = config.ok && config.config.sandbox;
  return async (request) => {
    if (!sandbox || !new URL(request.url).pathname.startsWith(SANDBOX_PATH_PREFIX)) {
      return bodyBoundBy(await fetch(request), request.signal);
    }
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      callSelf(request, env, ctx).then(
        (response) => {
          signal.removeEventListener("abort", onAbort);
          resolve(bodyBoundBy(response, signal));
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** What `start` promises, unless `signal` aborts first (then its reason); nothing is started once it has. */
function unlessAborted<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    start().then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The same answer whose body errors with the signal's reason once the signal
 * aborts (and cancels the provider's body, so its sender stops).
 */
function bodyBoundBy(response: Response, signal: AbortSignal): Response {
  const source = response.body;
  if (!source || NULL_BODY_STATUSES.has(response.status)) return response;
  const reader = source.getReader();
  // Read only when the caller reads (highWaterMark 0): nothing is pulled ahead into a body nobody may read.
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const read = await unlessAborted(() => reader.read(), signal);
          if (read.done) controller.close();
          else controller.enqueue(read.value);
        } catch (error) {
          controller.error(error);
          reader.cancel(error).catch(() => {});
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Default base URLs (without `/v3`), used when FLUTTERWAVE_BASE_URL is unset. */
export const FLUTTERWAVE_LIVE_BASE = "https://api.flutterwave.com";
export const SANDBOX_FLUTTERWAVE_PATH = "/__sandbox/flutterwave";
/** Origin used for sandbox calls that have no incoming request (queue, alarms); any origin routes in-process. */
export const SANDBOX_FALLBACK_ORIGIN = "http://127.0.0.1:8787";
