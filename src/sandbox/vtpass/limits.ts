/**
 * Bounds and timings of the VTpass look-alike. They live here, not in
 * src/lib/limits.ts, because the sandbox is the outside world: nothing in
 * production reads them. Units are the last word of each name.
 */

/** VTpass refuses a second purchase of the same service for the same number and amount within 30 s (019). */
export const DUPLICATE_WINDOW_MS = 30_000;

/**
 * A request_id's date prefix must be today in Lagos (085 otherwise). Around
 * midnight, and for a sender's clock a little ahead, a prefix this close to
 * now is accepted even when its date is not today's.
 */
export const REQUEST_ID_TOLERANCE_MS = 5 * 60 * 1000;

/** Shortest and longest request_id accepted (12 date digits; VTpass states no maximum, we take 50). */
export const REQUEST_ID_MIN_CHARS = 12;
export const REQUEST_ID_MAX_CHARS = 50;

/** The `201000000000` scenario: pending at first, delivered by requery or callback after this long. */
export const PENDING_DELIVER_AFTER_MS = 20_000;

/** The `300000000000` scenario: how long the answer is held (longer than any client timeout). */
export const TIMEOUT_HANG_MS = 60_000;

/** Longest phone / billersCode accepted (the test numbers are 12 digits). */
export const PHONE_MAX_DIGITS = 15;

/** The look-alike's float, as `GET /api/balance` reports it when nothing else is set (N1,000,000). */
export const FLOAT_DEFAULT_MINOR = 100_000_000;

/** Largest float `POST __control/float` accepts (N10 billion): every sum stays a safe integer. */
export const FLOAT_MAX_MINOR = 1_000_000_000_000;

/**
 * VTpass sends a transaction-update callback until the answer is
 * `{"response":"success"}`, five tries in all (docs/providers.md, §VTpass callbacks).
 */
export const CALLBACK_ATTEMPTS_MAX = 5;
/**
 * Wait between two tries of one callback. VTpass does not publish its
 * schedule; a short wait keeps `npm run dev` lively (tests step the alarm
 * instead of waiting).
 */
export const CALLBACK_RETRY_DELAY_MS = 2_000;
/**
 * A try in flight holds its purchase this long (the kit's webhook timeout and
 * a margin), so an alarm that runs meanwhile does not send it again; a try
 * whose recording was lost is re-sent after it.
 */
export const CALLBACK_LEASE_MS = 65_000;

/** Pending purchases one alarm run delivers, and callbacks one run sends; more are left for an immediate next run. */
export const ALARM_DELIVER_BATCH_MAX = 20;
export const ALARM_CALLBACK_BATCH_MAX = 10;
