import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  attachmentOf,
  checkTags,
  type Room,
  roomConnectRequest,
  WATCHER_TAG,
} from "../../../src/durable/room/object";
import { CLOSE, PING_FRAME, PONG_FRAME } from "../../../src/durable/room/protocol";
import { newUserId } from "../../../src/lib/ids";
import {
  ROOM_CLOSE_GRACE_MS,
  ROOM_SOCKETS_MAX,
  WS_ATTACHMENT_MAX_BYTES,
  WS_FRAME_MAX_BYTES,
  WS_TAG_MAX_CHARS,
  WS_TAGS_MAX,
} from "../../../src/durable/room/limits";
import { newWallet } from "../../support/helpers";
import { paid, pendingFunding, settle, Watcher } from "../../support/realtime";

/** Connect straight to the Room, as the Worker does after authenticating. */
async function join(tx_ref: string, user_id: string, via: "direct" | "relay" = "direct") {
  const res = await env.ROOM.getByName(tx_ref).fetch(
    roomConnectRequest({
      tx_ref,
      user_id,
      via,
      request_id: "req_test",
      expires_at_ms: Date.now() + 3_600_000,
    }),
  );
  return { res, watcher: res.webSocket ? new Watcher(res.webSocket) : null };
}

async function joined(tx_ref: string, user_id: string): Promise<Watcher> {
  const { res, watcher } = await join(tx_ref, user_id);
  if (res.status !== 101 || !watcher) throw new Error(`expected 101, got ${res.status}`);
  return watcher;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the room has stored, read without asking it (a read through `snapshot()` would recover it from the wallet). */
async function storedSnapshot(
  room: DurableObjectStub<Room>,
): Promise<{ owner_user_id: string; status: string } | null> {
  return runInDurableObject(room, (_r: Room, state) => {
    const table = state.storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'")
      .toArray();
    if (table.length === 0) return null;
    const [row] = state.storage.sql
      .exec<{ owner_user_id: string; status: string }>("SELECT owner_user_id, status FROM snapshot")
      .toArray();
    return row ?? null;
  });
}

describe("Room: the snapshot", () => {
  it("is armed by the wallet when a funding opens and never moves backwards", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    const room = env.ROOM.getByName(tx_ref);
    const pending = (await room.snapshot())!;
    expect(pending).toMatchObject({ tx_ref, owner_user_id: user_id, status: "PENDING" });
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    const success = (await room.snapshot())!;
    expect(success.status).toBe("SUCCESS");
    expect(success.version).toBeGreaterThan(pending.version);
    // A late PENDING (an older version), a redelivery (the same version) and
    // anything claiming the same version change nothing, whatever its times.
    expect(await room.publish({ ...pending, updated_at_ms: success.updated_at_ms + 1 })).toBe(
      false,
    );
    expect(await room.publish({ ...success })).toBe(false);
    expect(
      await room.publish({
        ...success,
        status: "FAILED",
        stage: "failed",
        updated_at_ms: success.updated_at_ms + 1,
      }),
    ).toBe(false);
    expect(await room.snapshot()).toEqual(success);
    // A new owner is a bug in the caller: it throws (called in-process, so the rejection stays in this test).
    await runInDurableObject(room, async (instance: Room) => {
      await expect(instance.publish({ ...success, owner_user_id: newUserId() })).rejects.toThrow(
        /owner cannot change/,
      );
    });
  });
});

describe("Room: watchers", () => {
  it("accepts a watcher with the hibernation API, tags and attachment within the documented limits", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const w = await joined(tx_ref, user_id);
    expect(await w.status("PENDING")).toMatchObject({
      v: 1,
      type: "status",
      tx_ref,
      tx_type: "FUND",
      amount: "1500.00",
    });
    await runInDurableObject(env.ROOM.getByName(tx_ref), (_room: Room, state) => {
      const sockets = state.getWebSockets(WATCHER_TAG);
      expect(sockets).toHaveLength(1);
      const tags = state.getTags(sockets[0]);
      expect(tags).toEqual([WATCHER_TAG, "via:direct"]);
      expect(tags.length).toBeLessThanOrEqual(WS_TAGS_MAX);
      for (const tag of tags) expect(tag.length).toBeLessThanOrEqual(WS_TAG_MAX_CHARS);
      const attachment = attachmentOf(sockets[0])!;
      // Library bookkeeping and app data are kept apart.
      expect(attachment.lib).toMatchObject({ v: 1, tags });
      expect(attachment.app).toEqual({
        user_id,
        via: "direct",
        expires_at_ms: expect.any(Number),
        lease: null,
      });
      expect(JSON.stringify(attachment).length).toBeLessThanOrEqual(WS_ATTACHMENT_MAX_BYTES);
    });
    w.close();
  });

  it(`refuses tags past the documented limits (${WS_TAGS_MAX} tags of 1..${WS_TAG_MAX_CHARS} characters)`, () => {
    expect(checkTags(Array.from({ length: WS_TAGS_MAX }, (_, i) => `t${i}`))).toHaveLength(
      WS_TAGS_MAX,
    );
    expect(() => checkTags(Array.from({ length: WS_TAGS_MAX + 1 }, (_, i) => `t${i}`))).toThrow(
      /at most/,
    );
    expect(() => checkTags(["x".repeat(WS_TAG_MAX_CHARS + 1)])).toThrow(/characters/);
    expect(() => checkTags([""])).toThrow(/characters/);
  });

  it("sends every accepted change to every socket, and nothing for a refused one", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    const a = await joined(tx_ref, user_id);
    const b = await joined(tx_ref, user_id);
    await a.status("PENDING");
    await b.status("PENDING");
    const room = env.ROOM.getByName(tx_ref);
    const old = (await room.snapshot())!;
    expect(await room.publish({ ...old, updated_at_ms: old.updated_at_ms - 1000 })).toBe(false);
    expect(
      await room.publish({ ...old, version: old.version - 1 > 0 ? old.version - 1 : old.version }),
    ).toBe(false);
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    for (const w of [a, b]) {
      expect(await w.status("SUCCESS")).toMatchObject({
        tx_ref,
        status: "SUCCESS",
        failure_reason: null,
      });
      // One PENDING at join, one SUCCESS: the refused publish sent nothing.
      expect(w.frames.filter((f) => typeof f === "object" && f.type === "status")).toHaveLength(2);
    }
    a.close();
    b.close();
  });

  it("refuses anyone but the owner exactly like an unknown tx_ref", async () => {
    const { tx_ref } = await pendingFunding();
    const stranger = await join(tx_ref, newUserId());
    expect(stranger.res.status).toBe(404);
    expect(stranger.watcher).toBeNull();
    // A well-formed reference that no wallet holds.
    const owner = await newWallet();
    const unknown = `fnd_0000000000000000000000_${owner.user_id}`;
    const nobody = await join(unknown, owner.user_id);
    expect(nobody.res.status).toBe(404);
    expect(await env.ROOM.getByName(unknown).snapshot()).toBeNull();
  });

  it("asks the wallet for the status when no publish ever reached the room", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    const room = env.ROOM.getByName(tx_ref);
    // Nobody watched it, so no publish reached the room: it holds no snapshot at all.
    expect(await storedSnapshot(room)).toBeNull();
    const w = await joined(tx_ref, user_id);
    expect(await w.status("SUCCESS")).toMatchObject({ tx_ref, amount_minor });
    expect(await storedSnapshot(room)).toMatchObject({ owner_user_id: user_id, status: "SUCCESS" });
    expect(await room.snapshot()).toMatchObject({ owner_user_id: user_id, status: "SUCCESS" });
    w.close();
  });

  it(`refuses the watcher past ROOM_SOCKETS_MAX (${ROOM_SOCKETS_MAX}) with 429 and takes one again once a socket leaves`, async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const room = env.ROOM.getByName(tx_ref);
    const sockets: WebSocket[] = [];
    for (let i = 0; i < ROOM_SOCKETS_MAX; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, ROOM_SOCKETS_MAX - i) }, () =>
          room.fetch(
            roomConnectRequest({
              tx_ref,
              user_id,
              via: "direct",
              request_id: "req_fill",
              expires_at_ms: Date.now() + 3_600_000,
            }),
          ),
        ),
      );
      for (const res of batch) {
        expect(res.status).toBe(101);
        res.webSocket!.accept();
        sockets.push(res.webSocket!);
      }
    }
    expect(await room.watcherCount()).toBe(ROOM_SOCKETS_MAX);
    const over = await join(tx_ref, user_id);
    expect(over.res.status).toBe(429);
    const leaving = new Watcher(sockets.pop()!);
    leaving.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(await room.watcherCount()).toBe(ROOM_SOCKETS_MAX - 1);
    const again = await joined(tx_ref, user_id);
    await again.status("PENDING");
    again.close();
    for (const ws of sockets) ws.close(1000, "done");
  }, 60_000);
});

describe("Room: closing after a terminal status", () => {
  it(`closes every socket with 1000 once ROOM_CLOSE_GRACE_MS (${ROOM_CLOSE_GRACE_MS} ms) has passed, not before`, async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding(150_000, {
      expired: true,
    });
    const w = await joined(tx_ref, user_id);
    await settle(stub, tx_ref, { ...paid(tx_ref, amount_minor - 1) });
    const settled_at = Date.now();
    expect(await w.status("FAILED")).toMatchObject({
      failure_reason: expect.stringMatching(/Underpaid/),
    });
    const alarm = await runInDurableObject(env.ROOM.getByName(tx_ref), (_r: Room, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    expect(alarm! - settled_at).toBeGreaterThan(ROOM_CLOSE_GRACE_MS - 1000);
    expect(alarm! - settled_at).toBeLessThanOrEqual(ROOM_CLOSE_GRACE_MS + 50);
    await sleep(ROOM_CLOSE_GRACE_MS / 2);
    expect(w.closedWith).toBeNull();
    const closed = await w.closedWithin(ROOM_CLOSE_GRACE_MS + 3000);
    expect(closed).toEqual({ code: CLOSE.settled.code, reason: CLOSE.settled.reason });
    // Not before the alarm: the grace counts from when the Room saw the final
    // status, a little before `settled_at` (the test's clock reads after the
    // settling call returned), so that is the instant to compare with.
    expect(Date.now()).toBeGreaterThanOrEqual(alarm!);
  }, 20_000);

  it("gives a late joiner the final status at once and its own grace before closing", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    // Long after settlement: pretend the settlement happened before the grace (the room
    // first learns the status, as it does for its first watcher).
    const room = env.ROOM.getByName(tx_ref);
    expect(await room.snapshot()).toMatchObject({ status: "SUCCESS" });
    await runInDurableObject(room, (_r: Room, state) =>
      state.storage.sql.exec("UPDATE snapshot SET terminal_at_ms = 1"),
    );
    const w = await joined(tx_ref, user_id);
    expect(await w.status("SUCCESS")).toMatchObject({ type: "status", tx_ref });
    // The alarm that runs now finds this socket inside its own grace, keeps it and re-arms.
    expect(await runDurableObjectAlarm(room)).toBe(true);
    await sleep(50);
    expect(w.closedWith).toBeNull();
    const next = await runInDurableObject(room, (_r: Room, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect((await w.closedWithin(ROOM_CLOSE_GRACE_MS + 3000)).code).toBe(1000);
  }, 20_000);
});

describe("Room: client frames", () => {
  it("answers a sync or a join frame for its own tx_ref with the status", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const w = await joined(tx_ref, user_id);
    await w.status("PENDING");
    w.send(JSON.stringify({ type: "sync" }));
    await w.waitFor((f) => typeof f === "object" && f.type === "status", 3000, 1);
    w.send(JSON.stringify({ tx_ref }));
    await w.waitFor((f) => typeof f === "object" && f.type === "status", 3000, 2);
    expect(w.closedWith).toBeNull();
    w.close();
  });

  const refusals: [string, string | ArrayBuffer, number, string][] = [
    ["not JSON", "{nope", CLOSE.malformed_frame.code, "malformed_frame"],
    [
      "an unknown frame type",
      JSON.stringify({ type: "subscribe" }),
      CLOSE.malformed_frame.code,
      "malformed_frame",
    ],
    [
      "an extra field",
      JSON.stringify({ type: "sync", admin: true }),
      CLOSE.malformed_frame.code,
      "malformed_frame",
    ],
    [
      "a binary frame",
      new Uint8Array([1, 2, 3]).buffer,
      CLOSE.malformed_frame.code,
      "malformed_frame",
    ],
    [
      "a join frame for another tx_ref",
      JSON.stringify({ tx_ref: "fnd_0000000000000000000000_usr0000000000000000" }),
      CLOSE.malformed_frame.code,
      "malformed_frame",
    ],
    [
      `a frame over WS_FRAME_MAX_BYTES (${WS_FRAME_MAX_BYTES})`,
      JSON.stringify({ type: "sync", pad: "x".repeat(WS_FRAME_MAX_BYTES) }),
      CLOSE.frame_too_large.code,
      "frame_too_large",
    ],
  ];
  for (const [what, frame, code, error] of refusals) {
    it(`closes with ${code} after ${what}, telling why first`, async () => {
      const { tx_ref, user_id } = await pendingFunding();
      const w = await joined(tx_ref, user_id);
      await w.status("PENDING");
      w.ws.send(frame);
      const closed = await w.closedWithin(3000);
      expect(closed.code).toBe(code);
      expect(w.frames).toContainEqual(
        expect.objectContaining({ v: 1, type: "error", code: error }),
      );
    });
  }

  it("finishes the closing handshake when a watcher leaves, and forgets the socket", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const w = await joined(tx_ref, user_id);
    await w.status("PENDING");
    w.close(1000, "bye");
    expect(await w.closedWithin(3000)).toEqual({ code: 1000, reason: "bye" });
    expect(await env.ROOM.getByName(tx_ref).watcherCount()).toBe(0);
  });

  it("answers ping with pong from the runtime, without running the object's code", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const w = await joined(tx_ref, user_id);
    await w.status("PENDING");
    w.send(PING_FRAME);
    await w.waitFor((f) => f === PONG_FRAME, 3000);
    await runInDurableObject(env.ROOM.getByName(tx_ref), (_r: Room, state) => {
      const [socket] = state.getWebSockets();
      // The auto-response timestamp is set only when the runtime answered by itself.
      expect(state.getWebSocketAutoResponseTimestamp(socket)).toBeInstanceOf(Date);
    });
    w.close();
  });
});

describe("Room: the credential's expiry", () => {
  it("refuses a frame that arrives after the expiry with 4001, even when no alarm ran", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const res = await env.ROOM.getByName(tx_ref).fetch(
      roomConnectRequest({
        tx_ref,
        user_id,
        via: "direct",
        request_id: "req_test",
        expires_at_ms: Date.now() + 300,
      }),
    );
    const w = new Watcher(res.webSocket!);
    await w.status("PENDING");
    // Take the alarm away, so only the frame check can close the socket.
    await runInDurableObject(env.ROOM.getByName(tx_ref), async (_r: Room, state) => {
      await state.storage.deleteAlarm();
    });
    await sleep(400);
    expect(w.closedWith).toBeNull();
    w.send(JSON.stringify({ type: "sync" }));
    expect(await w.closedWithin(3000)).toEqual({
      code: CLOSE.credential_expired.code,
      reason: CLOSE.credential_expired.reason,
    });
    expect(w.frames).toContainEqual(
      expect.objectContaining({ type: "error", code: "credential_expired" }),
    );
  });

  it("arms its alarm for the earliest expiry of its sockets, and closes only the expired one", async () => {
    const { tx_ref, user_id } = await pendingFunding();
    const room = env.ROOM.getByName(tx_ref);
    const soon = Date.now() + 500;
    const early = new Watcher(
      (
        await room.fetch(
          roomConnectRequest({
            tx_ref,
            user_id,
            via: "direct",
            request_id: "req_test",
            expires_at_ms: soon,
          }),
        )
      ).webSocket!,
    );
    const late = await joined(tx_ref, user_id);
    expect(await runInDurableObject(room, (_r: Room, state) => state.storage.getAlarm())).toBe(
      soon,
    );
    expect((await early.closedWithin(3000)).code).toBe(CLOSE.credential_expired.code);
    await late.status("PENDING");
    expect(late.closedWith).toBeNull();
    expect(await room.watcherCount()).toBe(1);
    late.close();
  });
});

describe("Room: hibernation", () => {
  it("is evicted while idle, keeps its sockets, tags and attachments, and still delivers the settlement", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    const room = env.ROOM.getByName(tx_ref);
    const a = await joined(tx_ref, user_id);
    const b = await joined(tx_ref, user_id);
    await a.status("PENDING");
    await b.status("PENDING");
    type Seen = { tags: string[][]; attachments: unknown[] };
    const inspect = () =>
      runInDurableObject(room, (instance: Room, state): Seen & { marked: boolean } => {
        const sockets = state.getWebSockets();
        const marked = (instance as unknown as { marker?: string }).marker === "before";
        (instance as unknown as { marker?: string }).marker = "before";
        return {
          marked,
          tags: sockets.map((s) => state.getTags(s)),
          attachments: sockets.map((s) => s.deserializeAttachment()),
        };
      });
    const before = await inspect();
    expect(before.attachments).toHaveLength(2);

    // Leave the object alone until the runtime evicts it (workerd does after
    // about 10 s without events; our sockets do not keep it in memory). A new
    // instance has no marker. Anything that touches the object resets the
    // clock, so each round waits in silence.
    let evicted = false;
    for (let round = 0; round < 3 && !evicted; round++) {
      await sleep(12_000);
      const after = await inspect();
      evicted = !after.marked;
      if (evicted) {
        expect(after.tags).toEqual(before.tags);
        expect(after.attachments).toEqual(before.attachments);
      }
    }
    expect(evicted).toBe(true);
    expect(a.closedWith).toBeNull();

    // The new instance rebuilt everything from getWebSockets(): both hear the settlement.
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    await a.status("SUCCESS");
    await b.status("SUCCESS");
    a.close();
    b.close();
  }, 60_000);
});
