/**
 * What the VTpass look-alike's HTTP handlers share: its one object, and
 * sending a callback try from a request (unsigned, judged as VTpass judges
 * the answer, counted by the object, kept alive with `waitUntil`).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../lib/http";
import { deliverAndRecord, type WebhookDispatch } from "../kit/deliver";
import type { DeliveryOutcome } from "../kit/object";
import { judgeCallbackAnswer, NO_CREDENTIAL, VTPASS_USER_AGENT } from "./callbacks";
import type { VtpassSandbox } from "./object";
import { VTPASS_OBJECT_NAME } from "./paths";

export { originOf } from "../kit/deliver";

export type SandboxContext = Context<AppEnv>;

export function vtpassStub(env: Env): DurableObjectStub<VtpassSandbox> {
  // Bound only in development (wrangler.jsonc); app.ts already 404s the sandbox in production.
  if (!env.VTPASS_SANDBOX)
    throw new Error("the VTPASS_SANDBOX Durable Object is not bound in this environment");
  return env.VTPASS_SANDBOX.getByName(VTPASS_OBJECT_NAME);
}

/** Send one callback try now; the object counts it and schedules the next, if any. */
export function sendCallback(
  c: SandboxContext,
  callback: WebhookDispatch,
): Promise<DeliveryOutcome> {
  const stub = vtpassStub(c.env);
  const recorder = {
    recordDelivery: (outcome: DeliveryOutcome) => stub.callbackAttempted(callback.ref, outcome),
  };
  return deliverAndRecord(
    c,
    recorder,
    callback,
    NO_CREDENTIAL,
    VTPASS_USER_AGENT,
    judgeCallbackAnswer,
  );
}
