/**
 * Room: one Durable Object per tx_ref. Watchers of one transaction connect here
 * over WebSocket and get its status live.
 *
 * Responsibilities
 * - Keep the latest status snapshot of its transaction and the owner's user id,
 *   so a late joiner gets the current state at once and nobody but the owner
 *   may watch. The Wallet's change feed delivers every version of the
 *   transaction here with `publish` (typed RPC), in order, at least once.
 * - Accept watchers with the WebSocket Hibernation API: the runtime holds the
 *   sockets, and this object can be evicted from memory between events (an idle
 *   watcher costs no CPU). The upgrade request arrives through `stub.fetch`, the
 *   one place a Durable Object is reached by fetch; the Worker has already
 *   authenticated it (src/routes/ws/).
 * - Broadcast every accepted status change to every socket; after a terminal
 *   status, close each socket with 1000 once ROOM_CLOSE_GRACE_MS has passed,
 *   driven by an alarm (alarms survive hibernation and eviction; timers don't).
 * - If a watcher comes before any snapshot (the feed has not delivered yet),
 *   ask the Wallet for the transaction and build the snapshot from it.
 *
 * Invariants
 * - The owner is set by the first snapshot and never changes.
 * - A snapshot never moves backwards: a version at or below the one held is
 *   dropped (the feed may redeliver after a crash), so watchers hear each
 *   version once, in order.
 * - Only the owner watches: every socket's user id equals the snapshot's owner.
 * - At most ROOM_SOCKETS_MAX open sockets.
 * - Nothing lives only in memory: the snapshot is in SQLite, per-socket state in
 *   each socket's attachment, deadlines in the alarm. After hibernation
 *   everything is rebuilt from `ctx.getWebSockets()` and storage.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { STAGES } from "../domain/flows";
import { snapshotOf, type StatusSnapshot } from "../domain/records";
import { TX_STATUSES, TX_TYPES } from "../domain/transactions";
import { randomBase32, txRefOwner, USER_ID_PATTERN } from "../lib/ids";
import { REQUEST_ID_MAX_CHARS, ROOM_CLOSE_GRACE_MS, ROOM_SOCKETS_MAX, WS_ATTACHMENT_MAX_BYTES, WS_FRAME_MAX_BYTES, WS_TAG_MAX_CHARS, WS_TAGS_MAX } from "../lib/limits";
import { log } from "../lib/log";
import { migrate, one, type Migration } from "../lib/sqlite";
import { CLOSE, closeQuietly, parseClientFrame, PING_FRAME, PONG_FRAME, refuse, sendableCloseCode, statusMessageOf } from "./room-protocol";

export type { StatusSnapshot } from "../domain/records";

/** A snapshot from the Wallet is internal data: a bad one is a bug, so it throws. */
const SnapshotSchema = z.strictObject({
  tx_ref: z.string().refine((v) => txRefOwner(v) !== null, "not a tx_ref"),
  owner_user_id: z.string().regex(USER_ID_PATTERN),
  type: z.enum(TX_TYPES),
  status: z.enum(TX_STATUSES),
  amount_minor: z.number().int().positive(),
  currency: z.string().min(1),
  failure_reason: z.string().nullable(),
  stage: z.enum(STAGES),
  version: z.number().int().positive(),
  updated_at_ms: z.number().int().nonnegative(),
});

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE snapshot (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         owner_user_id TEXT NOT NULL,
         body TEXT NOT NULL,
         status TEXT NOT NULL,
         updated_at_ms INTEGER NOT NULL
       )`,
    ],
  },
  {
    version: 2,
    // When this room learned of the terminal status (its own clock): the start
    // of every socket's close grace.
    statements: ["ALTER TABLE snapshot ADD COLUMN terminal_at_ms INTEGER"],
  },
];

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
} as const;

/** `direct`: the client upgraded with `?tx_ref=`; `relay`: the Worker relays the seed protocol. */
export type Via = "direct" | "relay";

const ConnectHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  user_id: z.string().regex(USER_ID_PATTERN),
  tx_ref: z.string().refine((v) => txRefOwner(v) !== null),
  via: z.enum(["direct", "relay"]),
  request_id: z.string().max(REQUEST_ID_MAX_CHARS).optional(),
});

export function roomConnectRequest(input: { tx_ref: string; user_id: string; via: Via; request_id: string }): Request {
  return new Request("https://room.internal/connect", {
    headers: {
      upgrade: "websocket",
      [ROOM_HEADERS.user_id]: input.user_id,
      [ROOM_HEADERS.tx_ref]: input.tx_ref,
      [ROOM_HEADERS.via]: input.via,
      [ROOM_HEADERS.request_id]: input.request_id,
    },
  });
}

/**
 * Refusals are bare statuses: the Worker turns them into problem documents
 * (or close codes in the seed protocol), so errors have one format and one place.
 */
export const ROOM_REFUSAL = { not_found: 404, full: 429, unavailable: 503, bad_request: 400 } as const;

// ---- Per-socket state (the attachment) ------------------------------------------------

/**
 * partyserver's layout: `lib` is this file's connection bookkeeping, `app` is
 * what the watch feature knows about the watcher. Both are tiny; the whole
 * attachment must stay under the platform's WS_ATTACHMENT_MAX_BYTES.
 */
const AttachmentSchema = z.object({
  lib: z.object({ v: z.literal(1), id: z.string(), joined_at_ms: z.number().int(), tags: z.array(z.string()) }),
  app: z.object({ user_id: z.string(), via: z.enum(["direct", "relay"]) }),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const WATCHER_TAG = "watcher";

/** Tags as the platform documents them: at most WS_TAGS_MAX, each 1..WS_TAG_MAX_CHARS characters. */
export function checkTags(tags: string[]): string[] {
  if (tags.length > WS_TAGS_MAX) throw new Error(`a socket may have at most ${WS_TAGS_MAX} tags`);
  for (const tag of tags) {
    if (tag.length === 0 || tag.length > WS_TAG_MAX_CHARS) throw new Error(`a tag must be 1..${WS_TAG_MAX_CHARS} characters`);
  }
  return tags;
}

function attach(ws: WebSocket, attachment: Attachment): void {
  const size = JSON.stringify(attachment).length;
  if (size > WS_ATTACHMENT_MAX_BYTES) throw new Error(`attachment of ${size} bytes exceeds ${WS_ATTACHMENT_MAX_BYTES}`);
  ws.serializeAttachment(attachment);
}

export function attachmentOf(ws: WebSocket): Attachment | null {
  const parsed = AttachmentSchema.safeParse(ws.deserializeAttachment());
  return parsed.success ? parsed.data : null;
}

function isTerminal(status: StatusSnapshot["status"]): boolean {
  return status !== "PENDING";
}

// ---- The object ------------------------------------------------------------------

export class Room extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
    // Heartbeats are answered by the runtime without waking the object; this
    // must be set on every start because it is not persisted.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  // ==== Snapshot ==================================================================

  private row(): { snapshot: StatusSnapshot; terminal_at_ms: number | null } | null {
    const row = one(this.ctx.storage.sql.exec<{ body: string; terminal_at_ms: number | null }>("SELECT body, terminal_at_ms FROM snapshot WHERE id = 1"));
    return row ? { snapshot: JSON.parse(row.body) as StatusSnapshot, terminal_at_ms: row.terminal_at_ms } : null;
  }

  private current(): StatusSnapshot | null {
    return this.row()?.snapshot ?? null;
  }

  private storedBody(): string | null {
    return one(this.ctx.storage.sql.exec<{ body: string }>("SELECT body FROM snapshot WHERE id = 1"))?.body ?? null;
  }

  /**
   * Apply the never-backwards rules and store. `accepted` is publish's answer
   * (unchanged from before this file gained sockets); `changed` says whether
   * watchers have anything new to hear (a repeat of the same body is not news).
   */
  private record(snapshot: StatusSnapshot, now_ms: number): { accepted: boolean; changed: boolean } {
    const existing = this.current();
    if (existing) {
      if (existing.owner_user_id !== snapshot.owner_user_id) throw new Error("room owner cannot change");
      if (existing.tx_ref !== snapshot.tx_ref) throw new Error("room tx_ref cannot change");
      // The Wallet is the only writer and bumps the version on every change: an
      // older or equal version is a redelivery (or a late recovery read).
      if (snapshot.version <= (existing.version ?? 0)) return { accepted: false, changed: false };
    }
    const body = JSON.stringify(snapshot);
    const changed = this.storedBody() !== body;
    this.ctx.storage.sql.exec(
      `INSERT INTO snapshot (id, owner_user_id, body, status, updated_at_ms, terminal_at_ms) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status, updated_at_ms = excluded.updated_at_ms,
         terminal_at_ms = COALESCE(snapshot.terminal_at_ms, excluded.terminal_at_ms)`,
      snapshot.owner_user_id,
      body,
      snapshot.status,
      snapshot.updated_at_ms,
      isTerminal(snapshot.status) ? now_ms : null,
    );
    return { accepted: true, changed };
  }

  /** Record a new version; returns whether it was newer than what we had. Watchers hear every new version. */
  async publish(snapshot: StatusSnapshot): Promise<boolean> {
    const valid = SnapshotSchema.parse(snapshot) as StatusSnapshot;
    const { accepted, changed } = this.record(valid, Date.now());
    if (changed) {
      this.broadcast(this.current()!);
      if (isTerminal(valid.status)) await this.armCloseAlarm();
    }
    return accepted;
  }

  async snapshot(): Promise<StatusSnapshot | null> {
    return this.current();
  }

  /** Watchers currently connected (open sockets). */
  async watcherCount(): Promise<number> {
    return this.openSockets().length;
  }

  /** The snapshot, or the Wallet's view of the transaction when no publish ever reached us. */
  private async snapshotOrRecover(tx_ref: string): Promise<{ ok: true; snapshot: StatusSnapshot | null } | { ok: false }> {
    const existing = this.current();
    if (existing) return { ok: true, snapshot: existing };
    const owner = txRefOwner(tx_ref);
    if (!owner) return { ok: true, snapshot: null };
    let tx;
    try {
      tx = await this.env.WALLET.getByName(owner).getTransaction(tx_ref);
    } catch (error) {
      log.warn("room could not ask the wallet", { tx_ref, error });
      return { ok: false };
    }
    if (!tx) return { ok: true, snapshot: null };
    // Through the same rules: a publish may have arrived while we were asking.
    const { changed } = this.record(snapshotOf(owner, tx), Date.now());
    if (changed && isTerminal(tx.status)) await this.armCloseAlarm();
    return { ok: true, snapshot: this.current() };
  }

  // ==== Sockets ====================================================================

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN);
  }

  private broadcast(snapshot: StatusSnapshot): void {
    const frame = JSON.stringify(statusMessageOf(snapshot));
    for (const ws of this.openSockets()) {
      try {
        ws.send(frame);
      } catch (error) {
        // One broken socket must not stop the others from hearing the news.
        log.warn("room send failed", { tx_ref: snapshot.tx_ref, error });
      }
    }
  }

  /**
   * The WebSocket upgrade, forwarded by the Worker after it authenticated the
   * watcher. Answers 101 with the current status already queued on the socket,
   * or a bare refusal status.
   */
  override async fetch(request: Request): Promise<Response> {
    const parsed = ConnectHeaders.safeParse({
      upgrade: request.headers.get("upgrade") ?? "",
      user_id: request.headers.get(ROOM_HEADERS.user_id) ?? "",
      tx_ref: request.headers.get(ROOM_HEADERS.tx_ref) ?? "",
      via: request.headers.get(ROOM_HEADERS.via) ?? "",
      request_id: request.headers.get(ROOM_HEADERS.request_id) ?? undefined,
    });
    if (!parsed.success) {
      // Only our Worker reaches this method; a malformed request is a bug there.
      log.error("room: malformed connect request", { issues: parsed.error.issues.map((i) => i.path.join(".")) });
      return new Response(null, { status: ROOM_REFUSAL.bad_request });
    }
    const { user_id, tx_ref, via, request_id } = parsed.data;

    const found = await this.snapshotOrRecover(tx_ref);
    if (!found.ok) return new Response(null, { status: ROOM_REFUSAL.unavailable });
    const snapshot = found.snapshot;
    // Not the owner looks exactly like no such transaction: no existence oracle.
    if (!snapshot || snapshot.owner_user_id !== user_id) return new Response(null, { status: ROOM_REFUSAL.not_found });
    if (snapshot.tx_ref !== tx_ref) throw new Error(`room ${snapshot.tx_ref} reached as ${tx_ref}`);

    // Counted and accepted with no await in between, so concurrent joins cannot overshoot.
    if (this.openSockets().length >= ROOM_SOCKETS_MAX) {
      log.warn("room full", { request_id, tx_ref, limit: ROOM_SOCKETS_MAX });
      return new Response(null, { status: ROOM_REFUSAL.full });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now_ms = Date.now();
    const tags = checkTags([WATCHER_TAG, `via:${via}`]);
    this.ctx.acceptWebSocket(server, tags);
    attach(server, { lib: { v: 1, id: randomBase32(12), joined_at_ms: now_ms, tags }, app: { user_id, via } });
    // Queued before the 101 leaves, so the first thing a watcher reads is the current status.
    server.send(JSON.stringify(statusMessageOf(snapshot)));
    if (isTerminal(snapshot.status)) await this.armCloseAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Client frames: validated, then answered. Heartbeats never get here (auto-response). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const checked = parseClientFrame(message, WS_FRAME_MAX_BYTES);
    if (!checked.ok) return refuse(ws, checked.kind, checked.message);
    const snapshot = this.current();
    if (!snapshot) {
      // A socket exists only after a snapshot did, and snapshots are never deleted.
      log.error("room: socket without a snapshot");
      return refuse(ws, "internal_error", "The room lost its state.");
    }
    const frame = checked.frame;
    // A join frame on an already joined socket (old clients send it even with
    // ?tx_ref=) is a request for the status, if it names this room.
    if ("tx_ref" in frame && frame.tx_ref !== snapshot.tx_ref) {
      return refuse(ws, "malformed_frame", "This socket watches another tx_ref.");
    }
    ws.send(JSON.stringify(statusMessageOf(snapshot)));
  }

  /**
   * The watcher left: finish the closing handshake. The runtime's automatic
   * reply (web_socket_auto_reply_to_close) does not cover hibernatable sockets
   * in the runtime we run on (a test proves the client's close completes), and
   * a second close is ignored where it does. Nothing else to clean up: no
   * state lives in memory.
   */
  override async webSocketClose(ws: WebSocket, code: number, reason: string, _wasClean: boolean): Promise<void> {
    closeQuietly(ws, sendableCloseCode(code, CLOSE.settled.code), reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("room socket error", { tx_ref: this.current()?.tx_ref, error });
    closeQuietly(ws, CLOSE.internal_error.code, CLOSE.internal_error.reason);
  }

  // ==== Closing after a terminal status ============================================

  /** When this socket's grace ends: from the settlement, or from its own join if later. */
  private closeAt(ws: WebSocket, terminal_at_ms: number): number {
    const joined_at_ms = attachmentOf(ws)?.lib.joined_at_ms ?? 0;
    return Math.max(terminal_at_ms, joined_at_ms) + ROOM_CLOSE_GRACE_MS;
  }

  /** Make sure an alarm fires by the earliest pending close (never later than needed). */
  private async armCloseAlarm(): Promise<void> {
    const terminal_at_ms = this.row()?.terminal_at_ms;
    if (terminal_at_ms === null || terminal_at_ms === undefined) return;
    const sockets = this.openSockets();
    if (sockets.length === 0) return;
    const due_ms = Math.min(...sockets.map((ws) => this.closeAt(ws, terminal_at_ms)));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due_ms) await this.ctx.storage.setAlarm(due_ms);
  }

  /** Close every socket whose grace is over with 1000; re-arm for the rest. Safe to run twice. */
  override async alarm(): Promise<void> {
    const terminal_at_ms = this.row()?.terminal_at_ms;
    if (terminal_at_ms === null || terminal_at_ms === undefined) return;
    const now_ms = Date.now();
    let next_ms: number | null = null;
    for (const ws of this.openSockets()) {
      const close_at_ms = this.closeAt(ws, terminal_at_ms);
      if (close_at_ms <= now_ms) closeQuietly(ws, CLOSE.settled.code, CLOSE.settled.reason);
      else next_ms = next_ms === null ? close_at_ms : Math.min(next_ms, close_at_ms);
    }
    if (next_ms !== null) await this.ctx.storage.setAlarm(next_ms);
  }
}
