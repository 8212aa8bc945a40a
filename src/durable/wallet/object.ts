/**
 * Wallet: one Durable Object per user; the ledger of record.
 *
 * Why a Durable Object: every call for one user reaches the same
 * single-threaded object (its id comes from the user id, so no coordination is
 * needed to find it), and each mutation runs as ONE synchronous SQLite
 * transaction (`transactionSync`). There is no lock flag, so no wallet can be
 * left locked by a crashed request, and no network call ever happens inside a
 * transaction. SQLite-backed storage is durable before the response leaves.
 *
 * This class keeps only the RPC surface and the wiring; the parts live beside
 * it: schema (migrations, the flow mirror), ledger (balance, holds, journal),
 * store (transactions and the one write path), idempotency, trail (provider
 * events, anomalies), feed (the change feed and its drainer), readers,
 * funding-flow and held-payment-flow (the two flows) and reconciler (the
 * alarm).
 *
 * Invariants (docs/architecture.md, §Money invariants; proven by test/durable/wallet/*.test.ts and listed in test/invariants/catalogue.ts):
 *  2. available = balance - sum(pending holds) >= 0 after every operation.
 *  3. a held payment is posted only on the provider's success, voided only on
 *     its failure (held-payment-flow.ts, src/domain/held-payment-rule.ts).
 *  4. a funding is credited only on verified facts (src/domain/transactions.ts);
 *     a transaction reaches a terminal stage once: the flow tables
 *     (src/domain/flows.ts) refuse every later move, in code and in SQL.
 *  5. every balance change writes a journal row in the same transaction.
 *  6. idempotency keys replay the first answer; a changed body is refused.
 *  7. the alarm re-verifies pending transactions and escalates past deadlines.
 * And for readers: every change appends its new version to the change feed in
 * its own transaction, so rooms and the MongoDB projection see every stage.
 * Rooms are delivered before a write answers (a watcher hears each stage at
 * once); the operator index and the projection drain in the background and
 * from the alarm, so neither is on the money path: a slow shard or MongoDB
 * only grows that reader's backlog (./operator-reader.ts, src/projection/).
 */
import type { TransactionRecord } from "../../domain/records";
import type { FoundFacts, ProviderFacts, TxType } from "../../domain/transactions";
import { configOf } from "../../lib/config";
import { PURCHASE_ESCALATE_AFTER_MS, WITHDRAW_ESCALATE_AFTER_MS } from "../../domain/limits";
import { FEED_PAGE_MAX } from "./limits";
import { log } from "../../lib/log";
import { contextFromState } from "../../lib/self";
import { migrate } from "../../lib/sqlite";
import { AlarmClock } from "./alarm-clock";
import {
  refuse,
  type HeldOpenOutcome,
  type OpenOutcome,
  type SettleOutcome,
  type WalletCore,
} from "./core";
import { ChangeFeed, type Change, type FeedReader } from "./feed";
import { ledgerView, requeuePage, type LedgerView, type ReprojectPage } from "./reproject";
import {
  applyFundingFacts,
  attachPaymentLink,
  claimCallbackVerify,
  markLinkUnknown,
  openFunding,
  type OpenFundingInput,
} from "./funding-flow";
import {
  abandon,
  applyHeldFacts,
  claim,
  markSubmitUnknown,
  openHeld,
  recordSubmitted,
  type HeldType,
  type OpenHeldInput,
} from "./held-payment-flow";
import {
  IdempotencyKeys,
  type IdempotencyInput,
  type KeyVerdict,
  type StoredAnswer,
} from "./idempotency";
import { Ledger, type Audit, type Profile, type WalletSummary } from "./ledger";
import { WalletActs } from "./acts-rpc";
import { AuditLog } from "./audit";
import { OPERATIONS_READER, operationsInBackground, operationsReader } from "./operator-reader";
import {
  PROJECTION_READER,
  projectionReader,
  reportProjectionLag,
} from "../../projection/wallet-reader";
import { ROOMS_READER, roomsReader } from "./readers";
import { reconcileDue } from "./reconciler";
import { MIGRATIONS, syncFlows } from "./schema";
import { TxStore, type ListQuery } from "./store";
import { Trail, type Anomaly, type SettleSource } from "./trail";

export type { Audit, Profile, WalletSummary } from "./ledger";
export type { HeldOpenOutcome, OpenOutcome, SettleOutcome } from "./core";
export type { IdempotencyInput, KeyVerdict, StoredAnswer } from "./idempotency";
export type { ListQuery } from "./store";
export type { FreezeOutcome } from "./freeze";
export type { AdjustInput, AdjustOutcome, ProposeOutcome } from "./adjustments";
export type { ApproveOutcome, DecideOutcome } from "./proposals";
export type { LedgerView, ReprojectPage } from "./reproject";
export type { SettleSource } from "./trail";
export type { TransactionRecord, TxDetails } from "../../domain/records";

/** How long a held payment of each type may stay unresolved before operators are told. */
const HELD_DEADLINE_MS: Record<HeldType, number> = {
  WITHDRAW: WITHDRAW_ESCALATE_AFTER_MS,
  AIRTIME: PURCHASE_ESCALATE_AFTER_MS,
  DATA: PURCHASE_ESCALATE_AFTER_MS,
};

/** Operators' acts are RPC methods of the base class (./acts-rpc.ts), so this file stays the flows' surface. */
export class Wallet extends WalletActs {
  protected readonly core: WalletCore;
  private readonly feed: ChangeFeed;
  /** The projection reader is registered only when MongoDB is configured. */
  private readonly projecting: boolean;
  private readonly clock: AlarmClock;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      syncFlows(ctx.storage);
    });
    const sql = ctx.storage.sql;
    const ledger = new Ledger(sql);
    const store = new TxStore(sql, ledger);
    this.core = {
      storage: ctx.storage,
      ledger,
      store,
      keys: new IdempotencyKeys(ctx.storage, (tx_ref) => store.get(tx_ref)),
      trail: new Trail(sql),
      audit: new AuditLog(sql, ledger),
    };
    const config = configOf(env);
    const readers: Record<string, FeedReader> = {
      [ROOMS_READER]: roomsReader(env),
      [OPERATIONS_READER]: operationsReader(env),
    };
    if (config.ok && config.config.mongo)
      readers[PROJECTION_READER] = projectionReader(env, config.config);
    this.projecting = PROJECTION_READER in readers;
    this.feed = new ChangeFeed(ctx.storage, readers);
    this.clock = new AlarmClock(ctx.storage);
  }

  /**
   * After a committed change: deliver to the rooms (never throws), start the
   * operator index and the projection in the background, and keep the alarm
   * armed.
   */
  protected async afterChange(): Promise<void> {
    await this.feed.drain([ROOMS_READER]);
    operationsInBackground(this.feed, this.ctx, () => this.scheduleAlarm());
    this.projectInBackground();
    await this.scheduleAlarm();
  }

  /**
   * Not awaited by the write (or the alarm): nothing waits for MongoDB. Arms
   * the alarm for a retry when it is still behind; from the alarm, refreshes
   * the lag report while behind.
   */
  private projectInBackground(from_alarm = false): void {
    if (!this.projecting) return;
    const user_id = this.core.ledger.profile()?.user_id;
    const work = this.feed
      .drain([PROJECTION_READER])
      .then(async () => {
        if (user_id)
          await reportProjectionLag(this.ctx.storage, this.env, this.feed, user_id, from_alarm);
        // Only while the projection is still behind (a failed or unfinished
        // drain) is there a retry to wake for. After a drain that caught up,
        // re-arming would only move the alarm at a moment no caller chose (a
        // pruning it allows waits for the next change or alarm: changes are
        // merely kept a little longer).
        if (this.feed.state(PROJECTION_READER).backlog > 0) await this.scheduleAlarm();
      })
      .catch((error: unknown) => log.error("background projection failed", { user_id, error }));
    this.ctx.waitUntil(work);
  }

  // ==== Profile and wallet ======================================================

  /**
   * Create the profile and an empty, active wallet. Idempotent: a retried
   * registration finds them in place. Returns null if the object already belongs
   * to another user id (a routing bug in the caller).
   */
  async init(input: {
    user_id: string;
    email: string;
    full_name: string | null;
    currency: string;
  }): Promise<Profile | null> {
    this.ctx.storage.transactionSync(() => this.core.ledger.init(input, Date.now()));
    await this.afterChange();
    const profile = this.core.ledger.profile();
    return profile && profile.user_id === input.user_id ? profile : null;
  }

  async profile(): Promise<Profile | null> {
    return this.core.ledger.profile();
  }

  async summary(): Promise<WalletSummary | null> {
    return this.core.ledger.summary();
  }

  /** Flip `is_active`. An inactive wallet refuses new fundings, withdrawals and purchases. */
  async toggleActive(): Promise<WalletSummary | null> {
    if (!this.core.ledger.wallet()) return null;
    this.ctx.storage.transactionSync(() => this.core.ledger.toggleActive(Date.now()));
    await this.afterChange();
    return this.core.ledger.summary();
  }

  // ==== Transactions (read) =====================================================

  async getTransaction(tx_ref: string): Promise<TransactionRecord | null> {
    return this.core.store.get(tx_ref);
  }

  /** The callback page's read: the transaction, and whether it may ask the provider now (src/durable/wallet/funding-flow.ts). */
  async claimCallbackVerify(
    tx_ref: string,
  ): Promise<{ tx: TransactionRecord | null; verify: boolean }> {
    return claimCallbackVerify(this.core, tx_ref, Date.now());
  }

  async listTransactions(query: ListQuery): Promise<ReturnType<TxStore["list"]>> {
    return this.core.store.list(query);
  }

  // ==== Idempotency =============================================================

  async peekIdempotency(input: IdempotencyInput): Promise<KeyVerdict | null> {
    return this.core.keys.peek(input);
  }

  async completeIdempotency(key: string, answer: StoredAnswer): Promise<void> {
    this.core.keys.complete(key, answer);
  }

  async releaseIdempotency(key: string): Promise<void> {
    this.core.keys.release(key);
  }

  // ==== Funding =================================================================

  async openFunding(input: OpenFundingInput): Promise<OpenOutcome> {
    const result = openFunding(this.core, input, Date.now());
    if (result.outcome === "opened") await this.afterChange();
    return result;
  }

  async attachPaymentLink(tx_ref: string, payment_link: string): Promise<TransactionRecord | null> {
    const tx = attachPaymentLink(this.core, tx_ref, payment_link, Date.now());
    await this.afterChange();
    return tx;
  }

  async markLinkUnknown(tx_ref: string): Promise<TransactionRecord | null> {
    const tx = markLinkUnknown(this.core, tx_ref, Date.now());
    await this.afterChange();
    return tx;
  }

  // ==== Held payments (withdrawals and purchases) =================================

  async openHeld(input: Omit<OpenHeldInput, "deadline_at_ms">): Promise<HeldOpenOutcome> {
    const now_ms = Date.now();
    const result = openHeld(
      this.core,
      { ...input, deadline_at_ms: now_ms + HELD_DEADLINE_MS[input.type] },
      now_ms,
    );
    if (result.outcome === "opened") await this.afterChange();
    return result;
  }

  /** Compare-and-set hold_placed -> submitting: true for exactly one caller per tx_ref. */
  async claimSubmission(tx_ref: string): Promise<boolean> {
    const won = claim(this.core, tx_ref, Date.now());
    if (won) await this.afterChange();
    return won;
  }

  async recordSubmitted(tx_ref: string, provider_ref: string): Promise<TransactionRecord | null> {
    const tx = recordSubmitted(this.core, tx_ref, provider_ref, Date.now());
    await this.afterChange();
    return tx;
  }

  /**
   * The provider accepted a submission: record it (stage submitted, its
   * reference) and, when its answer is already final, apply that answer as
   * `applyProviderFacts` would from `create`, then deliver both changes in one
   * drain. One call instead of three (record, apply, read back); the two
   * storage transactions run back to back with nothing awaited between them.
   * Returns the transaction as it now stands.
   */
  async recordAnswer(tx_ref: string, facts: FoundFacts): Promise<TransactionRecord | null> {
    let tx = recordSubmitted(this.core, tx_ref, facts.provider_ref, Date.now());
    if (tx && facts.outcome !== "pending") {
      const result = this.apply(tx_ref, facts, { via: "create" });
      this.logSettled(tx_ref, result, "create");
      tx = this.core.store.get(tx_ref);
    }
    await this.afterChange();
    return tx;
  }

  async markSubmitUnknown(tx_ref: string): Promise<TransactionRecord | null> {
    const tx = markSubmitUnknown(this.core, tx_ref, Date.now());
    await this.afterChange();
    return tx;
  }

  /**
   * A definite refusal by the provider before anything happened: FAILED, hold
   * (if any) voided; a refusal that is our trouble (the provider's float, our
   * credentials) also records an anomaly for operators, in the same transaction.
   */
  async refuse(
    tx_ref: string,
    reason: string,
    anomaly?: { kind: string; detail: string },
  ): Promise<TransactionRecord | null> {
    const { tx } = refuse(this.core, tx_ref, reason, anomaly, Date.now());
    await this.afterChange();
    return tx;
  }

  // ==== Settling ================================================================

  /** The one settle path, in one storage transaction: funding or held payment by the transaction's type. */
  private apply(
    tx_ref: string,
    facts: ProviderFacts,
    source: SettleSource,
    expected_type?: TxType,
  ): SettleOutcome {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync((): SettleOutcome => {
      const tx = this.core.store.get(tx_ref);
      if (!tx) return { outcome: "unknown_tx" };
      // Facts about another kind of payment never touch this one (nor its trail).
      if (expected_type !== undefined && tx.type !== expected_type)
        return { outcome: "wrong_type", tx };
      // An operator's adjustment is no provider's: no facts touch it.
      if (tx.type === "ADJUSTMENT") return { outcome: "wrong_type", tx };
      const outcome =
        tx.type === "FUND"
          ? applyFundingFacts(this.core, tx, facts, now_ms)
          : applyHeldFacts(this.core, { ...tx, type: tx.type }, facts, now_ms);
      this.core.trail.event(source, tx_ref, outcome.outcome, now_ms);
      return outcome;
    });
  }

  /**
   * Apply what the provider says about a transaction. Safe to call any number
   * of times, in any order, from webhooks, the reconciler or the callback page.
   * With `expected_type`, a transaction of another type is left alone
   * (`wrong_type`), so a caller that looked the facts up for that type need
   * not read the transaction first.
   */
  async applyProviderFacts(
    tx_ref: string,
    facts: ProviderFacts,
    source: SettleSource,
    expected_type?: TxType,
  ): Promise<SettleOutcome> {
    const result = this.apply(tx_ref, facts, source, expected_type);
    if (result.outcome === "unknown_tx" || result.outcome === "wrong_type") return result;
    this.logSettled(tx_ref, result, source.via);
    await this.afterChange();
    return result;
  }

  private logSettled(tx_ref: string, result: SettleOutcome, via: SettleSource["via"]): void {
    if (
      result.outcome === "credited" ||
      result.outcome === "debited" ||
      result.outcome === "failed" ||
      result.outcome === "reversed"
    ) {
      log.info("transaction settled", {
        tx_ref,
        type: result.tx.type,
        outcome: result.outcome,
        via,
        user_id: this.core.ledger.profile()?.user_id,
      });
    }
  }

  // ==== Operators and audits ======================================================

  async anomalies(): Promise<Anomaly[]> {
    return this.core.trail.list();
  }

  /** Invariants 2 and 5, computed from storage. */
  async audit(): Promise<Audit> {
    return this.core.ledger.audit();
  }

  /** The change feed after `after_seq`, one page of at most FEED_PAGE_MAX, for audits and replays. */
  async changes(after_seq: number, limit: number = FEED_PAGE_MAX): Promise<Change[]> {
    return this.feed.since(after_seq, Math.min(Math.max(1, Math.floor(limit)), FEED_PAGE_MAX));
  }

  // ==== MongoDB projection ==========================================================

  /**
   * Queue a fresh snapshot of this wallet for the projection: on the first
   * page (no cursor) the profile and the wallet, then up to REPROJECT_PAGE_MAX
   * transactions in tx_ref order, each at its current version. Each replaces
   * its own entry in the feed (same entity, key and version) at the tail, so
   * readers that have it drop it by version and the projection's version
   * guard writes it only where MongoDB is behind or missing it. "off" when no
   * MongoDB is configured; null for a wallet that does not exist.
   */
  async reproject(starting_after?: string): Promise<ReprojectPage | "off" | null> {
    if (!this.projecting) return "off";
    const page = requeuePage(this.core, starting_after, Date.now());
    if (page) await this.afterChange();
    return page;
  }

  /** The ledger's current view for the consistency checker: profile, wallet and a page of transactions in tx_ref order. */
  async projectionView(starting_after: string, limit: number): Promise<LedgerView> {
    return ledgerView(this.core, starting_after, limit);
  }

  /** The projection reader's state here: off, or its position, failures, backlog and oldest waiting change. */
  async projectionState(): Promise<
    { on: false } | ({ on: true } & ReturnType<ChangeFeed["state"]>)
  > {
    return this.projecting ? { on: true, ...this.feed.state(PROJECTION_READER) } : { on: false };
  }

  // ==== Alarm: feed retries, key purge, reconciler =====================================

  /** Arm the alarm for the earliest of: a due check, a key expiry, a feed retry, a feed prune. */
  private scheduleAlarm(): Promise<void> {
    return this.clock.armBy([
      this.core.store.nextDueAt(),
      this.core.keys.nextExpiryAt(),
      this.feed.wakeAt(),
    ]);
  }

  override async alarm(): Promise<void> {
    this.clock.fired();
    const now_ms = Date.now();
    this.core.keys.purge(now_ms);
    // Rooms and the operator index awaited; the projection in the background, so a hung MongoDB
    // never holds up the reconciler below (a call may take MONGO_BATCH_TIMEOUT_MS).
    await this.feed.drain([ROOMS_READER, OPERATIONS_READER]);
    this.projectInBackground(true);
    this.ctx.storage.transactionSync(() => this.feed.prune(now_ms));
    await reconcileDue(this.core, {
      env: this.env,
      ctx: contextFromState(this.ctx),
      apply: (tx_ref, facts, source) => this.apply(tx_ref, facts, source),
      abandon: (tx_ref) => abandon(this.core, tx_ref, Date.now()),
    });
    await this.afterChange();
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }
}
