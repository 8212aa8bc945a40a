/** What the Operations object answers besides the index rows: projection lag, provider problems, the view's base. */

export type ProjectionLagReport = {
  user_id: string;
  backlog: number;
  oldest_at_ms: number;
  failures: number;
};
/** Across wallets: how many are behind, their changes waiting, the oldest waiting change. */
export type ProjectionLag = {
  wallets_behind: number;
  backlog_changes: number;
  oldest_at_ms: number | null;
  capped: boolean;
};

export type ProviderProblem = {
  provider: string;
  kind: string;
  detail: string;
  first_at_ms: number;
  last_at_ms: number;
  count: number;
};

/** What the operator view needs from "global" besides each shard's part. */
export type IndexBase = {
  /** The shard count the index was built with; null before any shard or the move used one. */
  shards: number | null;
  /** True while the single index's rows are still moving into the shards (the view is then partial). */
  moving: boolean;
  provider_problems: ProviderProblem[];
};
