/**
 * The Flutterwave look-alike's charges: hosted payment links (Flutterwave
 * Standard), the checkout's choices and the card transactions they record.
 * Plain methods over the look-alike's SQLite storage; the Durable Object
 * (object.ts) exposes them over RPC and delivers the webhooks they hand back.
 *
 * Invariants
 * - Every create opens a link of its own: an open link is never handed to
 *   another create, since its `redirect_url` is its creator's (ours carries a
 *   watch ticket). So a tx_ref may have several open links, as at Flutterwave,
 *   where anyone with the merchant's keys can start a checkout for any tx_ref.
 * - A link completes only on a payment in full, in its currency: a smaller
 *   payment, or one in another currency, is recorded and the link stays open,
 *   so the customer can still pay what was asked.
 * - A link leaves `open` exactly once, and only for a later state.
 * - Each mutation is one synchronous storage transaction.
 */
import { randomBase32 } from "../../lib/ids";
import { one } from "../../lib/sqlite";
import type { WebhookDispatch } from "../kit/deliver";
import { chargeCompletedEvent } from "./json";
import {
  appFeeMinor,
  halfMinor,
  type LinkRow,
  type TransactionRow,
  type TransactionStatus,
} from "./model";
import { WEBHOOK_PATH } from "./paths";
import { nextId, randomHex } from "./schema";

export type CheckoutChoice = "full" | "less" | "fail" | "cancel";

/** What a create request supplies; the object adds the id, status, counters and times. */
export type PaymentLinkInput = Pick<
  LinkRow,
  | "tx_ref"
  | "amount_minor"
  | "currency"
  | "redirect_url"
  | "title"
  | "description"
  | "meta_json"
  | "request_json"
  | "max_retry_attempt"
  | "origin"
> & {
  customer: { email: string; name: string | null; phone: string | null };
  session_minutes: number;
};

export type CreateLinkResult =
  | { outcome: "created"; link_id: string }
  | { outcome: "already_paid" };

export type CheckoutResult =
  | { kind: "not_found" }
  | { kind: "closed"; link: LinkRow }
  | { kind: "cancelled"; link: LinkRow }
  | { kind: "charged"; link: LinkRow; transaction: TransactionRow; webhook: WebhookDispatch };

const TRANSACTION_SELECT = `
  SELECT t.id, t.tx_ref, t.flw_ref, t.link_id, t.amount_minor, t.charged_amount_minor, t.app_fee_minor,
         t.merchant_fee_minor, t.currency, t.status, t.processor_response, t.ip, t.narration, t.meta_json,
         t.origin, t.created_at_ms, c.id AS customer_id, c.email AS customer_email, c.name AS customer_name,
         c.phone_number AS customer_phone, c.created_at_ms AS customer_created_at_ms
  FROM transactions t JOIN customers c ON c.id = t.customer_id`;

export class Charges {
  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private nextId(name: "transaction" | "customer"): number {
    return nextId(this.sql, name);
  }

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
   * Record a hosted-payment request: a new link every time (never another
   * caller's open link), unless the tx_ref has been paid in full, which is
   * refused.
   */
  createPaymentLink(input: PaymentLinkInput): CreateLinkResult {
    const now_ms = Date.now();
    return this.storage.transactionSync((): CreateLinkResult => {
      this.expireStale(input.tx_ref, now_ms);
      const paid = one(
        this.sql.exec<{ n: number }>(
          `SELECT (SELECT COUNT(*) FROM payment_links WHERE tx_ref = ? AND status = 'completed')
                + (SELECT COUNT(*) FROM transactions WHERE tx_ref = ? AND status = 'successful' AND currency = ? AND amount_minor >= ?) AS n`,
          input.tx_ref,
          input.tx_ref,
          input.currency,
          input.amount_minor,
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

  /** A successful payment completes the open links it pays in full (same currency, at least their amount). */
  private completePaidLinks(
    tx_ref: string,
    amount_minor: number,
    currency: string,
    now_ms: number,
  ): void {
    this.sql.exec(
      "UPDATE payment_links SET status = 'completed', closed_at_ms = ? WHERE tx_ref = ? AND status = 'open' AND currency = ? AND amount_minor <= ?",
      now_ms,
      tx_ref,
      currency,
      amount_minor,
    );
  }

  private linkRow(link_id: string): LinkRow | null {
    return one(this.sql.exec<LinkRow>("SELECT * FROM payment_links WHERE link_id = ?", link_id));
  }

  /** The link as the checkout page shows it (an open link past its session is closed first). */
  checkoutLink(link_id: string): LinkRow | null {
    const now_ms = Date.now();
    return this.storage.transactionSync(() => {
      const link = this.linkRow(link_id);
      if (link) this.expireStale(link.tx_ref, now_ms);
      return this.linkRow(link_id);
    });
  }

  /** The most recent link of a tx_ref, with the request our client sent (control API). */
  latestLink(tx_ref: string): LinkRow | null {
    return one(
      this.sql.exec<LinkRow>(
        "SELECT * FROM payment_links WHERE tx_ref = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT 1",
        tx_ref,
      ),
    );
  }

  /** End the session of the open link of a tx_ref now (control API); false when none is open. */
  expireLink(tx_ref: string): boolean {
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
  checkout(link_id: string, choice: CheckoutChoice, ip: string): CheckoutResult {
    const now_ms = Date.now();
    return this.storage.transactionSync((): CheckoutResult => {
      const before = this.linkRow(link_id);
      if (!before) return { kind: "not_found" };
      this.expireStale(before.tx_ref, now_ms);
      const link = this.linkRow(link_id)!;
      if (link.status !== "open") return { kind: "closed", link };

      if (choice === "cancel") {
        this.sql.exec(
          "UPDATE payment_links SET status = 'cancelled', closed_at_ms = ? WHERE link_id = ? AND status = 'open'",
          now_ms,
          link_id,
        );
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
        customer: {
          email: link.customer_email,
          name: link.customer_name,
          phone: link.customer_phone,
        },
        now_ms,
      });
      if (paying) {
        // Paying less than asked leaves this link open: the customer may still pay in full.
        const amount_minor = choice === "less" ? halfMinor(link.amount_minor) : link.amount_minor;
        this.completePaidLinks(link.tx_ref, amount_minor, link.currency, now_ms);
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
      return {
        kind: "charged",
        link: this.linkRow(link_id)!,
        transaction: row,
        webhook: this.chargeDispatch(row),
      };
    });
  }

  // ---- Transactions ---------------------------------------------------------------

  private insertTransaction(
    input: Pick<
      TransactionRow,
      | "tx_ref"
      | "link_id"
      | "amount_minor"
      | "currency"
      | "status"
      | "processor_response"
      | "ip"
      | "narration"
      | "meta_json"
      | "origin"
    > & {
      customer: { email: string; name: string | null; phone: string | null };
      now_ms: number;
    },
  ): number {
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
    return {
      event: "charge.completed",
      ref: row.tx_ref,
      url: `${row.origin}${WEBHOOK_PATH}`,
      body: JSON.stringify(chargeCompletedEvent(row)),
    };
  }

  transaction(id: number): TransactionRow | null {
    return this.transactionRow(id);
  }

  /** The most recent transaction of a tx_ref, preferring a successful one. */
  transactionByReference(tx_ref: string): TransactionRow | null {
    return one(
      this.sql.exec<TransactionRow>(
        `${TRANSACTION_SELECT} WHERE t.tx_ref = ? ORDER BY (t.status = 'successful') DESC, t.id DESC LIMIT 1`,
        tx_ref,
      ),
    );
  }

  /**
   * `GET /v3/transactions`: newest first, one page, filtered by tx_ref,
   * status (case-insensitive) and the UTC days `from`..`to` (inclusive).
   */
  list(query: {
    tx_ref: string | null;
    status: string | null;
    from_ms: number | null;
    to_ms: number | null;
    page: number;
    page_size: number;
  }): { transactions: TransactionRow[]; total: number } {
    const status = query.status?.toLowerCase() ?? null;
    const where =
      "WHERE (?1 IS NULL OR t.tx_ref = ?1) AND (?2 IS NULL OR t.status = ?2) AND (?3 IS NULL OR t.created_at_ms >= ?3) AND (?4 IS NULL OR t.created_at_ms < ?4)";
    const params = [query.tx_ref, status, query.from_ms, query.to_ms];
    const total =
      one(
        this.sql.exec<{ n: number }>(
          `SELECT COUNT(*) AS n FROM transactions t ${where}`,
          ...params,
        ),
      )?.n ?? 0;
    const transactions = this.sql
      .exec<TransactionRow>(
        `${TRANSACTION_SELECT} ${where} ORDER BY t.id DESC LIMIT ?5 OFFSET ?6`,
        ...params,
        query.page_size,
        (query.page - 1) * query.page_size,
      )
      .toArray();
    return { transactions, total };
  }

  transactionWebhook(id: number): WebhookDispatch | null {
    const row = this.transactionRow(id);
    return row ? this.chargeDispatch(row) : null;
  }

  /**
   * Control API: a transaction as if the customer had paid, without a webhook.
   * A successful one completes the tx_ref's open links it pays in full, as a
   * payment would.
   */
  createTransaction(input: {
    tx_ref: string;
    amount_minor: number;
    currency: string;
    status: TransactionStatus;
    customer_email: string;
    origin: string;
  }): TransactionRow {
    const now_ms = Date.now();
    return this.storage.transactionSync(() => {
      const id = this.insertTransaction({
        tx_ref: input.tx_ref,
        link_id: null,
        amount_minor: input.amount_minor,
        currency: input.currency,
        status: input.status,
        processor_response:
          input.status === "successful"
            ? "Approved. Successful"
            : input.status === "failed"
              ? "Declined"
              : "Pending",
        ip: "127.0.0.1",
        narration: "CARD Transaction ",
        meta_json: null,
        origin: input.origin,
        customer: { email: input.customer_email, name: null, phone: null },
        now_ms,
      });
      if (input.status === "successful")
        this.completePaidLinks(input.tx_ref, input.amount_minor, input.currency, now_ms);
      return this.transactionRow(id)!;
    });
  }
}
