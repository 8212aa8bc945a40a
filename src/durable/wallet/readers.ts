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
 * Rooms: every version of a watched transaction goes to its Room, in order,
 * so every stage reaches the watchers. A Room drops a version it already has
 * (a redelivery after a crash) by `version`.
 *
 * Only watched transactions: a Room marks its transaction watched in the
 * Wallet (`markWatched`, from Wallet.watch) when its first watcher joins or
 * its snapshot is read, and takes the transaction as it is then in the same
 * call. Publishing to every transaction's Room made every purchase create a
 * brand-new Room object nobody might ever watch. Why nothing is lost: the
 * batch is read from the feed and the marks are looked up with no await in
 * between, so a change of a batch was committed before that look-up; if the
 * mark came later, the state the mark answered with already holds the change.
 * A change committed after the mark is published. A change committed before
 * the mark and delivered after it is published too, and dropped by the Room
 * as a version it has. The marks are kept in the Wallet's key-value storage
 * (a local read per room per drain, no round trip), one per watched
 * transaction, never removed: a settled transaction can still change (a
 * reversal) while someone watches it.
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

const WATCHED_KEY_PREFIX = "room-watched:";

/** From now on, the changes of this transaction go to its Room (see above). */
export function markWatched(storage: DurableObjectStorage, tx_ref: string): void {
  // Every write of the Wallet goes through transactionSync.
  storage.transactionSync(() => storage.kv.put(`${WATCHED_KEY_PREFIX}${tx_ref}`, 1));
}

function isWatched(storage: DurableObjectStorage, tx_ref: string): boolean {
  return storage.kv.get(`${WATCHED_KEY_PREFIX}${tx_ref}`) !== undefined;
}

type RoomChange = Extract<Change, { entity: "transaction" | "batch" }>;

/** One room's versions, in one call: a transaction's snapshots, or a batch's versions (src/durable/room/batch.ts). */
function publishTo(env: Env, key: string, versions: RoomChange[]) {
  const room = env.ROOM.getByName(key);
  if (versions[0].entity === "batch")
    return room.publishBatch(
      versions.map((change) => (change as Extract<Change, { entity: "batch" }>).body),
    );
  return room.publishAll(
    versions.map((change) => {
      const body = (change as Extract<Change, { entity: "transaction" }>).body;
      return snapshotOf(body.owner_user_id, body);
    }),
  );
}

export function roomsReader(env: Env, storage: DurableObjectStorage): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    // Synchronous up to the first await: the marks are read in the same turn as the batch (see above).
    const byRoom = new Map<string, RoomChange[]>();
    const watched = new Map<string, boolean>();
    for (const change of changes) {
      // A watched batch goes to the room named by its batch_id, as a transaction to its tx_ref's.
      if (change.entity !== "transaction" && change.entity !== "batch") continue;
      let is_watched = watched.get(change.entity_key);
      if (is_watched === undefined) {
        is_watched = isWatched(storage, change.entity_key);
        watched.set(change.entity_key, is_watched);
      }
      if (!is_watched) continue;
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
          results = await publishTo(env, tx_ref, versions);
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
