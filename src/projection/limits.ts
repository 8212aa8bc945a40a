/**
 * The MongoDB projection's bounds: the driver's pool and timeouts, batches,
 * lanes, the projector's backoff, and the consistency check.
 */

// ---- MongoDB projection -----------------------------------------------------------
/**
 * One socket per MongoProjector object (Cloudflare's guidance for a client held
 * in a Durable Object): the object serialises its own writes, and Atlas counts
 * connections per cluster. The driver's monitor keeps one more socket of its own.
 */
export const MONGO_POOL_MAX = 1;
/** No socket is kept open for its own sake; an evicted or hibernated object loses it anyway. */
export const MONGO_POOL_MIN = 0;
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
/**
 * Calls one projector object holds at once, running or waiting their turn
 * (it runs them one at a time: one socket, and a batch timeout that starts
 * with the call's turn, not while it queues). Past this a call is answered
 * "unavailable" at once, with MONGO_BUSY_RETRY_AFTER_MS: back-pressure on the
 * wallets' feeds instead of a line that grows without bound.
 */
export const MONGO_PROJECTOR_CALLS_MAX = 64;
export const MONGO_BUSY_RETRY_AFTER_MS = 1_000;
/** What a projector asks its caller to wait after a configuration problem. */
export const MONGO_MISCONFIGURED_RETRY_AFTER_MS = 5 * 60_000;
/** Closing a dropped client waits at most this long (its server may be the thing that hangs). */
export const MONGO_CLOSE_TIMEOUT_MS = 1_000;
/**
 * Projector objects the wallets are spread over, by a hash of the user id.
 * One object serialises its writes over one socket; a few lanes let wallets
 * project in parallel while keeping Atlas's connection count small (each lane
 * holds one socket plus the driver's monitor). A wallet always uses the same
 * lane, so its changes reach MongoDB in order.
 */
export const PROJECTION_LANES = 4;
/** Transactions one consistency check compares (it pages through them); past this it says it stopped short. */
export const PROJECTION_CHECK_TRANSACTIONS_MAX = 10_000;
/** Differences one consistency check lists; past this it counts them only. */
export const PROJECTION_CHECK_DIFFERENCES_MAX = 100;
