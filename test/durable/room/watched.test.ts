/**
 * Rooms only for watched transactions (src/durable/wallet/readers.ts):
 * - a purchase nobody watches never makes a Room, and its first watcher,
 *   through the real route with the purchase's own ticket, still gets the
 *   state it settled in;
 * - once watched (a watcher joined, or the snapshot was read), every later
 *   change is published to the Room;
 * - a transaction that does not exist is marked nowhere.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fundedWallet, newWallet } from "../../support/helpers";
import { buyAirtime, type Purchase, uniqueNaira } from "../../support/purchases";
import { paid, pendingFunding, settle, ticketFor, watch } from "../../support/realtime";

async function roomTables(tx_ref: string): Promise<string[]> {
  return runInDurableObject(env.ROOM.getByName(tx_ref), (_room, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name),
  );
}

/** The snapshot the Room holds, read from its storage (not through `snapshot()`, which marks). */
async function storedStatus(tx_ref: string): Promise<string | null> {
  return runInDurableObject(env.ROOM.getByName(tx_ref), (_room, state) => {
    const sql = state.storage.sql;
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'snapshot'").toArray().length === 0)
      return null;
    return (
      sql.exec<{ status: string }>("SELECT status FROM snapshot WHERE id = 1").toArray()[0]
        ?.status ?? null
    );
  });
}

/** Whether the Wallet publishes this transaction's changes to its Room. */
async function markedInWallet(stub: DurableObjectStub, tx_ref: string): Promise<boolean> {
  return runInDurableObject(
    stub,
    (_w, state) => state.storage.kv.get(`room-watched:${tx_ref}`) !== undefined,
  );
}

describe("Rooms only for watched transactions", () => {
  it("makes no Room for a purchase nobody watches; its first watcher gets the settled state", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const res = await buyAirtime(auth, {
      phone: "08011111111",
      amount: uniqueNaira(),
      network: "mtn",
    });
    expect(res.status).toBe(202);
    const p = (await res.json()) as Purchase;
    expect(p.status).toBe("SUCCESS");
    // Every change of the purchase went through the feed, and none reached a Room.
    expect(await roomTables(p.tx_ref)).toEqual([]);
    expect(await markedInWallet(stub, p.tx_ref)).toBe(false);

    const w = await watch({ tx_ref: p.tx_ref, ticket: p.watch!.ticket });
    expect(await w.status("SUCCESS")).toMatchObject({ tx_ref: p.tx_ref, status: "SUCCESS" });
    expect(await markedInWallet(stub, p.tx_ref)).toBe(true);
    expect(await storedStatus(p.tx_ref)).toBe("SUCCESS");
    w.close();
  });

  it("publishes every change after the first watcher joined", async () => {
    const { tx_ref, user_id, stub, amount_minor } = await pendingFunding();
    expect(await roomTables(tx_ref)).toEqual([]);
    const w = await watch({ tx_ref, ticket: await ticketFor(user_id, tx_ref) });
    await w.status("PENDING");
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    expect(await w.status("SUCCESS")).toMatchObject({ tx_ref, status: "SUCCESS" });
    expect(await storedStatus(tx_ref)).toBe("SUCCESS");
    w.close();
  });

  it("publishes every change after the snapshot was first read, with no watcher", async () => {
    const { tx_ref, stub, amount_minor } = await pendingFunding();
    expect(await storedStatus(tx_ref)).toBeNull();
    expect(await env.ROOM.getByName(tx_ref).snapshot()).toMatchObject({ status: "PENDING" });
    expect(await storedStatus(tx_ref)).toBe("PENDING");
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    // Read from storage: the feed published it, not a second ask.
    expect(await storedStatus(tx_ref)).toBe("SUCCESS");
  });

  it("marks nothing, in the Room or the Wallet, for a transaction that does not exist", async () => {
    const { user_id, stub } = await newWallet();
    const invented = `fnd_0000000000000000000000_${user_id}`;
    expect(await env.ROOM.getByName(invented).snapshot()).toBeNull();
    expect(await roomTables(invented)).toEqual([]);
    expect(await markedInWallet(stub, invented)).toBe(false);
  });
});
