/**
 * Every bound in the service, in one place (TigerBeetle style: each queue, batch,
 * loop, list and cache has a named upper bound). Units are the last word of each
 * name. Tests import these constants rather than repeating the numbers.
 */

// ---- HTTP input -------------------------------------------------------------
/** Largest request body we read for ordinary API calls. */
export const REQUEST_BODY_MAX_BYTES = 16 * 1024;
/**
 * A body refused as too large is still read to its end and thrown away, up to
 * this many bytes and this long, so the connection stays usable for the next
 * request (src/lib/body-limit.ts); past either bound it is cancelled.
 */
export const REQUEST_BODY_DRAIN_MAX_BYTES = 8 * 1024 * 1024;
export const REQUEST_BODY_DRAIN_MAX_MS = 5_000;
/** Longest `X-Request-Id` we echo; longer or odd ones are replaced by our own. */
export const REQUEST_ID_MAX_CHARS = 128;
/** Longest opaque identifier accepted in a path or query (cursors, dead-letter ids). */
export const IDENTIFIER_MAX_CHARS = 128;
/** Longest OAuth2 password-flow field we ignore but accept (`scope`, `client_id`, `client_secret`). */
export const OAUTH_FIELD_MAX_CHARS = 256;
/** Longest value of a short query field a provider adds to a redirect (`status`, `transaction_id`). */
export const REDIRECT_FIELD_MAX_CHARS = 32;
/** How long a browser may cache a CORS preflight answer. */
export const CORS_MAX_AGE_S = 600;
/** Longest `Idempotency-Key` accepted (Stripe allows 255). */
export const IDEMPOTENCY_KEY_MAX_CHARS = 255;

// ---- Health ------------------------------------------------------------------
/**
 * How long a readiness result (one Durable Object round trip and one queue
 * message) is reused by an isolate; concurrent checks share one probe. Bounds
 * what an unauthenticated flood of GET /health/ready costs to one probe per
 * isolate per this many milliseconds.
 */
export const READINESS_CACHE_TTL_MS = 10_000;

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
/** Seconds a client is told to wait when a provider did not answer (the operation stays pending). */
export const PROVIDER_UNAVAILABLE_RETRY_AFTER_S = 5;

// ---- Login throttling (src/durable/login-throttle/object.ts) -----------------------
// Failures are throttled per (email, client address), never per email alone, so
// that nobody's wrong passwords lock out someone else's right one (OWASP's
// authentication cheat sheet: throttling rather than account lockout). The same
// rules apply to every email, registered or not, so a 429 reveals nothing.
/** Failures one client address may make on one email before it has to wait. */
export const LOGIN_CLIENT_FREE_FAILURES = 5;
/** The wait after the first failure past the free ones; it doubles with each further failure ... */
export const LOGIN_CLIENT_DELAY_BASE_S = 2;
/** ... up to this. */
export const LOGIN_CLIENT_DELAY_MAX_S = 15 * 60;
/** A client's failure record on an email is forgotten this long after its last failure. */
export const LOGIN_FAILURE_MEMORY_S = 60 * 60;
/** Client records one email keeps at most; past it the oldest is dropped (the email ceiling still counts). */
export const LOGIN_CLIENTS_TRACKED_MAX = 1000;
/**
 * The per-email ceiling: this many failures from all clients within the window,
 * and addresses that have not logged in to the account recently are refused
 * before their password is checked until the oldest failure leaves the window.
 * Addresses with a recent successful login (known clients) are never refused by
 * it, so the owner still logs in from a usual address during an attack.
 */
export const LOGIN_EMAIL_FAILURES_MAX = 50;
export const LOGIN_EMAIL_FAILURE_WINDOW_S = 60 * 60;
/** An address stays a known client of an account this long after its last successful login ... */
export const LOGIN_KNOWN_CLIENT_TTL_S = 30 * 24 * 60 * 60;
/** ... and an account remembers at most this many (the least recent go first). */
export const LOGIN_KNOWN_CLIENTS_MAX = 20;

/**
 * Clock skew tolerated between the signer and the verifier of a token, in each
 * time check: `exp`, `iat` not in the future, lifetime and age (src/lib/tokens.ts).
 */
export const TOKEN_CLOCK_SKEW_S = 5;
/** Seconds a client is told to wait after a rate-limit refusal (the binding's period). */
export const RATE_LIMIT_RETRY_AFTER_S = 60;

// ---- Production secrets ------------------------------------------------------------
/**
 * Each secret production refuses to start without: its shortest length and the
 * least estimated strength (src/lib/secret-strength.ts) it must show. Measured
 * minimums of random values: 32 hex characters 93 bits, 16 hex characters 35,
 * a Flutterwave key (`FLWSECK-` + 32 hex + `-X`) 153. The webhook hash is the
 * one value a person types into Flutterwave's dashboard, hence its lower bar.
 */
export const PRODUCTION_SECRET_MINIMUMS = {
  JWT_SECRET_KEY: { min_chars: 32, min_bits: 80 },
  ADMIN_API_TOKEN: { min_chars: 32, min_bits: 80 },
  FLUTTERWAVE_SECRET_KEY: { min_chars: 32, min_bits: 96 },
  FLUTTERWAVE_WEBHOOK_HASH: { min_chars: 16, min_bits: 32 },
} as const;
/**
 * The same floor for VTPASS_CALLBACK_SECRET, required only when VTpass's keys
 * are set. VTpass signs nothing (providers.md §8): this secret, the last
 * segment of the callback URL, is all that tells its callbacks from anyone's.
 */
export const VTPASS_CALLBACK_SECRET_MINIMUMS = { min_chars: 32, min_bits: 80 } as const;

// ---- Money --------------------------------------------------------------------
/** Smallest and largest funding, in kobo (N100 .. N5,000,000). */
export const FUND_MIN_MINOR = 100_00;
export const FUND_MAX_MINOR = 5_000_000_00;
/** Smallest and largest withdrawal, in kobo (N100 .. N5,000,000). */
export const WITHDRAW_MIN_MINOR = 100_00;
export const WITHDRAW_MAX_MINOR = 5_000_000_00;
/**
 * Open PENDING fundings one wallet may have at once (FUND_PENDING_MAX, counted
 * inside the Wallet's open transaction); the next is refused 409
 * `too_many_pending_fundings` until one is paid or expires. Each costs us a
 * provider checkout and a reconciler schedule, so an account cannot pile them up.
 */
export const FUND_PENDING_MAX_DEFAULT = 10;
export const FUND_PENDING_MAX_CEILING = 1_000;
/**
 * The callback page (loaded by anyone holding the page's link, as often as
 * they like) asks for a provider verification of its pending funding at most
 * once per this many milliseconds; other loads show the stored state. Webhooks
 * and the reconciler settle the funding whatever the page does.
 */
export const CALLBACK_VERIFY_INTERVAL_MS = 30_000;
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
/**
 * One alarm run starts no new provider check after this long, so a slow
 * provider cannot hold the wallet's alarm (and its retries) for minutes; the
 * rest wait for the next run. Worst case a run lasts this plus one provider
 * call with its timeout.
 */
export const RECONCILE_RUN_BUDGET_MS = 20_000;
/** Anomalies returned by one audit read (newest kept; all stay in storage). */
export const ANOMALIES_LIST_MAX = 100;

// ---- Change feed (each Wallet's `changes` table) ------------------------------
/** Changes handed to a reader in one delivery call. */
export const FEED_BATCH_MAX = 50;
/** Batches one drain delivers before leaving the rest to the next alarm. */
export const FEED_DRAIN_BATCHES_MAX = 20;
/** A failed delivery is retried after this delay, doubling per failure up to the maximum. */
export const FEED_RETRY_BASE_MS = 1_000;
export const FEED_RETRY_MAX_MS = 5 * 60 * 1000;
/** History kept after every reader acknowledged it (audits, replaying a reset reader). */
export const FEED_RETAIN_MS = 7 * 24 * 60 * 60 * 1000;
/** Changes returned by one read of the feed (audits, replays). */
export const FEED_PAGE_MAX = 1_000;
/** Acknowledged changes deleted per alarm run. */
export const FEED_PRUNE_BATCH_MAX = 500;

// ---- Providers ----------------------------------------------------------------
/**
 * Bounds of a provider call's timeout (configurable per provider). The
 * maximum stays below Flutterwave's own ~28 s gateway timeout, and two calls
 * (resolve, then create) fit well inside IDEMPOTENCY_IN_FLIGHT_LOCK_MS, so a
 * retry never takes over a request that is still talking to the provider.
 */
export const PROVIDER_TIMEOUT_MIN_MS = 100;
export const PROVIDER_TIMEOUT_MAX_MS = 25_000;
export const PROVIDER_TIMEOUT_DEFAULT_MS = 15_000;
/** Extra attempts for idempotent provider reads (GET); writes are never retried blindly. */
export const PROVIDER_READ_RETRIES = 2;
export const PROVIDER_RETRY_BASE_MS = 200;
/** Bank list cache lifetime. */
export const BANKS_CACHE_TTL_S = 6 * 60 * 60;

// ---- Webhooks and queue -------------------------------------------------------
/**
 * Largest webhook body we accept (real ones are 1-3 KiB). The raw body rides
 * in a queue message, limited to 128 KB; a string may be stored two bytes per
 * character there (UTF-16 for text outside Latin-1), so the body must stay
 * under half of it, with room for our envelope.
 */
export const WEBHOOK_BODY_MAX_BYTES = 60 * 1024;
export const QUEUE_RETRY_BASE_DELAY_S = 2;
export const QUEUE_RETRY_MAX_DELAY_S = 300;
/** Dead letters listed per page by default, at most per page, and kept at most (oldest replayed ones go first). */
export const DEAD_LETTERS_PAGE_DEFAULT = 20;
export const DEAD_LETTERS_PAGE_MAX = 100;
export const DEAD_LETTERS_KEEP_MAX = 10_000;

// ---- Watching ----------------------------------------------------------------------
/** Watch tickets are JWTs of a few hundred characters; anything longer is not one of ours. */
export const WATCH_TICKET_MAX_CHARS = 2048;
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
/**
 * Watch sockets one user, and one client address (IPv6 by /64), may hold open
 * across all rooms (WS_SOCKETS_PER_USER_MAX, WS_SOCKETS_PER_ADDRESS_MAX;
 * counted by src/durable/socket-leases/object.ts). Past either, an upgrade is refused
 * 429 `too_many_sockets` (4429 in the seed protocol). An address is shared by
 * everyone behind one NAT (common on mobile networks), hence its larger bound.
 */
export const WS_SOCKETS_PER_USER_DEFAULT = 20;
export const WS_SOCKETS_PER_ADDRESS_DEFAULT = 200;
export const WS_SOCKETS_LIMIT_CEILING = 5_000;
/**
 * A socket opened with no credential (the seed protocol, before its join
 * frame) holds its address's lease this long at most; the join then sets the
 * lease's end to the credential's expiry, and without a join the socket is
 * closed after WS_JOIN_TIMEOUT_MS anyway.
 */
export const WS_ANONYMOUS_LEASE_MS = 60_000;
/** Expired socket leases deleted per call (the rest go on the next one). */
export const SOCKET_LEASES_PURGE_BATCH_MAX = 100;
/** Seconds a watcher refused by a full room is told to wait. */
export const ROOM_FULL_RETRY_AFTER_S = 5;
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

// ---- VTpass ---------------------------------------------------------------------
/**
 * Our own airtime bounds, in kobo (N50 .. N50,000). VTpass documents none and
 * publishes per-service `minimium_amount`/`maximum_amount` at run time; the
 * effective bounds are the narrower of the two, so a catalogue that says
 * "max 1,000,000" never lets one purchase drain a wallet by a typo.
 */
export const AIRTIME_MIN_MINOR = 50_00;
export const AIRTIME_MAX_MINOR = 50_000_00;
/** Longest phone input we look at; a formatted Nigerian number is under 25 characters. */
export const PHONE_INPUT_MAX_CHARS = 32;
/**
 * VTpass `request_id`: 12 Lagos date-time digits plus a random suffix. VTpass
 * states a minimum (12) but no maximum; 36 keeps clear of any column they
 * might size for a UUID.
 */
export const VTPASS_REQUEST_ID_MAX_CHARS = 36;
/** Random suffix after the date prefix: 20 base32 characters, 100 bits. */
export const VTPASS_REQUEST_ID_SUFFIX_CHARS = 20;
/**
 * A purchase call may wait this long (VTPASS_TIMEOUT_MS's default, within
 * PROVIDER_TIMEOUT_MAX_MS). VTpass answers most purchases in a few seconds but
 * holds some while the network operator replies; past this the answer is
 * `unknown` and the purchase is re-queried, never re-sent.
 */
export const VTPASS_PAY_TIMEOUT_MS = 20_000;
/** Reads (catalogue, balance, requery) wait less: they are retried instead. */
export const VTPASS_READ_TIMEOUT_MS = 10_000;
/** Extra attempts for reads (GETs and requery); `pay` is never retried. */
export const VTPASS_READ_RETRIES = 2;
export const VTPASS_RETRY_BASE_MS = 250;
/** Largest answer body read (a data catalogue is tens of KiB); a bigger one is `unknown`. */
export const VTPASS_RESPONSE_MAX_CHARS = 512 * 1024;
/** Longest data plan code accepted (VTpass's variation codes are short slugs). */
export const VTPASS_PLAN_CODE_MAX_CHARS = 64;
/** Plans kept from one `service-variations` answer (MTN lists about a hundred). */
export const VTPASS_PLANS_MAX = 300;
/** Services kept from one `services` answer. */
export const VTPASS_SERVICES_MAX = 100;
/**
 * Catalogue cache: fresh for this long, then refreshed. VTpass announces
 * changed variation codes by callback, so the TTL only bounds how long a
 * missed announcement can mislead.
 */
export const VTPASS_CATALOGUE_TTL_S = 30 * 60;
/** A stale catalogue may be served this long after its TTL while VTpass is unreachable. */
export const VTPASS_CATALOGUE_STALE_MAX_S = 6 * 60 * 60;
/**
 * After a catalogue read fails, the same list is not asked of VTpass again for
 * this long (per isolate): requests meanwhile get the stale copy if one may be
 * served, else the failure at once. Without it, while VTpass was failing and
 * nothing was cached, every data-plan request cost a read and its retries.
 * Concurrent reads of one list share a single call (ReadThroughCache).
 */
export const VTPASS_CATALOGUE_FAILURE_TTL_S = 5;
/**
 * VTpass callbacks are unsigned hints to requery. Per request_id, a requery is
 * started at most once per this interval: the first callback is requeried at
 * once; repeats within the interval are folded into one more requery at its
 * end (so a real change announced meanwhile is still seen), and nothing else.
 */
export const VTPASS_CALLBACK_REQUERY_INTERVAL_MS = 10_000;
/**
 * Purchases VTpass failed or refused (a wrong number, an unknown plan) cost
 * the buyer nothing and us a call and a stored transaction. Past this many
 * within PURCHASE_FAILURES_WINDOW_MS (counted by the wallet when it places the
 * hold; refusals that are our trouble, such as a low float, are not counted),
 * a new purchase is refused 429 `too_many_failed_purchases` until the oldest
 * counted one leaves the window. PURCHASE_USER_LIMITER (wrangler.jsonc) bounds
 * attempts per minute; this bounds what the failures add up to over an hour.
 */
export const PURCHASE_FAILURES_MAX = 8;
export const PURCHASE_FAILURES_WINDOW_MS = 60 * 60 * 1000;
/**
 * Requery schedule for a pending purchase, by attempt (the last value
 * repeats). VTpass resolves most pending airtime within minutes, and its own
 * staff resolve the rest, so the schedule starts tight and then backs off.
 */
export const PURCHASE_REQUERY_BACKOFF_S = [10, 30, 60, 120, 300, 900, 1800, 3600] as const;
/** A provider problem of ours (float, credentials) counts as current in readiness for this long after it was last seen. */
export const PROVIDER_PROBLEM_RECENT_MS = 15 * 60 * 1000;
/** A purchase still unknown after this long is escalated to operators (never refunded on a guess). */
export const PURCHASE_ESCALATE_AFTER_MS = 24 * 60 * 60 * 1000;


// ---- Operator index and MongoDB projection: limits-operators.ts ---------------------
/** Facts in one delivery to the operator index: at most one feed batch. */
export const OPERATOR_INGEST_MAX = FEED_BATCH_MAX;
export * from "./limits-operators";
