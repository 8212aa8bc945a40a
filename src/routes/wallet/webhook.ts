/**
 * POST /wallet/flutterwave/webhook: intake only.
 *
 * 1. Authenticate on the RAW body, in constant time: `verif-hash` equal to
 *    FLUTTERWAVE_WEBHOOK_HASH (v3), or `flutterwave-signature` equal to
 *    base64(HMAC-SHA256(raw body, hash)) or to the hash itself (v4 wording is
 *    unconfirmed, so both forms are accepted). Otherwise 401, nothing enqueued.
 * 2. Enqueue the raw payload with our request id and the receive time.
 * 3. Answer 200 at once. Verification with the provider and settlement happen
 *    in the queue consumer; Flutterwave only needs to know we have it.
 *
 * A signed body that is not a JSON object cannot be processed; it is kept in
 * the dead-letter store for inspection and answered 400.
 */
import { DEAD_LETTERS_OBJECT } from "../../durable/dead-letters/object";
import { hmacSha256Base64, safeEqual, sha256Hex } from "../../lib/crypto";
import { AppError, errors } from "../../lib/errors";
import type { AppContext } from "../../lib/http";
import { log } from "../../lib/log";
import type { QueueMessage } from "../../queue/messages";

export function webhookAuthentic(
  raw: Uint8Array,
  hash: string,
  headers: { verif_hash?: string; signature?: string },
): boolean {
  // Evaluate every candidate (no short-circuit) so timing does not reveal which matched.
  const byVerifHash = headers.verif_hash !== undefined && safeEqual(headers.verif_hash, hash);
  const bySignature =
    headers.signature !== undefined && safeEqual(headers.signature, hmacSha256Base64(hash, raw));
  const byPlainSignature = headers.signature !== undefined && safeEqual(headers.signature, hash);
  return byVerifHash || bySignature || byPlainSignature;
}

/** Strict UTF-8 (a malformed body is refused, not repaired); not streaming, so one decoder serves every request. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function intakeWebhook(c: AppContext): Promise<Response> {
  const received_at_ms = Date.now();
  // Read once each: `c.var` builds a fresh object of every variable on each use.
  const request_id = c.get("request_id");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const authentic = webhookAuthentic(raw, c.get("config").FLUTTERWAVE_WEBHOOK_HASH, {
    verif_hash: c.req.header("verif-hash"),
    signature: c.req.header("flutterwave-signature"),
  });
  if (!authentic) {
    log.warn("webhook refused: bad or missing signature", { request_id });
    throw new AppError({
      status: 401,
      code: "webhook_signature_invalid",
      title: "Unauthorized",
      detail: "Missing or invalid webhook signature.",
    });
  }
  let raw_body: string;
  let parsed: unknown;
  try {
    raw_body = utf8.decode(raw);
    parsed = JSON.parse(raw_body);
  } catch {
    parsed = undefined;
    raw_body = "";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    await c.env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).add([
      {
        id: `webhook-${sha256Hex(Array.from(raw, (b) => String.fromCharCode(b)).join(""))}`,
        source: "webhook-intake",
        reason: "signed webhook body is not a JSON object",
        body_json: JSON.stringify({
          request_id,
          raw_base64: btoa(Array.from(raw, (b) => String.fromCharCode(b)).join("")),
        }),
        attempts: 0,
      },
    ]);
    throw errors.badRequest("malformed_webhook", "The webhook body must be a JSON object.");
  }
  const message: QueueMessage = {
    v: 1,
    kind: "flutterwave.webhook",
    request_id,
    received_at_ms,
    raw_body,
  };
  try {
    await c.env.WALLET_EVENTS.send(message);
  } catch (error) {
    log.error("webhook enqueue failed", { request_id, error });
    throw errors.unavailable("queue_unavailable", "The event could not be queued; please retry.");
  }
  return c.json({ status: "accepted" as const, request_id }, 200);
}
