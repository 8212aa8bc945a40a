import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { randomBase32 } from "../../../src/lib/ids";

const leases = () => env.SOCKET_LEASES.getByName(`test:${randomBase32(12)}`);
const HOUR_MS = 3_600_000;

describe("SocketLeases", () => {
  it("grants up to max leases, then refuses with the wait until the first one ends", async () => {
    const stub = leases();
    const until_ms = Date.now() + HOUR_MS;
    for (let i = 0; i < 3; i++)
      expect(await stub.acquire({ lease_id: `l${i}`, until_ms, max: 3 })).toEqual({ ok: true });
    const refused = await stub.acquire({ lease_id: "l3", until_ms, max: 3 });
    expect(refused).toMatchObject({ ok: false, held: 3 });
    expect(refused.ok === false && refused.retry_after_s).toBeGreaterThan(HOUR_MS / 1000 - 10);
    expect(await stub.held()).toBe(3);
  });

  it("counts a lease taken again (its end moved) once, and never overshoots under concurrency", async () => {
    const stub = leases();
    const until_ms = Date.now() + HOUR_MS;
    expect(await stub.acquire({ lease_id: "same", until_ms, max: 2 })).toEqual({ ok: true });
    expect(await stub.acquire({ lease_id: "same", until_ms: until_ms + 1000, max: 2 })).toEqual({
      ok: true,
    });
    expect(await stub.held()).toBe(1);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stub.acquire({ lease_id: `c${i}`, until_ms, max: 2 })),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    expect(await stub.held()).toBe(2);
  });

  it("stops counting a lease at its end, and forgets everything when the last one goes", async () => {
    const stub = leases();
    expect(await stub.hasStorage()).toBe(false);
    await stub.acquire({ lease_id: "short", until_ms: Date.now() + 200, max: 1 });
    await stub.acquire({ lease_id: "long", until_ms: Date.now() + HOUR_MS, max: 2 });
    await new Promise((r) => setTimeout(r, 300));
    // The ended lease no longer counts, though no release came.
    expect(await stub.held()).toBe(1);
    expect(
      await stub.acquire({ lease_id: "next", until_ms: Date.now() + HOUR_MS, max: 2 }),
    ).toEqual({ ok: true });
    await stub.release("long");
    await stub.release("next");
    expect(await stub.hasStorage()).toBe(false);
    // A release for a key that holds nothing stores nothing either.
    await stub.release("never");
    expect(await stub.hasStorage()).toBe(false);
  });

  it("purges ended leases from its alarm, down to no storage", async () => {
    const stub = leases();
    await stub.acquire({ lease_id: "a", until_ms: Date.now() + 100, max: 1 });
    await new Promise((r) => setTimeout(r, 200));
    await runDurableObjectAlarm(stub);
    expect(await stub.hasStorage()).toBe(false);
  });
});
