/**
 * Room: one Durable Object per tx_ref (or per bulk batch id: ./batch.ts).
 * Watchers connect here over WebSocket and get its status live.
 *
 * Responsibilities
 * - Keep the latest snapshot and its owner's user id, so a late joiner gets
 *   the current state at once and nobody but the owner may watch. The
 *   Wallet's change feed delivers every version of a watched transaction
 *   here (`publishAll`, typed RPC; a batch's: `publishBatch`), in order, at
 *   least once.
 * - Get it watched: when the first watcher joins, or the snapshot is first
 *   read (or no snapshot is held: a publish was lost), ask the Wallet
 *   (`watch`) to publish its changes here from now on; its answer, the state
 *   at that moment, covers every change before (src/durable/wallet/readers.ts).
 *   A transaction nobody watches never makes a Room.
 * - Accept watchers with the WebSocket Hibernation API (an idle watcher costs
 *   no CPU); the upgrade arrives through `stub.fetch`, already authenticated
 *   by the Worker (src/routes/ws/).
 * - Broadcast every accepted change; after a terminal status, close each
 *   socket with 1000 once ROOM_CLOSE_GRACE_MS has passed, and a socket whose
 *   credential expires with 4001, driven by an alarm (alarms survive
 *   hibernation; timers don't). Give back a socket's leases when it ends.
 *
 * Invariants
 * - The owner is set by the first snapshot and never changes; every socket's
 *   user id equals it.
 * - A snapshot never moves backwards: a version at or below the one held is
 *   dropped (the feed may redeliver), so watchers hear each version once, in order.
 * - At most ROOM_SOCKETS_MAX open sockets.
 * - Storage only for what exists: an upgrade naming an invented key stores nothing.
 * - Nothing lives only in memory: snapshots in storage, per-socket state in
 *   attachments, deadlines in the alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { snapshotOf, type StatusSnapshot } from "../../domain/records";
import { randomBase32, txRefOwner } from "../../lib/ids";
import { ROOM_SOCKETS_MAX, WS_FRAME_MAX_BYTES } from "./limits";
import { log } from "../../lib/log";
import { one, SchemaOnFirstWrite } from "../../lib/sqlite";
import { MIGRATIONS, SnapshotSchema } from "./schema";
import { isTerminal, recordSnapshot, type StoredSnapshot, storedSnapshot } from "./snapshot-store";
import { closeAt, credentialExpired, deadlineOf, releaseLease } from "./sockets";
import {
  batchMessageOf,
  batchTerminalAtMs,
  currentBatchFrame,
  isBatchRoom,
  joinBatch,
  recordBatch,
  type BatchJoin,
} from "./batch";
import type { BatchChange } from "../../domain/bulk";
import { attach, checkTags, connectHeadersOf, leaseOf, ROOM_REFUSAL, WATCHER_TAG } from "./connect";
import {
  CLOSE,
  closeQuietly,
  type CloseKind,
  parseClientFrame,
  PING_FRAME,
  PONG_FRAME,
  refuse,
  sendableCloseCode,
  statusMessageOf,
} from "./protocol";

export type { StatusSnapshot } from "../../domain/records";

export {
  attachmentOf,
  checkTags,
  ROOM_REFUSAL,
  roomConnectRequest,
  WATCHER_TAG,
  type Attachment,
  type Via,
} from "./connect";

// ---- The object ------------------------------------------------------------------

export class Room extends DurableObject<Env> {
  /** The schema exists only once a snapshot has been recorded (false for a tx_ref nobody has published or found). */
  private readonly schema: SchemaOnFirstWrite;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A watcher may name a tx_ref that does not exist: only a room that has
    // recorded a snapshot gets a schema (record() creates it), so such an
    // upgrade is refused without leaving a stored object behind.
    this.schema = SchemaOnFirstWrite.open(ctx, MIGRATIONS);
    // Heartbeats are answered by the runtime without waking the object; this
    // must be set on every start because it is not persisted.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  // ==== Snapshot ==================================================================

  private row(): StoredSnapshot | null {
    return storedSnapshot(this.ctx.storage, this.schema);
  }

  private current(): StatusSnapshot | null {
    return this.row()?.snapshot ?? null;
  }

  /** The never-backwards rules, then storage (./snapshot-store.ts). */
  private record(snapshot: StatusSnapshot, now_ms: number) {
    return recordSnapshot(this.ctx.storage, this.schema, snapshot, now_ms);
  }

  /** Record a new version; returns whether it was newer than what we had. Watchers hear every new version. */
  async publish(snapshot: StatusSnapshot): Promise<boolean> {
    const valid = SnapshotSchema.parse(snapshot) as StatusSnapshot;
    const { accepted, changed } = this.record(valid, Date.now());
    if (changed) {
      this.broadcast(this.current()!);
      if (isTerminal(valid.status)) await this.armAlarm();
    }
    return accepted;
  }

  /**
   * Several versions of this transaction, oldest first, in one call (the
   * Wallet's feed drain sends all it has for a room at once), each taken as
   * `publish` takes it, so watchers still hear every stage. A version this
   * Room refuses is answered `refused`, not thrown, so the later ones are
   * still applied, as when each came in its own call.
   */
  async publishAll(
    snapshots: StatusSnapshot[],
  ): Promise<Array<{ accepted: boolean } | { refused: string }>> {
    const results: Array<{ accepted: boolean } | { refused: string }> = [];
    for (const snapshot of snapshots) {
      try {
        results.push({ accepted: await this.publish(snapshot) });
      } catch (error) {
        results.push({ refused: error instanceof Error ? error.message : String(error) });
      }
    }
    return results;
  }

  /**
   * The snapshot. Read first, it gets the transaction watched (as a join does)
   * so what it answers is the Wallet's state, and stays current after; the
   * Wallet unreachable, it answers what it has.
   */
  async snapshot(): Promise<StatusSnapshot | null> {
    if (this.watched()) return this.current();
    const tx_ref = this.ctx.id.name;
    if (tx_ref === undefined) return this.current();
    const found = await this.watchedSnapshot(tx_ref);
    return found.ok ? found.snapshot : this.current();
  }

  /** Whether the Wallet publishes this transaction's changes here (asked by `watchedSnapshot`). */
  private watched(): boolean {
    if (!this.schema.exists) return false;
    return one(this.ctx.storage.sql.exec("SELECT 1 AS marked FROM watch WHERE id = 1")) !== null;
  }

  /**
   * A watched batch's versions, oldest first (the Wallet's feed, for a Room
   * named by a batch id: ./batch.ts): each newer one is broadcast with the
   * lines it changed; a refused one is answered `refused`, as in publishAll.
   */
  async publishBatch(
    versions: BatchChange[],
  ): Promise<Array<{ accepted: boolean } | { refused: string }>> {
    const results: Array<{ accepted: boolean } | { refused: string }> = [];
    for (const version of versions) {
      try {
        const accepted = recordBatch(this.ctx.storage, this.ctx.id.name ?? "", version, Date.now());
        if (accepted) this.send(JSON.stringify(batchMessageOf(version, version.changed)));
        if (accepted && batchTerminalAtMs(this.ctx.storage) !== null) await this.armAlarm();
        results.push({ accepted });
      } catch (error) {
        results.push({ refused: error instanceof Error ? error.message : String(error) });
      }
    }
    return results;
  }

  /** Watchers currently connected (open sockets). */
  async watcherCount(): Promise<number> {
    return this.openSockets().length;
  }

  /**
   * The snapshot of a watched transaction. The first time (or with no
   * snapshot held: a publish was lost), ask the Wallet to watch it: from
   * then on its changes are published here, and its answer, the state at
   * that moment, is taken through the same never-backwards rules (a publish
   * may have arrived while we were asking). Concurrent joins share one ask.
   */
  private async watchedSnapshot(
    tx_ref: string,
  ): Promise<{ ok: true; snapshot: StatusSnapshot | null } | { ok: false }> {
    const existing = this.current();
    if (existing && this.watched()) return { ok: true, snapshot: existing };
    const owner = txRefOwner(tx_ref);
    if (!owner) return { ok: true, snapshot: existing };
    if (!this.asking) {
      this.asking = this.askWallet(owner, tx_ref).finally(() => {
        this.asking = null;
      });
    }
    const asked = await this.asking;
    if (!asked.ok) return { ok: false };
    return { ok: true, snapshot: this.current() };
  }

  private asking: Promise<{ ok: boolean }> | null = null;

  private async askWallet(owner: string, tx_ref: string): Promise<{ ok: boolean }> {
    const asked = await this.env.WALLET.getByName(owner)
      .watch(tx_ref)
      .then(
        (found) => ({ ok: true as const, found }),
        (error: unknown) => {
          log.warn("room could not ask the wallet", { tx_ref, error });
          return { ok: false as const };
        },
      );
    if (!asked.ok) return { ok: false };
    const tx = asked.found;
    // No such transaction: nothing is stored (the Wallet marked nothing either).
    if (!tx) return { ok: true };
    const now_ms = Date.now();
    const { changed } = this.record(snapshotOf(owner, tx), now_ms);
    this.schema.ensure();
    this.ctx.storage.sql.exec(
      "INSERT INTO watch (id, marked_at_ms) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
      now_ms,
    );
    // Sockets of before the marks may be here: they hear the news as from a publish.
    if (changed) {
      this.broadcast(this.current()!);
      if (isTerminal(tx.status)) await this.armAlarm();
    }
    return { ok: true };
  }

  // ==== Sockets ====================================================================

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN);
  }

  private broadcast(snapshot: StatusSnapshot): void {
    this.send(JSON.stringify(statusMessageOf(snapshot)));
  }

  private send(frame: string): void {
    for (const ws of this.openSockets()) {
      try {
        ws.send(frame);
      } catch (error) {
        // One broken socket must not stop the others from hearing the news.
        log.warn("room send failed", { room: this.ctx.id.name, error });
      }
    }
  }

  /** A transaction's watcher: its snapshot is the first frame, if the watcher owns it. */
  private async joinTx(user_id: string, tx_ref: string): Promise<BatchJoin> {
    const found = await this.watchedSnapshot(tx_ref);
    if (!found.ok) return { ok: false, status: ROOM_REFUSAL.unavailable };
    const snapshot = found.snapshot;
    // Not the owner looks exactly like no such transaction: no existence oracle.
    if (!snapshot || snapshot.owner_user_id !== user_id)
      return { ok: false, status: ROOM_REFUSAL.not_found };
    if (snapshot.tx_ref !== tx_ref) throw new Error(`room ${snapshot.tx_ref} reached as ${tx_ref}`);
    const frame = JSON.stringify(statusMessageOf(snapshot));
    return { ok: true, frame, final: isTerminal(snapshot.status) };
  }

  /**
   * The WebSocket upgrade, forwarded by the Worker after it authenticated the
   * watcher. Answers 101 with the current status already queued on the socket,
   * or a bare refusal status.
   */
  override async fetch(request: Request): Promise<Response> {
    const parsed = connectHeadersOf(request);
    if (!parsed.success) {
      // Only our Worker reaches this method; a malformed request is a bug there.
      log.error("room: malformed connect request", {
        issues: parsed.error.issues.map((i) => i.path.join(".")),
      });
      return new Response(null, { status: ROOM_REFUSAL.bad_request });
    }
    const { user_id, tx_ref, via, request_id, expires_at_ms } = parsed.data;

    const joined = isBatchRoom(tx_ref)
      ? await joinBatch(this.ctx.storage, this.env, user_id, tx_ref, Date.now())
      : await this.joinTx(user_id, tx_ref);
    if (!joined.ok) return new Response(null, { status: joined.status });

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
    attach(server, {
      lib: { v: 1, id: randomBase32(12), joined_at_ms: now_ms, tags },
      app: { user_id, via, expires_at_ms, lease: leaseOf(parsed.data) },
    });
    // Queued before the 101 leaves, so the first thing a watcher reads is the current status.
    server.send(joined.frame);
    // Every socket has a deadline (its credential's expiry, if nothing sooner).
    await this.armAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Client frames: validated, then answered. Heartbeats never get here (auto-response). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The alarm closes an expired socket; a frame that comes first is refused the same way.
    if (credentialExpired(ws, Date.now()))
      return this.end(
        ws,
        "credential_expired",
        "The credential expired; reconnect with a fresh token or ticket.",
      );
    const checked = parseClientFrame(message, WS_FRAME_MAX_BYTES);
    if (!checked.ok) return this.end(ws, checked.kind, checked.message);
    const snapshot = this.current();
    const batch_frame = isBatchRoom(this.ctx.id.name) ? currentBatchFrame(this.ctx.storage) : null;
    if (batch_frame) {
      const frame = checked.frame;
      if ("tx_ref" in frame && frame.tx_ref !== this.ctx.id.name)
        return this.end(ws, "malformed_frame", "This socket watches another batch.");
      return ws.send(batch_frame);
    }
    if (!snapshot) {
      // A socket exists only after a snapshot did, and snapshots are never deleted.
      log.error("room: socket without a snapshot");
      return this.end(ws, "internal_error", "The room lost its state.");
    }
    const frame = checked.frame;
    // A join frame on an already joined socket (old clients send it even with
    // ?tx_ref=) is a request for the status, if it names this room.
    if ("tx_ref" in frame && frame.tx_ref !== snapshot.tx_ref) {
      return this.end(ws, "malformed_frame", "This socket watches another tx_ref.");
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
  override async webSocketClose(
    ws: WebSocket,
    code: number,
    reason: string,
    _wasClean: boolean,
  ): Promise<void> {
    closeQuietly(ws, sendableCloseCode(code, CLOSE.settled.code), reason);
    await releaseLease(this.env, ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("room socket error", { tx_ref: this.current()?.tx_ref, error });
    closeQuietly(ws, CLOSE.internal_error.code, CLOSE.internal_error.reason);
    await releaseLease(this.env, ws);
  }

  /** Refuse with an error frame and its close code, and give the socket's lease back. */
  private async end(ws: WebSocket, kind: CloseKind, message: string): Promise<void> {
    refuse(ws, kind, message);
    await releaseLease(this.env, ws);
  }

  // ==== Deadlines: the credential's expiry, and the close after a terminal status ====

  /** When the transaction (or the batch) was seen settled, or null. */
  private terminalAtMs(): number | null {
    return this.row()?.terminal_at_ms ?? batchTerminalAtMs(this.ctx.storage);
  }

  /** Make sure an alarm fires by the earliest socket deadline (never later than needed). */
  private async armAlarm(): Promise<void> {
    const sockets = this.openSockets();
    if (sockets.length === 0) return;
    const terminal_at_ms = this.terminalAtMs();
    const due_ms = Math.min(...sockets.map((ws) => deadlineOf(ws, terminal_at_ms)));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due_ms) await this.ctx.storage.setAlarm(due_ms);
  }

  /**
   * Close every socket whose credential expired with 4001 (the client
   * reconnects with a fresh one), and every socket whose grace after the
   * terminal status is over with 1000; re-arm for the rest. Safe to run twice.
   */
  override async alarm(): Promise<void> {
    const terminal_at_ms = this.terminalAtMs();
    const now_ms = Date.now();
    let next_ms: number | null = null;
    for (const ws of this.openSockets()) {
      if (credentialExpired(ws, now_ms)) {
        await this.end(
          ws,
          "credential_expired",
          "The credential expired; reconnect with a fresh token or ticket.",
        );
      } else if (terminal_at_ms !== null && closeAt(ws, terminal_at_ms) <= now_ms) {
        closeQuietly(ws, CLOSE.settled.code, CLOSE.settled.reason);
        await releaseLease(this.env, ws);
      } else {
        const due_ms = deadlineOf(ws, terminal_at_ms);
        next_ms = next_ms === null ? due_ms : Math.min(next_ms, due_ms);
      }
    }
    if (next_ms !== null) await this.ctx.storage.setAlarm(next_ms);
  }
}
