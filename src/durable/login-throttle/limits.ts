/**
 * Login throttling's bounds (the LoginThrottle object beside this file).
 */

// ---- Login throttling (object.ts beside this file) ----------------------------------
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
