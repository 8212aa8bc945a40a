/**
 * What the Worker hands a Room with a watcher, and what the Room keeps per
 * socket: the upgrade request's headers and the socket's attachment.
 */
import { z } from "zod";
import { BATCH_ID_PATTERN, txRefOwner, USER_ID_PATTERN } from "../../lib/ids";
import { WS_ATTACHMENT_MAX_BYTES, WS_TAG_MAX_CHARS, WS_TAGS_MAX } from "./limits";
import { REQUEST_ID_MAX_CHARS } from "../../lib/limits";

// ---- The Worker -> Room upgrade request ------------------------------------------------

/**
 * How the Worker tells the Room who is connecting. Only our Worker holds the
 * ROOM binding, so these headers are trusted; it builds the request from
 * scratch, so a client's own headers never reach here.
 */
export const ROOM_HEADERS = {
  user_id: "x-room-user-id",
  tx_ref: "x-room-tx-ref",
  via: "x-room-via",
  request_id: "x-request-id",
  expires_at_ms: "x-room-expires-at-ms",
  lease_id: "x-room-lease-id",
  lease_keys: "x-room-lease-keys",
} as const;

/** `direct`: the client upgraded with `?tx_ref=`; `relay`: the Worker relays the seed protocol. */
export type Via = "direct" | "relay";

/**
 * The socket leases (src/durable/socket-leases/object.ts) the Worker took for this
 * socket, which the Room gives back when it ends. None on the relay's socket:
 * the relay holds the client's leases itself.
 */
export type SocketLease = { id: string; keys: string[] };

const LEASE_KEYS_MAX = 4;

export const ConnectHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  user_id: z.string().regex(USER_ID_PATTERN),
  // A tx_ref, or a batch id (its Room: ./batch.ts).
  tx_ref: z.string().refine((v) => txRefOwner(v) !== null || BATCH_ID_PATTERN.test(v)),
  via: z.enum(["direct", "relay"]),
  request_id: z.string().max(REQUEST_ID_MAX_CHARS).optional(),
  /** When the watcher's credential expires: the socket is closed then (4001). */
  expires_at_ms: z.coerce.number().int().positive(),
  lease_id: z.string().min(1).max(64).optional(),
  lease_keys: z.string().max(512).optional(),
});
export type ConnectInput = {
  tx_ref: string;
  user_id: string;
  via: Via;
  request_id: string;
  expires_at_ms: number;
  lease?: SocketLease;
};

export function roomConnectRequest(input: ConnectInput): Request {
  const headers: Record<string, string> = {
    upgrade: "websocket",
    [ROOM_HEADERS.user_id]: input.user_id,
    [ROOM_HEADERS.tx_ref]: input.tx_ref,
    [ROOM_HEADERS.via]: input.via,
    [ROOM_HEADERS.request_id]: input.request_id,
    [ROOM_HEADERS.expires_at_ms]: String(input.expires_at_ms),
  };
  if (input.lease) {
    headers[ROOM_HEADERS.lease_id] = input.lease.id;
    headers[ROOM_HEADERS.lease_keys] = input.lease.keys.join(" ");
  }
  return new Request("https://room.internal/connect", { headers });
}

export function connectHeadersOf(request: Request) {
  return ConnectHeaders.safeParse({
    upgrade: request.headers.get("upgrade") ?? "",
    user_id: request.headers.get(ROOM_HEADERS.user_id) ?? "",
    tx_ref: request.headers.get(ROOM_HEADERS.tx_ref) ?? "",
    via: request.headers.get(ROOM_HEADERS.via) ?? "",
    request_id: request.headers.get(ROOM_HEADERS.request_id) ?? undefined,
    expires_at_ms: request.headers.get(ROOM_HEADERS.expires_at_ms) ?? "",
    lease_id: request.headers.get(ROOM_HEADERS.lease_id) ?? undefined,
    lease_keys: request.headers.get(ROOM_HEADERS.lease_keys) ?? undefined,
  });
}

/** The lease named by the headers, if any. */
export function leaseOf(headers: { lease_id?: string; lease_keys?: string }): SocketLease | null {
  if (!headers.lease_id || !headers.lease_keys) return null;
  const keys = headers.lease_keys.split(" ").filter(Boolean).slice(0, LEASE_KEYS_MAX);
  return keys.length > 0 ? { id: headers.lease_id, keys } : null;
}

/**
 * Refusals are bare statuses: the Worker turns them into problem documents
 * (or close codes in the seed protocol), so errors have one format and one place.
 */
export const ROOM_REFUSAL = {
  not_found: 404,
  full: 429,
  unavailable: 503,
  bad_request: 400,
} as const;

// ---- Per-socket state (the attachment) ------------------------------------------------

/**
 * partyserver's layout: `lib` is the Room's connection bookkeeping, `app` is
 * what the watch feature knows about the watcher. Both are tiny; the whole
 * attachment must stay under the platform's WS_ATTACHMENT_MAX_BYTES.
 */
const AttachmentSchema = z.object({
  lib: z.object({
    v: z.literal(1),
    id: z.string(),
    joined_at_ms: z.number().int(),
    tags: z.array(z.string()),
  }),
  app: z.object({
    user_id: z.string(),
    via: z.enum(["direct", "relay"]),
    expires_at_ms: z.number().int(),
    lease: z.object({ id: z.string(), keys: z.array(z.string()) }).nullable(),
  }),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const WATCHER_TAG = "watcher";

/** Tags as the platform documents them: at most WS_TAGS_MAX, each 1..WS_TAG_MAX_CHARS characters. */
export function checkTags(tags: string[]): string[] {
  if (tags.length > WS_TAGS_MAX) throw new Error(`a socket may have at most ${WS_TAGS_MAX} tags`);
  for (const tag of tags) {
    if (tag.length === 0 || tag.length > WS_TAG_MAX_CHARS)
      throw new Error(`a tag must be 1..${WS_TAG_MAX_CHARS} characters`);
  }
  return tags;
}

export function attach(ws: WebSocket, attachment: Attachment): void {
  const size = JSON.stringify(attachment).length;
  if (size > WS_ATTACHMENT_MAX_BYTES)
    throw new Error(`attachment of ${size} bytes exceeds ${WS_ATTACHMENT_MAX_BYTES}`);
  ws.serializeAttachment(attachment);
}

export function attachmentOf(ws: WebSocket): Attachment | null {
  const parsed = AttachmentSchema.safeParse(ws.deserializeAttachment());
  return parsed.success ? parsed.data : null;
}
