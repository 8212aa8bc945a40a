/**
 * What the operator index learns from each wallet's change feed: compact facts
 * about transactions and anomalies, and the settlement outcome a transaction's
 * status and stage amount to; which shard of the index holds a fact or a user,
 * and how the shards' answers merge into one view. Plain data, no Cloudflare
 * imports, shared by the wallet's feed reader, the index shards and the
 * readers that merge them.
 */
import type { AuditEntry, Proposal } from "./acts";
import type { Stage } from "./flows";
import type { TxStatus, TxType } from "./transactions";

/** One version of a transaction, as much as an operator needs (no bank details, no links). */
export type TransactionFact = {
  fact: "transaction";
  tx_ref: string;
  version: number;
  owner_user_id: string;
  type: TxType;
  status: TxStatus;
  stage: Stage;
  amount_minor: number;
  currency: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** When the transaction is expected to be resolved; past it, a pending one is overdue. */
  deadline_at_ms: number;
  escalated_at_ms: number | null;
};

export type AnomalyFact = {
  fact: "anomaly";
  tx_ref: string;
  kind: string;
  /** The provider charge the anomaly is about ('' when it is about the transaction as a whole). */
  ref: string;
  detail: string;
  owner_user_id: string | null;
  created_at_ms: number;
  /** When a refund or credit in the wallet settled it (the anomaly's later version); absent: still open. */
  resolved_at_ms?: number | null;
};

/**
 * The anomaly kind a skipped scheduled run reaches the operator index as: its
 * `tx_ref` is the schedule's id and its `ref` the period, since no transaction
 * was made.
 */
export const SCHEDULE_RUN_SKIPPED = "schedule_run_skipped";

/** An operator's act on a wallet (its audit log's entry). */
export type AuditFact = { fact: "audit"; entry: AuditEntry };
/** A version of an operator's proposal (the approvals queue). */
export type ProposalFact = { fact: "proposal"; proposal: Proposal & { owner_user_id: string } };

/** What the transaction index keeps (the operator view, the metrics). */
export type IndexFact = TransactionFact | AnomalyFact;
export type OperatorFact = IndexFact | AuditFact | ProposalFact;

/**
 * The key a fact's shard is chosen by: a transaction's facts by its tx_ref;
 * operators' acts by the wallet's owner, so one wallet's audit log and
 * proposals are all in one shard, in feed order.
 */
export function shardKeyOf(fact: OperatorFact): string {
  switch (fact.fact) {
    case "audit":
      return fact.entry.user_id;
    case "proposal":
      return fact.proposal.owner_user_id;
    default:
      return fact.tx_ref;
  }
}

export const SETTLEMENT_OUTCOMES = ["succeeded", "failed", "reversed"] as const;
export type SettlementOutcome = (typeof SETTLEMENT_OUTCOMES)[number];

/**
 * The settlement a terminal version amounts to, or null while pending. A
 * reversal is its own outcome: it follows a success (the provider undid it),
 * so one transaction may count once as succeeded and once as reversed.
 */
export function settlementOutcome(status: TxStatus, stage: Stage): SettlementOutcome | null {
  switch (status) {
    case "PENDING":
      return null;
    case "SUCCESS":
      return "succeeded";
    case "FAILED":
      return stage === "reversed" ? "reversed" : "failed";
    default: {
      const unreachable: never = status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}

// ==== The index's shards ==========================================================

/**
 * Where a fact or a user lives: which of `shards` index shards holds it.
 * FNV-1a (32 bits) over the key's code units: the same answer in every
 * isolate and every version of the code, cheap, and even for our keys (a
 * tx_ref or a user id ends in random base32). Facts are keyed by tx_ref, so a
 * transaction's versions, its settlement keys and its anomalies are always in
 * one shard, and the index's rules (version guard, settlement keys, an
 * escalation closed by its transaction's end) hold inside that shard alone.
 */
export function shardOf(key: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new Error(`shardOf: ${shards} shards`);
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * Shard 0 keeps the name of the one object there was before sharding, so what
 * it held stays where it was; the move sends on only the rows that hash elsewhere.
 */
export const SHARD_ZERO_NAME = "global";

/** The Durable Object name (in the Operations namespace) of shard `index`. */
export function shardName(index: number): string {
  return index === 0 ? SHARD_ZERO_NAME : `operator-index-${index}`;
}

/** What a caller tells a shard about itself: its number, and how many shards there are. */
export type ShardLayout = { shard: number; shards: number };

/** Facts grouped by the shard that holds them, each group in the order given. */
export function factsByShard<F extends { tx_ref: string }>(
  facts: readonly F[],
  shards: number,
): Map<number, F[]> {
  const groups = new Map<number, F[]>();
  for (const fact of facts) {
    const shard = shardOf(fact.tx_ref, shards);
    const group = groups.get(shard);
    if (group) group.push(fact);
    else groups.set(shard, [fact]);
  }
  return groups;
}

// ==== What the index answers, and how the shards' answers merge ====================

export type IndexedTransaction = Omit<TransactionFact, "fact">;
export type IndexedAnomaly = Omit<AnomalyFact, "fact">;
export type PendingByType = {
  type: TxType;
  pending: number;
  overdue: number;
  escalated: number;
  oldest_created_at_ms: number | null;
};
export type SettlementCount = { type: TxType; outcome: SettlementOutcome; count: number };
export type KindCount = { kind: string; count: number };
export type Page<T> = { total: number; data: T[]; has_more: boolean };

/** Settlements of one outcome in one time bucket (the console's charts). */
export type SeriesPoint = { bucket_start_ms: number; outcome: SettlementOutcome; count: number };

/**
 * Every shard's series summed per (bucket, outcome), with the buckets the
 * shards had nothing for filled with zeros: `buckets` buckets of `bucket_ms`
 * ending with the one that holds `now_ms`, oldest first.
 */
export function mergeSeries(
  parts: readonly (readonly SeriesPoint[])[],
  now_ms: number,
  bucket_ms: number,
  buckets: number,
): { bucket_start_ms: number; counts: Record<SettlementOutcome, number> }[] {
  const last = Math.floor(now_ms / bucket_ms) * bucket_ms;
  const first = last - (buckets - 1) * bucket_ms;
  const series = Array.from({ length: buckets }, (_, i) => ({
    bucket_start_ms: first + i * bucket_ms,
    counts: { succeeded: 0, failed: 0, reversed: 0 } as Record<SettlementOutcome, number>,
  }));
  for (const part of parts)
    for (const p of part) {
      const i = (p.bucket_start_ms - first) / bucket_ms;
      if (Number.isInteger(i) && i >= 0 && i < buckets) series[i].counts[p.outcome] += p.count;
    }
  return series;
}

/** One shard's part of the operator view, at the caller's `now_ms`, each list at most the caller's limit. */
export type IndexView = {
  pending: PendingByType[];
  overdue: Page<IndexedTransaction>;
  escalations: Page<IndexedTransaction>;
  anomalies: Page<IndexedAnomaly>;
  anomalies_by_kind: KindCount[];
  settlements: SettlementCount[];
};

/** Byte order of strings, as SQLite's default collation orders TEXT. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mergePages<T>(
  pages: readonly Page<T>[],
  order: (a: T, b: T) => number,
  limit: number,
): Page<T> {
  const total = pages.reduce((sum, p) => sum + p.total, 0);
  // Each shard sent its first `limit` rows in this order, so the first `limit` of them all are the first overall.
  const data = pages
    .flatMap((p) => p.data)
    .sort(order)
    .slice(0, limit);
  return { total, data, has_more: total > data.length };
}

function sumBy<T, K extends string>(
  rows: readonly T[],
  key: (row: T) => K,
  add: (into: T, row: T) => T,
): T[] {
  const merged = new Map<K, T>();
  for (const row of rows) {
    const k = key(row);
    const seen = merged.get(k);
    merged.set(k, seen ? add(seen, row) : { ...row });
  }
  return [...merged.entries()].sort(([a], [b]) => compareText(a, b)).map(([, row]) => row);
}

const minOrNull = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);

/**
 * The view over every shard: gauges and counters summed, each list the first
 * `limit` rows of all shards in the list's own order (ties broken as each
 * shard breaks them), totals summed (the single index's counters of old are
 * shard 0's).
 */
export function mergeIndexViews(views: readonly IndexView[], limit: number): IndexView {
  const byTx =
    (first: (t: IndexedTransaction) => number) => (a: IndexedTransaction, b: IndexedTransaction) =>
      first(a) - first(b) || compareText(a.tx_ref, b.tx_ref);
  return {
    pending: sumBy(
      views.flatMap((v) => v.pending),
      (p) => p.type,
      (a, b) => ({
        type: a.type,
        pending: a.pending + b.pending,
        overdue: a.overdue + b.overdue,
        escalated: a.escalated + b.escalated,
        oldest_created_at_ms: minOrNull(a.oldest_created_at_ms, b.oldest_created_at_ms),
      }),
    ),
    overdue: mergePages(
      views.map((v) => v.overdue),
      byTx((t) => t.deadline_at_ms),
      limit,
    ),
    escalations: mergePages(
      views.map((v) => v.escalations),
      byTx((t) => t.escalated_at_ms ?? 0),
      limit,
    ),
    anomalies: mergePages(
      views.map((v) => v.anomalies),
      (a, b) =>
        a.created_at_ms - b.created_at_ms ||
        compareText(a.tx_ref, b.tx_ref) ||
        compareText(a.kind, b.kind) ||
        compareText(a.ref, b.ref),
      limit,
    ),
    anomalies_by_kind: sumBy(
      views.flatMap((v) => v.anomalies_by_kind),
      (k) => k.kind,
      (a, b) => ({ kind: a.kind, count: a.count + b.count }),
    ),
    settlements: sumBy(
      views.flatMap((v) => v.settlements),
      (s) => `${s.type}\u0000${s.outcome}`,
      (a, b) => ({ ...a, count: a.count + b.count }),
    ),
  };
}

export type IndexedUser = { user_id: string; indexed_at_ms: number };
export type UsersPage = { data: IndexedUser[]; has_more: boolean };

/**
 * Pages of the users index from several sources (the shards, and during the
 * move the single index's remaining rows), each in user id order after the
 * same cursor and at most `limit` long: their union in id order, each user
 * once (the earliest indexed_at_ms), at most `limit`. A user in two sources
 * (indexed again while the move ran) counts once.
 */
export function mergeUserPages(pages: readonly UsersPage[], limit: number): UsersPage {
  const users = sumBy(
    pages.flatMap((p) => p.data),
    (u) => u.user_id,
    (a, b) => ({ user_id: a.user_id, indexed_at_ms: Math.min(a.indexed_at_ms, b.indexed_at_ms) }),
  );
  return {
    data: users.slice(0, limit),
    has_more: users.length > limit || pages.some((p) => p.has_more),
  };
}
