/**
 * The watch protocol, version 1: every frame a watcher and a Room exchange, as
 * zod schemas, over the wire constants the client package holds
 * (clients/typescript/src/protocol.ts). One module, imported by the Room
 * (src/durable/room/object.ts), the Worker's WebSocket route (src/routes/ws/)
 * and the browser script generator (src/pages/watch-script.ts), so none of
 * them, nor the published client, can drift apart.
 *
 * Server -> client: a union on `type` ("status" | "error"). `tx_ref` and
 * `status` stay at the top level of a status frame because the seed's clients
 * read exactly those two fields.
 *
 * Client -> server: the seed's join frame `{"tx_ref": "...", "ticket"?: "..."}`
 * (it has no `type`; `"type": "join"` may be added), and `{"type": "sync"}`,
 * which asks for the current status again. The text frame "ping" is answered
 * "pong" by the runtime itself, without waking a hibernating Room.
 */
import { z } from "zod";
import { formatMinor } from "../../domain/money";
import { STAGES } from "../../domain/flows";
import type { StatusSnapshot } from "../../domain/records";
import { TX_STATUSES, TX_TYPES } from "../../domain/transactions";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { WATCH_TICKET_MAX_CHARS } from "../../lib/limits";

// The wire constants (version, heartbeat frames, close codes) are the client's
// module, so both ends share one copy; this module adds the frames' schemas.
import { CLOSE, type CloseKind, PROTOCOL_VERSION } from "../../../clients/typescript/src/protocol";

export {
  BEARER_PROTOCOL,
  CLOSE,
  type CloseKind,
  FINAL_CLOSE_CODES,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
} from "../../../clients/typescript/src/protocol";

// ---- Server -> client ------------------------------------------------------------

export const StatusMessage = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("status"),
  tx_ref: z.string(),
  tx_type: z.enum(TX_TYPES),
  status: z.enum(TX_STATUSES),
  amount: z.string(),
  amount_minor: z.number().int(),
  currency: z.string(),
  failure_reason: z.string().nullable(),
  /** Finer state, e.g. `attempt_failed` (a card attempt failed; the checkout is still open). One of the flow tables' stages. */
  stage: z.enum(STAGES),
  /** Grows with every change of the transaction; a client may drop a frame whose version it has already seen. */
  version: z.number().int().positive(),
  updated_at: z.string(),
  /** A bill's token (electricity prepaid; a Showmax voucher) and units, in the frames from the one that delivers it. */
  token: z.string().optional(),
  units: z.string().nullable().optional(),
});
export type StatusMessage = z.infer<typeof StatusMessage>;

export const ErrorMessage = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("error"),
  code: z.enum(Object.keys(CLOSE) as [CloseKind, ...CloseKind[]]),
  message: z.string(),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

export const ServerMessage = z.discriminatedUnion("type", [StatusMessage, ErrorMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

// ---- Client -> server ------------------------------------------------------------

export const JoinFrame = z.strictObject({
  v: z.literal(PROTOCOL_VERSION).optional(),
  type: z.literal("join").optional(),
  tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS),
  ticket: z.string().min(1).max(WATCH_TICKET_MAX_CHARS).optional(),
});
export type JoinFrame = z.infer<typeof JoinFrame>;

export const SyncFrame = z.strictObject({
  v: z.literal(PROTOCOL_VERSION).optional(),
  type: z.literal("sync"),
});

/** A union on `type`, where the seed's join frame is the one without it. */
export const ClientFrame = z.union([JoinFrame, SyncFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// ---- Helpers shared by the Room, the relay and tests -------------------------------

export function statusMessageOf(snapshot: StatusSnapshot): StatusMessage {
  return {
    v: PROTOCOL_VERSION,
    type: "status",
    tx_ref: snapshot.tx_ref,
    tx_type: snapshot.type,
    status: snapshot.status,
    amount: formatMinor(snapshot.amount_minor),
    amount_minor: snapshot.amount_minor,
    currency: snapshot.currency,
    failure_reason: snapshot.failure_reason,
    stage: snapshot.stage,
    version: snapshot.version,
    updated_at: new Date(snapshot.updated_at_ms).toISOString(),
    ...(snapshot.token === undefined
      ? {}
      : { token: snapshot.token, units: snapshot.units ?? null }),
  };
}

export function errorMessageOf(kind: CloseKind, message: string): ErrorMessage {
  return { v: PROTOCOL_VERSION, type: "error", code: kind, message };
}

const encoder = new TextEncoder();

/** Size of a received frame in bytes (text frames count as UTF-8). */
export function frameBytes(frame: string | ArrayBuffer): number {
  return typeof frame === "string" ? encoder.encode(frame).byteLength : frame.byteLength;
}

export type FrameCheck =
  | { ok: true; frame: ClientFrame }
  | { ok: false; kind: "malformed_frame" | "frame_too_large"; message: string };

/** Validate one client frame: size first (before parsing anything), then JSON, then the schema. */
export function parseClientFrame(raw: string | ArrayBuffer, max_bytes: number): FrameCheck {
  if (frameBytes(raw) > max_bytes)
    return {
      ok: false,
      kind: "frame_too_large",
      message: `Frames must be at most ${max_bytes} bytes.`,
    };
  if (typeof raw !== "string")
    return { ok: false, kind: "malformed_frame", message: "Send JSON text frames." };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, kind: "malformed_frame", message: "The frame is not valid JSON." };
  }
  const parsed = ClientFrame.safeParse(data);
  if (!parsed.success)
    return {
      ok: false,
      kind: "malformed_frame",
      message: 'Expected {"tx_ref": "..."} or {"type": "sync"}.',
    };
  return { ok: true, frame: parsed.data };
}

/**
 * Close codes the WebSocket API lets us send. A peer's 1005 (no code) or 1006
 * (abnormal) cannot be sent on, so a relay replaces them.
 */
export function sendableCloseCode(
  code: number,
  fallback: number = CLOSE.internal_error.code,
): number {
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if ([1001, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code)) return code;
  return fallback;
}

/** Close a socket without throwing when it is already closing or closed. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed by the peer: nothing left to tell it.
  }
}

/** Send an error frame, then close with the matching code. */
export function refuse(ws: WebSocket, kind: CloseKind, message: string): void {
  try {
    ws.send(JSON.stringify(errorMessageOf(kind, message)));
  } catch {
    // The peer is gone; the close below is then a no-op too.
  }
  closeQuietly(ws, CLOSE[kind].code, CLOSE[kind].reason);
}
