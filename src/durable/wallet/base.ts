/**
 * The Wallet's wiring, shared by its RPC surfaces (./object.ts for the user's
 * money, ./operator-surface.ts for operators): storage and migrations, the
 * parts (ledger, store, idempotency keys, trail), the change feed and its
 * readers, the one settle path (`apply`), what follows every committed change
 * (`afterChange`), and the alarm (feed retries, key purge, reconciler).
 * Workers RPC exposes the methods of every class in the chain, so the split is
 * the source's, not the callers'.
 */
import { DurableObject } from "cloudflare:workers";
import type { ProviderFacts, TxType } from "../../domain/transactions";
import { configOf } from "../../lib/config";
import { log } from "../../lib/log";
import { contextFromState } from "../../lib/self";
import { migrate } from "../../lib/sqlite";
import { AlarmClock } from "./alarm-clock";
import { bulkDueAt, sendBulkLines } from "./bulk-drain";
import type { SettleOutcome, WalletCore } from "./core";
import { ChangeFeed, type FeedReader } from "./feed";
import { applyFundingFacts } from "./funding-flow";
import { abandon, applyHeldFacts } from "./held-payment-flow";
import { IdempotencyKeys } from "./idempotency";
import { Ledger } from "./ledger";
import { OPERATIONS_READER, operationsInBackground, operationsReader } from "./operator-reader";
import { BOOKS_READER, booksInBackground, booksReader } from "./books-reader";
import {
  PROJECTION_READER,
  projectionReader,
  reportProjectionLag,
} from "../../projection/wallet-reader";
import { ROOMS_READER, roomsReader } from "./readers";
import { schedulesWakeAt, sendDueRuns } from "./schedule-alarm";
import { reconcileDue } from "./reconciler";
import * as refunds from "./refund-flow";
import { MIGRATIONS, syncFlows } from "./schema";
import { TxStore } from "./store";
import { AuditLog } from "./audit";
import { envPolicy, flagOverCap } from "./tier-rules";
import { TierBook } from "./tiers";
import { limitsOf } from "../../domain/tiers";
import { Trail, type SettleSource } from "./trail";

export abstract class WalletBase extends DurableObject<Env> {
  protected readonly core: WalletCore;
  protected readonly feed: ChangeFeed;
  /** The projection reader is registered only when MongoDB is configured. */
  protected readonly projecting: boolean;
  protected readonly clock: AlarmClock;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      syncFlows(ctx.storage);
    });
    const sql = ctx.storage.sql;
    const ledger = new Ledger(sql);
    const tiers = new TierBook(sql, ledger);
    const store = new TxStore(sql, ledger, tiers);
    this.core = {
      storage: ctx.storage,
      ledger,
      store,
      keys: new IdempotencyKeys(ctx.storage, (tx_ref) => store.get(tx_ref)),
      trail: new Trail(sql),
      audit: new AuditLog(sql, ledger),
      tiers,
      policy: () => tiers.remembered() ?? envPolicy(env),
    };
    // Each wallet version carries its tier's limits under the policy in force
    // (the projection and the operator view show them); a tier 0 wallet that
    // may move nothing reads 0 and 0, as GET /wallet/limits does.
    const core = this.core;
    // The policy a version is written under is remembered with it, so a wallet
    // that never opened a payment does not read a changed configuration as
    // other limits at the same version (only an open's new policy, with a new
    // version, changes them: ./tier-rules.ts policyFor).
    ledger.useLimits(
      (tier) => limitsOf(tier, core.policy()) ?? { daily_limit_minor: 0, max_balance_minor: 0 },
      () => {
        if (!tiers.remembered()) tiers.remember(envPolicy(env));
      },
    );
    const config = configOf(env);
    const readers: Record<string, FeedReader> = {
      [ROOMS_READER]: roomsReader(env, ctx.storage),
      [OPERATIONS_READER]: operationsReader(env),
      [BOOKS_READER]: booksReader(env),
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
    booksInBackground(this.feed, this.ctx, () => this.scheduleAlarm());
    this.projectInBackground();
    await this.scheduleAlarm();
  }

  /**
   * Not awaited by the write (or the alarm): nothing waits for MongoDB. Arms
   * the alarm for a retry when it is still behind; from the alarm, refreshes
   * the lag report while behind.
   */
  protected projectInBackground(from_alarm = false): void {
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

  /** The one settle path, in one storage transaction: funding or held payment by the transaction's type. */
  protected apply(
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
          : tx.type === "REFUND"
            ? refunds.applyRefundFacts(this.core, tx, facts, now_ms)
            : applyHeldFacts(this.core, { ...tx, type: tx.type }, facts, now_ms);
      this.core.trail.event(source, tx_ref, outcome.outcome, now_ms);
      // Money that arrived is credited in full; past the tier's cap, operators are told.
      if (outcome.outcome === "credited")
        flagOverCap(this.core, this.core.policy(), tx_ref, now_ms);
      return outcome;
    });
  }
  protected logSettled(tx_ref: string, result: SettleOutcome, via: SettleSource["via"]): void {
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

  // ==== Alarm: feed retries, key purge, reconciler =====================================

  /** Arm the alarm for the earliest of: a due check, a key expiry, a feed retry, a feed prune. */
  protected scheduleAlarm(): Promise<void> {
    return this.clock.armBy([
      this.core.store.nextDueAt(),
      this.core.keys.nextExpiryAt(),
      this.feed.wakeAt(),
      bulkDueAt(this.core, Date.now()),
      schedulesWakeAt(this.core),
    ]);
  }

  override async alarm(): Promise<void> {
    this.clock.fired();
    const now_ms = Date.now();
    this.core.keys.purge(now_ms);
    await sendDueRuns(this.core, this.env, now_ms);
    // Rooms and the operator index awaited; the projection in the background, so a hung MongoDB
    // never holds up the reconciler below (a call may take MONGO_BATCH_TIMEOUT_MS).
    await this.feed.drain([ROOMS_READER, OPERATIONS_READER, BOOKS_READER]);
    this.projectInBackground(true);
    this.ctx.storage.transactionSync(() => this.feed.prune(now_ms));
    await reconcileDue(this.core, {
      env: this.env,
      ctx: contextFromState(this.ctx),
      apply: (tx_ref, facts, source) => this.apply(tx_ref, facts, source),
      abandon: (tx_ref) =>
        abandon(this.core, tx_ref, Date.now()) ||
        refunds.abandonRefund(this.core, tx_ref, Date.now()),
    });
    await sendBulkLines(this.env, this.core, Date.now());
    await this.afterChange();
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }
}
