/**
 * Flutterwave tuning: read retries, the bank list's cache, NUBANs.
 */

// ---- Reads ----------------------------------------------------------------------
/** Extra attempts for idempotent provider reads (GET); writes are never retried blindly. */
export const PROVIDER_READ_RETRIES = 2;
export const PROVIDER_RETRY_BASE_MS = 200;
/** Bank list cache lifetime. */
export const BANKS_CACHE_TTL_S = 6 * 60 * 60;

// ---- Banks ----------------------------------------------------------------------------
/** A cached bank list may be served this long after its TTL when the provider is down. */
export const BANKS_STALE_MAX_S = 24 * 60 * 60;
/**
 * Pages of `GET /v3/transactions?tx_ref=` read when a funding's charges are
 * looked up (ten a page): one tx_ref with more charges than this is not a
 * customer paying, and what is past it waits for its own webhooks.
 */
export const FLUTTERWAVE_CHARGE_PAGES_MAX = 5;

// ---- Refunds --------------------------------------------------------------------------
/**
 * Pages of `GET /v3/refunds` read when a refund whose create answer was lost
 * is searched for by the reference in its comments: the search runs minutes
 * after the create, and the newest refunds come first.
 */
export const FLUTTERWAVE_REFUND_PAGES_MAX = 3;

// ---- Reconciliation lists -----------------------------------------------------------------
/**
 * Pages of `GET /v3/transactions` or `GET /v3/transfers` one day's
 * reconciliation reads (ten rows a page, so 20,000 rows a day). A day with
 * more is not reconciled from a partial list: the run fails, saying so,
 * rather than report the unread rows' transactions as ours only.
 */
export const FLUTTERWAVE_LIST_PAGES_MAX = 2_000;
