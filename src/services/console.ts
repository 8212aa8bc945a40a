/**
 * What the operator console's pages show, gathered from the objects that hold
 * it: the operator index (every shard merged), the dead-letter store, and for
 * one transaction its wallet. The pages (src/pages/console/) only render.
 */
import { DEAD_LETTERS_OBJECT } from "../durable/dead-letters/object";
import { errors } from "../lib/errors";
import { txRefOwner } from "../lib/ids";
import type { SettlementOutcome } from "../domain/operator";
import type { TransactionRecord } from "../domain/records";
import type { TransactionHistory } from "../durable/wallet/object";
import { operatorOverview, settlementSeries, type OperatorOverview } from "./operator-index";

export type OverviewData = {
  overview: OperatorOverview;
  letters: { stored: number; unreplayed: number; oldest_unreplayed_at_ms: number | null };
  series: { bucket_start_ms: number; counts: Record<SettlementOutcome, number> }[];
};

export type TransactionPageData = {
  user_id: string;
  tx: TransactionRecord;
  history: TransactionHistory;
};

/** The charts: the last day, per hour. */
export const CONSOLE_SERIES_BUCKET_MS = 60 * 60 * 1000;
export const CONSOLE_SERIES_BUCKETS = 24;

export async function consoleOverview(
  env: Env,
  shards: number,
  limit: number,
): Promise<OverviewData> {
  const [overview, letters] = await Promise.all([
    operatorOverview(env, shards, limit),
    env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).stats(),
  ]);
  const series = await settlementSeries(
    env,
    shards,
    overview.now_ms,
    CONSOLE_SERIES_BUCKET_MS,
    CONSOLE_SERIES_BUCKETS,
  );
  return { overview, letters, series };
}

/** One transaction and its history; 404 when the reference is not ours or its wallet has no such transaction. */
export async function consoleTransaction(env: Env, tx_ref: string): Promise<TransactionPageData> {
  const user_id = txRefOwner(tx_ref);
  if (!user_id) throw errors.notFound("No such transaction.");
  const wallet = env.WALLET.getByName(user_id);
  const tx = await wallet.getTransaction(tx_ref);
  if (!tx) throw errors.notFound("No such transaction.");
  return { user_id, tx, history: await wallet.transactionHistory(tx_ref) };
}
