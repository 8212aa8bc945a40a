/**
 * The seed's protocol: connect to /ws/wallet with no tx_ref, then send
 * `{"tx_ref": "...", "ticket"?: "..."}` first.
 *
 * Why a relay: which Room to join is known only after the first frame, and a
 * Worker cannot hand a socket it has accepted to a Durable Object. So the
 * Worker accepts the client's socket itself, waits (at most WS_JOIN_TIMEOUT_MS)
 * for the join frame, authenticates, opens its own WebSocket to the Room
 * through the same `stub.fetch` upgrade the direct path uses, and copies frames
 * both ways. The Room's side still hibernates, but this Worker invocation stays
 * alive for as long as the client is connected: the relay path does NOT
 * hibernate. Clients that can should use `?tx_ref=`, which connects the client
 * straight to the Room.
 *
 * Until the Room has answered, the client may send only its join frame (and
 * "ping", answered here); anything else closes with 4400.
 *
 * Bounded: the route took this socket's address lease (and its user's, when
 * the upgrade carried a credential) before the 101; the join takes the user's
 * lease and moves both ends to the credential's expiry, when the Room closes
 * its side with 4001 and the relay passes that on. Whatever ends the relay
 * gives the leases back.
 */
import type { Config } from "../../lib/config";
import { WS_FRAME_MAX_BYTES, WS_JOIN_TIMEOUT_MS } from "../../durable/room/limits";
import { log } from "../../lib/log";
import { roomConnectRequest, ROOM_REFUSAL } from "../../durable/room/object";
import {
  CLOSE,
  closeQuietly,
  type CloseKind,
  parseClientFrame,
  PING_FRAME,
  PONG_FRAME,
  refuse,
  sendableCloseCode,
} from "../../durable/room/protocol";
import { admit, type Credential, ticketCredential } from "./auth";
import { releaseLeases, takeLeases } from "./leases";
import type { SocketLease } from "../../durable/room/connect";

type RelayState = "awaiting_join" | "joining" | "relaying" | "closed";

type RelayInput = {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  credential: Credential;
  request_id: string;
  headers: Record<string, string>;
  lease: SocketLease;
  ip: string;
};

export function relaySeedProtocol(input: RelayInput): Response {
  const { env, config, request_id } = input;
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  let state: RelayState = "awaiting_join";
  let upstream: WebSocket | null = null;
  let lease: SocketLease | null = input.lease;

  // Leases go back once, whichever way the relay ends.
  const giveBack = () => {
    if (!lease) return;
    input.ctx.waitUntil(releaseLeases(env, lease));
    lease = null;
  };
  const end = (kind: CloseKind, message: string) => {
    state = "closed";
    clearTimeout(timer);
    refuse(server, kind, message);
    giveBack();
  };
  const timer = setTimeout(() => {
    if (state === "awaiting_join")
      end("join_timeout", `Send {"tx_ref": "..."} within ${WS_JOIN_TIMEOUT_MS} ms of connecting.`);
  }, WS_JOIN_TIMEOUT_MS);

  const join = async (raw: string | ArrayBuffer) => {
    const checked = parseClientFrame(raw, WS_FRAME_MAX_BYTES);
    if (!checked.ok) return end(checked.kind, checked.message);
    const frame = checked.frame;
    if (!("tx_ref" in frame))
      return end("malformed_frame", 'The first frame must be {"tx_ref": "..."}.');
    state = "joining";
    clearTimeout(timer);
    // A credential given at upgrade time wins; otherwise the frame's ticket.
    const credential =
      input.credential.kind === "none" && frame.ticket !== undefined
        ? await ticketCredential(config, frame.ticket)
        : input.credential;
    const admission = admit(credential, frame.tx_ref);
    if (!admission.ok)
      return end(admission.status === 401 ? "unauthorized" : "unknown_tx_ref", admission.detail);
    // Now the user is known: take the user's lease too, and hold both until the credential expires.
    const taken = await takeLeases(env, config, {
      lease_id: input.lease.id,
      user_id: admission.user_id,
      ip: input.ip,
      until_ms: admission.expires_at_ms,
    });
    if (!taken.ok)
      return end(
        "too_many_sockets",
        "Too many watch sockets are open for this account or address.",
      );
    if (state !== "joining") return releaseLeases(env, taken.lease);
    lease = taken.lease;

    let answer: Response;
    try {
      answer = await env.ROOM.getByName(frame.tx_ref).fetch(
        roomConnectRequest({
          tx_ref: frame.tx_ref,
          user_id: admission.user_id,
          via: "relay",
          request_id,
          expires_at_ms: admission.expires_at_ms,
        }),
      );
    } catch (error) {
      log.warn("relay could not reach the room", { request_id, tx_ref: frame.tx_ref, error });
      return end("internal_error", "The transaction's room is unavailable; retry shortly.");
    }
    const socket = answer.webSocket;
    if (state !== "joining") {
      // The client left (or broke the rules) while we were connecting: let the Room go too.
      if (socket) {
        socket.accept();
        closeQuietly(socket, 1000, "client gone");
      }
      return;
    }
    if (answer.status !== 101 || !socket) {
      if (answer.status === ROOM_REFUSAL.not_found)
        return end("unknown_tx_ref", "No such transaction.");
      if (answer.status === ROOM_REFUSAL.full)
        return end("room_full", "Too many watchers for this transaction.");
      return end("internal_error", "The transaction's room is unavailable; retry shortly.");
    }
    upstream = socket;
    socket.accept();
    state = "relaying";
    socket.addEventListener("message", (event) => {
      try {
        server.send(event.data);
      } catch {
        closeQuietly(socket, 1000, "client gone");
      }
    });
    socket.addEventListener("close", (event) => {
      state = "closed";
      closeQuietly(
        server,
        sendableCloseCode(event.code),
        event.reason || CLOSE.internal_error.reason,
      );
      giveBack();
    });
    socket.addEventListener("error", () => {
      state = "closed";
      closeQuietly(server, CLOSE.internal_error.code, CLOSE.internal_error.reason);
      giveBack();
    });
  };

  server.addEventListener("message", (event) => {
    const data = event.data as string | ArrayBuffer;
    switch (state) {
      case "relaying":
        // The Room validates every frame (and answers "ping" itself).
        upstream?.send(data);
        return;
      case "awaiting_join":
        if (data === PING_FRAME) return server.send(PONG_FRAME);
        join(data).catch((error) => {
          log.error("relay join failed", { request_id, error });
          end("internal_error", "Something went wrong on our side.");
        });
        return;
      case "joining":
        if (data === PING_FRAME) return server.send(PONG_FRAME);
        return end("malformed_frame", "Wait for the first status before sending anything else.");
      case "closed":
        return;
      default: {
        const unreachable: never = state;
        throw new Error(`unhandled relay state ${String(unreachable)}`);
      }
    }
  });
  server.addEventListener("close", (event) => {
    state = "closed";
    clearTimeout(timer);
    if (upstream)
      closeQuietly(upstream, sendableCloseCode(event.code, 1000), event.reason || "client closed");
    closeQuietly(server, sendableCloseCode(event.code, 1000), event.reason || "client closed");
    giveBack();
  });
  server.addEventListener("error", () => {
    state = "closed";
    clearTimeout(timer);
    if (upstream) closeQuietly(upstream, 1000, "client gone");
    giveBack();
  });

  return new Response(null, { status: 101, webSocket: client, headers: input.headers });
}
