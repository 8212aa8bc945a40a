/**
 * The watch protocol's wire constants, version 1: the one module both ends
 * import. The API's Room, its WebSocket route and its status pages' browser
 * script import it from here (through src/durable/room/protocol.ts, which adds
 * the frames' schemas), and this client's watcher uses it, so the two ends
 * cannot drift apart. It lives in the client package because the published
 * client must carry it, and it imports nothing, so the API's bundle takes it
 * as it is.
 */

export const PROTOCOL_VERSION = 1;

/** Heartbeat text frames (not JSON): the server's runtime answers "ping" with "pong" without waking the room. */
export const PING_FRAME = "ping";
export const PONG_FRAME = "pong";

/** The subprotocol that carries an access token where headers cannot (browsers): `["bearer", token]`. */
export const BEARER_PROTOCOL = "bearer";

/**
 * Close codes. 1000 is the normal close after a terminal status; the 44xx codes
 * mirror the HTTP status a plain request would have had, so a client that knows
 * HTTP can read them. A client should not reconnect after 4400, 4401, 4404 or
 * 4413 (the same request would fail again); after 4429, 1011 or an abnormal
 * close it may retry with backoff. 4001 is the end of the credential the socket
 * was opened with (the access token's or watch ticket's `exp`): not an error,
 * and the client reconnects at once with a fresh token or ticket.
 */
export const CLOSE = {
  settled: { code: 1000, reason: "transaction settled" },
  credential_expired: { code: 4001, reason: "credential expired" },
  internal_error: { code: 1011, reason: "internal error" },
  malformed_frame: { code: 4400, reason: "malformed frame" },
  unauthorized: { code: 4401, reason: "unauthorized" },
  unknown_tx_ref: { code: 4404, reason: "unknown tx_ref" },
  join_timeout: { code: 4408, reason: "join timeout" },
  frame_too_large: { code: 4413, reason: "frame too large" },
  room_full: { code: 4429, reason: "room full" },
  /** The user or the client address holds the most sockets allowed (seed protocol; a direct upgrade gets a 429). */
  too_many_sockets: { code: 4429, reason: "too many sockets" },
} as const satisfies Record<string, { code: number; reason: string }>;
export type CloseKind = keyof typeof CLOSE;

/** Close codes after which retrying the same request cannot succeed. */
export const FINAL_CLOSE_CODES: readonly number[] = [
  CLOSE.malformed_frame.code,
  CLOSE.unauthorized.code,
  CLOSE.unknown_tx_ref.code,
  CLOSE.frame_too_large.code,
];
