/**
 * Fault injection in Flutterwave's shapes: the kit (../kit/faults.ts) decides
 * when a fault fires; this says what each mode looks like coming from
 * Flutterwave:
 * - http_500:         500 `Internal server error`.
 * - gateway_timeout:  503 `An error occurred. Please contact support`, what Flutterwave sends after
 *                     its ~28 s gateway timeout (also the end of `hang`).
 * - rate_limited:     429 (Flutterwave documents the status, not the body: the body is a guess).
 * - malformed:        200 whose body is cut-off JSON (does not parse).
 * - wrong_shape:      200 with a well-formed envelope whose `data` is not what the endpoint returns.
 * - refuse:           400 `Merchant is not enabled for this operation`: a definite refusal, nothing done.
 */
import { answerWithFaults as answerWithKit, type FaultAnswers } from "../kit/faults";
import { flwError, flwSuccess, gatewayTimeout } from "./responses";
import { sandboxStub, type SandboxContext } from "./runtime";
import type { FaultOperation } from "./schemas";

const FLUTTERWAVE_FAULTS: FaultAnswers = {
  http500: () => flwError(500, "Internal server error"),
  gatewayTimeout,
  rateLimited: () => flwError(429, "Too many requests. Please try again later"),
  malformed: () =>
    new Response('{"status":"success","message":"Hosted Li', {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
    }),
  wrongShape: () => flwSuccess("Operation successful", { unexpected: "shape" }),
  refuse: () => flwError(400, "Merchant is not enabled for this operation"),
};

/** Answer a v3 request, unless a matching fault is armed; every request is counted. */
export function answerWithFaults(
  c: SandboxContext,
  operation: FaultOperation,
  raw_body: string,
  perform: () => Promise<Response>,
): Promise<Response> {
  return answerWithKit(c, sandboxStub(c.env), operation, raw_body, FLUTTERWAVE_FAULTS, perform);
}
