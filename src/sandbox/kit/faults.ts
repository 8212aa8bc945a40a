/**
 * Fault injection: how a test makes a look-alike misbehave the way a provider
 * (or the network in front of it) can. A fault is armed for one operation,
 * scoped by a `match` substring of the request (so parallel tests only hit
 * their own), and consumed one use per matching request.
 *
 * Modes (the vendor decides how each one's body looks, `FaultAnswers`):
 * - hang:             no answer for HANG_MS, then a gateway error; a client's own timeout fires first.
 * - http_500:         500.
 * - gateway_timeout:  the provider's gateway-timeout answer, at once.
 * - rate_limited:     429.
 * - malformed:        200 whose body is cut-off JSON.
 * - wrong_shape:      200 with a well-formed body that is not what the operation returns.
 * - refuse:           a definite refusal: nothing done.
 * - slow_body:        the operation is performed and its real answer's status and headers
 *                     are sent at once, then its body trickles in SLOW_BODY_CHUNKS pieces,
 *                     the last one SLOW_BODY_MS later: long past any client's timeout. Only
 *                     the client hanging up (cancelling the body) stops it; a client that
 *                     bounds only the wait for headers is held for the whole trickle.
 * - commit_then_hang, commit_then_500 (operations that change state only): the
 *                     operation is performed and committed, then the answer is
 *                     lost as in `hang` / `http_500`.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../lib/http";
import { sleep } from "../../lib/time";
import { HANG_MS, SLOW_BODY_CHUNKS, SLOW_BODY_MS } from "./limits";

export const FAULT_MODES = [
  "hang",
  "http_500",
  "gateway_timeout",
  "rate_limited",
  "malformed",
  "wrong_shape",
  "refuse",
  "slow_body",
  "commit_then_hang",
  "commit_then_500",
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** What each fault mode answers, in the vendor's own shape. */
export type FaultAnswers = {
  http500: () => Response;
  gatewayTimeout: () => Response;
  rateLimited: () => Response;
  malformed: () => Response;
  wrongShape: () => Response;
  refuse: () => Response;
};

/** The kit's RPC a fault needs (any look-alike's object). */
export type FaultSource = {
  takeFault(operation: string, haystack: string): Promise<string | null>;
};

function haystackOf(c: Context<AppEnv>, raw_body: string): string {
  const url = new URL(c.req.url);
  let target = `${url.pathname}${url.search}`;
  try {
    target = decodeURIComponent(target);
  } catch {
    // A malformed escape: match against the raw form.
  }
  return `${target}\n${raw_body}`;
}

function isFaultMode(mode: string): mode is FaultMode {
  return (FAULT_MODES as readonly string[]).includes(mode);
}

/**
 * Answer a request, unless a matching fault is armed; either way the request
 * is counted. `perform` does the real work and returns the real answer; for
 * `commit_then_*` it runs and its answer is thrown away.
 */
export async function answerWithFaults(
  c: Context<AppEnv>,
  source: FaultSource,
  operation: string,
  raw_body: string,
  answers: FaultAnswers,
  perform: () => Promise<Response>,
): Promise<Response> {
  const mode = await source.takeFault(operation, haystackOf(c, raw_body));
  if (mode === null) return perform();
  if (!isFaultMode(mode)) throw new Error(`unknown fault mode ${mode}`);
  const hang = async () => {
    await sleep(HANG_MS, c.req.raw.signal);
    return answers.gatewayTimeout();
  };
  switch (mode) {
    case "hang":
      return hang();
    case "http_500":
      return answers.http500();
    case "gateway_timeout":
      return answers.gatewayTimeout();
    case "rate_limited":
      return answers.rateLimited();
    case "malformed":
      return answers.malformed();
    case "wrong_shape":
      return answers.wrongShape();
    case "refuse":
      return answers.refuse();
    case "slow_body":
      return trickle(await perform());
    case "commit_then_hang":
      await (await perform()).arrayBuffer();
      return hang();
    case "commit_then_500":
      await (await perform()).arrayBuffer();
      return answers.http500();
    default: {
      const unknown: never = mode;
      throw new Error(`unknown fault mode ${String(unknown)}`);
    }
  }
}

/**
 * The answer's status and headers now, its body in SLOW_BODY_CHUNKS pieces
 * spread over SLOW_BODY_MS. The request's own abort signal is deliberately
 * not watched: a server trickling a body does not know the client's timer,
 * it only sees the connection close (the body cancelled).
 */
function trickle(answer: Response): Response {
  const headers = new Headers(answer.headers);
  headers.delete("content-length");
  const hung_up = new AbortController();
  let bytes: Uint8Array | null = null;
  let sent_chunks = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      bytes ??= new Uint8Array(await answer.arrayBuffer());
      const chunk_bytes = Math.max(1, Math.ceil(bytes.length / SLOW_BODY_CHUNKS));
      if (sent_chunks > 0) await sleep(SLOW_BODY_MS / SLOW_BODY_CHUNKS, hung_up.signal);
      if (hung_up.signal.aborted) return;
      const chunk = bytes.subarray(sent_chunks * chunk_bytes, (sent_chunks + 1) * chunk_bytes);
      sent_chunks += 1;
      if (chunk.length > 0) controller.enqueue(chunk);
      if (sent_chunks * chunk_bytes >= bytes.length) controller.close();
    },
    cancel() {
      hung_up.abort();
    },
  });
  return new Response(body, { status: answer.status, headers });
}
