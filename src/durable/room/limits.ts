/**
 * Realtime's bounds: a Room's sockets, frames, tags and attachments, the join
 * handshake, and the socket leases each user and client address may hold.
 */

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
