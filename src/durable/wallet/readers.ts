/**
 * Readers of the Wallet's change feed (feed.ts). Each takes a batch of
 * changes in order and says how far it got.
 */
import { snapshotOf, type TransactionRecord } from "../../domain/records";
import { log } from "../../lib/log";
import type { Change, Delivery, FeedReader } from "./feed";

/** What the feed carries for a transaction: the record and its owner. */
export type TransactionChange = TransactionRecord & { owner_user_id: string };

/**
 * Rooms: every version of a transaction goes to its Room, in order, so every
 * stage reaches the watchers. A Room drops a version it already has (a
 * redelivery after a crash) by `version`.
 *
 * A failure to reach a Room stops the batch there (retried with backoff from
 * the same change). An error thrown by the Room's own code (`remote`: it
 * refused the snapshot, a bug to fix, not a transient fault) is logged and
 * skipped: retrying could not change its answer, it must not hold up every
 * later change of this wallet, and a Room rebuilds its state from the Wallet
 * when a watcher joins.
 */
export function roomsReader(env: Env): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    let through_seq = 0;
    for (const change of changes) {
      if (change.entity === "transaction") {
        const tx = change.body as TransactionChange;
        try {
          await env.ROOM.getByName(change.entity_key).publish(snapshotOf(tx.owner_user_id, tx));
        } catch (error) {
          if (!(error instanceof Error && (error as { remote?: boolean }).remote === true)) return { through_seq, error };
          log.error("room refused a snapshot; skipped", { tx_ref: change.entity_key, version: change.version, error });
        }
      }
      through_seq = change.seq;
    }
    return { through_seq };
  };
}
