import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { roomConnectRequest } from "../../../src/durable/room/object";
import { CLOSE, PING_FRAME, PONG_FRAME } from "../../../src/durable/room/protocol";
import { requireConfig } from "../../../src/lib/config";
import { issueAccessToken, verifyWatchTicket } from "../../../src/lib/tokens";
import {
  ROOM_CLOSE_GRACE_MS,
  ROOM_SOCKETS_MAX,
  WS_FRAME_MAX_BYTES,
  WS_JOIN_TIMEOUT_MS,
} from "../../../src/durable/room/limits";
import { api, bearerFor, expectProblem, form, newWallet } from "../../support/helpers";
import { choose } from "../../support/sandbox";
import {
  paid,
  pendingFunding,
  settle,
  ticketFor,
  upgrade,
  watch,
  Watcher,
  WS_URL,
} from "../../support/realtime";

async function tokenFor(user_id: string): Promise<string> {
  return (await issueAccessToken(requireConfig(env), user_id)).access_token;
}

describe("WS /ws/wallet?tx_ref= (straight to the room)", () => {
  it("answers 101 to the owner's bearer token and sends the current status at once", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const { res, watcher } = await upgrade(
      { tx_ref },
      { ...(await bearerFor(user_id)), origin: "https://app.example" },
    );
    expect(res.status).toBe(101);
    // Our middleware stamped the 101 without breaking it.
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await watcher!.status("PENDING")).toEqual({
      v: 1,
      type: "status",
      tx_ref,
      tx_type: "FUND",
      status: "PENDING",
      amount: "1500.00",
      amount_minor: 150000,
      currency: "NGN",
      failure_reason: null,
      stage: "link_requested",
      version: 1,
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    watcher!.close();
  });

  it("takes the token as the subprotocol pair 'bearer, <token>' and selects 'bearer' in the 101", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const { res, watcher } = await upgrade(
      { tx_ref },
      { "sec-websocket-protocol": `bearer, ${await tokenFor(user_id)}` },
    );
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("bearer");
    await watcher!.status("PENDING");
    watcher!.close();
  });

  it("takes a watch ticket for this tx_ref in the query", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const w = await watch({ tx_ref, ticket: await ticketFor(user_id, tx_ref) });
    expect(await w.status("PENDING")).toMatchObject({ type: "status", tx_ref, status: "PENDING" });
    w.close();
  });

  it("gives two watchers the same settlement", async () => {
    const { user_id, tx_ref, stub, amount_minor } = await pendingFunding();
    const a = await watch({ tx_ref }, await bearerFor(user_id));
    const b = await watch({ tx_ref, ticket: await ticketFor(user_id, tx_ref) });
    await a.status("PENDING");
    await b.status("PENDING");
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    expect(await a.status("SUCCESS")).toMatchObject({ tx_ref, amount: "1500.00" });
    expect(await b.status("SUCCESS")).toMatchObject({ tx_ref, amount: "1500.00" });
    a.close();
    b.close();
  });

  it("tells watchers when a card attempt failed while the funding stays open (stage attempt_failed)", async () => {
    const { user_id, tx_ref, stub, amount_minor } = await pendingFunding();
    const w = await watch({ tx_ref }, await bearerFor(user_id));
    expect(await w.status("PENDING")).toMatchObject({ stage: "link_requested" });
    await settle(stub, tx_ref, { ...paid(tx_ref, amount_minor), outcome: "failed" });
    await w.waitFor(
      (f) => typeof f === "object" && f.type === "status" && f.stage === "attempt_failed",
    );
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    expect(await w.status("SUCCESS")).toMatchObject({ stage: "settled" });
    w.close();
  });

  it("gives a watcher who joins after settlement the final status at once", async () => {
    const { user_id, tx_ref, stub, amount_minor } = await pendingFunding(150_000, {
      expired: true,
    });
    await settle(stub, tx_ref, { ...paid(tx_ref, amount_minor), currency: "USD" });
    const w = await watch({ tx_ref }, await bearerFor(user_id));
    const first = await w.waitFor((f) => typeof f === "object" && f.type === "status");
    expect(w.frames[0]).toBe(first);
    expect(first).toMatchObject({
      type: "status",
      status: "FAILED",
      failure_reason: expect.stringMatching(/Paid in USD/),
    });
    w.close();
  });

  it("follows a funding paid in the sandbox checkout, through the real webhook, queue and verification", async () => {
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const fund = await api("/wallet/fund", form({ amount: "2500" }, auth));
    expect(fund.status).toBe(201);
    const funding = (await fund.json()) as {
      tx_ref: string;
      payment_link: string;
      watch: { websocket_url: string; ticket: string };
    };
    const url = new URL(funding.watch.websocket_url);
    expect(url.protocol).toBe("ws:");
    expect(url.pathname).toBe("/api/v1/ws/wallet");
    expect(url.searchParams.get("tx_ref")).toBe(funding.tx_ref);
    url.protocol = "http:";
    url.searchParams.set("ticket", funding.watch.ticket);
    const res = await exports.default.fetch(url.toString(), { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const w = new Watcher(res.webSocket!);
    await w.status("PENDING");
    expect((await choose(funding.payment_link, "full")).status).toBe(303);
    expect(await w.status("SUCCESS", 15_000)).toMatchObject({
      tx_ref: funding.tx_ref,
      amount: "2500.00",
      amount_minor: 250000,
    });
    expect((await w.closedWithin(ROOM_CLOSE_GRACE_MS + 3000)).code).toBe(CLOSE.settled.code);
  }, 30_000);
});

describe("WS /ws/wallet: refusals before the upgrade", () => {
  it("answers another user's token exactly like an unknown tx_ref (404), with no socket", async () => {
    const { tx_ref } = await pendingFunding();
    const other = await newWallet();
    const unknown = `fnd_0000000000000000000000_${other.user_id}`;
    const theirs = await upgrade({ tx_ref }, await bearerFor(other.user_id));
    const missing = await upgrade({ tx_ref: unknown }, await bearerFor(other.user_id));
    const garbage = await upgrade({ tx_ref: "not-a-reference" }, await bearerFor(other.user_id));
    const a = await expectProblem(theirs.res, 404);
    const b = await expectProblem(missing.res, 404);
    const c = await expectProblem(garbage.res, 404);
    for (const p of [a, b, c])
      expect({ code: p.code, detail: p.detail, title: p.title }).toEqual({
        code: b.code,
        detail: b.detail,
        title: b.title,
      });
    expect(theirs.watcher).toBeNull();
  });

  it("answers 401 with no credential, a bad token, a bad or expired ticket, or a ticket for another tx_ref", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const second = await pendingFunding();
    const expired = await ticketFor(user_id, tx_ref, 60, Math.floor(Date.now() / 1000) - 3600);
    const forgedTicket = `${(await ticketFor(user_id, tx_ref)).slice(0, -4)}AAAA`;
    const accessTokenAsTicket = await tokenFor(user_id);
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ["no credential", { tx_ref }, {}],
      ["a malformed Authorization header", { tx_ref }, { authorization: "Basic abc" }],
      ["an invalid bearer token", { tx_ref }, { authorization: "Bearer not.a.jwt" }],
      ["a bearer subprotocol with no token", { tx_ref }, { "sec-websocket-protocol": "bearer" }],
      ["an expired ticket", { tx_ref, ticket: expired }, {}],
      ["a forged ticket", { tx_ref, ticket: forgedTicket }, {}],
      ["an access token passed as a ticket", { tx_ref, ticket: accessTokenAsTicket }, {}],
      [
        "another transaction's ticket",
        { tx_ref, ticket: await ticketFor(second.user_id, second.tx_ref) },
        {},
      ],
      [
        "the owner's ticket for their other transaction",
        { tx_ref: second.tx_ref, ticket: await ticketFor(user_id, tx_ref) },
        {},
      ],
    ];
    for (const [what, query, headers] of cases) {
      const { res, watcher } = await upgrade(query, headers);
      const problem = await expectProblem(res, 401);
      expect(problem.code, what).toBe("unauthorized");
      expect(res.headers.get("www-authenticate"), what).toMatch(/^Bearer/);
      expect(watcher, what).toBeNull();
    }
  });

  it("answers 426 to a plain GET and 422 to an oversized tx_ref", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const plain = await exports.default.fetch(`${WS_URL}?tx_ref=${tx_ref}`, {
      headers: await bearerFor(user_id),
    });
    expect((await expectProblem(plain, 426)).code).toBe("upgrade_required");
    await expectProblem(
      (await upgrade({ tx_ref: "x".repeat(65) }, await bearerFor(user_id))).res,
      422,
    );
  });

  it(`answers 429 once the room holds ROOM_SOCKETS_MAX (${ROOM_SOCKETS_MAX}) watchers, and closes a seed-protocol join with 4429`, async () => {
    const { user_id, tx_ref } = await pendingFunding();
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
        res.webSocket!.accept();
        sockets.push(res.webSocket!);
      }
    }
    const auth = await bearerFor(user_id);
    const direct = await upgrade({ tx_ref }, auth);
    const problem = await expectProblem(direct.res, 429);
    expect(problem.code).toBe("room_full");
    const seed = await watch({}, auth);
    seed.send(JSON.stringify({ tx_ref }));
    expect((await seed.closedWithin(5000)).code).toBe(CLOSE.room_full.code);
    for (const ws of sockets) ws.close(1000, "done");
  }, 60_000);
});

describe("WS /ws/wallet?tx_ref=: client frames", () => {
  it("closes a malformed frame with 4400 and an oversized one with 4413", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const auth = await bearerFor(user_id);
    const bad = await watch({ tx_ref }, auth);
    await bad.status("PENDING");
    bad.send("{not json");
    expect((await bad.closedWithin(3000)).code).toBe(CLOSE.malformed_frame.code);
    const big = await watch({ tx_ref }, auth);
    await big.status("PENDING");
    big.send(JSON.stringify({ type: "sync", pad: "x".repeat(WS_FRAME_MAX_BYTES) }));
    expect((await big.closedWithin(3000)).code).toBe(CLOSE.frame_too_large.code);
  });
});

describe("WS /ws/wallet: the seed protocol (first frame {tx_ref})", () => {
  it("joins with a bearer header and the seed's bare join frame, then relays the settlement and the close", async () => {
    const { user_id, tx_ref, stub, amount_minor } = await pendingFunding();
    const w = await watch({}, await bearerFor(user_id));
    w.send(PING_FRAME);
    await w.waitFor((f) => f === PONG_FRAME, 3000);
    w.send(JSON.stringify({ tx_ref }));
    expect(await w.status("PENDING")).toMatchObject({ tx_ref, status: "PENDING" });
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    await w.status("SUCCESS");
    // The room's normal close after the grace reaches the seed client through the relay.
    expect((await w.closedWithin(ROOM_CLOSE_GRACE_MS + 3000)).code).toBe(1000);
  }, 20_000);

  it("joins with the ticket in the first frame (no credential at upgrade)", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const w = await watch();
    w.send(JSON.stringify({ tx_ref, ticket: await ticketFor(user_id, tx_ref) }));
    await w.status("PENDING");
    // After the join, frames go to the room, which answers them.
    w.send(JSON.stringify({ type: "sync" }));
    await w.waitFor((f) => typeof f === "object" && f.type === "status", 3000, 1);
    // The client's close travels through the relay to the room and back.
    w.close(1000, "bye");
    expect(await w.closedWithin(3000)).toEqual({ code: 1000, reason: "bye" });
  });

  const closes: [
    string,
    () => Promise<{
      query?: Record<string, string>;
      headers?: Record<string, string>;
      frame: string;
    }>,
    number,
  ][] = [
    [
      "no credential anywhere",
      async () => ({ frame: JSON.stringify({ tx_ref: (await pendingFunding()).tx_ref }) }),
      CLOSE.unauthorized.code,
    ],
    [
      "an expired ticket in the frame",
      async () => {
        const f = await pendingFunding();
        return {
          frame: JSON.stringify({
            tx_ref: f.tx_ref,
            ticket: await ticketFor(f.user_id, f.tx_ref, 60, Math.floor(Date.now() / 1000) - 3600),
          }),
        };
      },
      CLOSE.unauthorized.code,
    ],
    [
      "another transaction's ticket in the frame",
      async () => {
        const f = await pendingFunding();
        const g = await pendingFunding();
        return {
          frame: JSON.stringify({ tx_ref: f.tx_ref, ticket: await ticketFor(g.user_id, g.tx_ref) }),
        };
      },
      CLOSE.unauthorized.code,
    ],
    [
      "another user's transaction",
      async () => {
        const f = await pendingFunding();
        const other = await newWallet();
        return {
          headers: await bearerFor(other.user_id),
          frame: JSON.stringify({ tx_ref: f.tx_ref }),
        };
      },
      CLOSE.unknown_tx_ref.code,
    ],
    [
      "an unknown tx_ref of the caller's own",
      async () => {
        const other = await newWallet();
        return {
          headers: await bearerFor(other.user_id),
          frame: JSON.stringify({ tx_ref: `fnd_0000000000000000000000_${other.user_id}` }),
        };
      },
      CLOSE.unknown_tx_ref.code,
    ],
    [
      "a first frame that is not JSON",
      async () => ({ frame: "hello" }),
      CLOSE.malformed_frame.code,
    ],
    [
      "a first frame without tx_ref",
      async () => ({ frame: JSON.stringify({ type: "sync" }) }),
      CLOSE.malformed_frame.code,
    ],
    [
      "an oversized first frame",
      async () => ({ frame: JSON.stringify({ tx_ref: "x", pad: "y".repeat(WS_FRAME_MAX_BYTES) }) }),
      CLOSE.frame_too_large.code,
    ],
  ];
  for (const [what, setup, code] of closes) {
    it(`closes with ${code} after ${what}`, async () => {
      const { query, headers, frame } = await setup();
      const w = await watch(query ?? {}, headers ?? {});
      w.send(frame);
      expect((await w.closedWithin(5000)).code).toBe(code);
      expect(w.frames).toContainEqual(expect.objectContaining({ v: 1, type: "error" }));
      expect(w.frames.some((f) => typeof f === "object" && f.type === "status")).toBe(false);
    });
  }

  it(`closes with 4408 when no join frame comes within WS_JOIN_TIMEOUT_MS (${WS_JOIN_TIMEOUT_MS} ms)`, async () => {
    const { user_id } = await pendingFunding();
    const started = Date.now();
    const w = await watch({}, await bearerFor(user_id));
    const closed = await w.closedWithin(WS_JOIN_TIMEOUT_MS + 3000);
    expect(closed).toEqual({ code: CLOSE.join_timeout.code, reason: CLOSE.join_timeout.reason });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WS_JOIN_TIMEOUT_MS - 50);
  }, 15_000);

  it("still refuses a bad credential presented at upgrade time with 401 before any socket", async () => {
    const { res, watcher } = await upgrade({}, { authorization: "Bearer nope" });
    await expectProblem(res, 401);
    expect(watcher).toBeNull();
  });
});

describe("POST /wallet/fund: how to watch", () => {
  it("answers with a ws URL for the tx_ref and a ticket scoped to it, and replays the same ones", async () => {
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const first = await api(
      "/wallet/fund",
      form({ amount: "1000" }, { ...auth, "idempotency-key": "watch-1" }),
    );
    const second = await api(
      "/wallet/fund",
      form({ amount: "1000" }, { ...auth, "idempotency-key": "watch-1" }),
    );
    const a = (await first.json()) as {
      tx_ref: string;
      watch: { websocket_url: string; ticket: string };
    };
    const b = (await second.json()) as typeof a;
    expect(a.watch.websocket_url).toBe(`ws://wallet.test/api/v1/ws/wallet?tx_ref=${a.tx_ref}`);
    expect(b).toEqual(a);
    const ticket = await verifyWatchTicket(requireConfig(env), a.watch.ticket);
    expect(ticket).toEqual({
      ok: true,
      user_id,
      tx_ref: a.tx_ref,
      expires_at_s: expect.any(Number),
    });
  });
});
