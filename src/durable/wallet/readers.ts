/**
 * Readers of the Wallet's change feed (feed.ts). Each takes a batch of
 * changes in order and says how far it got. The operator index's reader is
 * operator-reader.ts; the MongoDB projection's reader lives with the rest of
 * the projection, in src/projection/wallet-reader.ts, with its lag reporting.
 */
import { snapshotOf } from "../../domain/records";
import { log } from "../../lib/log";
import type { Change, Delivery, FeedReader } from "./feed";

/**
 * Rooms: every version of a transaction goes to its Room, in order, so every
 * stage reaches the watchers. A Room drops a version it already has (a
 * redelivery after a crash) by `version`.
 *
 * Rooms of different transactions are independent, so a batch is delivered
 * per room concurrently, each room's versions strictly in order and in one
 * call (`publishAll`), so a drain costs one round trip per room. The reader
 * acknowledges up to the first change it could not deliver (every earlier
 * change, of any room, was delivered); that change and those after it are
 * retried with backoff.
 *
 * An error thrown by the Room's own code (`remote`: it refused the snapshot, a
 * bug to fix, not a transient fault) is logged and skipped: retrying could not
 * change its answer, it must not hold up every later change of this wallet,
 * and a Room rebuilds its state from the Wallet when a watcher joins.
 */
export const ROOMS_READER = "rooms";

export function roomsReader(env: Env): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    const byRoom = new Map<string, Extract<Change, { entity: "transaction" }>[]>();
    for (const change of changes) {
      if (change.entity !== "transaction") continue;
      const list = byRoom.get(change.entity_key) ?? [];
      list.push(change);
      byRoom.set(change.entity_key, list);
    }
    let first_failure: { seq: number; error: unknown } | null = null;
    // One call per room per drain, with every version it has waiting, in order.
    await Promise.all(
      [...byRoom.entries()].map(async ([tx_ref, versions]) => {
        let results: Array<{ accepted: boolean } | { refused: string }>;
        try {
          results = await env.ROOM.getByName(tx_ref).publishAll(
            versions.map((change) => snapshotOf(change.body.owner_user_id, change.body)),
          );
        } catch (error) {
          if (error instanceof Error && (error as { remote?: boolean }).remote === true) {
            log.error("room refused a snapshot; skipped", {
              tx_ref,
              version: versions[0].version,
              error,
            });
            return;
          }
          // Nothing of this room is known delivered: from its first version on, retried (the Room drops repeats by version).
          if (!first_failure || versions[0].seq < first_failure.seq)
            first_failure = { seq: versions[0].seq, error };
          return;
        }
        results.forEach((result, i) => {
          if ("refused" in result)
            log.error("room refused a snapshot; skipped", {
              tx_ref,
              version: versions[i].version,
              error: result.refused,
            });
        });
      }),
    );
    const failure = first_failure as { seq: number; error: unknown } | null;
    if (!failure) return { through_seq: changes[changes.length - 1].seq };
    const delivered = changes.filter((c) => c.seq < failure.seq);
    return {
      through_seq: delivered.length > 0 ? delivered[delivered.length - 1].seq : 0,
      error: failure.error,
    };
  };
}
