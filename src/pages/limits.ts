/**
 * The status pages' browser script: how it reconnects, pings and is cached.
 */

// ---- The browser script ------------------------------------------------------------
/** Browser watcher (watch.js): reconnect backoff while PENDING, and its bound. */
export const WATCH_RECONNECT_BASE_MS = 1_000;
export const WATCH_RECONNECT_MAX_MS = 30_000;
export const WATCH_RECONNECT_ATTEMPTS_MAX = 20;
/** Browser watcher: a "ping" text frame this often keeps idle proxies from dropping the socket. */
export const WATCH_PING_INTERVAL_MS = 30_000;
/** Browser cache lifetime of watch.js: short, since it carries protocol constants a deploy may change. */
export const WATCH_SCRIPT_MAX_AGE_S = 300;
