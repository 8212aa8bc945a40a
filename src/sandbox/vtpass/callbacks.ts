/**
 * VTpass's transaction-update callback, as the look-alike sends it: the
 * model's requery-shaped body, POSTed unsigned (VTpass documents no signature
 * or auth header, docs/providers.md, §VTpass callbacks) to the URL a merchant would have set in the
 * VTpass dashboard. The sandbox has no dashboard, so the URL is fixed: our
 * callback route on the origin the purchase came in on, ending in the
 * configured VTPASS_CALLBACK_SECRET (the only thing that tells a real callback
 * from a forged one, which is why our side re-verifies with requery anyway).
 *
 * The URL is recorded with each delivery attempt, secret included: the
 * sandbox's own record of what it called, readable through the dev-only
 * control API, never written to a log.
 */
import type { AnswerJudge, DeliveryCredential, WebhookDispatch } from "../kit/deliver";
import { renderTransactionUpdate } from "./model";
import { VTPASS_CALLBACK_PATH } from "./paths";
import { recordOf, type PurchaseRow } from "./store";

export const VTPASS_USER_AGENT = "vtpass-sandbox";

/** The event name the kit records for each try. */
export const CALLBACK_EVENT = "transaction-update";

/** No header carries a credential: VTpass sends none. */
export const NO_CREDENTIAL: DeliveryCredential = { kind: "absent", headers: {} };

export function callbackUrl(origin: string, secret: string): string {
  return `${origin}${VTPASS_CALLBACK_PATH}/${encodeURIComponent(secret)}`;
}

/** The callback for a purchase in its current (final) state. */
export function callbackDispatch(row: PurchaseRow, secret: string): WebhookDispatch {
  return {
    event: CALLBACK_EVENT,
    ref: row.request_id,
    url: callbackUrl(row.origin, secret),
    body: JSON.stringify(renderTransactionUpdate(recordOf(row))),
  };
}

/**
 * VTpass counts a callback as received only when the answer is
 * `{"response":"success"}` (callback-api-integration page); anything else,
 * a 2xx included, is tried again. The reason becomes the try's recorded error.
 */
export const judgeCallbackAnswer: AnswerJudge = (status_code, body_text) => {
  if (status_code < 200 || status_code > 299) return `HTTP ${status_code}; VTpass will try again`;
  try {
    const answer = JSON.parse(body_text) as unknown;
    if (
      typeof answer === "object" &&
      answer !== null &&
      (answer as { response?: unknown }).response === "success"
    )
      return null;
  } catch {
    // Not JSON: not the acknowledgement either.
  }
  return 'answer was not {"response":"success"}; VTpass will try again';
};

/** A try counts as received when it was answered and the judge found nothing wrong. */
export function callbackAccepted(outcome: {
  status_code: number | null;
  error: string | null;
}): boolean {
  return outcome.status_code !== null && outcome.error === null;
}
