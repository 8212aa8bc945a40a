/**
 * Webhook delivery, the way Flutterwave does it: a JSON POST of the event to
 * the merchant's webhook URL with the dashboard's secret hash, verbatim, in
 * `verif-hash` (providers.md §6). The sandbox dispatches in-process through
 * `callSelf` (src/lib/self.ts), so deliveries need no network and no port, yet
 * pass through the whole middleware stack like a real one.
 *
 * Delivery never throws: every attempt ends as an outcome (a status code or an
 * error) that the caller records in the sandbox object. Flutterwave counts any
 * answer but 200 as a failure and gives up after 60 s; the sandbox records the
 * same facts and does not retry on its own (`resend-hook` re-delivers).
 */
import { callSelf } from "../../lib/self";
import { DELIVERY_BODY_MAX_CHARS, WEBHOOK_TIMEOUT_MS } from "./limits";

/** What the sandbox object hands out for delivery: the event already rendered. */
export type WebhookDispatch = {
  event: "charge.completed" | "transfer.completed";
  /** tx_ref of a charge, reference of a transfer. */
  ref: string;
  url: string;
  body: string;
};

/** Which `verif-hash` to send: the configured one (normal), none, or another value (to test refusals). */
export type VerifHashChoice = { kind: "configured" } | { kind: "absent" } | { kind: "custom"; value: string };

/** A delivery attempt as recorded. The hash itself is never stored, only which kind was sent. */
export type DeliveryOutcome = {
  event: WebhookDispatch["event"];
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: VerifHashChoice["kind"];
  body: string;
  at_ms: number;
};

export async function deliverWebhook(
  env: Env,
  ctx: ExecutionContext,
  dispatch: WebhookDispatch,
  configured_hash: string,
  choice: VerifHashChoice = { kind: "configured" },
): Promise<DeliveryOutcome> {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "flutterwave-sandbox" };
  if (choice.kind === "configured") headers["verif-hash"] = configured_hash;
  if (choice.kind === "custom") headers["verif-hash"] = choice.value;
  const request = new Request(dispatch.url, { method: "POST", headers, body: dispatch.body });
  const at_ms = Date.now();
  const base = { event: dispatch.event, ref: dispatch.ref, url: dispatch.url, verif_hash: choice.kind, body: dispatch.body.slice(0, DELIVERY_BODY_MAX_CHARS), at_ms };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), WEBHOOK_TIMEOUT_MS);
    });
    const answer = await Promise.race([callSelf(request, env, ctx), timeout]);
    if (answer === "timeout") return { ...base, status_code: null, error: `no answer within ${WEBHOOK_TIMEOUT_MS} ms` };
    // The body is ignored, as Flutterwave ignores it; drain it so the stream closes.
    await answer.arrayBuffer().catch(() => undefined);
    return { ...base, status_code: answer.status, error: null };
  } catch (error) {
    return { ...base, status_code: null, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
