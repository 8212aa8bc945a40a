/**
 * Platform and HTTP bounds, and the bounds of configuration: what every part of
 * the Worker shares (request bodies, identifiers, tokens, secrets, the queue,
 * dead letters, provider timeouts as configuration allows them). Each part of
 * the product keeps its own bounds beside it (domain/limits.ts for the
 * product's policy, durable/<object>/limits.ts, providers/<vendor>/limits.ts,
 * projection/limits.ts, pages/limits.ts); test/lib/limits.test.ts checks the
 * relations between them. TigerBeetle style: each queue, batch, loop, list and
 * cache has a named upper bound, units are the last word of each name, and
 * tests import these constants rather than repeating the numbers.
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
/**
 * argon2id hashes (registration, login) in flight at once in one isolate. Each
 * holds 19 MiB (ARGON2_PARAMS) against the isolate's 128 MB, and a burst of
 * concurrent logins once restarted the development runtime (src/lib/password.ts).
 */
export const ARGON2_CONCURRENT_MAX = 2;
/**
 * Requests waiting for one of those slots, in arrival order; each waits holding
 * a few hundred bytes, not a hash's memory. Past this many the request is
 * answered 503 with Retry-After at once, before any hashing or login counting.
 * The longest wait is about ARGON2_WAITERS_MAX / ARGON2_CONCURRENT_MAX hash
 * times (a hash takes about a quarter of a second): some 4 s.
 */
export const ARGON2_WAITERS_MAX = 32;
/** Retry-After of that 503: the queue drains ARGON2_CONCURRENT_MAX hashes a quarter second. */
export const ARGON2_BUSY_RETRY_AFTER_S = 1;
/**
 * A waiter checks for a free slot this often. Polled, not handed over: the
 * runtime cancels a request that waits on nothing of its own (a promise only
 * another request could resolve), and the timer is its own.
 */
export const ARGON2_WAIT_POLL_MS = 10;
/**
 * A slot held longer than this, or a waiter silent longer than the other, is
 * counted as gone: the runtime may drop a request whose client went away
 * without running its `finally`, and a leaked slot must not close login for
 * the isolate's life. Both are far beyond a hash (about a quarter second).
 */
export const ARGON2_SLOT_LEASE_MS = 10_000;
export const ARGON2_WAITER_SILENT_MS = 2_000;
/** Seconds a client is told to wait when a provider did not answer (the operation stays pending). */
export const PROVIDER_UNAVAILABLE_RETRY_AFTER_S = 5;

// ---- Tokens and rate limits --------------------------------------------------------
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
 * are set. VTpass signs nothing (docs/providers.md, §VTpass callbacks): this secret, the last
 * segment of the callback URL, is all that tells its callbacks from anyone's.
 */
export const VTPASS_CALLBACK_SECRET_MINIMUMS = { min_chars: 32, min_bits: 80 } as const;
/**
 * The floor for IDENTITY_HASH_KEY (src/lib/config-identity.ts). Higher than the
 * others' bits: the hash stands for an 11-digit number, a space small enough
 * to walk, so the key is the only thing between a leaked table and the numbers.
 */
export const IDENTITY_HASH_KEY_MINIMUMS = { min_chars: 32, min_bits: 96 } as const;

// ---- Provider calls (configuration's bounds) -------------------------------------
/**
 * Bounds of a provider call's timeout (configurable per provider). The
 * maximum stays below Flutterwave's own ~28 s gateway timeout, and two calls
 * (resolve, then create) fit well inside IDEMPOTENCY_IN_FLIGHT_LOCK_MS, so a
 * retry never takes over a request that is still talking to the provider.
 */
export const PROVIDER_TIMEOUT_MIN_MS = 100;
export const PROVIDER_TIMEOUT_MAX_MS = 25_000;
export const PROVIDER_TIMEOUT_DEFAULT_MS = 15_000;
/** An identity lookup (IDENTITY_TIMEOUT_MS): a user waits on it, so shorter than a payment call. */
export const IDENTITY_TIMEOUT_DEFAULT_MS = 10_000;

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

// ---- Watch sockets (configuration's defaults) --------------------------------------
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

// ---- Operator index shards (configuration's default) --------------------------------
/**
 * OPERATOR_INDEX_SHARDS: how many Durable Objects hold the operator index and
 * the users index (Operations objects, src/durable/operations/). Each wallet change reaches
 * one shard, by its tx_ref's hash, in a batch per drain; a Durable Object
 * takes on the order of 1,000 requests a second, so 16 shards keep the
 * index far from being what limits the product's write rate, while the
 * readers (the operator view, the metrics, the users listing, all behind the
 * admin token) ask 16 objects. The count is fixed once the index holds data:
 * the shards record it and refuse another (docs/operations.md, Configuration).
 */
export const OPERATOR_INDEX_SHARDS_DEFAULT = 16;
export const OPERATOR_INDEX_SHARDS_MAX = 128;

// ---- Operators' acts (four eyes) ------------------------------------------------------
/**
 * OPS_DUAL_CONTROL_MINOR: an operator's credit above this (kobo) waits for a
 * second operator's approval; at or below it, it executes at once (audited).
 * Default NGN 50,000; at most NGN 10,000,000, so no configuration can wave
 * large credits through on one person's word.
 */
export const OPS_DUAL_CONTROL_MINOR_DEFAULT = 50_000_00;
export const OPS_DUAL_CONTROL_MINOR_MAX = 10_000_000_00;
/** Largest daily limit or balance cap KYC_TIERS may name, in kobo: the largest balance a wallet may hold (src/domain/limits.ts BALANCE_MAX_MINOR). */
export const KYC_LIMIT_MINOR_MAX = 1_000_000_000_00;
/** OPS_PROPOSAL_TTL_S: how long a proposal waits for approval (default 24 h, 1 s to 7 days). */
export const OPS_PROPOSAL_TTL_S_DEFAULT = 24 * 60 * 60;
export const OPS_PROPOSAL_TTL_S_MIN = 1;
export const OPS_PROPOSAL_TTL_S_MAX = 7 * 24 * 60 * 60;
/** BENEFICIARIES_MAX: saved recipients per user (default 50; at most 500, one page of the list). */
export const BENEFICIARIES_MAX_DEFAULT = 50;
export const BENEFICIARIES_MAX_CEILING = 500;
/** SCHEDULE_SKIPS_MAX: consecutive skipped runs before a schedule pauses itself (default 3, at most 30). */
export const SCHEDULE_SKIPS_MAX_DEFAULT = 3;
export const SCHEDULE_SKIPS_MAX_CEILING = 30;
/** BULK_LINES_MAX: lines in one bulk top-up (default 500, at most 5,000). */
export const BULK_LINES_MAX_DEFAULT = 500;
export const BULK_LINES_MAX_CEILING = 5_000;
/** A bulk top-up's body (POST /wallet/bulk): 500 lines of CSV fit in well under this. */
export const BULK_BODY_MAX_BYTES = 256 * 1024;
/** Lines of a batch per page (GET /wallet/bulk/{batch_id}, and each read of results.csv). */
export const BULK_LINES_PAGE_MAX = 500;

// ---- VTpass timeouts (configuration's defaults) --------------------------------------
/**
 * A purchase call may wait this long (VTPASS_TIMEOUT_MS's default, within
 * PROVIDER_TIMEOUT_MAX_MS). VTpass answers most purchases in a few seconds but
 * holds some while the network operator replies; past this the answer is
 * `unknown` and the purchase is re-queried, never re-sent.
 */
export const VTPASS_PAY_TIMEOUT_MS = 20_000;
/** Reads (catalogue, balance, requery) wait less: they are retried instead. */
export const VTPASS_READ_TIMEOUT_MS = 10_000;

// ---- Request metrics -----------------------------------------------------------------
/** Analytics Engine accepts an index of at most 96 bytes; longer route patterns are cut. */
export const ANALYTICS_INDEX_MAX_BYTES = 96;

// ---- MongoDB timeouts (configuration's defaults) ------------------------------------
/** How long the driver looks for a usable server before an operation fails (Cloudflare's suggested 5 s). */
export const MONGO_SERVER_SELECTION_TIMEOUT_MS = 5_000;
/**
 * One `project()` (or `ping()`, `documents()`) call, every round trip and any
 * connection set-up included: the one bound on a server that hangs. Past it
 * the call answers "unavailable" and the client is dropped; the caller retries
 * the whole batch, which the version guard makes safe.
 */
export const MONGO_BATCH_TIMEOUT_MS = 10_000;

// ---- Operators behind Cloudflare Access (src/lib/operator-access.ts) ----------------

/**
 * Clock tolerance when checking an Access token's `exp` and `nbf`: Cloudflare's
 * clocks and ours may differ by a little, never by minutes.
 */
export const ACCESS_CLOCK_TOLERANCE_S = 30;
/** How long fetching the team's signing keys (the JWKS) may take before the request is refused. */
export const ACCESS_JWKS_TIMEOUT_MS = 5_000;
/**
 * Longest Access token read (header or cookie), in characters. Cloudflare's
 * tokens are about 1-2 KB even with many groups; anything far longer is refused
 * before it is parsed.
 */
export const ACCESS_JWT_MAX_CHARS = 16_384;
/** Most `OPS_ROLES` entries (emails and groups) accepted: a role map, not a directory. */
export const OPS_ROLES_MAX_ENTRIES = 500;
/**
 * Team domains whose signing keys are kept per isolate. Production has one; in
 * development the look-alike's domain follows the request's origin, so a few
 * may meet in one isolate. Beyond this the oldest is dropped (keys refetch).
 */
export const ACCESS_JWKS_CACHE_MAX = 8;
