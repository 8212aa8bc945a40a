/**
 * Flutterwave v3 response shapes, parsed with zod. Lenient where Flutterwave
 * adds fields (passthrough), strict on the ones we act on.
 */
import { z } from "zod";

const amount = z.union([z.number(), z.string()]);
const id = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const Envelope = z.object({
  status: z.string(),
  message: z.string().optional().default(""),
  data: z.unknown().optional(),
  meta: z.unknown().optional(),
});

/** A list's paging (`meta.page_info`); absent on answers that are not lists. */
export const PageInfo = z.looseObject({
  page_info: z.looseObject({ total_pages: z.number().int().nonnegative() }),
});

export const HostedLink = z.object({ link: z.url() });

export const Charge = z.looseObject({
  id,
  tx_ref: z.string(),
  flw_ref: z.string().nullish(),
  amount,
  charged_amount: amount.nullish(),
  currency: z.string(),
  status: z.string(),
  processor_response: z.string().nullish(),
  created_at: z.string().nullish(),
});
export type Charge = z.infer<typeof Charge>;

export const Bank = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  code: z.string(),
  name: z.string(),
});

export const ResolvedAccount = z.looseObject({
  account_number: z.string(),
  account_name: z.string(),
});

export const Transfer = z.looseObject({
  id,
  reference: z.string().nullish(),
  account_number: z.string().nullish(),
  bank_code: z.string().nullish(),
  amount,
  fee: amount.nullish(),
  currency: z.string(),
  status: z.string(),
  complete_message: z.string().nullish(),
  created_at: z.string().nullish(),
});
export type Transfer = z.infer<typeof Transfer>;

/**
 * A refund (create answer and `GET /v3/refunds/{id}`). The docs' sample names
 * the charge `tx_id`, the Node SDK's types `transaction_id`: either is
 * accepted. The note is `comments` in the request and `comment` in the SDK's
 * answer type: either is read.
 */
export const Refund = z.looseObject({
  id,
  tx_id: id.nullish(),
  transaction_id: id.nullish(),
  flw_ref: z.string().nullish(),
  amount_refunded: amount,
  status: z.string(),
  comment: z.string().nullish(),
  comments: z.string().nullish(),
  currency: z.string().nullish(),
});
export type Refund = z.infer<typeof Refund>;

/** Webhook bodies (v3). Only the fields we route on are required. */
export const ChargeEvent = z.looseObject({
  event: z.literal("charge.completed"),
  data: z.looseObject({ id, tx_ref: z.string(), status: z.string().optional() }),
});
export const TransferEvent = z.looseObject({
  event: z.literal("transfer.completed"),
  data: z.looseObject({ id, reference: z.string(), status: z.string().optional() }),
});
/** The v2 transfer format, still seen from some accounts: `{"event.type":"Transfer", transfer:{...}}`. */
export const LegacyTransferEvent = z.looseObject({
  "event.type": z.literal("Transfer"),
  transfer: z.looseObject({ id, reference: z.string(), status: z.string().optional() }),
});
