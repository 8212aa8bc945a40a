/**
 * ProviderSandbox: the state of the development-only Flutterwave look-alike.
 * One instance, named "flutterwave" (see flutterwave/paths.ts); it is bound only
 * outside production (`env.SANDBOX` is optional for that reason).
 *
 * Responsibilities
 * - Hold what Flutterwave would hold for a merchant: hosted payment links,
 *   card transactions, customers, payouts (transfers), in SQLite storage.
 * - Settle transfers after SANDBOX_TRANSFER_DELAY_S with an alarm, then deliver
 *   their `transfer.completed` webhook.
 * - Keep the test hooks: armed faults (consumed atomically, one per request)
 *   and a record of every webhook delivery attempt.
 * - Hand out flat rows; the HTTP layer renders them into Flutterwave's JSON
 *   (flutterwave/model.ts). Flat rows keep RPC types simple and the object free
 *   of presentation.
 *
 * Invariants
 * - At most one open link per tx_ref (a partial unique index, not a check).
 * - A transfer reference is unique (a unique index); a transfer leaves NEW for
 *   SUCCESSFUL or FAILED exactly once (a conditional UPDATE).
 * - A link leaves `open` exactly once, and only for a later state.
 * - Each mutation is one synchronous storage transaction; webhook delivery (a
 *   call into the Worker) happens outside them.
 *
 * Why one object: the sandbox's load is a developer's or a test suite's, and a
 * single object gives every request one consistent view with no coordination.
 *
 * Bounds: faults are capped (FAULTS_MAX) and delivery records pruned
 * (DELIVERIES_KEPT_MAX); every list answered is one bounded page. Links,
 * transactions and transfers are kept for the life of the local state, as a
 * provider keeps them; `wrangler dev` state is disposable.
 */
import { DurableObject } from "cloudflare:workers";
import { requireConfig } from "../lib/config";
import { randomBase32 } from "../lib/ids";
import { contextFromState } from "../lib/self";
import { migrate, one, type Migration } from "../lib/sqlite";
import {
  ALARM_SETTLE_BATCH_MAX,
  DELIVERIES_KEPT_MAX,
  DELIVERIES_LIST_MAX,
  FAULTS_MAX,
  TRANSFERS_PAGE_SIZE,
} from "./flutterwave/limits";
import {
  appFeeMinor,
  chargeCompletedEvent,
  halfMinor,
  settlementFor,
  transferCompletedEvent,
  type LinkRow,
  type TransactionRow,
  type TransactionStatus,
  type TransferRow,
} from "./flutterwave/model";
import { WEBHOOK_PATH } from "./flutterwave/paths";
import type { FaultInput, FaultMode, FaultOperation } from "./flutterwave/schemas";
import { deliverWebhook, type DeliveryOutcome, type WebhookDispatch } from "./flutterwave/webhooks";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      // Id sequences. Flutterwave's ids are large integers; starting high makes
      // sandbox ids look like theirs and never collide with small test numbers.
      `CREATE TABLE counters (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL)`,
      `INSERT INTO counters (name, next_value) VALUES ('transaction', 7000000001), ('transfer', 500001), ('customer', 2100001)`,
      `CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
      `CREATE TABLE customers (
         id INTEGER PRIMARY KEY,
         email TEXT NOT NULL UNIQUE,
         name TEXT,
         phone_number TEXT,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE payment_links (
         link_id TEXT PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         currency TEXT NOT NULL,
         redirect_url TEXT NOT NULL,
         customer_email TEXT NOT NULL,
         customer_name TEXT,
         customer_phone TEXT,
         title TEXT,
         description TEXT,
         meta_json TEXT,
         request_json TEXT NOT NULL,
         max_retry_attempt INTEGER NOT NULL CHECK (max_retry_attempt > 0),
         failed_attempts INTEGER NOT NULL DEFAULT 0,
         status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'cancelled', 'failed', 'expired')),
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         expires_at_ms INTEGER NOT NULL,
         closed_at_ms INTEGER
       )`,
      `CREATE INDEX payment_links_by_tx_ref ON payment_links (tx_ref, created_at_ms)`,
      `CREATE UNIQUE INDEX payment_links_one_open ON payment_links (tx_ref) WHERE status = 'open'`,
      `CREATE TABLE transactions (
         id INTEGER PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         flw_ref TEXT NOT NULL UNIQUE,
         link_id TEXT,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         charged_amount_minor INTEGER NOT NULL,
         app_fee_minor INTEGER NOT NULL,
         merchant_fee_minor INTEGER NOT NULL,
         currency TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('successful', 'failed', 'pending')),
         processor_response TEXT NOT NULL,
         ip TEXT NOT NULL,
         narration TEXT NOT NULL,
         customer_id INTEGER NOT NULL REFERENCES customers (id),
         meta_json TEXT,
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE INDEX transactions_by_tx_ref ON transactions (tx_ref, id)`,
      `CREATE TABLE transfers (
         id INTEGER PRIMARY KEY,
         reference TEXT NOT NULL UNIQUE,
         account_number TEXT NOT NULL,
         bank_code TEXT NOT NULL,
         bank_name TEXT NOT NULL,
         full_name TEXT NOT NULL,
         currency TEXT NOT NULL,
         debit_currency TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         fee_minor INTEGER NOT NULL CHECK (fee_minor >= 0),
         status TEXT NOT NULL CHECK (status IN ('NEW', 'PENDING', 'SUCCESSFUL', 'FAILED')),
         complete_message TEXT NOT NULL,
         narration TEXT,
         meta_json TEXT,
         callback_url TEXT,
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         settle_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER
       )`,
      `CREATE INDEX transfers_unsettled ON transfers (status, settle_at_ms)`,
      `CREATE TABLE deliveries (
         id INTEGER PRIMARY KEY,
         event TEXT NOT NULL,
         ref TEXT NOT NULL,
         url TEXT NOT NULL,
         status_code INTEGER,
         error TEXT,
         verif_hash TEXT NOT NULL,
         body TEXT NOT NULL,
         at_ms INTEGER NOT NULL
       )`,
      `CREATE INDEX deliveries_by_ref ON deliveries (ref)`,
      `CREATE TABLE faults (
         id INTEGER PRIMARY KEY,
         operation TEXT NOT NULL,
         match TEXT NOT NULL,
         mode TEXT NOT NULL,
         remaining INTEGER NOT NULL CHECK (remaining > 0),
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE INDEX faults_by_operation ON faults (operation, id)`,
    ],
  },
];

// ---- RPC types ----------------------------------------------------------------

export type CheckoutChoice = "full" | "less" | "fail" | "cancel";

export type PaymentLinkInput = {
  tx_ref: string;
  amount_minor: number;
  currency: string;
  redirect_url: string;
  customer: { email: string; name: string | null; phone: string | null };
  title: string | null;
  description: string | null;
  meta_json: string | null;
  request_json: string;
  session_minutes: number;
  max_retry_attempt: number;
  origin: string;
};

export type CreateLinkResult = { outcome: "created" | "existing"; link_id: string } | { outcome: "already_paid" };

export type CheckoutResult =
  | { kind: "not_found" }
  | { kind: "closed"; link: LinkRow }
  | { kind: "cancelled"; link: LinkRow }
  | { kind: "charged"; link: LinkRow; transaction: TransactionRow; webhook: WebhookDispatch };

/** What a create request supplies; the object adds the id, status and times. */
export type TransferInput = Omit<TransferRow, "id" | "status" | "complete_message" | "created_at_ms" | "settle_at_ms" | "settled_at_ms">;

export type CreateTransferResult = { outcome: "created"; transfer: TransferRow } | { outcome: "duplicate_reference" };

export type SettleResult =
  | { outcome: "not_found" }
  | { outcome: "already_settled"; transfer: TransferRow }
  | { outcome: "settled"; transfer: TransferRow; webhook: WebhookDispatch };

export type TransferWebhookResult = { outcome: "not_found" } | { outcome: "not_final"; transfer: TransferRow } | { outcome: "ok"; webhook: WebhookDispatch };

export type ArmedFault = { id: number; operation: FaultOperation; match: string; mode: FaultMode; remaining: number };

export type DeliveryRecord = {
  id: number;
  event: string;
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: string;
  /** The webhook body as sent (JSON text, cut at DELIVERY_BODY_MAX_CHARS). */
  body: string;
  at_ms: number;
};

const TRANSACTION_SELECT = `
  SELECT t.id, t.tx_ref, t.flw_ref, t.link_id, t.amount_minor, t.charged_amount_minor, t.app_fee_minor,
         t.merchant_fee_minor, t.currency, t.status, t.processor_response, t.ip, t.narration, t.meta_json,
         t.origin, t.created_at_ms, c.id AS customer_id, c.email AS customer_email, c.name AS customer_name,
         c.phone_number AS customer_phone, c.created_at_ms AS customer_created_at_ms
  FROM transactions t JOIN customers c ON c.id = t.customer_id`;

const UNSETTLED = "('NEW', 'PENDING')";

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ProviderSandbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  private nextId(name: "transaction" | "transfer" | "customer"): number {
    const row = one(this.sql.exec<{ id: number }>("UPDATE counters SET next_value = next_value + 1 WHERE name = ? RETURNING next_value - 1 AS id", name));
    if (!row) throw new Error(`counter ${name} missing: migration 1 did not run`);
    return row.id;
  }

  // ---- Payment links (Flutterwave Standard) --------------------------------------

  /** Close open links of this tx_ref whose session has passed; returns nothing, changes state. */
  private expireStale(tx_ref: string, now_ms: number): void {
    this.sql.exec(
      "UPDATE payment_links SET status = 'expired', closed_at_ms = ? WHERE tx_ref = ? AND status = 'open' AND expires_at_ms <= ?",
      now_ms,
      tx_ref,
      now_ms,
    );
  }

  /**
   * Record a hosted-payment request. Repeating it while a link for the tx_ref is
   * open returns that link (whatever the new body says); once the tx_ref has
   * been paid it is refused; after an expiry, cancellation or failure a new
   * link (a new checkout session for the same tx_ref) is opened.
   */
  async createPaymentLink(input: PaymentLinkInput): Promise<CreateLinkResult> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync((): CreateLinkResult => {
      this.expireStale(input.tx_ref, now_ms);
      const open = one(this.sql.exec<{ link_id: string }>("SELECT link_id FROM payment_links WHERE tx_ref = ? AND status = 'open'", input.tx_ref));
      if (open) return { outcome: "existing", link_id: open.link_id };
      const paid = one(
        this.sql.exec<{ n: number }>(
          `SELECT (SELECT COUNT(*) FROM payment_links WHERE tx_ref = ? AND status = 'completed')
                + (SELECT COUNT(*) FROM transactions WHERE tx_ref = ? AND status = 'successful') AS n`,
          input.tx_ref,
          input.tx_ref,
        ),
      );
      if (paid && paid.n > 0) return { outcome: "already_paid" };
      const link_id = `flwlnk-${randomBase32(20)}`;
      this.sql.exec(
        `INSERT INTO payment_links (link_id, tx_ref, amount_minor, currency, redirect_url, customer_email, customer_name,
           customer_phone, title, description, meta_json, request_json, max_retry_attempt, failed_attempts, status, origin,
           created_at_ms, expires_at_ms, closed_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'open', ?, ?, ?, NULL)`,
        link_id,
        input.tx_ref,
        input.amount_minor,
        input.currency,
        input.redirect_url,
        input.customer.email,
        input.customer.name,
        input.customer.phone,
        input.title,
        input.description,
        input.meta_json,
        input.request_json,
        input.max_retry_attempt,
        input.origin,
        now_ms,
        now_ms + input.session_minutes * 60_000,
      );
      return { outcome: "created", link_id };
    });
  }

  private linkRow(link_id: string): LinkRow | null {
    return one(this.sql.exec<LinkRow>("SELECT * FROM payment_links WHERE link_id = ?", link_id));
  }

  /** The link as the checkout page shows it (an open link past its session is closed first). */
  async checkoutLink(link_id: string): Promise<LinkRow | null> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const link = this.linkRow(link_id);
      if (link) this.expireStale(link.tx_ref, now_ms);
      return this.linkRow(link_id);
    });
  }

  /** The most recent link of a tx_ref, with the request our client sent (control API). */
  async latestLink(tx_ref: string): Promise<LinkRow | null> {
    return one(this.sql.exec<LinkRow>("SELECT * FROM payment_links WHERE tx_ref = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT 1", tx_ref));
  }

  /** End the session of the open link of a tx_ref now (control API); false when none is open. */
  async expireLink(tx_ref: string): Promise<boolean> {
    const now_ms = Date.now();
    const cursor = this.sql.exec(
      "UPDATE payment_links SET status = 'expired', expires_at_ms = ?, closed_at_ms = ? WHERE tx_ref = ? AND status = 'open'",
      now_ms,
      now_ms,
      tx_ref,
    );
    return cursor.rowsWritten > 0;
  }

  /**
   * The customer's choice on the checkout page. Pay (in full or in part) and
   * fail record a transaction and hand back its webhook; cancel records none.
   * A link that is not open changes nothing.
   */
  async checkout(link_id: string, choice: CheckoutChoice, ip: string): Promise<CheckoutResult> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync((): CheckoutResult => {
      const before = this.linkRow(link_id);
      if (!before) return { kind: "not_found" };
      this.expireStale(before.tx_ref, now_ms);
      const link = this.linkRow(link_id)!;
      if (link.status !== "open") return { kind: "closed", link };

      if (choice === "cancel") {
        this.sql.exec("UPDATE payment_links SET status = 'cancelled', closed_at_ms = ? WHERE link_id = ? AND status = 'open'", now_ms, link_id);
        return { kind: "cancelled", link: this.linkRow(link_id)! };
      }

      const paying = choice === "full" || choice === "less";
      const id = this.insertTransaction({
        tx_ref: link.tx_ref,
        link_id,
        amount_minor: choice === "less" ? halfMinor(link.amount_minor) : link.amount_minor,
        currency: link.currency,
        status: paying ? "successful" : "failed",
        processor_response: paying ? "Approved. Successful" : "Declined",
        ip,
        narration: link.title ?? "CARD Transaction ",
        meta_json: link.meta_json,
        origin: link.origin,
        customer: { email: link.customer_email, name: link.customer_name, phone: link.customer_phone },
        now_ms,
      });
      if (paying) {
        this.sql.exec("UPDATE payment_links SET status = 'completed', closed_at_ms = ? WHERE link_id = ? AND status = 'open'", now_ms, link_id);
      } else {
        // The customer may retry on the same link until max_retry_attempt failures.
        this.sql.exec(
          `UPDATE payment_links SET failed_attempts = failed_attempts + 1,
             status = CASE WHEN failed_attempts + 1 >= max_retry_attempt THEN 'failed' ELSE status END,
             closed_at_ms = CASE WHEN failed_attempts + 1 >= max_retry_attempt THEN ? ELSE closed_at_ms END
           WHERE link_id = ?`,
          now_ms,
          link_id,
        );
      }
      const row = this.transactionRow(id)!;
      return { kind: "charged", link: this.linkRow(link_id)!, transaction: row, webhook: this.chargeDispatch(row) };
    });
  }

  // ---- Transactions ---------------------------------------------------------------

  private insertTransaction(input: {
    tx_ref: string;
    link_id: string | null;
    amount_minor: number;
    currency: string;
    status: TransactionStatus;
    processor_response: string;
    ip: string;
    narration: string;
    meta_json: string | null;
    origin: string;
    customer: { email: string; name: string | null; phone: string | null };
    now_ms: number;
  }): number {
    const customer = one(
      this.sql.exec<{ id: number }>(
        `INSERT INTO customers (id, email, name, phone_number, created_at_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, customers.name),
           phone_number = COALESCE(excluded.phone_number, customers.phone_number)
         RETURNING id`,
        this.nextId("customer"),
        input.customer.email,
        input.customer.name,
        input.customer.phone,
        input.now_ms,
      ),
    );
    if (!customer) throw new Error("customer upsert returned no row");
    const id = this.nextId("transaction");
    this.sql.exec(
      `INSERT INTO transactions (id, tx_ref, flw_ref, link_id, amount_minor, charged_amount_minor, app_fee_minor,
         merchant_fee_minor, currency, status, processor_response, ip, narration, customer_id, meta_json, origin, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.tx_ref,
      `FLW-MOCK-${randomHex(16)}`,
      input.link_id,
      input.amount_minor,
      input.amount_minor,
      input.status === "successful" ? appFeeMinor(input.amount_minor) : 0,
      input.currency,
      input.status,
      input.processor_response,
      input.ip,
      input.narration,
      customer.id,
      input.meta_json,
      input.origin,
      input.now_ms,
    );
    return id;
  }

  private transactionRow(id: number): TransactionRow | null {
    return one(this.sql.exec<TransactionRow>(`${TRANSACTION_SELECT} WHERE t.id = ?`, id));
  }

  private chargeDispatch(row: TransactionRow): WebhookDispatch {
    return { event: "charge.completed", ref: row.tx_ref, url: `${row.origin}${WEBHOOK_PATH}`, body: JSON.stringify(chargeCompletedEvent(row)) };
  }

  async transaction(id: number): Promise<TransactionRow | null> {
    return this.transactionRow(id);
  }

  /** The most recent transaction of a tx_ref, preferring a successful one. */
  async transactionByReference(tx_ref: string): Promise<TransactionRow | null> {
    return one(
      this.sql.exec<TransactionRow>(`${TRANSACTION_SELECT} WHERE t.tx_ref = ? ORDER BY (t.status = 'successful') DESC, t.id DESC LIMIT 1`, tx_ref),
    );
  }

  async transactionWebhook(id: number): Promise<WebhookDispatch | null> {
    const row = this.transactionRow(id);
    return row ? this.chargeDispatch(row) : null;
  }

  /**
   * Control API: a transaction as if the customer had paid, without a webhook.
   * A successful one completes the tx_ref's open link, as a payment would.
   */
  async createTransaction(input: {
    tx_ref: string;
    amount_minor: number;
    currency: string;
    status: TransactionStatus;
    customer_email: string;
    origin: string;
  }): Promise<TransactionRow> {
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const id = this.insertTransaction({
        tx_ref: input.tx_ref,
        link_id: null,
        amount_minor: input.amount_minor,
        currency: input.currency,
        status: input.status,
        processor_response: input.status === "successful" ? "Approved. Successful" : input.status === "failed" ? "Declined" : "Pending",
        ip: "127.0.0.1",
        narration: "CARD Transaction ",
        meta_json: null,
        origin: input.origin,
        customer: { email: input.customer_email, name: null, phone: null },
        now_ms,
      });
      if (input.status === "successful") {
        this.sql.exec("UPDATE payment_links SET status = 'completed', closed_at_ms = ? WHERE tx_ref = ? AND status = 'open'", now_ms, input.tx_ref);
      }
      return this.transactionRow(id)!;
    });
  }

  // ---- Transfers ----------------------------------------------------------------------

  private transferRow(id: number): TransferRow | null {
    return one(this.sql.exec<TransferRow>("SELECT * FROM transfers WHERE id = ?", id));
  }

  private transferDispatch(row: TransferRow): WebhookDispatch {
    return {
      event: "transfer.completed",
      ref: row.reference,
      url: `${row.origin}${WEBHOOK_PATH}`,
      body: JSON.stringify(transferCompletedEvent(row)),
    };
  }

  /** Queue a payout; it settles after SANDBOX_TRANSFER_DELAY_S (alarm). A used reference is refused. */
  async createTransfer(input: TransferInput): Promise<CreateTransferResult> {
    const delay_s = requireConfig(this.env).SANDBOX_TRANSFER_DELAY_S;
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): CreateTransferResult => {
      const id = this.nextId("transfer");
      const cursor = this.sql.exec(
        `INSERT INTO transfers (id, reference, account_number, bank_code, bank_name, full_name, currency, debit_currency,
           amount_minor, fee_minor, status, complete_message, narration, meta_json, callback_url, origin, created_at_ms,
           settle_at_ms, settled_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NEW', '', ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (reference) DO NOTHING`,
        id,
        input.reference,
        input.account_number,
        input.bank_code,
        input.bank_name,
        input.full_name,
        input.currency,
        input.debit_currency,
        input.amount_minor,
        input.fee_minor,
        input.narration,
        input.meta_json,
        input.callback_url,
        input.origin,
        now_ms,
        now_ms + delay_s * 1000,
      );
      if (cursor.rowsWritten === 0) return { outcome: "duplicate_reference" };
      return { outcome: "created", transfer: this.transferRow(id)! };
    });
    if (result.outcome === "created") await this.scheduleAlarm();
    return result;
  }

  async transfer(id: number): Promise<TransferRow | null> {
    return this.transferRow(id);
  }

  /** Newest first, one page. `status` is compared case-insensitively (the SDK's sample sends "failed"). */
  async listTransfers(query: { reference: string | null; status: string | null; page: number }): Promise<{ transfers: TransferRow[]; total: number }> {
    const status = query.status?.toUpperCase() ?? null;
    const where = "WHERE (? IS NULL OR reference = ?) AND (? IS NULL OR status = ?)";
    const params = [query.reference, query.reference, status, status];
    const total = one(this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM transfers ${where}`, ...params))?.n ?? 0;
    const rows = this.sql
      .exec<TransferRow>(`SELECT * FROM transfers ${where} ORDER BY id DESC LIMIT ? OFFSET ?`, ...params, TRANSFERS_PAGE_SIZE, (query.page - 1) * TRANSFERS_PAGE_SIZE)
      .toArray();
    return { transfers: rows, total };
  }

  /** Move a NEW transfer to its final status, once. */
  private settleNow(id: number, forced?: "SUCCESSFUL" | "FAILED"): SettleResult {
    return this.ctx.storage.transactionSync((): SettleResult => {
      const row = this.transferRow(id);
      if (!row) return { outcome: "not_found" };
      if (row.status === "SUCCESSFUL" || row.status === "FAILED") return { outcome: "already_settled", transfer: row };
      const final = settlementFor(row.account_number, forced);
      this.sql.exec(
        `UPDATE transfers SET status = ?, complete_message = ?, settled_at_ms = ? WHERE id = ? AND status IN ${UNSETTLED}`,
        final.status,
        final.complete_message,
        Date.now(),
        id,
      );
      const settled = this.transferRow(id)!;
      return { outcome: "settled", transfer: settled, webhook: this.transferDispatch(settled) };
    });
  }

  /** Control API: settle now instead of waiting for the alarm. The caller delivers the webhook. */
  async settleTransfer(id: number, forced?: "SUCCESSFUL" | "FAILED"): Promise<SettleResult> {
    const result = this.settleNow(id, forced);
    if (result.outcome === "settled") await this.scheduleAlarm();
    return result;
  }

  async transferWebhook(id: number): Promise<TransferWebhookResult> {
    const row = this.transferRow(id);
    if (!row) return { outcome: "not_found" };
    if (row.status !== "SUCCESSFUL" && row.status !== "FAILED") return { outcome: "not_final", transfer: row };
    return { outcome: "ok", webhook: this.transferDispatch(row) };
  }

  /**
   * Point the alarm at the earliest unsettled transfer, remembering the time:
   * a test may run the alarm early (`runDurableObjectAlarm`), and the alarm
   * then settles what it was scheduled for rather than nothing.
   */
  private async scheduleAlarm(): Promise<void> {
    const next = one(this.sql.exec<{ at_ms: number | null }>(`SELECT MIN(settle_at_ms) AS at_ms FROM transfers WHERE status IN ${UNSETTLED}`))?.at_ms ?? null;
    if (next === null) {
      this.sql.exec("DELETE FROM settings WHERE key = 'alarm_at_ms'");
      await this.ctx.storage.deleteAlarm();
      return;
    }
    this.sql.exec("INSERT INTO settings (key, value) VALUES ('alarm_at_ms', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", next);
    await this.ctx.storage.setAlarm(next);
  }

  /**
   * Settle the transfers that are due (at most ALARM_SETTLE_BATCH_MAX; the rest
   * are left for an immediate next run), then deliver their webhooks outside
   * any storage transaction. Safe to run twice: settling is conditional.
   */
  override async alarm(): Promise<void> {
    const config = requireConfig(this.env);
    const scheduled_ms = one(this.sql.exec<{ value: number }>("SELECT value FROM settings WHERE key = 'alarm_at_ms'"))?.value ?? 0;
    const cutoff_ms = Math.max(Date.now(), scheduled_ms);
    const due = this.sql
      .exec<{ id: number }>(`SELECT id FROM transfers WHERE status IN ${UNSETTLED} AND settle_at_ms <= ? ORDER BY settle_at_ms, id LIMIT ?`, cutoff_ms, ALARM_SETTLE_BATCH_MAX)
      .toArray();
    const webhooks: WebhookDispatch[] = [];
    for (const { id } of due) {
      const result = this.settleNow(id);
      if (result.outcome === "settled") webhooks.push(result.webhook);
    }
    await this.scheduleAlarm();
    const ctx = contextFromState(this.ctx);
    for (const webhook of webhooks) {
      this.recordDelivery(await deliverWebhook(this.env, ctx, webhook, config.FLUTTERWAVE_WEBHOOK_HASH));
    }
  }

  // ---- Webhook deliveries --------------------------------------------------------------

  async recordDelivery(outcome: DeliveryOutcome): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO deliveries (event, ref, url, status_code, error, verif_hash, body, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        outcome.event,
        outcome.ref,
        outcome.url,
        outcome.status_code,
        outcome.error,
        outcome.verif_hash,
        outcome.body,
        outcome.at_ms,
      );
      this.sql.exec(
        "DELETE FROM deliveries WHERE id <= (SELECT id FROM deliveries ORDER BY id DESC LIMIT 1 OFFSET ?)",
        DELIVERIES_KEPT_MAX,
      );
    });
  }

  /** Newest first; `match` is a substring of the tx_ref/reference or of the body. */
  async deliveries(match: string): Promise<DeliveryRecord[]> {
    return this.sql
      .exec<DeliveryRecord>(
        "SELECT * FROM deliveries WHERE ? = '' OR instr(ref, ?) > 0 OR instr(body, ?) > 0 ORDER BY id DESC LIMIT ?",
        match,
        match,
        match,
        DELIVERIES_LIST_MAX,
      )
      .toArray();
  }

  // ---- Faults ------------------------------------------------------------------------------

  async armFault(input: FaultInput): Promise<ArmedFault | null> {
    return this.ctx.storage.transactionSync(() => {
      const count = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM faults"))?.n ?? 0;
      if (count >= FAULTS_MAX) return null;
      const row = one(
        this.sql.exec<{ id: number }>(
          "INSERT INTO faults (operation, match, mode, remaining, created_at_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
          input.operation,
          input.match,
          input.mode,
          input.times,
          Date.now(),
        ),
      )!;
      return { id: row.id, operation: input.operation, match: input.match, mode: input.mode, remaining: input.times };
    });
  }

  /**
   * Consume one use of the oldest fault armed for this operation whose `match`
   * occurs in the request (path, query and raw body). Atomic, so parallel
   * requests never share one use.
   */
  async takeFault(operation: FaultOperation, haystack: string): Promise<FaultMode | null> {
    return this.ctx.storage.transactionSync(() => {
      const fault = one(
        this.sql.exec<{ id: number; mode: FaultMode; remaining: number }>(
          "SELECT id, mode, remaining FROM faults WHERE operation = ? AND (match = '' OR instr(?, match) > 0) ORDER BY id LIMIT 1",
          operation,
          haystack,
        ),
      );
      if (!fault) return null;
      if (fault.remaining <= 1) this.sql.exec("DELETE FROM faults WHERE id = ?", fault.id);
      else this.sql.exec("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", fault.id);
      return fault.mode;
    });
  }

  async faults(): Promise<ArmedFault[]> {
    return this.sql
      .exec<ArmedFault>("SELECT id, operation, match, mode, remaining FROM faults ORDER BY id LIMIT ?", FAULTS_MAX)
      .toArray();
  }

  /** Clear the faults armed with exactly this `match`, or all of them when it is null. */
  async clearFaults(match: string | null): Promise<number> {
    const cursor = match === null ? this.sql.exec("DELETE FROM faults") : this.sql.exec("DELETE FROM faults WHERE match = ?", match);
    return cursor.rowsWritten;
  }
}
