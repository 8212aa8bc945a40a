/**
 * VTpass tuning: request ids, retries, answer sizes, the catalogue's cache.
 * (How often a callback may start a requery is ProviderRefs' bound:
 * src/durable/provider-refs/limits.ts.)
 */

// ---- VTpass ---------------------------------------------------------------------
/**
 * VTpass `request_id`: 12 Lagos date-time digits plus a random suffix. VTpass
 * states a minimum (12) but no maximum; 36 keeps clear of any column they
 * might size for a UUID.
 */
export const VTPASS_REQUEST_ID_MAX_CHARS = 36;
/** Random suffix after the date prefix: 20 base32 characters, 100 bits. */
export const VTPASS_REQUEST_ID_SUFFIX_CHARS = 20;
/** Extra attempts for reads (GETs and requery); `pay` is never retried. */
export const VTPASS_READ_RETRIES = 2;
export const VTPASS_RETRY_BASE_MS = 250;
/** Largest answer body read (a data catalogue is tens of KiB); a bigger one is `unknown`. */
export const VTPASS_RESPONSE_MAX_CHARS = 512 * 1024;
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
 * A meter's or smartcard's verification (merchant-verify) is kept this long
 * per (service, number, type): long enough that verify-then-pay costs one
 * VTpass call, short enough that a changed bouquet or a disconnected meter
 * shows soon.
 */
export const VTPASS_VERIFY_TTL_S = 5 * 60;
/** Verifications kept per isolate (the cache drops the oldest beyond this). */
export const VTPASS_VERIFY_CACHE_MAX = 500;
/** Longest token or voucher we keep from an answer; an STS token is 20 digits, a voucher 15 characters. */
export const VTPASS_TOKEN_MAX_CHARS = 64;
/** Longest customer field (name, address, bouquet) we keep from a verification. */
export const VTPASS_VERIFY_TEXT_MAX_CHARS = 200;
