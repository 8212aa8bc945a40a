/**
 * BenchBaseline: development only. The physical floor under two of our hot
 * paths, measured by `npm run bench` in the same run as the paths themselves.
 *
 * Responsibilities
 * - `increment()`: one `UPDATE ... SET n = n + 1` in SQLite and nothing else.
 *   Every settlement on one wallet meets in one Wallet object, which serialises
 *   them; this is the rate at which one object can serialise the cheapest
 *   possible write, so "settlements/s on one wallet" is read against it.
 * - `fetch` (WebSocket upgrade only) and `broadcast()`: a bare hibernating
 *   room. Sockets are accepted with `ctx.acceptWebSocket`, so the runtime holds
 *   them and the object may be evicted between broadcasts, exactly like Room;
 *   `broadcast()` sends one frame stamped with its send time to every socket.
 *   No authentication, no snapshot, no protocol: what is left is the cost of
 *   the platform's fan-out, against which Room's settlement fan-out is read.
 *
 * Invariants
 * - Nothing here is reachable in production: the class is bound only in the
 *   development configuration and its routes are mounted only beside the
 *   sandbox (src/sandbox/bench/routes.ts).
 * - At most BENCH_SOCKETS_MAX sockets per object (the hibernation API allows
 *   32,768 per object; the benchmark needs ROOM_SOCKETS_MAX at most).
 * - The counter is in SQLite, so it survives eviction like real state does
 *   (an in-memory counter would measure something the Wallet never does).
 */
import { DurableObject } from "cloudflare:workers";
import { ROOM_SOCKETS_MAX } from "../../durable/room/limits";

/** Sockets per baseline room: the realtime benchmark's largest room, and no more. */
export const BENCH_SOCKETS_MAX = ROOM_SOCKETS_MAX;

/** The one frame a baseline room sends. */
export type BenchBroadcastFrame = { type: "broadcast"; seq: number; sent_at_ms: number };

export class BenchBaseline extends DurableObject<Env> {
  private seq = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Synchronous SQL in the constructor: no request can interleave before it.
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)");
  }

  /** One SQLite write (an implicit transaction of its own), answered with the new count. */
  increment(): number {
    return this.ctx.storage.sql
      .exec<{ n: number }>("UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n")
      .one().n;
  }

  /** The WebSocket upgrade; any other request is refused. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("expected a WebSocket upgrade", { status: 426 });
    if (this.ctx.getWebSockets().length >= BENCH_SOCKETS_MAX)
      return new Response("room full", { status: 503 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Sends one stamped frame to every open socket; returns how many it reached. */
  broadcast(): { sockets: number; sent_at_ms: number } {
    this.seq += 1;
    const sent_at_ms = Date.now();
    const frame = JSON.stringify({
      type: "broadcast",
      seq: this.seq,
      sent_at_ms,
    } satisfies BenchBroadcastFrame);
    let sockets = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
        sockets += 1;
      } catch {
        // A socket closing under us: the others still hear the frame.
      }
    }
    return { sockets, sent_at_ms };
  }

  /** Clients send nothing the baseline needs; frames are ignored. */
  override webSocketMessage(): void {}

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed (the runtime may have answered the close itself).
    }
  }
}
