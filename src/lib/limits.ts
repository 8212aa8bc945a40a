/**
 * Every bound in the service, in one place (TigerBeetle style: each queue, batch,
 * loop, list and cache has a named upper bound). Units are the last word of each
 * name. Tests import these constants rather than repeating the numbers.
 */

// ---- HTTP input -------------------------------------------------------------
/** Largest request body we read for ordinary API calls. */
export const REQUEST_BODY_MAX_BYTES = 16 * 1024;
/** Largest webhook body accepted from a provider (Flutterwave events are a few KiB). */
export const WEBHOOK_BODY_MAX_BYTES = 256 * 1024;
/** Longest `X-Request-Id` we echo; longer or odd ones are replaced by our own. */
export const REQUEST_ID_MAX_CHARS = 128;
/** Longest `Idempotency-Key` accepted (Stripe allows 255). */
export const IDEMPOTENCY_KEY_MAX_CHARS = 255;

// ---- Accounts ---------------------------------------------------------------
export const EMAIL_MAX_CHARS = 254;
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_CHARS = 128;
export const FULL_NAME_MAX_CHARS = 120;
/**
 * A registration that claimed its email but did not finish (the request died
 * between steps) can be resumed by a retry with the same password once this
 * lease has passed. Until then a concurrent attempt is answered 409.
 */
export const REGISTRATION_LEASE_MS = 30_000;
/** Seconds a client is told to wait after a rate-limit refusal (the binding's period). */
export const RATE_LIMIT_RETRY_AFTER_S = 60;
