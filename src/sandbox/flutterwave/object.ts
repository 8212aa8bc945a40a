/**
 * FlutterwaveSandbox: the state of the development-only Flutterwave look-alike.
 * One instance, named "flutterwave" (paths.ts); it is bound only outside
 * production.
 *
 * Responsibilities
 * - Hold what Flutterwave would hold for a merchant: hosted payment links,
 *   card transactions, customers (charges.ts) and payouts (transfers.ts), in
 *   SQLite storage, behind typed RPC.
 * - Settle transfers after SANDBOX_TRANSFER_DELAY_S with an alarm, then deliver
 *   their `transfer.completed` webhook (outside any storage transaction).
 * - The kit's faults, deliveries and request counts (../kit/object.ts).
 * - Hand out flat rows; the HTTP layer renders them into Flutterwave's JSON
 *   (model.ts). Flat rows keep RPC types simple and the object free of
 *   presentation.
 *
 * Why one object: the sandbox's load is a developer's or a test suite's, and a
 * single object gives every request one consistent view with no coordination.
 * Links, transactions and transfers are kept for the life of the local state,
 * as a provider keeps them; `wrangler dev` state is disposable.
 */
import { requireConfig } from "../../lib/config";
import { one } from "../../lib/sqlite";
import { contextFromState } from "../../lib/self";
import { deliverWebhook, type WebhookDispatch } from "../kit/deliver";
import { SandboxObject } from "../kit/object";
import {
  Charges,
  type CheckoutChoice,
  type CheckoutResult,
  type CreateLinkResult,
  type PaymentLinkInput,
} from "./charges";
import { credentialFor, FLUTTERWAVE_USER_AGENT } from "./credentials";
import { ALARM_SETTLE_BATCH_MAX } from "./limits";
import type { LinkRow, TransactionRow, TransactionStatus, TransferRow } from "./model";
import { type ListFault, ListFaults } from "./list-faults";
import { MIGRATIONS } from "./schema";
import {
  Refunds,
  type CreateRefundResult,
  type RefundMode,
  type RefundRow,
  type SettleRefundResult,
} from "./refunds";
import {
  Transfers,
  type CreateTransferResult,
  type SettleResult,
  type TransferInput,
  type TransferWebhookResult,
} from "./transfers";

export type { CheckoutChoice } from "./charges";

export class FlutterwaveSandbox extends SandboxObject {
  private readonly charges: Charges;
  private readonly transfers: Transfers;
  private readonly refunds: Refunds;
  private readonly listFaults: ListFaults;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
    this.charges = new Charges(ctx.storage);
    this.transfers = new Transfers(ctx.storage);
    this.refunds = new Refunds(ctx.storage);
    this.listFaults = new ListFaults(ctx.storage);
  }

  // ---- List faults (list-faults.ts) ---------------------------------------------------------

  async setListFault(fault: ListFault): Promise<void> {
    this.listFaults.set(fault);
  }

  async clearListFaults(): Promise<void> {
    this.listFaults.clear();
  }

  async listFaultsOf(references: string[]): Promise<ListFault[]> {
    return this.listFaults.of(references);
  }

  // ---- Refunds (refunds.ts) -----------------------------------------------------------------

  async createRefund(
    transaction_id: number,
    amount_minor: number,
    comments: string,
  ): Promise<{ result: CreateRefundResult; answered_status: RefundRow["status"] }> {
    return this.refunds.create(transaction_id, amount_minor, comments, Date.now());
  }

  async refund(id: number): Promise<RefundRow | null> {
    return this.refunds.get(id);
  }

  async listRefunds(
    page: number,
    transaction_id: number | null,
  ): Promise<{ refunds: RefundRow[]; total: number }> {
    return this.refunds.list(page, transaction_id);
  }

  async setRefundMode(mode: RefundMode, transaction_id: number | null): Promise<void> {
    this.refunds.setMode(mode, transaction_id);
  }

  async settleRefund(id: number, status: "completed" | "failed"): Promise<SettleRefundResult> {
    return this.refunds.settle(id, status);
  }

  // ---- Payment links and card transactions (charges.ts) ---------------------------------

  async createPaymentLink(input: PaymentLinkInput): Promise<CreateLinkResult> {
    return this.charges.createPaymentLink(input);
  }

  async checkoutLink(link_id: string): Promise<LinkRow | null> {
    return this.charges.checkoutLink(link_id);
  }

  async latestLink(tx_ref: string): Promise<LinkRow | null> {
    return this.charges.latestLink(tx_ref);
  }

  async expireLink(tx_ref: string): Promise<boolean> {
    return this.charges.expireLink(tx_ref);
  }

  async checkout(link_id: string, choice: CheckoutChoice, ip: string): Promise<CheckoutResult> {
    return this.charges.checkout(link_id, choice, ip);
  }

  async transaction(id: number): Promise<TransactionRow | null> {
    return this.charges.transaction(id);
  }

  async transactionByReference(tx_ref: string): Promise<TransactionRow | null> {
    return this.charges.transactionByReference(tx_ref);
  }

  async listTransactions(
    query: Parameters<Charges["list"]>[0],
  ): Promise<{ transactions: TransactionRow[]; total: number }> {
    return this.charges.list(query);
  }

  async transactionWebhook(id: number): Promise<WebhookDispatch | null> {
    return this.charges.transactionWebhook(id);
  }

  async createTransaction(input: {
    tx_ref: string;
    amount_minor: number;
    currency: string;
    status: TransactionStatus;
    customer_email: string;
    origin: string;
  }): Promise<TransactionRow> {
    return this.charges.createTransaction(input);
  }

  // ---- Transfers (transfers.ts) -----------------------------------------------------------

  async createTransfer(input: TransferInput): Promise<CreateTransferResult> {
    const result = this.transfers.create(input, requireConfig(this.env).SANDBOX_TRANSFER_DELAY_S);
    if (result.outcome === "created") await this.scheduleAlarm();
    return result;
  }

  async transfer(id: number): Promise<TransferRow | null> {
    return this.transfers.get(id);
  }

  async listTransfers(query: {
    reference: string | null;
    status: string | null;
    page: number;
    from_ms?: number | null;
    to_ms?: number | null;
  }): Promise<{ transfers: TransferRow[]; total: number }> {
    return this.transfers.list(query);
  }

  /** Control API: settle now instead of waiting for the alarm. The caller delivers the webhook. */
  async settleTransfer(id: number, forced?: "SUCCESSFUL" | "FAILED"): Promise<SettleResult> {
    const result = this.transfers.settle(id, forced);
    if (result.outcome === "settled") await this.scheduleAlarm();
    return result;
  }

  async succeedTransferLate(id: number): Promise<SettleResult> {
    return this.transfers.succeedLate(id);
  }

  async transferWebhook(id: number): Promise<TransferWebhookResult> {
    return this.transfers.webhook(id);
  }

  /**
   * Point the alarm at the earliest unsettled transfer, remembering the time:
   * a test may run the alarm early (`runDurableObjectAlarm`), and the alarm
   * then settles what it was scheduled for rather than nothing.
   */
  private async scheduleAlarm(): Promise<void> {
    const next = this.transfers.nextDueAt();
    if (next === null) {
      this.sql.exec("DELETE FROM settings WHERE key = 'alarm_at_ms'");
      await this.ctx.storage.deleteAlarm();
      return;
    }
    this.sql.exec(
      "INSERT INTO settings (key, value) VALUES ('alarm_at_ms', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      next,
    );
    await this.ctx.storage.setAlarm(next);
  }

  /**
   * Settle the transfers that are due (at most ALARM_SETTLE_BATCH_MAX; the rest
   * are left for an immediate next run), then deliver their webhooks outside
   * any storage transaction. Safe to run twice: settling is conditional.
   */
  override async alarm(): Promise<void> {
    const config = requireConfig(this.env);
    const scheduled_ms =
      one(this.sql.exec<{ value: number }>("SELECT value FROM settings WHERE key = 'alarm_at_ms'"))
        ?.value ?? 0;
    const webhooks: WebhookDispatch[] = [];
    for (const id of this.transfers.due(
      Math.max(Date.now(), scheduled_ms),
      ALARM_SETTLE_BATCH_MAX,
    )) {
      const result = this.transfers.settle(id);
      if (result.outcome === "settled") webhooks.push(result.webhook);
    }
    await this.scheduleAlarm();
    const ctx = contextFromState(this.ctx);
    for (const webhook of webhooks) {
      await this.recordDelivery(
        await deliverWebhook(
          this.env,
          ctx,
          webhook,
          credentialFor(config.FLUTTERWAVE_WEBHOOK_HASH),
          FLUTTERWAVE_USER_AGENT,
        ),
      );
    }
  }
}
