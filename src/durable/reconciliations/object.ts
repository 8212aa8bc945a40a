/**
 * Reconciliations: the result of reconciling one Lagos day, one object per
 * day (named by the day, `YYYY-MM-DD`).
 *
 * A run replaces the day's whole result (its summary and every item) in one
 * storage transaction, so a re-run never leaves a mix of two runs and a reader
 * sees either the old result or the new one. Items are kept in the matcher's
 * order (src/domain/reconciliation.ts), which depends only on the inputs.
 * The object holds no logic of its own beyond that: the service
 * (src/services/reconciliation.ts) gathers both sides and matches them.
 */
import { DurableObject } from "cloudflare:workers";
import type { BookTransaction } from "../../domain/books";
import type {
  FieldDiff,
  ReconItem,
  ReconResult,
  ReconSource,
  TheirRecord,
} from "../../domain/reconciliation";
import { migrate, one, type Migration } from "../../lib/sqlite";
import { RECON_PAGE_MAX } from "./limits";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE run (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         day TEXT NOT NULL,
         ran_at_ms INTEGER NOT NULL,
         trigger TEXT NOT NULL,
         operator TEXT,
         matched INTEGER NOT NULL,
         ours_only INTEGER NOT NULL,
         theirs_only INTEGER NOT NULL,
         mismatched INTEGER NOT NULL,
         skipped INTEGER NOT NULL,
         outside_day INTEGER NOT NULL,
         failed_unseen INTEGER NOT NULL,
         runs INTEGER NOT NULL
       )`,
      `CREATE TABLE items (
         seq INTEGER PRIMARY KEY,
         result TEXT NOT NULL CHECK (result IN ('matched', 'ours_only', 'theirs_only', 'mismatched')),
         source TEXT NOT NULL,
         reference TEXT,
         ours_json TEXT,
         theirs_json TEXT,
         diffs_json TEXT NOT NULL
       )`,
      "CREATE INDEX items_by_result ON items (result, seq)",
    ],
  },
];

export type ReconRun = {
  day: string;
  ran_at_ms: number;
  /** `cron` (the nightly run) or `operator` (POST /admin/reconciliations). */
  trigger: "cron" | "operator";
  operator: string | null;
  counts: Record<ReconResult, number>;
  skipped: number;
  outside_day: number;
  /** Our failures the provider never recorded (nothing moved on either side). */
  failed_unseen: number;
  /** How many times the day was reconciled (each run replaced the one before). */
  runs: number;
};

export type StoredItem = ReconItem & { seq: number };

type ItemRow = {
  seq: number;
  result: ReconResult;
  source: ReconSource;
  reference: string | null;
  ours_json: string | null;
  theirs_json: string | null;
  diffs_json: string;
};

type RunRow = Omit<ReconRun, "counts"> & Record<ReconResult, number>;

const itemOf = (row: ItemRow): StoredItem => ({
  seq: row.seq,
  result: row.result,
  source: row.source,
  reference: row.reference,
  ours: row.ours_json === null ? null : (JSON.parse(row.ours_json) as BookTransaction),
  theirs: row.theirs_json === null ? null : (JSON.parse(row.theirs_json) as TheirRecord),
  diffs: JSON.parse(row.diffs_json) as FieldDiff[],
});

export class Reconciliations extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  /** Replace the day's result with this run's, in one storage transaction. */
  async replace(
    run: Omit<ReconRun, "runs" | "counts">,
    items: ReconItem[],
  ): Promise<{ run: ReconRun; replaced: StoredItem[] }> {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const before = one(sql.exec<{ runs: number }>("SELECT runs FROM run WHERE id = 1"));
      // What the previous run found that was not a match: the caller closes
      // the anomalies this run no longer finds.
      const replaced = sql
        .exec<ItemRow>("SELECT * FROM items WHERE result != 'matched' ORDER BY seq")
        .toArray()
        .map(itemOf);
      sql.exec("DELETE FROM items");
      const counts: Record<ReconResult, number> = {
        matched: 0,
        ours_only: 0,
        theirs_only: 0,
        mismatched: 0,
      };
      items.forEach((item, seq) => {
        counts[item.result]++;
        sql.exec(
          "INSERT INTO items (seq, result, source, reference, ours_json, theirs_json, diffs_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
          seq + 1,
          item.result,
          item.source,
          item.reference,
          item.ours === null ? null : JSON.stringify(item.ours),
          item.theirs === null ? null : JSON.stringify(item.theirs),
          JSON.stringify(item.diffs),
        );
      });
      const runs = (before?.runs ?? 0) + 1;
      sql.exec(
        `INSERT INTO run (id, day, ran_at_ms, trigger, operator, matched, ours_only, theirs_only, mismatched, skipped, outside_day, failed_unseen, runs)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET day = excluded.day, ran_at_ms = excluded.ran_at_ms,
           trigger = excluded.trigger, operator = excluded.operator, matched = excluded.matched,
           ours_only = excluded.ours_only, theirs_only = excluded.theirs_only,
           mismatched = excluded.mismatched, skipped = excluded.skipped,
           outside_day = excluded.outside_day, failed_unseen = excluded.failed_unseen, runs = excluded.runs`,
        run.day,
        run.ran_at_ms,
        run.trigger,
        run.operator,
        counts.matched,
        counts.ours_only,
        counts.theirs_only,
        counts.mismatched,
        run.skipped,
        run.outside_day,
        run.failed_unseen,
        runs,
      );
      return { run: { ...run, counts, runs }, replaced };
    });
  }

  /** The day's last run, or null when the day was never reconciled. */
  async summary(): Promise<ReconRun | null> {
    const row = one(this.ctx.storage.sql.exec<RunRow>("SELECT * FROM run WHERE id = 1"));
    if (!row) return null;
    return {
      day: row.day,
      ran_at_ms: row.ran_at_ms,
      trigger: row.trigger,
      operator: row.operator,
      counts: {
        matched: row.matched,
        ours_only: row.ours_only,
        theirs_only: row.theirs_only,
        mismatched: row.mismatched,
      },
      skipped: row.skipped,
      outside_day: row.outside_day,
      failed_unseen: row.failed_unseen,
      runs: row.runs,
    };
  }

  /** A page of the day's items, in order, optionally of one result. */
  async items(query: {
    result?: ReconResult;
    after_seq?: number;
    limit: number;
  }): Promise<{ items: StoredItem[]; has_more: boolean }> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), RECON_PAGE_MAX);
    const rows = this.ctx.storage.sql
      .exec<ItemRow>(
        "SELECT * FROM items WHERE (?1 IS NULL OR result = ?1) AND seq > ?2 ORDER BY seq LIMIT ?3",
        query.result ?? null,
        query.after_seq ?? 0,
        limit + 1,
      )
      .toArray();
    return {
      items: rows.slice(0, limit).map(itemOf),
      has_more: rows.length > limit,
    };
  }
}
