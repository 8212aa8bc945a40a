/**
 * The Operations objects' bounds: the operator index (ingest, retention,
 * pruning, list sizes) and the users index each shard keeps, the one-time move
 * of the single index into the shards, and what the "global" object (shard 0)
 * alone keeps: provider problems and the projection lag. (How many shards
 * there are is configuration: OPERATOR_INDEX_SHARDS, bounded in src/lib/limits.ts.)
 */
import { FEED_BATCH_MAX } from "../wallet/limits";

// ---- Provider problems -----------------------------------------------------------
/** A provider problem of ours (float, credentials) counts as current in readiness for this long after it was last seen. */
export const PROVIDER_PROBLEM_RECENT_MS = 15 * 60 * 1000;

// ---- Operator index ------------------------------------------------------------------
/** Facts in one delivery to a shard of the operator index: at most one feed batch (the reader splits a batch by shard). */
export const OPERATOR_INGEST_MAX = FEED_BATCH_MAX;
/**
 * A terminal transaction (and its settlement keys) stays in the operator
 * index this long after its last change, then is pruned; the counters stay.
 * Longer than FEED_RETAIN_MS (src/durable/wallet/limits.ts), so a change the feed can still redeliver always
 * finds its settlement key and is never counted twice.
 */
export const OPERATOR_TERMINAL_RETAIN_MS = 8 * 24 * 60 * 60 * 1000;
/** Rows pruned from each operator table per delivery (the rest go with the next one). */
export const OPERATOR_PRUNE_BATCH_MAX = 500;
/** Anomalies kept in each shard; past it, resolved ones go first, then the oldest. */
export const OPERATOR_ANOMALIES_KEEP_MAX = 10_000;
/** Rows per list in the operator view. */
export const OPERATOR_LIST_DEFAULT = 20;
export const OPERATOR_LIST_MAX = 100;
/** Longest anomaly kind an operator route accepts (ours are short snake_case names). */
export const ANOMALY_KIND_MAX_CHARS = 64;

// ---- Users index and projection lag -----------------------------------------------
/** Users listed per page of the users index (the rebuild command walks it). */
export const USERS_INDEX_PAGE_MAX = 1_000;
/**
 * Wallets whose projection lag the Operations object keeps at once. One row per
 * wallet that is behind, removed when it catches up; past this the count of
 * further wallets is kept, not their rows, so an outage over every wallet
 * cannot grow the table without bound.
 */
export const PROJECTION_LAG_WALLETS_MAX = 10_000;

// ---- Moving the single operator index into the shards ------------------------------------
/** Rows read from each of the single index's tables per step of the move (then sent, split by shard, and deleted). */
export const INDEX_MOVE_PAGE_MAX = 500;
/** Steps one alarm runs before it re-arms itself (each step's calls are bounded; the alarm's wall time is too). */
export const INDEX_MOVE_STEPS_PER_ALARM = 20;
/** After a step fails (a shard did not answer), the move waits this long before it tries again. */
export const INDEX_MOVE_RETRY_MS = 10_000;
/** What the resolve route asks an operator to wait (Retry-After) when the anomaly may still be moving. */
export const INDEX_MOVING_RETRY_AFTER_S = 10;
