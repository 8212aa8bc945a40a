/**
 * Operations: one Durable Object for what operators must see across all
 * wallets, kept small and bounded. It records provider problems that are ours
 * to fix, not a user's (VTpass's float running low, credentials refused), so
 * readiness can say so and operators hear of it at once; and it holds the
 * operator index (./operations/operator-index.ts): every wallet's change feed
 * delivers its transactions and anomalies here (the `operations` reader), so
 * the operator view and the metrics never scan wallets.
 *
 * Why one object: the index is small (pending transactions, recent terminal
 * ones, counters) and one object answers the global questions in one place.
 * Every wallet change costs it one small write; if that ever becomes the
 * bottleneck, the index shards by tx_ref hash and the view merges the shards.
 *
 * Invariants
 * - One row per (provider, kind): the first and last time it was seen and how
 *   often; a repeat updates the row, so the table is bounded by the kinds.
 * - Every report and every delivery to the index is one storage transaction.
 */
import { DurableObject } from "cloudflare:workers";
import type { OperatorFact } from "../domain/operator";
import { OPERATOR_INGEST_MAX, OPERATOR_LIST_MAX, PROVIDER_PROBLEM_RECENT_MS } from "../lib/limits";
import { log } from "../lib/log";
import { migrate, type Migration } from "../lib/sqlite";
import { OPERATOR_INDEX_MIGRATION, OperatorIndex, type IndexedAnomaly, type IndexedTransaction, type Page, type PendingByType, type SettlementCount } from "./operations/operator-index";

export type { IndexedAnomaly, IndexedTransaction, Page, PendingByType, SettlementCount } from "./operations/operator-index";

/** The one instance. */
export const OPERATIONS_OBJECT = "global";

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

  /** Mark an open anomaly resolved by an operator; false if there is no such open anomaly. */
  async resolveAnomaly(tx_ref: string, kind: string): Promise<boolean> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => this.index.resolveAnomaly(tx_ref, kind, now_ms));
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
}
