/**
 * Every bound in the service, in one place (TigerBeetle style: each queue, batch,
 * loop, list and cache has a named upper bound). Units are the last word of each
 * name. Tests import these constants rather than repeating the numbers.
 */

// ---- HTTP input -------------------------------------------------------------
/** Largest request body we read for ordinary API calls. */
export const REQUEST_BODY_MAX_BYTES = 16 * 1024;
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

// ---- Money --------------------------------------------------------------------
/** Smallest and largest funding, in kobo (N100 .. N5,000,000). */
export const FUND_MIN_MINOR = 100_00;
export const FUND_MAX_MINOR = 5_000_000_00;
/** Smallest and largest withdrawal, in kobo (N100 .. N5,000,000). */
export const WITHDRAW_MIN_MINOR = 100_00;
export const WITHDRAW_MAX_MINOR = 5_000_000_00;
/** Largest balance a wallet may hold, in kobo; a credit past it is refused (and escalated). */
export const BALANCE_MAX_MINOR = 1_000_000_000_00;

// ---- Transactions listing -------------------------------------------------------
export const TRANSACTIONS_PAGE_DEFAULT = 20;
export const TRANSACTIONS_PAGE_MAX = 100;
export const NARRATION_MAX_CHARS = 80;

// ---- Idempotency --------------------------------------------------------------
/** Keys are kept at least this long (Stripe keeps 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A request holding a key is "in flight" for at most this long; then a retry may resume it. */
export const IDEMPOTENCY_IN_FLIGHT_LOCK_MS = 60_000;
/** Expired keys deleted per alarm run. */
export const IDEMPOTENCY_PURGE_BATCH_MAX = 500;

// ---- Reconciliation -----------------------------------------------------------
/** Pending transactions re-verified per alarm run (the rest wait for the next run). */
export const RECONCILE_BATCH_MAX = 25;
/** Delay before each re-verification, by attempt; the last value repeats. */
export const RECONCILE_BACKOFF_S = [30, 60, 120, 300, 600, 1800, 3600] as const;
/** A funding's checkout may be paid until session end; this grace covers late webhooks. */
export const FUNDING_DEADLINE_GRACE_MS = 10 * 60 * 1000;
/** A withdrawal still unknown after this long is escalated to operators (never refunded on a guess). */
export const WITHDRAW_ESCALATE_AFTER_MS = 24 * 60 * 60 * 1000;

// ---- Providers ----------------------------------------------------------------
/** Extra attempts for idempotent provider reads (GET); writes are never retried blindly. */
export const PROVIDER_READ_RETRIES = 2;
export const PROVIDER_RETRY_BASE_MS = 200;
/** Bank list cache lifetime. */
export const BANKS_CACHE_TTL_S = 6 * 60 * 60;

// ---- Webhooks and queue -------------------------------------------------------
/** Largest webhook body we accept; queue messages are limited to 128 KB. */
export const WEBHOOK_BODY_MAX_BYTES = 64 * 1024;
export const QUEUE_RETRY_BASE_DELAY_S = 2;
export const QUEUE_RETRY_MAX_DELAY_S = 300;
/** Dead letters listed per page, and kept at most (oldest replayed ones go first). */
export const DEAD_LETTERS_PAGE_MAX = 100;
export const DEAD_LETTERS_KEEP_MAX = 10_000;

// ---- Watching ----------------------------------------------------------------------
/** Lifetime of a watch ticket (the callback page's credential for one tx_ref). */
export const WATCH_TICKET_TTL_S = 2 * 60 * 60;

// ---- Banks ----------------------------------------------------------------------------
/** A cached bank list may be served this long after its TTL when the provider is down. */
export const BANKS_STALE_MAX_S = 24 * 60 * 60;
/** A withdrawal request: NUBAN account numbers are exactly 10 digits. */
export const NUBAN_DIGITS = 10;

// ---- Realtime -------------------------------------------------------------------
/**
 * Open watchers one Room (one tx_ref) accepts; the next upgrade is refused with
 * 429 (4429 in the seed protocol). One owner rarely needs more than a few; the
 * bound keeps a leaked client loop from growing a room without end, while
 * leaving room for the benchmark's 1,000 watchers. (The platform's own ceiling
 * for hibernatable sockets per object is far higher.)
 */
export const ROOM_SOCKETS_MAX = 1000;
/** Largest client frame (bytes, UTF-8) a watcher may send; a join frame with a ticket is ~600. */
export const WS_FRAME_MAX_BYTES = 4096;
/** Seed protocol: how long a socket opened without `?tx_ref=` may wait before its join frame. */
export const WS_JOIN_TIMEOUT_MS = 5_000;
/**
 * After a terminal status (SUCCESS/FAILED) each socket stays open this long
 * (counted from the settlement, or from its join if later), then is closed with
 * 1000. Long enough for a client to read the final status; short enough that
 * settled rooms stop holding connections.
 */
export const ROOM_CLOSE_GRACE_MS = 5_000;
/** Platform limits of `acceptWebSocket` tags and `serializeAttachment` (Durable Objects docs). */
export const WS_TAGS_MAX = 10;
export const WS_TAG_MAX_CHARS = 256;
export const WS_ATTACHMENT_MAX_BYTES = 2048;
/** Browser watcher (watch.js): reconnect backoff while PENDING, and its bound. */
export const WATCH_RECONNECT_BASE_MS = 1_000;
export const WATCH_RECONNECT_MAX_MS = 30_000;
export const WATCH_RECONNECT_ATTEMPTS_MAX = 20;
/** Browser watcher: a "ping" text frame this often keeps idle proxies from dropping the socket. */
export const WATCH_PING_INTERVAL_MS = 30_000;
/** Browser cache lifetime of watch.js: short, since it carries protocol constants a deploy may change. */
export const WATCH_SCRIPT_MAX_AGE_S = 300;

// ---- MongoDB projection -----------------------------------------------------------
/**
 * One socket per MongoProjector object (Cloudflare's guidance for a client held
 * in a Durable Object): the object serialises its own writes, and Atlas counts
 * connections per cluster. The driver's monitor keeps one more socket of its own.
 */
export const MONGO_POOL_MAX = 1;
/** No socket is kept open for its own sake; an evicted or hibernated object loses it anyway. */
export const MONGO_POOL_MIN = 0;
/** How long the driver looks for a usable server before an operation fails (Cloudflare's suggested 5 s). */
export const MONGO_SERVER_SELECTION_TIMEOUT_MS = 5_000;
/**
 * The driver's own socket timers (connectTimeoutMS, socketTimeoutMS) are off.
 * workerd's node:net (runtime 1.20260426) fires a socket's 'timeout' event
 * even after `setTimeout(0)` has cleared it, so with them on the driver drops
 * healthy connections that long after any traffic, at times mid-command. A
 * hung connect or read is bounded by MONGO_BATCH_TIMEOUT_MS instead, after
 * which the projector drops the whole client (and so its sockets).
 */
export const MONGO_CONNECT_TIMEOUT_MS = 0;
export const MONGO_SOCKET_TIMEOUT_MS = 0;
/** A pooled socket idle this long is closed (Cloudflare's suggested 20 s). */
export const MONGO_MAX_IDLE_TIME_MS = 20_000;
/** Changes in one `project()` call, and keys in one `documents()` read. */
export const MONGO_BATCH_MAX = 100;
/**
 * One `project()` (or `ping()`, `documents()`) call, every round trip and any
 * connection set-up included: the one bound on a server that hangs. Past it
 * the call answers "unavailable" and the client is dropped; the caller retries
 * the whole batch, which the version guard makes safe.
 */
export const MONGO_BATCH_TIMEOUT_MS = 10_000;
/** A change feed with this many changes waiting for the projector is logged as a warning by its drainer. */
export const MONGO_BACKLOG_WARN_CHANGES = 10_000;
/**
 * What a projector asks its caller to wait after an outage: doubling with
 * each consecutive failure, up to the maximum. Besides sparing the server,
 * this bounds a leak the driver cannot avoid here: a client whose first
 * handshake is never answered is abandoned with that socket still open
 * (the driver cancels a TCP connect, not a handshake), until the server
 * answers or closes it.
 */
export const MONGO_UNAVAILABLE_RETRY_AFTER_MS = 5_000;
export const MONGO_UNAVAILABLE_RETRY_AFTER_MAX_MS = 60_000;
/** What a projector asks its caller to wait after a configuration problem. */
export const MONGO_MISCONFIGURED_RETRY_AFTER_MS = 5 * 60_000;
/** Closing a dropped client waits at most this long (its server may be the thing that hangs). */
export const MONGO_CLOSE_TIMEOUT_MS = 1_000;
