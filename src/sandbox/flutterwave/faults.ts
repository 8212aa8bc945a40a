/**
 * Fault injection: how a test makes the sandbox misbehave the way Flutterwave
 * (or the network in front of it) can. A fault is armed for one operation,
 * scoped by a `match` substring of the request (so parallel tests only hit
 * their own), and consumed one use per matching request.
 *
 * Modes
 * - hang:             no answer for HANG_MS (30 s), then 503; a client's own timeout fires first.
 * - http_500:         500 `Internal server error`.
 * - gateway_timeout:  503 `An error occurred. Please contact support`, what Flutterwave sends after
 *                     its ~28 s gateway timeout, but at once.
 * - rate_limited:     429 (Flutterwave documents the status, not the body: the body is a guess).
 * - malformed:        200 whose body is cut-off JSON (does not parse).
 * - wrong_shape:      200 with a well-formed envelope whose `data` is not what the endpoint returns.
 * - refuse:           400 `Merchant is not enabled for this operation`: a definite refusal, nothing done.
 * - commit_then_hang, commit_then_500 (create operations only): the operation is performed and
 *                     committed, then the answer is lost as in `hang` / `http_500`.
 */
import { HANG_MS } from "./limits";
import { flwError, flwSuccess, gatewayTimeout } from "./responses";
import { sandboxStub, sleep, type SandboxContext } from "./runtime";
import type { FaultMode, FaultOperation } from "./schemas";

async function hang(signal: AbortSignal): Promise<Response> {
  await sleep(HANG_MS, signal);
  return gatewayTimeout();
}

function haystackOf(c: SandboxContext, raw_body: string): string {
  const url = new URL(c.req.url);
  let target = `${url.pathname}${url.search}`;
  try {
    target = decodeURIComponent(target);
  } catch {
    // A malformed escape: match against the raw form.
  }
  return `${target}\n${raw_body}`;
}

/**
 * Answer a v3 request, unless a matching fault is armed. `perform` does the
 * real work and returns the real answer; for `commit_then_*` it runs and its
 * answer is thrown away.
 */
export async function answerWithFaults(
  c: SandboxContext,
  operation: FaultOperation,
  raw_body: string,
  perform: () => Promise<Response>,
): Promise<Response> {
  const mode: FaultMode | null = await sandboxStub(c.env).takeFault(operation, haystackOf(c, raw_body));
  if (mode === null) return perform();
  switch (mode) {
    case "hang":
      return hang(c.req.raw.signal);
    case "http_500":
      return flwError(500, "Internal server error");
    case "gateway_timeout":
      return gatewayTimeout();
    case "rate_limited":
      return flwError(429, "Too many requests. Please try again later");
    case "malformed":
      return new Response('{"status":"success","message":"Hosted Li', { status: 200, headers: { "content-type": "application/json; charset=utf-8" } });
    case "wrong_shape":
      return flwSuccess("Operation successful", { unexpected: "shape" });
    case "refuse":
      return flwError(400, "Merchant is not enabled for this operation");
    case "commit_then_hang":
      await (await perform()).arrayBuffer();
      return hang(c.req.raw.signal);
    case "commit_then_500":
      await (await perform()).arrayBuffer();
      return flwError(500, "Internal server error");
    default: {
      const unknown: never = mode;
      throw new Error(`unknown fault mode ${String(unknown)}`);
    }
  }
}
