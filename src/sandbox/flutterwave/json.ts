/**
 * The Flutterwave look-alike's answers and webhook bodies in Flutterwave's own
 * JSON shapes (docs/providers.md, §Flutterwave verification, §Flutterwave
 * transfers, §Flutterwave webhooks), rendered from the stored rows of
 * model.ts.
 */
import {
  amountNumber,
  type TransactionRow,
  type TransactionStatus,
  type TransferRow,
  type TransferStatus,
} from "./model";
import type { Json } from "./responses";

// ---- Flutterwave's JSON shapes ---------------------------------------------

/** The merchant account every sandbox transaction belongs to. */
export const SANDBOX_ACCOUNT_ID = 17321;

export type FlwTransaction = {
  id: number;
  tx_ref: string;
  flw_ref: string;
  device_fingerprint: string;
  amount: number;
  currency: string;
  charged_amount: number;
  app_fee: number;
  merchant_fee: number;
  processor_response: string;
  auth_model: string;
  ip: string;
  narration: string;
  status: TransactionStatus;
  payment_type: "card";
  created_at: string;
  account_id: number;
  card: {
    first_6digits: string;
    last_4digits: string;
    issuer: string;
    country: string;
    type: string;
    token: string;
    expiry: string;
  };
  meta: Json;
  amount_settled: number | null;
  customer: { id: number; name: string; phone_number: string; email: string; created_at: string };
};

function parseJson(text: string | null): Json {
  return text === null ? null : (JSON.parse(text) as Json);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The `data` of a verify answer and of a `charge.completed` webhook. */
export function transactionJson(row: TransactionRow): FlwTransaction {
  const successful = row.status === "successful";
  return {
    id: row.id,
    tx_ref: row.tx_ref,
    flw_ref: row.flw_ref,
    device_fingerprint: "N/A",
    amount: amountNumber(row.amount_minor),
    currency: row.currency,
    charged_amount: amountNumber(row.charged_amount_minor),
    app_fee: amountNumber(row.app_fee_minor),
    merchant_fee: amountNumber(row.merchant_fee_minor),
    processor_response: row.processor_response,
    auth_model: "PIN",
    ip: row.ip,
    narration: row.narration,
    status: row.status,
    payment_type: "card",
    created_at: iso(row.created_at_ms),
    account_id: SANDBOX_ACCOUNT_ID,
    // Flutterwave's documented test Mastercard.
    card: {
      first_6digits: "553188",
      last_4digits: "2950",
      issuer: "MASTERCARD  CREDIT",
      country: "NG",
      type: "MASTERCARD",
      token: `flw-t1nf-sandbox${row.id}-m03k`,
      expiry: "09/32",
    },
    meta: parseJson(row.meta_json),
    amount_settled: successful ? amountNumber(row.amount_minor - row.app_fee_minor) : null,
    customer: {
      id: row.customer_id,
      name: row.customer_name ?? "Anonymous customer",
      phone_number: row.customer_phone ?? "N/A",
      email: row.customer_email,
      created_at: iso(row.customer_created_at_ms),
    },
  };
}

export type FlwTransfer = {
  id: number;
  account_number: string;
  bank_code: string;
  full_name: string;
  created_at: string;
  currency: string;
  debit_currency: string;
  amount: number;
  fee: number;
  status: TransferStatus;
  reference: string;
  meta: Json;
  narration: string | null;
  approver?: null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
  bank_name: string;
};

/**
 * A transfer as `GET /v3/transfers/:id` and the list return it. The create
 * answer is the same without `approver` (as in Flutterwave's own sample).
 */
export function transferJson(
  row: TransferRow,
  options: { approver: boolean } = { approver: true },
): FlwTransfer {
  return {
    id: row.id,
    account_number: row.account_number,
    bank_code: row.bank_code,
    full_name: row.full_name,
    created_at: iso(row.created_at_ms),
    currency: row.currency,
    debit_currency: row.debit_currency,
    amount: amountNumber(row.amount_minor),
    fee: amountNumber(row.fee_minor),
    status: row.status,
    reference: row.reference,
    meta: parseJson(row.meta_json),
    narration: row.narration,
    ...(options.approver ? { approver: null } : {}),
    complete_message: row.complete_message,
    requires_approval: 0,
    is_approved: 1,
    bank_name: row.bank_name,
  };
}

// ---- Webhook bodies (docs/providers.md, §Flutterwave webhooks) ------------

export type ChargeCompletedEvent = {
  event: "charge.completed";
  "event.type": "CARD_TRANSACTION";
  data: FlwTransaction;
};

export type TransferCompletedEvent = {
  event: "transfer.completed";
  "event.type": "Transfer";
  /** The transfer as `GET /v3/transfers/:id` shows it, but with the webhook's `fullname` spelling. */
  data: Omit<FlwTransfer, "full_name"> & { fullname: string; approver: null };
};

export function chargeCompletedEvent(row: TransactionRow): ChargeCompletedEvent {
  return {
    event: "charge.completed",
    "event.type": "CARD_TRANSACTION",
    data: transactionJson(row),
  };
}

export function transferCompletedEvent(row: TransferRow): TransferCompletedEvent {
  const { full_name, ...transfer } = transferJson(row);
  return {
    event: "transfer.completed",
    "event.type": "Transfer",
    data: { ...transfer, fullname: full_name, approver: null },
  };
}
