/**
 * The Wallet's RPC surface for operators: decisions on held payments
 * (./decisions.ts), refunds and credits of money owed back
 * (./refund-flow.ts), anomalies, a transaction's history, the ledger audit,
 * the change feed for audits, and the MongoDB projection's maintenance. The
 * user's money surface is ./object.ts; the wiring is ./base.ts.
 */
import type { TransactionRecord } from "../../domain/records";
import { FEED_PAGE_MAX } from "./limits";
import { decideHeld, type DecisionOutcome, type HeldDecisionInput } from "./decisions";
import type { ChangeFeed, Change } from "./feed";
import { ledgerView, requeuePage, type LedgerView, type ReprojectPage } from "./reproject";
import type { Audit } from "./ledger";
import { PROJECTION_READER } from "../../projection/wallet-reader";
import { transactionHistory, type TransactionHistory } from "./history";
import * as refunds from "./refund-flow";
import type { Anomaly } from "./trail";

import { WalletActs } from "./acts-rpc";

export abstract class WalletOperatorSurface extends WalletActs {
  /** An operator posts or voids an escalated or overdue held payment (./decisions.ts): a named refusal, or the decided transaction. */
  async decideHeld(input: HeldDecisionInput): Promise<DecisionOutcome> {
    const result = decideHeld(this.core, input, Date.now());
    if (result.outcome === "decided") await this.afterChange();
    return result;
  }

  // ==== Refunds and credits of money owed back (./refund-flow.ts) ==================
  async settleAnomaly(input: refunds.SettleAnomalyInput): Promise<refunds.SettleAnomalyOutcome> {
    const result = refunds.settleAnomaly(this.core, input, Date.now());
    if (result.outcome === "opened") await this.afterChange();
    return result;
  }

  async claimRefund(tx_ref: string): Promise<boolean> {
    const won = refunds.claimRefund(this.core, tx_ref, Date.now());
    if (won) await this.afterChange();
    return won;
  }

  async recordRefundAnswer(
    tx_ref: string,
    answer: refunds.RefundAnswer,
  ): Promise<TransactionRecord | null> {
    const tx = refunds.recordRefundAnswer(this.core, tx_ref, answer, Date.now());
    await this.afterChange();
    return tx;
  }

  async anomalySettlement(anomaly: refunds.AnomalyId): Promise<refunds.Settlement | null> {
    return refunds.settlementOf(this.core, anomaly);
  }
  // ==== Operators and audits ======================================================

  async anomalies(): Promise<Anomaly[]> {
    return this.core.trail.list();
  }

  /** One transaction's versions, provider events and anomalies, for operators (./history.ts). */
  async transactionHistory(tx_ref: string): Promise<TransactionHistory> {
    return transactionHistory(this.ctx.storage.sql, tx_ref);
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
}
