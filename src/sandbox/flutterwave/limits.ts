/**
 * Bounds of the Flutterwave sandbox. They live here rather than in
 * src/lib/limits.ts because the sandbox is the outside world, not our service:
 * nothing in production reads them. Units are the last word of each name.
 */

// Request bodies are bounded by the app's own body limit (REQUEST_BODY_MAX_BYTES), which runs first.

/** Longest tx_ref / transfer reference accepted (the official SDK's schema allows 100). */
export const REFERENCE_MAX_CHARS = 100;

/** How long `hang` faults hold the answer before a 503, like Flutterwave's own ~28 s gateway timeout. */
export const HANG_MS = 30_000;

/** Flutterwave gives a webhook endpoint 60 s to answer; so does the sandbox. */
export const WEBHOOK_TIMEOUT_MS = 60_000;

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

/** Page size of `GET /v3/transfers` (Flutterwave pages lists by 10). */
export const TRANSFERS_PAGE_SIZE = 10;
/** Highest page number accepted by `GET /v3/transfers`. */
export const TRANSFERS_PAGE_MAX = 1000;

/** Transfers one alarm run settles; more are left for an immediate next run. */
export const ALARM_SETTLE_BATCH_MAX = 20;

/** Faults armed at once; arming more is refused until some are consumed or cleared. */
export const FAULTS_MAX = 500;
/** Largest `times` for one fault. */
export const FAULT_TIMES_MAX = 100;
/** Longest `match` substring of a fault. */
export const FAULT_MATCH_MAX_CHARS = 200;

/** Delivery records kept; older ones are pruned on insert. */
export const DELIVERIES_KEPT_MAX = 2_000;
/** Delivery records returned by one `GET __control/deliveries`. */
export const DELIVERIES_LIST_MAX = 50;
/** Largest webhook body kept in a delivery record (bodies are about 1 KiB). */
export const DELIVERY_BODY_MAX_CHARS = 8 * 1024;

/** Largest amount accepted, in minor units (10 billion naira): keeps every sum a safe integer. */
export const AMOUNT_MAX_MINOR = 1_000_000_000_000;
