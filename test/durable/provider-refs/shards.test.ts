/**
 * The provider-reference index in PROVIDER_REFS_SHARDS shards, through the
 * ReferenceIndex the VTpass port uses and the real ProviderRefs objects:
 * - a reference's shard is fixed (pinned values: a changed hash would lose
 *   every reference bound before it);
 * - two references in one shard are independent (binding, requery claims and
 *   their release);
 * - a reference is bound once: another tx_ref is refused, in a shard too;
 * - a reference bound before the shards, in its own object named the old way,
 *   is still found, and a requery claim for it keeps its interval, is made in
 *   the shard and leaves the old object as it was;
 * - a reference never bound writes nothing, in its shard or under the old name.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  CALLBACK_REQUERY_INTERVAL_MS,
  PROVIDER_REFS_SHARDS,
} from "../../../src/durable/provider-refs/limits";
import {
  providerRefName,
  providerRefsShard,
  providerRefsShardName,
} from "../../../src/durable/provider-refs/object";
import { referenceIndex } from "../../../src/providers/references";

const PORT = "vtpass";
/** FNV-1a (32 bit) of "<port>:<reference>", modulo 64, worked out once by hand-copied code. */
const PINNED = { abcdef: 19, empty: 16, other: 54 };
const index = () => referenceIndex(env, PORT);
const unique = () => `202612060100${crypto.randomUUID().replaceAll("-", "")}`;

/** Two fresh references that hash to the same shard. */
function twoInOneShard(): [string, string] {
  const first = unique();
  for (;;) {
    const second = unique();
    if (providerRefsShard(PORT, second) === providerRefsShard(PORT, first)) return [first, second];
  }
}

/** What the shard of a reference holds for it (a shard never bound into has no table). */
async function shardRow(reference: string) {
  return runInDurableObject(
    env.PROVIDER_REFS.getByName(providerRefsShardName(PORT, reference)),
    async (_refs, state) => {
      const sql = state.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'refs'").toArray().length === 0)
        return null;
      return (
        sql
          .exec<{ tx_ref: string; requery_at_ms: number | null }>(
            "SELECT tx_ref, requery_at_ms FROM refs WHERE port = ? AND reference = ?",
            PORT,
            reference,
          )
          .toArray()[0] ?? null
      );
    },
  );
}

/** The key-value storage of the object a reference had before the shards. */
function legacyObject(reference: string) {
  return env.PROVIDER_REFS.getByName(providerRefName(PORT, reference));
}

async function legacyStored(reference: string): Promise<Record<string, unknown>> {
  return runInDurableObject(legacyObject(reference), async (_refs, state) =>
    Object.fromEntries(await state.storage.list()),
  );
}

describe("ProviderRefs shards", () => {
  it("puts a reference in a fixed shard, the same in every release", () => {
    // Pinned: if these change, references bound before are looked for in the wrong shard.
    expect(PROVIDER_REFS_SHARDS).toBe(64);
    expect(providerRefsShard("vtpass", "202612060100abcdef")).toBe(
      providerRefsShard("vtpass", "202612060100abcdef"),
    );
    expect(providerRefsShard("vtpass", "202612060100abcdef")).toBe(PINNED.abcdef);
    expect(providerRefsShard("vtpass", "")).toBe(PINNED.empty);
    expect(providerRefsShardName("vtpass", "202612060100abcdef")).toBe(`shard/${PINNED.abcdef}`);
    // Another port's same reference is another key (and here another shard).
    expect(providerRefsShard("other", "202612060100abcdef")).toBe(PINNED.other);
    // Spread: 2,000 references reach every shard.
    const seen = new Set(Array.from({ length: 2_000 }, () => providerRefsShard(PORT, unique())));
    expect(seen.size).toBe(PROVIDER_REFS_SHARDS);
  });

  it("keeps two references of one shard independent: binding, claims and releases", async () => {
    const [a, b] = twoInOneShard();
    const refs = index();
    expect(await refs.bind(a, "tx_a")).toBe("bound");
    expect(await refs.bind(b, "tx_b")).toBe("bound");
    expect(await refs.transactionFor(a)).toBe("tx_a");
    expect(await refs.transactionFor(b)).toBe("tx_b");

    const now = Date.now();
    const claim_a = await refs.claimRequery(a, now);
    expect(claim_a).toEqual({ claim: "now", at_ms: now, previous_at_ms: null });
    // b's interval is its own: a's claim does not fold b's first callback.
    expect(await refs.claimRequery(b, now)).toEqual({
      claim: "now",
      at_ms: now,
      previous_at_ms: null,
    });
    // A repeat for a within the interval is folded to its end.
    expect(await refs.claimRequery(a, now + 1)).toMatchObject({
      claim: "later",
      at_ms: now + CALLBACK_REQUERY_INTERVAL_MS,
    });
    // Releasing b's claim gives back b's only; a keeps its folded requery.
    await refs.releaseRequery(b, now, null);
    expect(await shardRow(b)).toEqual({ tx_ref: "tx_b", requery_at_ms: null });
    expect(await shardRow(a)).toEqual({
      tx_ref: "tx_a",
      requery_at_ms: now + CALLBACK_REQUERY_INTERVAL_MS,
    });
    // A release of a claim that a later one replaced changes nothing.
    await refs.releaseRequery(a, now, null);
    expect((await shardRow(a))!.requery_at_ms).toBe(now + CALLBACK_REQUERY_INTERVAL_MS);
  });

  it("binds a reference once: the same tx_ref again is a no-op, another is refused", async () => {
    const [a, b] = twoInOneShard();
    const refs = index();
    expect(await refs.bind(a, "tx_first")).toBe("bound");
    expect(await refs.bind(a, "tx_first")).toBe("bound");
    expect(await refs.bind(a, "tx_second")).toBe("conflict");
    expect(await refs.transactionFor(a)).toBe("tx_first");
    // The neighbour in the same shard can still take that tx_ref's reference.
    expect(await refs.bind(b, "tx_second")).toBe("bound");
    // The same reference at another port is another key.
    expect(await referenceIndex(env, "other").bind(a, "tx_second")).toBe("bound");
    expect(await refs.transactionFor(a)).toBe("tx_first");
  });

  it("finds a reference bound before the shards under its old name, and claims its requeries in the shard", async () => {
    const reference = unique();
    // Bound the way the per-reference object stored it.
    await runInDurableObject(legacyObject(reference), async (_refs, state) => {
      await state.storage.put("tx_ref", "tx_old");
    });
    const refs = index();
    expect(await refs.transactionFor(reference)).toBe("tx_old");
    // A lookup reads the old object and writes nothing, in it or in the shard.
    expect(await shardRow(reference)).toBeNull();
    expect(await legacyStored(reference)).toEqual({ tx_ref: "tx_old" });

    const now = Date.now();
    expect(await refs.claimRequery(reference, now)).toEqual({
      claim: "now",
      at_ms: now,
      previous_at_ms: null,
    });
    // The claim was carried into the shard; the old object is as it was.
    expect(await shardRow(reference)).toEqual({ tx_ref: "tx_old", requery_at_ms: now });
    expect(await legacyStored(reference)).toEqual({ tx_ref: "tx_old" });
    // Repeats meet that claim there.
    expect(await refs.claimRequery(reference, now + 1)).toMatchObject({ claim: "later" });
    expect(await refs.transactionFor(reference)).toBe("tx_old");
    // The shard now holds the binding: another tx_ref is refused.
    expect(await refs.bind(reference, "tx_other")).toBe("conflict");
  });

  it("keeps the interval of a requery claimed in the old object before the shards", async () => {
    const reference = unique();
    const before = Date.now();
    await runInDurableObject(legacyObject(reference), async (_refs, state) => {
      await state.storage.put("tx_ref", "tx_old");
      await state.storage.put("requery_at_ms", before);
    });
    expect(await index().claimRequery(reference, before + 1)).toEqual({
      claim: "later",
      at_ms: before + CALLBACK_REQUERY_INTERVAL_MS,
      delay_s: Math.ceil((CALLBACK_REQUERY_INTERVAL_MS - 1) / 1000),
      previous_at_ms: before,
    });
    expect(await legacyStored(reference)).toEqual({ tx_ref: "tx_old", requery_at_ms: before });
  });

  it("writes nothing for a reference never bound, in its shard or under the old name", async () => {
    const reference = unique();
    const refs = index();
    expect(await refs.transactionFor(reference)).toBeNull();
    expect(await refs.claimRequery(reference, Date.now())).toEqual({ claim: "unknown" });
    await refs.releaseRequery(reference, Date.now(), null);
    expect(await shardRow(reference)).toBeNull();
    expect(await legacyStored(reference)).toEqual({});
  });
});
