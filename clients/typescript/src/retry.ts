/**
 * Retries with backoff on 429 and 503, as a `fetch` wrapper under
 * openapi-fetch: every call goes through it, and a retry re-sends the very
 * same request, headers included, so a money call's `Idempotency-Key` is
 * the same on every attempt and the server replays rather than repeats.
 *
 * Bounded: at most `max_attempts` sends per call, and a `Retry-After` longer
 * than `max_retry_after_ms` is not waited out: the refusal goes back to the
 * caller (as an ApiProblem carrying `retry_after_s`), who may know better.
 */
import { retryAfterMs } from "./problem.js";

export type RetryOptions = {
  /** Sends per call, the first included. 1 turns retrying off. */
  max_attempts?: number;
  /** First backoff step when the server gives no Retry-After; doubles per attempt. */
  base_delay_ms?: number;
  /** Cap of one backoff step. */
  max_delay_ms?: number;
  /** The longest Retry-After this client waits out; a longer one is returned to the caller. */
  max_retry_after_ms?: number;
};

export const RETRY_DEFAULTS: Required<RetryOptions> = {
  max_attempts: 4,
  base_delay_ms: 250,
  max_delay_ms: 8_000,
  max_retry_after_ms: 60_000,
};

/** The statuses that say "not now" rather than "no": rate limited, temporarily unavailable. */
const RETRYABLE_STATUSES = new Set([429, 503]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A 429 is refused before any work (the limiters count first), so any request
 * may be sent again. A 503 may come after part of the work, so only a request
 * that is safe to repeat is: a read, or a write carrying an Idempotency-Key.
 */
export function mayRetry(request: Request, status: number): boolean {
  if (!RETRYABLE_STATUSES.has(status)) return false;
  if (status === 429) return true;
  return SAFE_METHODS.has(request.method) || request.headers.has("idempotency-key");
}

/** Wait before attempt `attempt + 1` (attempt counts from 1): Retry-After if given, else full-jitter backoff. */
export function delayMs(
  response: Response,
  attempt: number,
  options: Required<RetryOptions>,
  now_ms: number,
  random: () => number,
): number | null {
  const told_ms = retryAfterMs(response.headers.get("retry-after"), now_ms);
  if (told_ms !== null) return told_ms <= options.max_retry_after_ms ? told_ms : null;
  const ceiling_ms = Math.min(options.max_delay_ms, options.base_delay_ms * 2 ** (attempt - 1));
  return Math.round(random() * ceiling_ms);
}

export function retryingFetch(
  inner: (request: Request) => Promise<Response>,
  options: RetryOptions = {},
  random: () => number = Math.random,
) {
  const settings = { ...RETRY_DEFAULTS, ...options };
  if (!Number.isInteger(settings.max_attempts) || settings.max_attempts < 1)
    throw new RangeError("retry.max_attempts must be a positive integer");
  return async (request: Request): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      // A body is a stream that one send consumes: each attempt sends a copy.
      const response = await inner(request.clone());
      if (attempt >= settings.max_attempts || !mayRetry(request, response.status)) return response;
      const wait_ms = delayMs(response, attempt, settings, Date.now(), random);
      if (wait_ms === null) return response;
      // The refused answer is not read; free its connection before waiting.
      await response.body?.cancel().catch(() => undefined);
      await sleep(wait_ms, request.signal);
    }
  };
}

export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
