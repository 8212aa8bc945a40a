/**
 * Operations: the Durable Object class that holds what operators must see
 * across all wallets, in OPERATOR_INDEX_SHARDS objects of it (the shards,
 * named by src/domain/operator.ts `shardName`; shard 0 is "global", the one
 * object there was before sharding).
 *
 * Every shard holds its part of the operator index (./operator-index.ts):
 * every wallet's change feed delivers its transactions and anomalies to the
 * shard each tx_ref hashes to (the `operations` reader, one call per shard
 * touched per drain), so the operator view and the metrics never scan
 * wallets; and its part of the users index, one row per registered user id
 * hashing to it, written at registration, so the projection can be rebuilt
 * for every wallet (Durable Objects cannot be enumerated by name). The
 * readers ask every shard and merge (src/services/operator-index.ts).
 *
 * Why shards: with one object, every change of every wallet was one request
 * to it, and a Durable Object takes on the order of a thousand a second: the
 * product's whole write rate was capped there, however many wallets.
 *
 * "global" alone also keeps what is not per change: provider problems that
 * are ours to fix, not a user's (VTpass's float running low, credentials
 * refused), so readiness can say so; the MongoDB projection's lag, one row
 * per wallet whose projection is behind (src/projection/wallet-reader.ts);
 * the shard count the index was built with; and the rows of the single index
 * of old until they have moved into their shards (./index-move.ts).
 *
 * Invariants
 * - A shard knows which shard it is and of how many (`shard_layout`), the
 *   first layout it was given, and refuses any other: with another count the
 *   same tx_ref would hash elsewhere, and a settlement could be counted in
 *   two shards. The count is the one "global" recorded first.
 * - A shard takes no fact from a feed before the single index of old has
 *   moved all its rows out (`open`): until then a fact could meet a
 *   settlement key that has not arrived yet and be counted twice. The
 *   wallets' feeds retry meanwhile; no money waits for it.
 * - One row per (provider, kind) of problems; at most
 *   PROJECTION_LAG_WALLETS_MAX lag rows, reports past that counted as `capped`.
 * - Every report, every delivery and every moved batch is one storage transaction.
 */
import { DurableObject } from "cloudflare:workers";
import {
  SHARD_ZERO_NAME,
  shardOf,
  type IndexedUser,
  type IndexView,
  type IndexFact,
  type OperatorFact,
  type SeriesPoint,
  shardKeyOf,
  type ShardLayout,
  type UsersPage,
} from "../../domain/operator";
import { operatorIndexShards } from "../../lib/config";
import { log } from "../../lib/log";
import { migrate } from "../../lib/sqlite";
import {
  indexRowsLeft,
  moveStep,
  usersLeft,
  type MovedBatch,
  type MoveProgress,
} from "./index-move";
import {
  INDEX_MOVE_RETRY_MS,
  INDEX_MOVE_STEPS_PER_ALARM,
  OPERATOR_INGEST_MAX,
  OPERATOR_LIST_MAX,
  PROVIDER_PROBLEM_RECENT_MS,
  USERS_INDEX_PAGE_MAX,
} from "./limits";
import type { AuditEntry } from "../../domain/acts";
import { clearProjectionLag, projectionLagOf, recordProjectionLag } from "./projection-lag";
import { ActsIndex, type AuditQuery, type IndexedProposal } from "./acts-index";
import { OperatorIndex } from "./operator-index";
import { OPERATIONS_MIGRATIONS } from "./schema";
import type { IndexBase, ProjectionLag, ProjectionLagReport, ProviderProblem } from "./types";

export { OPERATIONS_MIGRATIONS };

export type {
  IndexedAnomaly,
  IndexedTransaction,
  Page,
  PendingByType,
  SettlementCount,
} from "./operator-index";
export type { MovedBatch, MoveProgress } from "./index-move";
export type { UsersPage } from "../../domain/operator";
export type { IndexBase, ProjectionLag, ProjectionLagReport, ProviderProblem } from "./types";

/** The one instance of old, now shard 0 and the home of what is not sharded. */
export const OPERATIONS_OBJECT = SHARD_ZERO_NAME;

type StoredLayout = ShardLayout & { open: boolean };

export class Operations extends DurableObject<Env> {
  private readonly index: OperatorIndex;
  private readonly acts: ActsIndex;
  /** The move step in progress, so the alarm and an operator's call never run two at once. */
  private step: Promise<MoveProgress> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.index = new OperatorIndex(ctx.storage.sql);
    this.acts = new ActsIndex(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, OPERATIONS_MIGRATIONS);
      // A deployment that had the single index moves it out as soon as "global" runs.
      await this.armMove(Date.now());
    });
  }

  // ---- The operator index (every shard) ----------------------------------------------

  /**
   * One wallet's feed batch, the part of it that hashes here, in feed order,
   * in one storage transaction. Safe to deliver again (the feed redelivers
   * after a failure). Returns how many settlements were newly counted. With
   * `layout` (the feed reader always sends it), checked against this shard's;
   * without, applied here as given (a direct call by a tool or a test).
   */
  async ingest(facts: OperatorFact[], layout?: ShardLayout): Promise<number> {
    // A programmer error, not an operating one: the reader sends at most one feed batch at a time.
    if (facts.length > OPERATOR_INGEST_MAX)
      throw new Error(`ingest: ${facts.length} facts, at most ${OPERATOR_INGEST_MAX}`);
    if (layout) {
      await this.checkIn(layout, true);
      expectHere(facts.map(shardKeyOf), layout);
    }
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => {
      this.acts.ingest(facts);
      return this.index.ingest(
        facts.filter((f): f is IndexFact => f.fact === "transaction" || f.fact === "anomaly"),
        now_ms,
      );
    });
  }

  /** Rows moved from the single index of old (only "global" sends them); idempotent. */
  async importRows(batch: MovedBatch, layout: ShardLayout): Promise<void> {
    expectHere(
      [...batch.transactions, ...batch.settlements, ...batch.anomalies].map((r) => r.tx_ref),
      layout,
    );
    expectHere(
      batch.users.map((u) => u.user_id),
      layout,
    );
    this.ctx.storage.transactionSync(() => {
      // The mover's count is the recorded one; a shard that never saw a fact learns its layout here.
      this.recordLayout(layout, false);
      this.importHere(batch);
    });
  }

  private importHere(batch: MovedBatch): void {
    this.index.importRows(batch);
    for (const u of batch.users) this.insertUser(u.user_id, u.indexed_at_ms);
  }

  /** Mark an open anomaly resolved by an operator (one charge's with `ref`); false if there is no such open anomaly here. */
  async resolveAnomaly(tx_ref: string, kind: string, ref: string | null = null): Promise<boolean> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() =>
      this.index.resolveAnomaly(tx_ref, kind, ref, now_ms),
    );
  }

  /** This shard's part of the audit log across wallets, newest first (src/services/operator-acts.ts merges). */
  async auditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return this.acts.auditEntries(query);
  }

  /** This shard's proposals by status (the approvals queue: `pending`), newest first. */
  async proposals(query: {
    status?: string;
    now_ms: number;
    limit: number;
  }): Promise<IndexedProposal[]> {
    return this.acts.proposals(query);
  }

  /** This shard's part of the operator view at the caller's `now_ms` (one instant for every shard); lists at most `limit`. */
  async view(now_ms: number, limit: number): Promise<IndexView> {
    return this.index.view(now_ms, Math.min(Math.max(1, Math.floor(limit)), OPERATOR_LIST_MAX));
  }

  /** This shard's settlements since `since_ms` per bucket and outcome (the console's charts). */
  async settlementSeries(since_ms: number, bucket_ms: number): Promise<SeriesPoint[]> {
    return this.index.settlementSeries(since_ms, bucket_ms);
  }

  // ---- The users index (every shard) -----------------------------------------------

  /** Record a registered user id that hashes here; a repeat changes nothing. */
  async indexUser(user_id: string, layout: ShardLayout): Promise<void> {
    await this.checkIn(layout, false);
    expectHere([user_id], layout);
    this.insertUser(user_id, Date.now());
  }

  /** User ids here in id order, after `starting_after`, at most USERS_INDEX_PAGE_MAX. */
  async listUsers(query: { limit: number; starting_after?: string }): Promise<UsersPage> {
    return usersPage(this.ctx.storage.sql, "users_index", query);
  }

  private insertUser(user_id: string, indexed_at_ms: number): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO users_index (user_id, indexed_at_ms) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET indexed_at_ms = MIN(indexed_at_ms, excluded.indexed_at_ms)",
      user_id,
      indexed_at_ms,
    );
  }

  async reportProviderProblem(input: {
    provider: string;
    kind: string;
    detail: string;
  }): Promise<void> {
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
      .exec<ProviderProblem>(
        "SELECT * FROM provider_problems WHERE last_at_ms >= ? ORDER BY last_at_ms DESC",
        Date.now() - PROVIDER_PROBLEM_RECENT_MS,
      )
      .toArray();
  }

  // ---- MongoDB projection lag --------------------------------------------------------

  async reportProjectionLag(report: ProjectionLagReport): Promise<void> {
    recordProjectionLag(this.ctx.storage, report);
  }

  async clearProjectionLag(user_id: string): Promise<void> {
    clearProjectionLag(this.ctx.storage, user_id);
  }

  /** One aggregate over the lagging wallets (readiness). */
  async projectionLag(): Promise<ProjectionLag> {
    return projectionLagOf(this.ctx.storage);
  }

  // ---- Layout: which shard this is, and the count the index is built with ------------

  private storedLayout(): StoredLayout | null {
    const row = this.ctx.storage.sql
      .exec<{ shard: number; shards: number; open: number }>(
        "SELECT shard, shards, open FROM shard_layout WHERE id = 1",
      )
      .toArray()[0];
    return row ? { shard: row.shard, shards: row.shards, open: row.open === 1 } : null;
  }

  private recordLayout(layout: ShardLayout, open: boolean): void {
    const stored = this.storedLayout();
    if (stored) refuseOther(stored, layout);
    this.ctx.storage.sql.exec(
      "INSERT INTO shard_layout (id, shard, shards, open) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET open = MAX(open, excluded.open)",
      layout.shard,
      layout.shards,
      open ? 1 : 0,
    );
  }

  /**
   * Make sure the caller's layout is this shard's; the first time, learn from
   * "global" the count the index is built with and whether the move is over
   * (shard 0 answers itself). With `need_open`, refuse until the move is over.
   */
  private async checkIn(layout: ShardLayout, need_open: boolean): Promise<void> {
    const stored = this.storedLayout();
    if (stored) refuseOther(stored, layout);
    if (stored && (stored.open || !need_open)) return;
    const answer =
      layout.shard === 0
        ? await this.indexCheckIn(layout.shards)
        : await this.env.OPERATIONS.getByName(OPERATIONS_OBJECT).indexCheckIn(layout.shards);
    if (answer.shards !== layout.shards) {
      throw new Error(
        `operator index: OPERATOR_INDEX_SHARDS is ${layout.shards}, but the index was built with ${answer.shards} shards; the count cannot change`,
      );
    }
    this.recordLayout(layout, answer.moved);
    if (need_open && !answer.moved)
      throw new Error(
        "operator index: the single index's rows are still moving into the shards; delivery retries later",
      );
  }

  /** ("global") The count the index is built with: the first caller's becomes it. */
  private recordShards(shards: number): number {
    this.recordLayout({ shard: 0, shards: this.storedLayout()?.shards ?? shards }, false);
    return this.storedLayout()!.shards;
  }

  /**
   * ("global") A shard asks, once: the count the index is built with
   * (recorded now if this is the first), and whether the single index's rows
   * have all moved (until then it takes no facts). Starts the move if rows remain.
   */
  async indexCheckIn(shards: number): Promise<{ shards: number; moved: boolean }> {
    const recorded = this.recordShards(shards);
    const sql = this.ctx.storage.sql;
    const moved = indexRowsLeft(sql) === 0;
    if (!moved || usersLeft(sql) > 0) await this.armMove(Date.now());
    return { shards: recorded, moved };
  }

  /** ("global") For the operator view: the recorded count, whether the move still runs, provider problems. */
  async indexBase(): Promise<IndexBase> {
    return {
      shards: this.storedLayout()?.shards ?? null,
      moving: indexRowsLeft(this.ctx.storage.sql) > 0,
      provider_problems: await this.recentProviderProblems(),
    };
  }

  /** ("global") Users not yet moved into their shards, in id order after `starting_after` (the listing merges them). */
  async unmovedUsers(query: {
    limit: number;
    starting_after?: string;
  }): Promise<UsersPage & { shards: number | null }> {
    return {
      ...usersPage(this.ctx.storage.sql, "legacy_users", query),
      shards: this.storedLayout()?.shards ?? null,
    };
  }

  // ---- ("global") Moving the single index of old into the shards ----------------------

  private async armMove(at_ms: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (indexRowsLeft(sql) + usersLeft(sql) === 0) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at_ms) await this.ctx.storage.setAlarm(at_ms);
  }

  /** One step of the move now (the alarm runs them by itself; this is for an operator or a test that will not wait). Single-flight. */
  async moveIndexStep(): Promise<MoveProgress> {
    if (this.step) return this.step;
    const shards = this.storedLayout()?.shards ?? operatorIndexShards(this.env);
    if (shards === null)
      throw new Error(
        "operator index: OPERATOR_INDEX_SHARDS is invalid; the move waits until it is fixed",
      );
    this.recordShards(shards);
    const here = (batch: MovedBatch) =>
      this.ctx.storage.transactionSync(() => this.importHere(batch));
    this.step = moveStep(this.ctx.storage, this.env, shards, here).finally(() => {
      this.step = null;
    });
    return this.step;
  }

  override async alarm(): Promise<void> {
    try {
      for (let step = 0; step < INDEX_MOVE_STEPS_PER_ALARM; step++) {
        const progress = await this.moveIndexStep();
        if (progress.remaining.index + progress.remaining.users === 0) {
          // Shard 0 opens too: it takes facts from now on.
          const layout = this.storedLayout();
          if (layout) this.recordLayout(layout, true);
          log.info("operator index moved into its shards", { shards: layout?.shards });
          return;
        }
      }
      await this.armMove(Date.now());
    } catch (error) {
      log.warn("operator index move failed; will retry", { error });
      await this.armMove(Date.now() + INDEX_MOVE_RETRY_MS);
    }
  }
}

function usersPage(
  sql: SqlStorage,
  table: "users_index" | "legacy_users",
  query: { limit: number; starting_after?: string },
): UsersPage {
  const limit = Math.min(Math.max(1, Math.floor(query.limit)), USERS_INDEX_PAGE_MAX);
  const rows = sql
    .exec<IndexedUser>(
      `SELECT user_id, indexed_at_ms FROM ${table} WHERE user_id > ? ORDER BY user_id LIMIT ?`,
      query.starting_after ?? "",
      limit + 1,
    )
    .toArray();
  return { data: rows.slice(0, limit), has_more: rows.length > limit };
}

function expectHere(keys: readonly string[], layout: ShardLayout): void {
  const stray = keys.find((key) => shardOf(key, layout.shards) !== layout.shard);
  // A programmer error: the callers split by the same hash.
  if (stray !== undefined)
    throw new Error(
      `operator index shard ${layout.shard}/${layout.shards}: ${stray} belongs to shard ${shardOf(stray, layout.shards)}`,
    );
}

function refuseOther(stored: ShardLayout, asked: ShardLayout): void {
  if (stored.shard !== asked.shard || stored.shards !== asked.shards) {
    throw new Error(
      `operator index: this is shard ${stored.shard} of ${stored.shards}, asked as ${asked.shard} of ${asked.shards}; OPERATOR_INDEX_SHARDS cannot change once the index holds data`,
    );
  }
}
