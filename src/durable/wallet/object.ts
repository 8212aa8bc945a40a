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
 * This class keeps only the user's money surface (profile, funding, held
 * payments, settling); operators' calls are in ./operator-surface.ts and the
 * wiring (storage, the feed and its readers, the settle path, the alarm) in
 * ./base.ts. The parts live beside them: schema (migrations, the flow mirror),
 * ledger (balance, holds, journal), store (transactions and the one write
 * path), idempotency, trail (provider events, anomalies), feed (the change
 * feed and its drainer), readers, funding-flow, held-payment-flow,
 * refund-flow and decisions (the flows) and reconciler (the alarm).
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
import { PURCHASE_ESCALATE_AFTER_MS, WITHDRAW_ESCALATE_AFTER_MS } from "../../domain/limits";
import { refuse, type HeldOpenOutcome, type OpenOutcome, type SettleOutcome } from "./core";
import {
  attachPaymentLink,
  claimCallbackVerify,
  markLinkUnknown,
  openFunding,
  type OpenFundingInput,
} from "./funding-flow";
import {
  claim,
  markSubmitUnknown,
  openHeld,
  recordSubmitted,
  type HeldType,
  type OpenHeldInput,
} from "./held-payment-flow";
import type { IdempotencyInput, KeyVerdict, StoredAnswer } from "./idempotency";
import type { Profile, WalletSummary } from "./ledger";
import { markWatched } from "./readers";
import { requireConfig } from "../../lib/config";
import type { TxStore, ListQuery } from "./store";
import type { SettleSource } from "./trail";

import { WalletRuns } from "./runs-surface";

export type { Audit, Profile, WalletSummary } from "./ledger";
export type { HeldOpenOutcome, OpenOutcome, SettleOutcome } from "./core";
export type { DecisionOutcome, DecisionRefusal, HeldDecisionInput } from "./decisions";
export type { IdempotencyInput, KeyVerdict, StoredAnswer } from "./idempotency";
export type { ListQuery } from "./store";
export type {
  Schedule,
  ScheduleInput,
  SchedulePatch,
  ScheduleRun,
  ScheduleWriteOutcome,
} from "./schedules";
export type { SaveBeneficiaryOutcome } from "./beneficiaries";
export type { TransactionHistory } from "./history";
export type { FreezeOutcome } from "./freeze";
export type { AdjustInput, AdjustOutcome, ProposeOutcome } from "./adjustments";
export type { ApproveOutcome, DecideOutcome } from "./proposals";
export type { LedgerView, ReprojectPage } from "./reproject";
export type { SettleSource } from "./trail";
export type { StatementOutcome, StatementQuery } from "./statement";
export type {
  BatchChange,
  BatchView,
  BulkLineStatus,
  BulkLineView,
  LineReport,
  StartBatchOutcome,
} from "./bulk";
export type { IdentityInput, KycAttemptOutcome, KycStatus, RecordIdentityOutcome } from "./tiers";
export type { TransactionRecord, TxDetails } from "../../domain/records";

/** How long a held payment of each type may stay unresolved before operators are told (and may decide). */
const HELD_DEADLINE_MS: Record<HeldType, number> = {
  WITHDRAW: WITHDRAW_ESCALATE_AFTER_MS,
  AIRTIME: PURCHASE_ESCALATE_AFTER_MS,
  DATA: PURCHASE_ESCALATE_AFTER_MS,
  ELECTRICITY: PURCHASE_ESCALATE_AFTER_MS,
  TV: PURCHASE_ESCALATE_AFTER_MS,
};
const heldDeadlineMs = (env: Env, type: HeldType) => {
  const configured = requireConfig(env).HELD_PAYMENT_DEADLINE_S;
  return configured === undefined ? HELD_DEADLINE_MS[type] : configured * 1000;
};

export class Wallet extends WalletRuns {
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

  /**
   * A Room's first watcher (or a read of its snapshot): the transaction as it
   * is now, and from now on its changes are published to its Room (readers.ts).
   * No await between the read and the mark, so no change falls between them.
   * A transaction that does not exist is not marked.
   */
  async watch(tx_ref: string): Promise<TransactionRecord | null> {
    const tx = this.core.store.get(tx_ref);
    if (tx) markWatched(this.ctx.storage, tx_ref);
    return tx;
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
      { ...input, deadline_at_ms: now_ms + heldDeadlineMs(this.env, input.type) },
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
}
