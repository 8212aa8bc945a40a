/**
 * What the operator console's pages show, gathered from the objects that hold
 * it: the operator index (every shard merged), the dead-letter store, and for
 * one transaction its wallet. The pages (src/pages/console/) only render.
 */
import { DEAD_LETTERS_OBJECT } from "../durable/dead-letters/object";
import { errors } from "../lib/errors";
import { requireConfig } from "../lib/config";
import type { TierStanding } from "../domain/tiers";
import type { Anomaly } from "../durable/wallet/trail";
import { txRefOwner } from "../lib/ids";
import type { SettlementOutcome } from "../domain/operator";
import type { TransactionRecord } from "../domain/records";
import type { TransactionHistory } from "../durable/wallet/object";
import type { AuditEntry, Proposal } from "../domain/acts";
import type { WalletSummary } from "../domain/records";
import type { IndexedProposal } from "../durable/operations/acts-index";
import { decisionRefusal } from "../durable/wallet/decisions";
import { AUDIT_PAGE_MAX, PROPOSALS_PAGE_MAX } from "../durable/wallet/limits";
import { operatorOverview, settlementSeries, type OperatorOverview } from "./operator-index";
import { proposalsAcrossWallets } from "./operator-acts";

export type OverviewData = {
  overview: OperatorOverview;
  letters: { stored: number; unreplayed: number; oldest_unreplayed_at_ms: number | null };
  series: { bucket_start_ms: number; counts: Record<SettlementOutcome, number> }[];
};

export type TransactionPageData = {
  user_id: string;
  tx: TransactionRecord;
  history: TransactionHistory;
  proposals: Proposal[];
  audit: AuditEntry[];
  /** A held payment an operator may decide (post or void) now: pending, and escalated or past its deadline. */
  decidable: boolean;
};

export type WalletPageData = {
  summary: WalletSummary;
  /** Where the wallet stands against its KYC tier today (src/domain/tiers.ts). */
  standing: TierStanding | null;
  /** Open `over_tier_cap` anomalies: money credited over the tier's balance cap. */
  over_tier_cap: Anomaly[];
  transactions: TransactionRecord[];
  proposals: Proposal[];
  audit: AuditEntry[];
};

/** How many of a wallet's newest transactions its console page lists. */
export const CONSOLE_WALLET_TRANSACTIONS = 20;

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
  const [history, proposals, log] = await Promise.all([
    wallet.transactionHistory(tx_ref),
    wallet.proposals({ limit: PROPOSALS_PAGE_MAX }),
    wallet.auditLog({ limit: AUDIT_PAGE_MAX }),
  ]);
  const mine = proposals.filter((p) => p.tx_ref === tx_ref);
  const ids = new Set(mine.map((p) => p.id));
  const audit = (log?.data ?? []).filter(
    (e) => e.target === tx_ref || (e.proposal_id !== null && ids.has(e.proposal_id)),
  );
  return { user_id, tx, history, proposals: mine, audit, decidable: decidable(tx, Date.now()) };
}

/** The same rule proposing (./act-proposals.ts) and deciding apply: the page offers only what they accept. */
export function decidable(tx: TransactionRecord, now_ms: number): boolean {
  return decisionRefusal(tx, tx.version, now_ms) === null;
}

/** A wallet as an operator sees it; 404 for a user without one. */
export async function consoleWallet(env: Env, user_id: string): Promise<WalletPageData> {
  const wallet = env.WALLET.getByName(user_id);
  const summary = await wallet.summary();
  if (!summary) throw errors.notFound("No wallet for this user.");
  const [list, proposals, log, standing, anomalies] = await Promise.all([
    wallet.listTransactions({ limit: CONSOLE_WALLET_TRANSACTIONS }),
    wallet.proposals({ limit: PROPOSALS_PAGE_MAX }),
    wallet.auditLog({ limit: AUDIT_PAGE_MAX }),
    wallet.tierStanding(requireConfig(env).kyc),
    wallet.anomalies(),
  ]);
  return {
    summary,
    standing,
    over_tier_cap: anomalies.filter((a) => a.kind === "over_tier_cap"),
    transactions: list.ok ? list.data : [],
    proposals,
    audit: log?.data ?? [],
  };
}

/** The approvals queue: pending proposals across wallets, newest first. */
export async function consoleApprovals(
  env: Env,
  shards: number,
  limit: number,
): Promise<IndexedProposal[]> {
  return proposalsAcrossWallets(env, shards, { status: "pending", limit });
}
