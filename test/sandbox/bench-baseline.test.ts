/**
 * The benchmark baselines (src/sandbox/bench/): they answer in development and
 * do exactly the one thing each baseline claims, so `npm run bench` compares
 * our paths with the platform and not with something broken. Nothing here
 * measures time: timing belongs to `npm run bench`, beside its baselines.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BENCH_ROUND_TRIPS_MAX, PROVIDER_NOOP_PATH } from "../../src/sandbox/bench/routes";

const ORIGIN = "http://example.com/__sandbox/bench";
const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

describe("benchmark baselines", () => {
  it("counts one SQLite increment per request in the named object", async () => {
    const name = unique("counter");
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await exports.default.fetch(`${ORIGIN}/increment?name=${name}`, {
        method: "POST",
      });
      expect(res.status).toBe(200);
      counts.push(((await res.json()) as { n: number }).n);
    }
    expect(counts).toEqual([1, 2, 3]);
  });

  it("broadcasts one stamped frame to every accepted socket", async () => {
    const name = unique("room");
    const frames: Promise<string>[] = [];
    const opened: WebSocket[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await exports.default.fetch(`${ORIGIN}/sockets?name=${name}`, {
        headers: { Upgrade: "websocket" },
      });
      expect(res.status).toBe(101);
      const ws = res.webSocket!;
      ws.accept();
      opened.push(ws);
      frames.push(
        new Promise((resolve) =>
          ws.addEventListener("message", (event) => resolve(String(event.data)), { once: true }),
        ),
      );
    }
    const sent = await exports.default.fetch(`${ORIGIN}/broadcast?name=${name}`, {
      method: "POST",
    });
    const { sockets, sent_at_ms } = (await sent.json()) as { sockets: number; sent_at_ms: number };
    expect(sockets).toBe(2);
    for (const frame of await Promise.all(frames))
      expect(JSON.parse(frame)).toEqual({ type: "broadcast", seq: 1, sent_at_ms });
    for (const ws of opened) ws.close(1000, "done");
  });

  it("does a purchase's round trips in the named object and one in-process provider call, and bounds the round trips", async () => {
    const name = unique("purchase");
    const buy = (round_trips: number | string) =>
      exports.default.fetch(`${ORIGIN}/purchase?name=${name}&round_trips=${round_trips}`, {
        method: "POST",
      });
    // 200 only when the provider call answered 200 too (the route throws otherwise).
    const first = await buy(5);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ round_trips: 5, n: 5 });
    const second = await buy(3);
    expect(await second.json()).toEqual({ round_trips: 3, n: 8 });
    for (const bad of [BENCH_ROUND_TRIPS_MAX + 1, -1, 1.5, "x"]) {
      const res = await buy(bad);
      expect(res.status, String(bad)).toBe(400);
      await res.arrayBuffer();
    }
    // The do-nothing provider answers only in-process: from outside, the baseline routes refuse it.
    const outside = await exports.default.fetch(`http://example.com${PROVIDER_NOOP_PATH}`, {
      method: "POST",
    });
    expect(outside.status).toBe(400);
    await outside.arrayBuffer();
  });

  it("refuses a socket request that is not an upgrade, a bad object name and an unknown action", async () => {
    expect((await exports.default.fetch(`${ORIGIN}/sockets?name=${unique("room")}`)).status).toBe(
      426,
    );
    expect(
      (
        await exports.default.fetch(`${ORIGIN}/increment?name=${"x".repeat(65)}`, {
          method: "POST",
        })
      ).status,
    ).toBe(400);
    expect((await exports.default.fetch(`${ORIGIN}/nope?name=a`, { method: "POST" })).status).toBe(
      404,
    );
  });
});
