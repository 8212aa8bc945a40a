/**
 * What a watch socket may cost us: no storage for an invented tx_ref, a
 * bounded number of sockets per user and per client address, and no socket
 * that outlives the credential it was opened with.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../../src/durable/room/protocol";
import { requireConfig } from "../../../src/lib/config";
import { newTxRef } from "../../../src/lib/ids";
import { WS_JOIN_TIMEOUT_MS } from "../../../src/durable/room/limits";
import {
  WS_SOCKETS_PER_ADDRESS_DEFAULT,
  WS_SOCKETS_PER_USER_DEFAULT,
} from "../../../src/lib/limits";
import { issueAccessToken } from "../../../src/lib/tokens";
import { addressLeaseKey, userLeaseKey } from "../../../src/routes/ws/leases";
import { bearerFor, eventually, expectProblem, newWallet, uniqueIp } from "../../support/helpers";
import { pendingFunding, ticketFor, upgrade, watch, type Watcher } from "../../support/realtime";

/** The workers project configures the production defaults (vitest.config.ts). */
const PER_USER = WS_SOCKETS_PER_USER_DEFAULT;
const PER_ADDRESS = WS_SOCKETS_PER_ADDRESS_DEFAULT;

async function roomTables(tx_ref: string): Promise<string[]> {
  return runInDurableObject(env.ROOM.getByName(tx_ref), (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name),
  );
}

/** An access token that expires `in_s` seconds from now (issued as if earlier, within the allowed lifetime). */
async function tokenExpiringIn(user_id: string, in_s: number): Promise<string> {
  const config = requireConfig(env);
  const now_s = Math.floor(Date.now() / 1000) - config.ACCESS_TOKEN_EXPIRE_MINUTES * 60 + in_s;
  return (await issueAccessToken(config, user_id, now_s)).access_token;
}

const held = (key: string) => env.SOCKET_LEASES.getByName(key).held();

describe("WS /ws/wallet: no storage for a tx_ref that does not exist", () => {
  it("refuses an invented tx_ref of the caller's own with 404 and leaves its room without tables", async () => {
    const { user_id } = await newWallet();
    const invented = newTxRef("FUND", user_id);
    const { res, watcher } = await upgrade({ tx_ref: invented }, await bearerFor(user_id));
    await expectProblem(res, 404);
    expect(watcher).toBeNull();
    expect(await roomTables(invented)).toEqual([]);
  });

  it("closes a seed-protocol join for an invented tx_ref with 4404 and leaves its room without tables", async () => {
    const { user_id } = await newWallet();
    const invented = newTxRef("FUND", user_id);
    const w = await watch({}, await bearerFor(user_id));
    w.send(JSON.stringify({ tx_ref: invented }));
    expect((await w.closedWithin(5000)).code).toBe(CLOSE.unknown_tx_ref.code);
    expect(await roomTables(invented)).toEqual([]);
  });

  it("gives back the socket leases of a refused upgrade", async () => {
    const { user_id } = await newWallet();
    const ip = uniqueIp();
    await expectProblem(
      (
        await upgrade(
          { tx_ref: newTxRef("FUND", user_id) },
          { ...(await bearerFor(user_id)), "cf-connecting-ip": ip },
        )
      ).res,
      404,
    );
    expect(await held(userLeaseKey(user_id))).toBe(0);
    expect(await env.SOCKET_LEASES.getByName(addressLeaseKey(ip)).hasStorage()).toBe(false);
  });
});

describe("WS /ws/wallet: sockets end with their credential", () => {
  it("closes a bearer-token socket with 4001 at the token's expiry, and a fresh token reconnects", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const w = await watch(
      { tx_ref },
      { authorization: `Bearer ${await tokenExpiringIn(user_id, 2)}` },
    );
    await w.status("PENDING");
    const closed = await w.closedWithin(8000);
    expect(closed).toEqual({
      code: CLOSE.credential_expired.code,
      reason: CLOSE.credential_expired.reason,
    });
    expect(w.frames).toContainEqual(
      expect.objectContaining({ type: "error", code: "credential_expired" }),
    );
    // Re-authenticating is reconnecting with a fresh credential.
    const again = await watch({ tx_ref }, await bearerFor(user_id));
    await again.status("PENDING");
    again.close();
  }, 15_000);

  it("closes a ticket socket at the ticket's expiry, through the seed protocol's relay too", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const direct = await watch({ tx_ref, ticket: await ticketFor(user_id, tx_ref, 2) });
    const relayed = await watch();
    relayed.send(JSON.stringify({ tx_ref, ticket: await ticketFor(user_id, tx_ref, 2) }));
    await direct.status("PENDING");
    await relayed.status("PENDING");
    const [a, b] = await Promise.all([direct.closedWithin(8000), relayed.closedWithin(8000)]);
    expect(a.code).toBe(CLOSE.credential_expired.code);
    expect(b.code).toBe(CLOSE.credential_expired.code);
  }, 15_000);

  it("gives back the socket's leases when it is closed at expiry", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const w = await watch(
      { tx_ref },
      { authorization: `Bearer ${await tokenExpiringIn(user_id, 2)}` },
    );
    await w.status("PENDING");
    expect(await held(userLeaseKey(user_id))).toBe(1);
    await w.closedWithin(8000);
    await eventually(async () => expect(await held(userLeaseKey(user_id))).toBe(0), 5000);
  }, 15_000);
});

describe("WS /ws/wallet: sockets per user and per address", () => {
  it(`refuses the socket past WS_SOCKETS_PER_USER_MAX (${PER_USER}) across rooms with 429 too_many_sockets, and takes one again after a close`, async () => {
    const first = await pendingFunding();
    const { user_id } = first;
    const auth = await bearerFor(user_id);
    const open: Watcher[] = [];
    for (let i = 0; i < PER_USER; i++)
      open.push(await watch({ tx_ref: first.tx_ref }, { ...auth, "cf-connecting-ip": uniqueIp() }));
    const refused = await upgrade(
      { tx_ref: first.tx_ref },
      { ...auth, "cf-connecting-ip": uniqueIp() },
    );
    const problem = await expectProblem(refused.res, 429);
    expect(problem).toMatchObject({ code: "too_many_sockets", scope: "user" });
    expect(Number(refused.res.headers.get("retry-after"))).toBeGreaterThan(0);
    // The seed protocol refuses the same user at the join, with 4429.
    const seed = await watch({}, { "cf-connecting-ip": uniqueIp() });
    seed.send(
      JSON.stringify({ tx_ref: first.tx_ref, ticket: await ticketFor(user_id, first.tx_ref) }),
    );
    expect(await seed.closedWithin(5000)).toEqual({
      code: CLOSE.too_many_sockets.code,
      reason: CLOSE.too_many_sockets.reason,
    });
    // Another user is not affected.
    const other = await pendingFunding();
    (await watch({ tx_ref: other.tx_ref }, await bearerFor(other.user_id))).close();
    // A closed socket gives its slot back.
    open.pop()!.close();
    await eventually(
      async () => expect(await held(userLeaseKey(user_id))).toBe(PER_USER - 1),
      5000,
    );
    open.push(await watch({ tx_ref: first.tx_ref }, auth));
    for (const w of open) w.close();
  }, 60_000);

  it(`refuses the socket past WS_SOCKETS_PER_ADDRESS_MAX (${PER_ADDRESS}) from one address, anonymous ones included`, async () => {
    const ip = uniqueIp();
    const open: Watcher[] = [];
    for (let u = 0; u < PER_ADDRESS / PER_USER; u++) {
      const f = await pendingFunding();
      const auth = { ...(await bearerFor(f.user_id)), "cf-connecting-ip": ip };
      const batch = await Promise.all(
        Array.from({ length: PER_USER }, () => watch({ tx_ref: f.tx_ref }, auth)),
      );
      open.push(...batch);
    }
    expect(await held(addressLeaseKey(ip))).toBe(PER_ADDRESS);
    const f = await pendingFunding();
    const refused = await upgrade(
      { tx_ref: f.tx_ref },
      { ...(await bearerFor(f.user_id)), "cf-connecting-ip": ip },
    );
    expect(await expectProblem(refused.res, 429)).toMatchObject({
      code: "too_many_sockets",
      scope: "address",
    });
    // A seed-protocol socket with no credential counts against its address too.
    await expectProblem((await upgrade({}, { "cf-connecting-ip": ip })).res, 429);
    // Another address is not affected.
    (
      await watch(
        { tx_ref: f.tx_ref },
        { ...(await bearerFor(f.user_id)), "cf-connecting-ip": uniqueIp() },
      )
    ).close();
    for (const w of open) w.close();
    await eventually(async () => expect(await held(addressLeaseKey(ip))).toBe(0), 10_000);
    expect(await env.SOCKET_LEASES.getByName(addressLeaseKey(ip)).hasStorage()).toBe(false);
  }, 120_000);

  it(`holds an anonymous seed-protocol socket's address lease only until its join timeout (${WS_JOIN_TIMEOUT_MS} ms), then stores nothing`, async () => {
    const ip = uniqueIp();
    const w = await watch({}, { "cf-connecting-ip": ip });
    expect(await held(addressLeaseKey(ip))).toBe(1);
    expect((await w.closedWithin(WS_JOIN_TIMEOUT_MS + 3000)).code).toBe(CLOSE.join_timeout.code);
    await eventually(async () => expect(await held(addressLeaseKey(ip))).toBe(0), 5000);
    expect(await env.SOCKET_LEASES.getByName(addressLeaseKey(ip)).hasStorage()).toBe(false);
  }, 20_000);
});
