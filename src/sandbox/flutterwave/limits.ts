/**
 * Bounds of the Flutterwave sandbox (the kit's own, shared by every look-alike, are in ../kit/limits.ts). They live here rather than in
 * src/lib/limits.ts because the sandbox is the outside world, not our service:
 * nothing in production reads them. Units are the last word of each name.
 */

// Request bodies are bounded by the app's own body limit (REQUEST_BODY_MAX_BYTES), which runs first.

/** Longest tx_ref / transfer reference accepted (the official SDK's schema allows 100). */
export const REFERENCE_MAX_CHARS = 100;

/**
 * How long the checkout waits for its webhook to be answered before it
 * redirects the browser anyway (delivery carries on in `waitUntil`). Real
 * Flutterwave sends both at about the same time; waiting keeps the webhook from
 * arriving after the redirect in tests, without letting a slow receiver stall a
 * browser for a minute.
 */
export const CHECKOUT_WEBHOOK_WAIT_MS = 5_000;

/** Default checkout session when the request sets no `configurations.session_duration` (unconfirmed upstream). */
export const SESSION_DEFAULT_MINUTES = 60;
/** Flutterwave documents 1440 minutes as the longest session. */
export const SESSION_MAX_MINUTES = 1440;
/** Failed attempts on one link when the request sets no `max_retry_attempt`; also the cap on what it may set. */
export const LINK_ATTEMPTS_MAX = 10;

/** Page size of `GET /v3/transactions` and `GET /v3/transfers` (Flutterwave pages lists by 10). */
export const TRANSFERS_PAGE_SIZE = 10;
/** Highest page number accepted by `GET /v3/transactions` and `GET /v3/transfers`. */
export const TRANSFERS_PAGE_MAX = 1000;

/** Transfers one alarm run settles; more are left for an immediate next run. */
export const ALARM_SETTLE_BATCH_MAX = 20;

/** Largest amount accepted, in minor units (10 billion naira): keeps every sum a safe integer. */
export const AMOUNT_MAX_MINOR = 1_000_000_000_000;
