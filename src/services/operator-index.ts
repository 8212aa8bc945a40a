/**
 * The operator index and the users index as one, over their shards (the
 * Operations objects, src/durable/operations/object.ts): readers that ask every shard at once and
 * merge (src/domain/operator.ts), and the writers that reach the one shard a
 * key hashes to. Only operators' routes (behind the admin token) and
 * registration come here; no wallet change does: the wallets' feeds deliver
 * to the shards themselves (src/durable/wallet/operator-reader.ts).
 *
 * While the single index of old still moves its rows into the shards
 * (src/durable/operations/index-move.ts), the view says so, and the users it
 * still holds are merged into the listing.
 */
import {
  type AnomalyFact,
  factsByShard,
  mergeIndexViews,
  mergeSeries,
  mergeUserPages,
  shardName,
  shardOf,
  type IndexView,
  type ShardLayout,
  type UsersPage,
} from "../domain/operator";
import { OPERATIONS_OBJECT, type ProviderProblem } from "../durable/operations/object";
import { AppError } from "../lib/errors";

/** The operator view at `now_ms`, every shard merged. */
export type OperatorOverview = IndexView & {
  now_ms: number;
  provider_problems: ProviderProblem[];
  /** How many shards answered, and whether the single index's rows are still moving into them. */
  index: { shards: number; moving: boolean };
};

const indexMisconfigured = (configured: number, recorded: number) =>
  new AppError({
    status: 503,
    code: "operator_index_misconfigured",
    title: "Service unavailable",
    detail: `OPERATOR_INDEX_SHARDS is ${configured}, but the operator index was built with ${recorded} shards; the count cannot change.`,
  });

const layoutOf = (shard: number, shards: number): ShardLayout => ({ shard, shards });
const every = (shards: number) => Array.from({ length: shards }, (_, i) => i);

/** Every shard's part at one instant, merged. */
export async function operatorOverview(
  env: Env,
  shards: number,
  limit: number,
): Promise<OperatorOverview> {
  const now_ms = Date.now();
  const [base, ...views] = await Promise.all([
    env.OPERATIONS.getByName(OPERATIONS_OBJECT).indexBase(),
    ...every(shards).map((i) => env.OPERATIONS.getByName(shardName(i)).view(now_ms, limit)),
  ]);
  if (base.shards !== null && base.shards !== shards) throw indexMisconfigured(shards, base.shards);
  return {
    now_ms,
    ...mergeIndexViews(views, limit),
    provider_problems: base.provider_problems,
    index: { shards, moving: base.moving },
  };
}

/** Settlements per hour over the last day, every shard summed (the console's charts). */
export async function settlementSeries(
  env: Env,
  shards: number,
  now_ms: number,
  bucket_ms: number,
  buckets: number,
): Promise<ReturnType<typeof mergeSeries>> {
  const since_ms = Math.floor(now_ms / bucket_ms) * bucket_ms - (buckets - 1) * bucket_ms;
  const parts = await Promise.all(
    every(shards).map((i) =>
      env.OPERATIONS.getByName(shardName(i)).settlementSeries(since_ms, bucket_ms),
    ),
  );
  return mergeSeries(parts, now_ms, bucket_ms, buckets);
}

/**
 * Resolve an open anomaly in the shard that holds its transaction. While the
 * single index's rows are still moving, one not found may not have arrived
 * yet: that answers "moving" (try again), not "not found".
 */
export async function resolveAnomaly(
  env: Env,
  shards: number,
  tx_ref: string,
  kind: string,
  ref: string | null,
): Promise<"resolved" | "not_found" | "moving"> {
  if (
    await env.OPERATIONS.getByName(shardName(shardOf(tx_ref, shards))).resolveAnomaly(
      tx_ref,
      kind,
      ref,
    )
  )
    return "resolved";
  const base = await env.OPERATIONS.getByName(OPERATIONS_OBJECT).indexBase();
  if (base.shards !== null && base.shards !== shards) throw indexMisconfigured(shards, base.shards);
  return base.moving ? "moving" : "not_found";
}

/** Record a registered user id in its shard (idempotent). */
export async function indexUser(env: Env, shards: number, user_id: string): Promise<void> {
  const shard = shardOf(user_id, shards);
  await env.OPERATIONS.getByName(shardName(shard)).indexUser(user_id, layoutOf(shard, shards));
}

/**
 * Registered user ids in id order after `starting_after`, at most `limit`:
 * every shard's page and the users not yet moved out of the single index,
 * merged, each user once.
 */
export async function listUsers(
  env: Env,
  shards: number,
  query: { limit: number; starting_after?: string },
): Promise<UsersPage> {
  const [unmoved, ...pages] = await Promise.all([
    env.OPERATIONS.getByName(OPERATIONS_OBJECT).unmovedUsers(query),
    ...every(shards).map((i) => env.OPERATIONS.getByName(shardName(i)).listUsers(query)),
  ]);
  if (unmoved.shards !== null && unmoved.shards !== shards)
    throw indexMisconfigured(shards, unmoved.shards);
  return mergeUserPages([unmoved, ...pages], query.limit);
}

/**
 * Record anomalies that come from outside any wallet's feed (the daily
 * reconciliation's differences), each in the shard its tx_ref hashes to.
 * Idempotent: an anomaly is one row per (tx_ref, kind, ref).
 */
export async function recordAnomalies(
  env: Env,
  shards: number,
  facts: readonly AnomalyFact[],
): Promise<void> {
  await Promise.all(
    [...factsByShard(facts, shards)].map(([shard, group]) =>
      env.OPERATIONS.getByName(shardName(shard)).ingest(group, { shard, shards }),
    ),
  );
}
