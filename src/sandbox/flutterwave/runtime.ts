/**
 * What the Flutterwave look-alike's HTTP handlers share: its one object, and
 * webhook delivery from a request (signed as Flutterwave signs, recorded in the
 * object, kept alive with `waitUntil`).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../lib/http";
import { deliverAndRecord as deliverWithKit, type WebhookDispatch } from "../kit/deliver";
import type { DeliveryOutcome } from "../kit/object";
import { credentialFor, FLUTTERWAVE_USER_AGENT, type VerifHashChoice } from "./credentials";
import type { FlutterwaveSandbox } from "./object";
import { SANDBOX_OBJECT_NAME } from "./paths";

export { executionContextOf, originOf } from "../kit/deliver";

export type SandboxContext = Context<AppEnv>;

export function sandboxStub(env: Env): DurableObjectStub<FlutterwaveSandbox> {
  // Bound only in development (wrangler.jsonc); app.ts already 404s the sandbox in production.
  if (!env.FLUTTERWAVE_SANDBOX)
    throw new Error("the FLUTTERWAVE_SANDBOX Durable Object is not bound in this environment");
  return env.FLUTTERWAVE_SANDBOX.getByName(SANDBOX_OBJECT_NAME);
}

export function deliverAndRecord(
  c: SandboxContext,
  webhook: WebhookDispatch,
  choice?: VerifHashChoice,
): Promise<DeliveryOutcome> {
  return deliverWithKit(
    c,
    sandboxStub(c.env),
    webhook,
    credentialFor(c.var.config.FLUTTERWAVE_WEBHOOK_HASH, choice),
    FLUTTERWAVE_USER_AGENT,
  );
}
