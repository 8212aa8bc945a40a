/**
 * watch(): the client against a WebSocket server on loopback that plays the
 * API's side of the watch protocol (src/durable/room/protocol.ts), scene by
 * scene. The API is the outside world here; its real behaviour is covered by
 * the e2e test that watches a withdrawal through wrangler dev.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import {
  ApiProblem,
  createWalletClient,
  type StatusFrame,
  type WebSocketConstructor,
} from "../src/index";

type Scene = (
  socket: WebSocket,
  request: { url: string; protocols: string[]; connection: number },
) => void;

let server: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that plays `scenes[n]` on the n-th connection. */
async function serve(scenes: Scene[], refuse_upgrade_with?: number) {
  const seen: { url: string; protocols: string[] }[] = [];
  server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => (protocols.has("bearer") ? "bearer" : false),
    ...(refuse_upgrade_with
      ? {
          verifyClient: (_info: unknown, done: (ok: boolean, status?: number) => void) =>
            done(false, refuse_upgrade_with),
        }
      : {}),
  });
  server.on("connection", (socket, request) => {
    const protocols = (request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    seen.push({ url: request.url!, protocols });
    scenes[seen.length - 1]?.(socket, { url: request.url!, protocols, connection: seen.length });
  });
  await new Promise((resolve) => server!.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, seen };
}

function frame(
  version: number,
  status: StatusFrame["status"],
  stage: StatusFrame["stage"] = "submitted",
): StatusFrame {
  return {
    v: 1,
    type: "status",
    tx_ref: "wdr_1",
    tx_type: "WITHDRAW",
    status,
    amount: "1500.00",
    amount_minor: 150000,
    currency: "NGN",
    failure_reason: null,
    stage,
    version,
    updated_at: "2026-11-27T08:00:00.000Z",
  };
}

function watcher(
  origin: string,
  token: string | undefined = "tok",
  fetch?: (request: Request) => Promise<Response>,
) {
  return createWalletClient({
    baseUrl: origin,
    token,
    fetch,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    retry: { base_delay_ms: 5, max_delay_ms: 20, max_attempts: 3 },
  });
}

async function collect(frames: AsyncIterable<StatusFrame>): Promise<StatusFrame[]> {
  const seen: StatusFrame[] = [];
  for await (const f of frames) seen.push(f);
  return seen;
}

describe("watch(tx_ref)", () => {
  it("yields status frames in order, skips versions already seen, and ends after the terminal status", async () => {
    let closedBy: number | undefined;
    const { origin, seen } = await serve([
      (socket) => {
        socket.on("close", (code) => (closedBy = code));
        for (const f of [
          frame(1, "PENDING", "hold_placed"),
          frame(1, "PENDING", "hold_placed"),
          frame(2, "PENDING", "submitted"),
          frame(3, "SUCCESS", "settled"),
        ])
          socket.send(JSON.stringify(f));
        socket.send("pong");
      },
    ]);
    const frames = await collect(watcher(origin).watch("wdr_1"));
    expect(frames.map((f) => [f.version, f.status])).toEqual([
      [1, "PENDING"],
      [2, "PENDING"],
      [3, "SUCCESS"],
    ]);
    // The bearer token travels as the subprotocol pair browsers can send.
    expect(seen[0].url).toBe("/api/v1/ws/wallet?tx_ref=wdr_1");
    expect(seen[0].protocols).toEqual(["bearer", "tok"]);
    await expect.poll(() => closedBy).toBe(1000);
  });

  it("uses a watch ticket in the query instead of the token when given one", async () => {
    const { origin, seen } = await serve([
      (socket) => socket.send(JSON.stringify(frame(1, "FAILED", "settled"))),
    ]);
    const frames = await collect(watcher(origin, undefined).watch("fnd_1", { ticket: "tkt.abc" }));
    expect(frames).toHaveLength(1);
    expect(seen[0].url).toBe("/api/v1/ws/wallet?tx_ref=fnd_1&ticket=tkt.abc");
    expect(seen[0].protocols).toEqual([]);
  });

  it("reconnects after an abnormal close and carries on from the versions it has seen", async () => {
    const { origin, seen } = await serve([
      (socket) => {
        socket.send(JSON.stringify(frame(1, "PENDING")));
        setTimeout(() => socket.terminate(), 20);
      },
      (socket) => {
        socket.send(JSON.stringify(frame(1, "PENDING")));
        socket.send(JSON.stringify(frame(2, "SUCCESS", "settled")));
      },
    ]);
    const frames = await collect(watcher(origin).watch("wdr_1"));
    expect(frames.map((f) => f.version)).toEqual([1, 2]);
    expect(seen).toHaveLength(2);
  });

  it("throws an ApiProblem, without reconnecting, when the server refuses the transaction", async () => {
    const { origin, seen } = await serve([
      (socket) => {
        socket.send(
          JSON.stringify({
            v: 1,
            type: "error",
            code: "unknown_tx_ref",
            message: "No such transaction.",
          }),
        );
        socket.close(4404, "unknown tx_ref");
      },
    ]);
    const error = (await collect(watcher(origin).watch("wdr_nope")).catch(
      (e: unknown) => e,
    )) as ApiProblem;
    expect(error).toBeInstanceOf(ApiProblem);
    expect(error).toMatchObject({
      status: 404,
      code: "unknown_tx_ref",
      detail: "No such transaction.",
    });
    expect(seen).toHaveLength(1);
  });

  it("reports a refused upgrade as the problem the transaction's HTTP route gives, without retrying", async () => {
    const { origin } = await serve([], 404);
    const asked: string[] = [];
    const fetch = async (request: Request) => {
      asked.push(
        `${request.method} ${new URL(request.url).pathname} ${request.headers.get("authorization")}`,
      );
      return new Response(
        JSON.stringify({
          type: "t",
          title: "Not found",
          status: 404,
          code: "not_found",
          request_id: "req_1",
          detail: "No such transaction.",
        }),
        {
          status: 404,
          headers: { "content-type": "application/problem+json" },
        },
      );
    };
    await expect(collect(watcher(origin, "tok", fetch).watch("wdr_gone"))).rejects.toMatchObject({
      status: 404,
      code: "not_found",
      request_id: "req_1",
    });
    expect(asked).toEqual(["GET /api/v1/wallet/transactions/wdr_gone Bearer tok"]);
  });

  it("gives up after max_attempts closes in a row without a terminal status", async () => {
    const drop: Scene = (socket) => socket.close(1011, "internal error");
    const { origin, seen } = await serve([drop, drop, drop, drop]);
    await expect(collect(watcher(origin).watch("wdr_1"))).rejects.toMatchObject({
      code: "watch_unavailable",
      status: 503,
    });
    expect(seen).toHaveLength(3);
  });

  it("closes the socket when the caller stops early", async () => {
    let closedBy: number | undefined;
    const { origin } = await serve([
      (socket) => {
        socket.on("close", (code) => (closedBy = code));
        socket.send(JSON.stringify(frame(1, "PENDING")));
      },
    ]);
    for await (const f of watcher(origin).watch("wdr_1")) {
      expect(f.version).toBe(1);
      break;
    }
    await expect.poll(() => closedBy).toBe(1000);
  });

  it("stops with the signal's reason when aborted", async () => {
    const { origin } = await serve([(socket) => socket.send(JSON.stringify(frame(1, "PENDING")))]);
    const controller = new AbortController();
    const frames: StatusFrame[] = [];
    const watching = (async () => {
      for await (const f of watcher(origin).watch("wdr_1", { signal: controller.signal })) {
        frames.push(f);
        controller.abort(new Error("user left"));
      }
    })();
    await expect(watching).rejects.toThrow("user left");
    expect(frames).toHaveLength(1);
  });
});
