/**
 * watch(tx_ref): the status frames of one transaction, from the API's
 * WebSocket (`GET /api/v1/ws/wallet`, protocol v1), as an async iterator that
 * ends after the first terminal status (SUCCESS or FAILED).
 *
 * The server sends the current status on every join, so reconnecting loses
 * nothing: after an abnormal close, a 1011 or a 4429 (room full) the iterator
 * reconnects with backoff, at most `max_attempts` times in a row, and drops
 * frames whose `version` it has already yielded. After 4400, 4401, 4404 or
 * 4413 the same request would fail again: it throws an ApiProblem whose status
 * is the HTTP status the close code mirrors.
 *
 * A refusal known before the upgrade (401, 404, ...) is an HTTP problem
 * document, which the WebSocket API hides: a socket that closes without ever
 * opening is only "1006". So after such a close the watcher asks `probe`
 * (the transaction over HTTP, when it has a token), which throws the real
 * ApiProblem if the request cannot succeed.
 */
import { ApiProblem } from "./problem.js";
import { BEARER_PROTOCOL, CLOSE, FINAL_CLOSE_CODES as FINAL_CODES } from "./protocol.js";
import { RETRY_DEFAULTS, type RetryOptions, sleep } from "./retry.js";
import type { components } from "./schema.js";

export type StatusFrame = components["schemas"]["StatusFrame"];
export type ErrorFrame = components["schemas"]["ErrorFrame"];
export type TxStatus = StatusFrame["status"];

/** The part of the WebSocket API the watcher uses: browsers, workers, Node 22+, and the `ws` package all have it. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: "open" | "message" | "close" | "error",
    // biome-ignore lint/suspicious/noExplicitAny: event shapes differ between implementations; only `data`, `code`, `reason` are read.
    listener: (event: any) => void,
  ): void;
}
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** Close codes after which the same request cannot succeed. */
const FINAL_CLOSE_CODES = new Set(FINAL_CODES);

export function isTerminal(status: TxStatus): boolean {
  switch (status) {
    case "PENDING":
      return false;
    case "SUCCESS":
    case "FAILED":
      return true;
    default: {
      const unknown: never = status;
      throw new Error(`unknown transaction status ${String(unknown)}`);
    }
  }
}

export type WatchOptions = {
  /** A watch ticket (`watch.ticket` from a funding or purchase answer); without one, the client's access token is used. */
  ticket?: string;
  /** Stops watching: the iterator then throws the signal's reason. */
  signal?: AbortSignal;
};

type WatchContext = {
  /** `ws://` or `wss://` URL of `/api/v1/ws/wallet`. */
  url: string;
  token: string | null;
  WebSocket: WebSocketConstructor;
  retry: RetryOptions;
  /** Called after a socket closed without opening: throws an ApiProblem when the watch cannot succeed. */
  probe?: (tx_ref: string) => Promise<void>;
};

type SocketEvent =
  | { kind: "message"; data: unknown }
  | { kind: "close"; code: number; reason: string }
  | { kind: "abort" };

/** Socket events in arrival order, awaited one at a time. */
class EventQueue {
  private readonly events: SocketEvent[] = [];
  private waiting: ((event: SocketEvent) => void) | null = null;
  push(event: SocketEvent): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(event);
    } else this.events.push(event);
  }
  next(): Promise<SocketEvent> {
    const event = this.events.shift();
    return event ? Promise.resolve(event) : new Promise((resolve) => (this.waiting = resolve));
  }
}

export async function* watchTransaction(
  context: WatchContext,
  tx_ref: string,
  options: WatchOptions = {},
): AsyncGenerator<StatusFrame, void, undefined> {
  const retry = { ...RETRY_DEFAULTS, ...context.retry };
  const { signal, ticket } = options;
  if (!ticket && !context.token)
    throw new TypeError("watch() needs a watch ticket or a logged-in client");
  const url = new URL(context.url);
  url.searchParams.set("tx_ref", tx_ref);
  if (ticket) url.searchParams.set("ticket", ticket);
  const protocols = ticket ? undefined : [BEARER_PROTOCOL, context.token!];

  let last_version = 0;
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    const socket = new context.WebSocket(url.toString(), protocols);
    const events = new EventQueue();
    let opened = false;
    socket.addEventListener("open", () => (opened = true));
    socket.addEventListener("message", (event) =>
      events.push({ kind: "message", data: event.data }),
    );
    socket.addEventListener("close", (event) =>
      events.push({ kind: "close", code: event.code, reason: event.reason }),
    );
    // An "error" is always followed by a "close", which carries what we need.
    socket.addEventListener("error", () => undefined);
    const onAbort = () => events.push({ kind: "abort" });
    signal?.addEventListener("abort", onAbort, { once: true });

    let closed: { code: number; reason: string } | null = null;
    let refusal: ErrorFrame | null = null;
    try {
      while (!closed) {
        const event = await events.next();
        if (event.kind === "abort") throw signal!.reason;
        if (event.kind === "close") {
          closed = event;
          break;
        }
        const frame = parseFrame(event.data);
        if (!frame) continue;
        if (frame.type === "error") {
          refusal = frame;
          continue;
        }
        failures = 0;
        if (frame.version <= last_version) continue;
        last_version = frame.version;
        yield frame;
        if (isTerminal(frame.status)) return;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (!closed) closeQuietly(socket);
    }

    if (FINAL_CLOSE_CODES.has(closed.code)) {
      throw new ApiProblem({
        status: closed.code - 4000,
        code: refusal?.code ?? (closed.reason.replaceAll(" ", "_") || `ws_${closed.code}`),
        request_id: null,
        title: "Watch refused",
        detail: refusal?.message ?? null,
      });
    }
    if (!opened && context.probe) await context.probe(tx_ref);
    failures++;
    if (failures >= retry.max_attempts) {
      throw new ApiProblem({
        status: 503,
        code: "watch_unavailable",
        request_id: null,
        title: "Watch unavailable",
        detail: `The socket closed ${failures} times in a row before a terminal status (last close ${closed.code}${closed.reason ? ` ${closed.reason}` : ""}).`,
      });
    }
    await sleep(Math.min(retry.max_delay_ms, retry.base_delay_ms * 2 ** (failures - 1)), signal);
  }
}

/** A server frame, or null for anything else (the `pong` heartbeat text, a binary frame). */
function parseFrame(data: unknown): StatusFrame | ErrorFrame | null {
  if (typeof data !== "string" || !data.startsWith("{")) return null;
  try {
    const frame = JSON.parse(data) as { type?: unknown };
    return frame.type === "status" || frame.type === "error"
      ? (frame as StatusFrame | ErrorFrame)
      : null;
  } catch {
    return null;
  }
}

function closeQuietly(socket: WebSocketLike): void {
  try {
    socket.close(CLOSE.settled.code, "watcher done");
  } catch {
    // Already closing: nothing to tell the server.
  }
}
