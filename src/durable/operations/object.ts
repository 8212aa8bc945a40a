/**
 * Operations: one Durable Object for what operators must see across all
 * wallets, kept small and bounded. It records provider problems that are ours
 * to fix, not a user's (VTpass's float running low, credentials refused), so
 * readiness can say so and operators hear of it at once; and it holds the
 * operator index (./operator-index.ts): every wallet's change feed
 * delivers its transactions and anomalies here (the `operations` reader), so
 * the operator view and the metrics never scan wallets.
 *
 * Why one object: the index is small (pending transactions, recent terminal
 * ones, counters) and one object answers the global questions in one place.
 * Every wallet change costs it one small write; if that ever becomes the
 * bottleneck, the index shards by tx_ref hash and the view merges the shards.
 *
 * It also keeps:
 * - the MongoDB projection's lag: one row per wallet whose projection is
 *   behind (failing deliveries), written by that wallet when its state changes
 *   and refreshed from its alarm while behind, removed when it catches up
 *   (src/projection/wallet-reader.ts). Readiness reads one aggregate of it,
 *   so it never has to visit wallets.
 * - the users index: one row per registered user id, written at registration,
 *   so the projection can be rebuilt for every wallet (Durable Objects cannot
 *   be enumerated by name). Paged, never read whole.
 *
 * Invariants
 * - One row per (provider, kind): the first and last time it was seen and how
 *   often; a repeat updates the row, so the table is bounded by the kinds.
 * - At most PROJECTION_LAG_WALLETS_MAX lag rows; reports past that are
 *   counted as `capped` in the aggregate instead of stored.
 * - Every report and every delivery to the index is one storage transaction.
 */
import { DurableObject } from "cloudflare:workers";
import type { OperatorFact } from "../../domain/operator";
import { OPERATOR_INGEST_MAX, OPERATOR_LIST_MAX, PROJECTION_LAG_WALLETS_MAX, PROVIDER_PROBLEM_RECENT_MS, USERS_INDEX_PAGE_MAX } from "./limits";
import { log } from "../../lib/log";
import { migrate, type Migration } from "../../lib/sqlite";
import { OPERATOR_ANOMALY_REF_MIGRATION, OPERATOR_INDEX_MIGRATION, OperatorIndex, type IndexedAnomaly, type IndexedTransaction, type Page, type PendingByType, type SettlementCount } from "./operator-index";

export type { IndexedAnomaly, IndexedTransaction, Page, PendingByType, SettlementCount } from "./operator-index";

/** The one instance. */
export const OPERATIONS_OBJECT = "global";

export type ProjectionLagReport = { user_id: string; backlog: number; oldest_at_ms: number; failures: number };
/** Across wallets: how many are behind, their changes waiting, the oldest waiting change. */
export type ProjectionLag = { wallets_behind: number; backlog_changes: number; oldest_at_ms: number | null; capped: boolean };
export type UsersPage = { data: { user_id: string; indexed_at_ms: number }[]; has_more: boolean };

export type ProviderProblem = { provider: string; kind: string; detail: string; first_at_ms: number; last_at_ms: number; count: number };

/** What the operator view shows, at `now_ms` (lists bounded by the caller's limit). */
export type OperatorOverview = {
  now_ms: number;
  pending: PendingByType[];
  overdue: Page<IndexedTransaction>;
  escalations: Page<IndexedTransaction>;
  anomalies: Page<IndexedAnomaly>;
  anomalies_by_kind: { kind: string; count: number }[];
  settlements: SettlementCount[];
  provider_problems: ProviderProblem[];
};

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE provider_problems (
         provider TEXT NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL,
         first_at_ms INTEGER NOT NULL,
         last_at_ms INTEGER NOT NULL,
         count INTEGER NOT NULL CHECK (count > 0),
         PRIMARY KEY (provider, kind)
       ) WITHOUT ROWID`,
    ],
  },
  OPERATOR_INDEX_MIGRATION,
  {
    version: 3,
    statements: [
      `CREATE TABLE projection_lag (
         user_id TEXT PRIMARY KEY,
         backlog INTEGER NOT NULL CHECK (backlog >= 0),
         oldest_at_ms INTEGER NOT NULL,
         failures INTEGER NOT NULL CHECK (failures >= 0),
         reported_at_ms INTEGER NOT NULL
       ) WITHOUT ROWID`,
      `CREATE TABLE projection_lag_overflow (id INTEGER PRIMARY KEY CHECK (id = 1), last_at_ms INTEGER NOT NULL)`,
      `CREATE TABLE users_index (user_id TEXT PRIMARY KEY, indexed_at_ms INTEGER NOT NULL) WITHOUT ROWID`,
    ],
  },
  OPERATOR_ANOMALY_REF_MIGRATION,
];

export class Operations extends DurableObject<Env> {
  private readonly index: OperatorIndex;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
    this.index = new OperatorIndex(ctx.storage.sql);
  }

  /**
   * One wallet's feed batch, in feed order, in one storage transaction. Safe to
   * deliver again (the feed redelivers after a failure). Returns how many
   * settlements were newly counted.
   */
  async ingest(facts: OperatorFact[]): Promise<number> {
    // A programmer error, not an operating one: the reader sends one feed batch at a time.
    if (facts.length > OPERATOR_INGEST_MAX) throw new Error(`ingest: ${facts.length} facts, at most ${OPERATOR_INGEST_MAX}`);
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => this.index.ingest(facts, now_ms));
  }

  /** Mark an open anomaly resolved by an operator (one charge's with `ref`); false if there is no such open anomaly. */
  async resolveAnomaly(tx_ref: string, kind: string, ref: string | null = null): Promise<boolean> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => this.index.resolveAnomaly(tx_ref, kind, ref, now_ms));
  }

  /** The operator view; each list holds at most `limit` rows (and says how many there are). */
  async overview(limit: number): Promise<OperatorOverview> {
    const now_ms = Date.now();
    const bounded = Math.min(Math.max(1, Math.floor(limit)), OPERATOR_LIST_MAX);
    return {
      now_ms,
      pending: this.index.pendingByType(now_ms),
      overdue: this.index.overdue(now_ms, bounded),
      escalations: this.index.escalations(bounded),
      anomalies: this.index.openAnomalies(bounded),
      anomalies_by_kind: this.index.openAnomaliesByKind(),
      settlements: this.index.settlements(),
      provider_problems: await this.recentProviderProblems(),
    };
  }

  async reportProviderProblem(input: { provider: string; kind: string; detail: string }): Promise<void> {
    const now_ms = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        `INSERT INTO provider_problems (provider, kind, detail, first_at_ms, last_at_ms, count) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (provider, kind) DO UPDATE SET detail = excluded.detail, last_at_ms = excluded.last_at_ms, count = count + 1`,
        input.provider,
        input.kind,
        input.detail,
        now_ms,
        now_ms,
      );
    });
    log.error("provider problem reported", input);
  }

  /** Problems seen within PROVIDER_PROBLEM_RECENT_MS (readiness shows these as degraded). */
  async recentProviderProblems(): Promise<ProviderProblem[]> {
    return this.ctx.storage.sql
      .exec<ProviderProblem>("SELECT * FROM provider_problems WHERE last_at_ms >= ? ORDER BY last_at_ms DESC", Date.now() - PROVIDER_PROBLEM_RECENT_MS)
      .toArray();
  }

  // ---- MongoDB projection lag --------------------------------------------------------

  async reportProjectionLag(report: ProjectionLagReport): Promise<void> {
    const now_ms = Date.now();
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      const known = sql.exec("SELECT 1 FROM projection_lag WHERE user_id = ?", report.user_id).toArray().length > 0;
      const rows = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM projection_lag").one().n;
      if (!known && rows >= PROJECTION_LAG_WALLETS_MAX) {
        sql.exec("INSERT INTO projection_lag_overflow (id, last_at_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET last_at_ms = excluded.last_at_ms", now_ms);
        return;
      }
      sql.exec(
        `INSERT INTO projection_lag (user_id, backlog, oldest_at_ms, failures, reported_at_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET backlog = excluded.backlog, oldest_at_ms = MIN(oldest_at_ms, excluded.oldest_at_ms),
           failures = excluded.failures, reported_at_ms = excluded.reported_at_ms`,
        report.user_id,
        report.backlog,
        report.oldest_at_ms,
        report.failures,
        now_ms,
      );
    });
  }

  async clearProjectionLag(user_id: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM projection_lag WHERE user_id = ?", user_id);
      // Room again below the cap: wallets that were not stored report again from their alarms.
      if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM projection_lag").one().n === 0) sql.exec("DELETE FROM projection_lag_overflow");
    });
  }

  /** One aggregate over the lagging wallets (readiness). */
  async projectionLag(): Promise<ProjectionLag> {
    const sql = this.ctx.storage.sql;
    const agg = sql
      .exec<{ n: number; backlog: number; oldest: number | null }>("SELECT COUNT(*) AS n, COALESCE(SUM(backlog), 0) AS backlog, MIN(oldest_at_ms) AS oldest FROM projection_lag")
      .one();
    const capped = sql.exec("SELECT 1 FROM projection_lag_overflow").toArray().length > 0;
    return { wallets_behind: agg.n, backlog_changes: agg.backlog, oldest_at_ms: agg.oldest, capped };
  }

  // ---- Users index -----------------------------------------------------------------

  /** Record a registered user id; a repeat changes nothing. */
  async indexUser(user_id: string): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO users_index (user_id, indexed_at_ms) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING", user_id, Date.now());
  }

  /** Registered user ids in id order, after `starting_after`, at most USERS_INDEX_PAGE_MAX. */
  async listUsers(query: { limit: number; starting_after?: string }): Promise<UsersPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), USERS_INDEX_PAGE_MAX);
    const rows = this.ctx.storage.sql
      .exec<{ user_id: string; indexed_at_ms: number }>("SELECT user_id, indexed_at_ms FROM users_index WHERE user_id > ? ORDER BY user_id LIMIT ?", query.starting_after ?? "", limit + 1)
      .toArray();
    return { data: rows.slice(0, limit), has_more: rows.length > limit };
  }
}
