/**
 * Fault injection in VTpass's shapes: the kit (../kit/faults.ts) decides when
 * a fault fires; this says what each mode looks like coming from VTpass. Its
 * application answers refusals with HTTP 200 and a code, so only the modes
 * that stand for the machinery in front of it use other statuses:
 * - http_500:         500 `{"message":"Server Error"}` (Laravel's answer when the application fails).
 * - gateway_timeout:  504 with the web server's HTML "Gateway Time-out" page (also the end of `hang`).
 * - rate_limited:     429 `{"message":"Too Many Attempts."}` with Retry-After (Laravel's throttle).
 * - malformed:        200 whose body is cut-off JSON.
 * - wrong_shape:      200 with well-formed JSON that is no operation's answer: `code` 000 whose
 *                     `content` is a string, so neither a purchase, a catalogue nor a balance
 *                     can be read from it.
 * - refuse:           200 with code 030 "BILLER NOT REACHABLE AT THIS POINT": a definite
 *                     refusal, nothing done (for `pay`: nothing stored, nothing charged).
 * None of these is documented by VTpass beyond the codes; the statuses and bodies are what
 * its stack sends by default.
 */
import { answerWithFaults as answerWithKit, type FaultAnswers } from "../kit/faults";
import { gatewayTimeout, serverError, tooManyAttempts, vtAnswer } from "./responses";
import { vtpassStub, type SandboxContext } from "./runtime";
import type { FaultOperation } from "./schemas";

const VTPASS_FAULTS: FaultAnswers = {
  http500: serverError,
  gatewayTimeout,
  rateLimited: tooManyAttempts,
  malformed: () =>
    new Response('{"code":"000","content":{"transac', {
      status: 200,
      headers: { "content-type": "application/json" },
    }),
  wrongShape: () =>
    vtAnswer({ code: "000", response_description: "000", content: "unexpected shape" }),
  refuse: () =>
    vtAnswer({
      code: "030",
      response_description: "BILLER NOT REACHABLE AT THIS POINT",
      content: { errors: "BILLER NOT REACHABLE AT THIS POINT" },
    }),
};

/** Answer a VTpass API request, unless a matching fault is armed; every request is counted. */
export function answerWithFaults(
  c: SandboxContext,
  operation: FaultOperation,
  raw_body: string,
  perform: () => Promise<Response>,
): Promise<Response> {
  return answerWithKit(c, vtpassStub(c.env), operation, raw_body, VTPASS_FAULTS, perform);
}
