/**
 * Request schemas of the Flutterwave look-alike and of its control API. Field
 * names are Flutterwave's. Unknown fields are ignored, as Flutterwave does
 * (the official SDK, for one, sends `country` with an account resolve).
 */
import { z } from "zod";
import { faultBody } from "../kit/control";
import {
  LINK_ATTEMPTS_MAX,
  REFERENCE_MAX_CHARS,
  SESSION_MAX_MINUTES,
  TRANSFERS_PAGE_MAX,
} from "./limits";
import type { Json } from "./responses";

const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValue),
    z.record(z.string(), JsonValue),
  ]),
);

/** `amount` arrives as a JSON number or a numeric string; model.ts turns it into minor units. */
const Amount = z.union([z.number(), z.string()]);
const Currency = z.string().regex(/^[A-Z]{3}$/, "expected a three-letter upper-case currency code");
const Reference = z.string().trim().min(1).max(REFERENCE_MAX_CHARS);
/** Integers that clients send as numbers or as numeric strings. */
const Whole = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const PaymentBody = z.object({
  tx_ref: Reference,
  amount: Amount,
  currency: Currency.optional(),
  redirect_url: z.url({ protocol: /^https?$/ }),
  customer: z.object({
    email: z.email(),
    name: z.string().max(200).optional(),
    phonenumber: z.string().max(30).optional(),
  }),
  customizations: z
    .object({
      title: z.string().max(200).optional(),
      description: z.string().max(500).optional(),
      logo: z.string().max(2000).optional(),
    })
    .optional(),
  meta: JsonValue.optional(),
  payment_options: z.string().max(300).optional(),
  configurations: z
    .object({
      session_duration: Whole(1, SESSION_MAX_MINUTES).optional(),
      max_retry_attempt: Whole(1, LINK_ATTEMPTS_MAX).optional(),
    })
    .optional(),
});
export type PaymentBody = z.output<typeof PaymentBody>;

export const ResolveBody = z.object({
  account_number: z.string().trim().min(1).max(20),
  account_bank: z.string().trim().min(1).max(11),
});

export const TransferBody = z.object({
  account_bank: z.string().trim().min(1).max(11),
  account_number: z.string().trim().min(1).max(20),
  amount: Amount,
  currency: Currency,
  narration: z.string().max(100).optional(),
  reference: Reference.optional(),
  callback_url: z.string().max(300).optional(),
  debit_currency: Currency.optional(),
  beneficiary_name: z.string().max(100).optional(),
  meta: JsonValue.optional(),
});
export type TransferBody = z.output<typeof TransferBody>;

export const ResendHookBody = z.object({ wait: Whole(0, 1).optional() });

export const TransfersQuery = z.object({
  reference: z.string().max(REFERENCE_MAX_CHARS).optional(),
  // UNCONFIRMED for the live API (reference §18.2); honoured here, by UTC date, `to` inclusive.
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  to: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  status: z.string().max(20).optional(),
  page: Whole(1, TRANSFERS_PAGE_MAX).optional(),
});

/** `POST /v3/transactions/{id}/refund`: `amount` for a partial refund (the sandbox, like the Node SDK, requires it). */
export const RefundBody = z.object({
  amount: Amount,
  comments: z.string().max(500).optional(),
});

/** `GET /v3/refunds`: pages only (Flutterwave's filters are not confirmed). */
export const RefundsQuery = z.object({ page: Whole(1, TRANSFERS_PAGE_MAX).optional() });

/** Control API: how new refunds behave, and ending a pending one. */
export const RefundModeBody = z.object({
  mode: z.enum(["complete", "pending", "fail"]),
  /** One charge's refunds only; omitted: every charge without a setting of its own. */
  transaction_id: Whole(1, Number.MAX_SAFE_INTEGER).optional(),
});
export const RefundSettleBody = z.object({ status: z.enum(["completed", "failed"]) });

/** `GET /v3/transactions` (the filters Flutterwave's Node SDK sends; `from`/`to` are calendar days, UTC). */
export const TransactionsQuery = z.object({
  tx_ref: Reference.optional(),
  status: z.string().max(20).optional(),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  to: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  page: Whole(1, TRANSFERS_PAGE_MAX).optional(),
});

export const FeeQuery = z.object({ amount: Amount, currency: Currency.optional() });

export const VerifyByReferenceQuery = z.object({ tx_ref: Reference });

// ---- Control API (sandbox only) ----------------------------------------------

export const FAULT_OPERATIONS = [
  "payments.create",
  "transactions.verify",
  "transactions.verify_by_reference",
  "transactions.list",
  "transfers.create",
  "transfers.get",
  "transfers.list",
  "accounts.resolve",
  "banks.list",
  "refunds.create",
  "refunds.get",
  "refunds.list",
] as const;
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

/** Operations that change state, for which the "commit, then lose the answer" modes make sense. */
export const CREATE_OPERATIONS: readonly FaultOperation[] = [
  "payments.create",
  "transfers.create",
  "refunds.create",
];

/** A fault for one of the operations above (modes: ../kit/faults.ts). */
export const FaultBody = faultBody(FAULT_OPERATIONS, CREATE_OPERATIONS);

export const SettleBody = z.object({ status: z.enum(["SUCCESSFUL", "FAILED"]).optional() });

export const ControlTransactionBody = z.object({
  tx_ref: Reference,
  amount: Amount,
  currency: Currency.default("NGN"),
  status: z.enum(["successful", "failed", "pending"]),
  customer_email: z.email().optional(),
});

/**
 * `POST /__control/lists/faults`: how the transactions and transfers lists
 * misreport one reference (list-faults.ts). `value`: the amount (naira) for
 * `amount`, the currency for `currency`, the status word for `status`, the
 * minutes to move `created_at` by for `shift`; none for `omit` and `duplicate`.
 */
export const ListFaultBody = z.object({
  reference: Reference,
  kind: z.enum(["amount", "currency", "status", "omit", "duplicate", "shift"]),
  value: z.string().max(40).optional(),
});

/** `verif_hash`: omitted = the configured hash; null = no header; a string = that value (to test refusals). */
export const DeliverBody = z.object({ verif_hash: z.string().max(500).nullable().optional() });
