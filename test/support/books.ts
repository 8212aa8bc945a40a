/**
 * Helpers for the books' tests: wait until a wallet's change feed has reached
 * the Books shards (the `books` reader has acknowledged every change), and
 * make it deliver everything again (a redelivery from the feed's start).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { Wallet } from "../../src/durable/wallet/object";
import { BOOKS_READER } from "../../src/durable/wallet/books-reader";

/** Changes the books reader has not acknowledged yet. */
export async function booksBacklog(stub: DurableObjectStub<Wallet>): Promise<number> {
  return runInDurableObject(stub, (_instance, state) => {
    const row = state.storage.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM changes
         WHERE seq > COALESCE((SELECT position FROM feed_readers WHERE reader = ?), 0)`,
        BOOKS_READER,
      )
      .one();
    return row.n;
  });
}

/**
 * Until the books have every change of these wallets: polls, and runs a
 * wallet's alarm (which drains the reader) when a background delivery has
 * not caught up. Throws after `timeout_ms` with what is still behind.
 */
export async function booksCaughtUp(
  stubs: readonly DurableObjectStub<Wallet>[],
  timeout_ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const backlogs = await Promise.all(stubs.map(booksBacklog));
    if (backlogs.every((n) => n === 0)) return;
    if (Date.now() > deadline)
      throw new Error(`the books are still behind: backlogs ${JSON.stringify(backlogs)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const [i, stub] of stubs.entries()) if (backlogs[i] > 0) await drainByAlarm(stub);
  }
}

async function drainByAlarm(stub: DurableObjectStub<Wallet>): Promise<void> {
  await runInDurableObject(stub, async (_instance, state) => {
    if ((await state.storage.getAlarm()) === null)
      await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  await runDurableObjectAlarm(stub);
}

/** Redelivery: the books reader's position back to the start, so every kept change comes again. */
export async function redeliverToBooks(stub: DurableObjectStub<Wallet>): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE feed_readers SET position = 0, failures = 0, retry_at_ms = NULL WHERE reader = ?",
      BOOKS_READER,
    );
  });
  await drainByAlarm(stub);
}
