/**
 * The Books shards with real wallets' feeds: the day records reconciliation
 * reads (`ourTransactionsOfDay`, every shard paged through), upserted to the
 * highest version; and a shard fed a transaction's versions out of order and
 * again (the very versions a real wallet wrote) posts each money event once.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { booksShardName, booksShardOf } from "../../../src/domain/books";
import type { TransactionChange } from "../../../src/domain/records";
import { lagosDayKey } from "../../../src/domain/tiers";
import { BOOKS_SHARDS } from "../../../src/durable/books/limits";
import { newTxRef } from "../../../src/lib/ids";
import { entriesOf, ourTransactionsOfDay } from "../../../src/services/books";
import { booksCaughtUp } from "../../support/books";
import { env, fundedWallet, UNBOUNDED_TIERS } from "../../support/helpers";

async function withdrawal(
  stub: Awaited<ReturnType<typeof fundedWallet>>["stub"],
  user_id: string,
  outcome: "succeeded" | "failed" | null,
) {
  const tx_ref = newTxRef("WITHDRAW", user_id);
  const opened = await stub.openHeld({
    tx_ref,
    type: "WITHDRAW",
    amount_minor: 1_000_00,
    fee_minor: 50_00,
    currency: "NGN",
    details: {},
    tiers: UNBOUNDED_TIERS,
  });
  expect(opened.outcome).toBe("opened");
  expect(await stub.claimSubmission(tx_ref)).toBe(true);
  await stub.recordSubmitted(tx_ref, `trf-${tx_ref}`);
  if (outcome)
    await stub.applyProviderFacts(
      tx_ref,
      {
        found: true,
        provider_ref: `trf-${tx_ref}`,
        our_ref: tx_ref,
        outcome,
        amount_minor: 1_000_00,
        currency: "NGN",
        message: null,
      },
      { via: "webhook" },
    );
  return tx_ref;
}

describe("the Books shards", () => {
  it("keeps each transaction's day record at its highest version, and ourTransactionsOfDay reads every shard", async () => {
    const { stub, user_id } = await fundedWallet(20_000_00);
    const paid = await withdrawal(stub, user_id, "succeeded");
    const failed = await withdrawal(stub, user_id, "failed");
    const pending = await withdrawal(stub, user_id, null);
    await booksCaughtUp([stub]);

    const listed = await stub.listTransactions({ limit: 10 });
    if (!listed.ok) throw new Error("listing refused");
    const day = lagosDayKey(listed.data[0].created_at_ms);
    const ours = await ourTransactionsOfDay(env, day);
    // Sorted by tx_ref, each once, all of that day.
    const refs = ours.map((t) => t.tx_ref);
    expect(refs).toEqual([...refs].sort());
    expect(new Set(refs).size).toBe(refs.length);
    for (const t of ours) expect(t.day).toBe(day);
    for (const tx of listed.data) {
      const record = ours.find((t) => t.tx_ref === tx.tx_ref);
      expect(record, tx.tx_ref).toMatchObject({
        owner_user_id: user_id,
        type: tx.type,
        status: tx.status,
        stage: tx.stage,
        version: tx.version,
        amount_minor: tx.amount_minor,
        fee_minor: tx.fee_minor,
        settled_at_ms: tx.settled_at_ms,
      });
    }
    const byRef = (r: string) => ours.find((t) => t.tx_ref === r);
    expect(byRef(paid)).toMatchObject({
      status: "SUCCESS",
      provider_ref: paid,
      provider_id: `trf-${paid}`,
    });
    expect(byRef(failed)?.status).toBe("FAILED");
    expect(byRef(pending)?.status).toBe("PENDING");
    // Another day holds none of them.
    const other = await ourTransactionsOfDay(env, "2001-01-01");
    expect(other.filter((t) => t.owner_user_id === user_id)).toEqual([]);

    // A shard pages by tx_ref: one at a time reaches the same records.
    const shard = env.BOOKS.getByName(booksShardName(booksShardOf(paid, BOOKS_SHARDS)));
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10_000; i++) {
      const page: { items: { tx_ref: string }[]; next: string | null } =
        await shard.dayTransactions(day, after, 1);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((t) => t.tx_ref));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toContain(paid);
  });

  it("posts each money event once when a transaction's versions come again and out of order", async () => {
    const { stub, user_id } = await fundedWallet(20_000_00);
    const tx_ref = await withdrawal(stub, user_id, "succeeded");
    await booksCaughtUp([stub]);
    const before = await entriesOf(env, [tx_ref]);
    expect(before.map((s) => s.event)).toEqual(["post"]);
    expect(before[0].postings).toContainEqual({ account: "revenue:fees", amount_minor: 50_00 });

    // The very versions the wallet wrote, from its feed.
    const versions = (await stub.changes(0, 100))
      .filter((c) => c.entity === "transaction" && c.entity_key === tx_ref)
      .map((c) => c.body as TransactionChange);
    expect(versions.length).toBeGreaterThan(2);
    const shard_index = booksShardOf(tx_ref, BOOKS_SHARDS);
    const shard = env.BOOKS.getByName(booksShardName(shard_index));
    expect(await shard.ingest([...versions].reverse(), shard_index)).toBe(0);
    expect(await shard.ingest(versions, shard_index)).toBe(0);
    expect(await entriesOf(env, [tx_ref])).toEqual(before);
    // A version sent to the wrong shard is refused (the reader splits by the same hash).
    const wrong = (shard_index + 1) % BOOKS_SHARDS;
    await runInDurableObject(env.BOOKS.getByName(booksShardName(wrong)), async (books) => {
      await expect(books.ingest(versions, wrong)).rejects.toThrow(/belongs to shard/);
    });
  });
});
