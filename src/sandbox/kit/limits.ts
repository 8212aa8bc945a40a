/**
 * Bounds of the sandbox kit, shared by every provider look-alike. They live
 * here rather than in src/lib/limits.ts because the sandbox is the outside
 * world, not our service: nothing in production reads them.
 */

/** How long `hang` faults hold the answer before a gateway error, like a provider's own gateway timeout (~28 s). */
export const HANG_MS = 30_000;

/**
 * How long a `slow_body` fault takes to send its whole body, and in how many
 * pieces: past HANG_MS and past any test's own timeout, so a client that does
 * not bound its body read is caught by its test failing.
 */
export const SLOW_BODY_MS = 45_000;
export const SLOW_BODY_CHUNKS = 9;

/** Providers give a webhook endpoint about a minute to answer (Flutterwave: 60 s); so does the sandbox. */
export const WEBHOOK_TIMEOUT_MS = 60_000;

/** Faults armed at once; arming more is refused until some are consumed or cleared. */
export const FAULTS_MAX = 500;
/** Largest `times` for one fault. */
export const FAULT_TIMES_MAX = 100;
/** Longest `match` substring of a fault (and of a request-count query). */
export const FAULT_MATCH_MAX_CHARS = 200;

/** Delivery records kept; older ones are pruned on insert. */
export const DELIVERIES_KEPT_MAX = 2_000;
/** Delivery records returned by one `GET __control/deliveries`. */
export const DELIVERIES_LIST_MAX = 50;
/** Largest webhook body kept in a delivery record (bodies are about 1 KiB). */
export const DELIVERY_BODY_MAX_CHARS = 8 * 1024;
/** Part of a merchant's answer a `judge` reads (VTpass wants `{"response":"success"}`, a few bytes). */
export const DELIVERY_ANSWER_MAX_CHARS = 1024;

/** Requests remembered for counting (per look-alike); older ones are pruned on insert. */
export const REQUESTS_KEPT_MAX = 5_000;
/** Part of each request (path, query, body) kept to match counts against. */
export const REQUEST_HAYSTACK_MAX_CHARS = 2 * 1024;
/** Recent matching requests listed by one `GET __control/requests`. */
export const REQUESTS_LIST_MAX = 50;
