/**
 * Wallets for the property tests, taken from a small pool and wiped before
 * each generated sequence, so every sequence starts from an empty wallet.
 * Fresh objects per sequence would create thousands of wallet and room
 * objects in one test process, which slows workerd down quadratically.
 */
import { runInDurableObject } from "cloudflare:test";
import type { Wallet } from "../../src/durable/wallet/object";
import { newWallet } from "./helpers";

type PooledWallet = Awaited<ReturnType<typeof newWallet>>;

/** Tables a sequence writes; the wallet row is reset to an empty, active wallet. */
const SEQUENCE_TABLES = [
  "journal",
  "holds",
  "provider_events",
  "anomalies",
  "idempotency",
  "transactions",
  "changes",
  "feed_readers",
];

export function walletPool(size: number): () => Promise<PooledWallet> {
  const pool: PooledWallet[] = [];
  let next = 0;
  return async () => {
    const slot = next++ % size;
    pool[slot] ??= await newWallet();
    const entry = pool[slot];
    await runInDurableObject(entry.stub, async (_wallet: Wallet, state) => {
      state.storage.transactionSync(() => {
        for (const table of SEQUENCE_TABLES) state.storage.sql.exec(`DELETE FROM ${table}`);
        state.storage.sql.exec("UPDATE wallet SET balance_minor = 0, is_active = 1");
      });
      await state.storage.deleteAlarm();
    });
    return entry;
  };
}
