/**
 * What the feed readers that fan out to sharded objects (the operator index,
 * the books) share: a batch split into one group per shard, each group sent
 * in one call, the calls concurrent; and the drain after a change, off the
 * write's path.
 */
import { log } from "../../lib/log";
import type { Change, ChangeFeed, Delivery } from "./feed";

/**
 * Send every shard's group concurrently, and acknowledge up to the first
 * change whose shard failed: every earlier change reached its shard. The later
 * ones, some of them already taken by other shards, come again with the
 * retry, so a shard must absorb a redelivery (a version guard, idempotent keys).
 * `first_seq` is the feed position of a group's first change.
 */
export async function deliverByShard<G>(
  changes: readonly Change[],
  groups: Iterable<[number, G]>,
  first_seq: (group: G) => number,
  send: (shard: number, group: G) => Promise<unknown>,
): Promise<Delivery> {
  const failed: { seq: number; error: unknown }[] = [];
  await Promise.all(
    [...groups].map(async ([shard, group]) => {
      try {
        await send(shard, group);
      } catch (error) {
        failed.push({ seq: first_seq(group), error });
      }
    }),
  );
  if (failed.length === 0) return { through_seq: changes[changes.length - 1].seq };
  const first = failed.reduce((a, b) => (b.seq < a.seq ? b : a));
  const delivered = changes.filter((c) => c.seq < first.seq);
  return {
    through_seq: delivered.length > 0 ? delivered[delivered.length - 1].seq : 0,
    error: first.error,
  };
}

/**
 * A reader's delivery after a change, not awaited, so a slow or unavailable
 * shard never delays an answer. The feed drains one reader single-flight, so
 * changes made while a delivery runs go together in the next one. A failed or
 * unfinished delivery re-arms the alarm, which delivers again.
 */
export function drainInBackground(
  feed: ChangeFeed,
  ctx: DurableObjectState,
  reader: string,
  rearm: () => Promise<void>,
): void {
  const work = feed
    .drain([reader])
    .then(async () => {
      if (feed.state(reader).backlog > 0) await rearm();
    })
    .catch((error: unknown) => log.error(`background ${reader} delivery failed`, { error }));
  ctx.waitUntil(work);
}
