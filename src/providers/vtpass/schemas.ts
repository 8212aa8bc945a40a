/**
 * VTpass response shapes, parsed with zod. Loose objects throughout: VTpass
 * adds fields between page versions and we must not break on them. Strict
 * only on what a decision rests on (the response code, the inner status), and
 * tolerant of the documented quirks:
 * - amounts arrive as numbers or strings, in naira;
 * - `transaction_date` is an object `{date, timezone_type, timezone}` on older
 *   answers and an ISO string on newer ones;
 * - `service-variations` lists plans under `variations` or the misspelt
 *   `varations` (sometimes both);
 * - `services` spells the minimum `minimium_amount`;
 * - catalogue reads carry their status in `response_description` ("000"),
 *   purchases in `code`.
 */
import { z } from "zod";

/** A naira amount as VTpass writes it. Converted to kobo by string arithmetic elsewhere. */
export const VtAmount = z.union([z.number(), z.string()]);
/** Ids VTpass prints as strings or as (large) numbers. */
const VtId = z.union([z.string(), z.number()]).transform((value) => String(value));
/** VTpass response codes are three-digit strings ("000", "016"). */
export const VtCode = z.string().regex(/^\d{3}$/);

export const TransactionDate = z.union([
  z.string(),
  z.looseObject({
    date: z.string(),
    timezone_type: z.number().optional(),
    timezone: z.string().optional(),
  }),
]);

/** `content.transactions` of a purchase or requery answer. */
export const VtTransaction = z.looseObject({
  status: z.string(),
  product_name: z.string().nullish(),
  unique_element: VtId.nullish(),
  unit_price: VtAmount.nullish(),
  quantity: z.union([z.number(), z.string()]).nullish(),
  amount: VtAmount.nullish(),
  total_amount: VtAmount.nullish(),
  commission: VtAmount.nullish(),
  phone: VtId.nullish(),
  transactionId: VtId.nullish(),
});
export type VtTransaction = z.infer<typeof VtTransaction>;

/**
 * `POST /api/pay` and `POST /api/requery` answers, and the `data` of a
 * `transaction-update` callback: one shape. `content.transactions` may be
 * missing (older pay samples, and every refusal).
 */
export const TransactionAnswer = z.looseObject({
  code: VtCode,
  response_description: z.string().nullish(),
  content: z.looseObject({ transactions: VtTransaction.nullish() }).nullish(),
  requestId: z.string().nullish(),
  transactionId: VtId.nullish(),
  amount: VtAmount.nullish(),
  transaction_date: TransactionDate.nullish(),
  purchased_code: z.string().nullish(),
});
export type TransactionAnswer = z.infer<typeof TransactionAnswer>;

/** Just the code, to classify an answer whose body is not otherwise understood (a refusal). */
export const CodeOnly = z.looseObject({ code: VtCode, response_description: z.string().nullish() });

/** The callback VTpass POSTs when a stuck transaction is resolved. */
export const TransactionUpdate = z.looseObject({
  type: z.literal("transaction-update"),
  data: z.unknown(),
});

// ---- Catalogue reads ------------------------------------------------------------------

/** Catalogue answers say "000" in `response_description`; some carry a `code` too. */
export const CatalogueEnvelope = z.looseObject({
  code: z.union([z.string(), z.number()]).nullish(),
  response_description: z.string().nullish(),
  content: z.unknown(),
});

export const VtService = z.looseObject({
  serviceID: z.string(),
  name: z.string().nullish(),
  minimium_amount: VtAmount.nullish(), // sic
  minimum_amount: VtAmount.nullish(), // in case the spelling is ever fixed
  maximum_amount: VtAmount.nullish(),
  convinience_fee: z.string().nullish(), // sic
  product_type: z.string().nullish(),
});
export type VtService = z.infer<typeof VtService>;

/** `content` of `services?identifier=`: an array of services (some copies show it keyed). */
export const ServicesContent = z.union([
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()).transform((r) => Object.values(r)),
]);

export const VtVariation = z.looseObject({
  variation_code: z.string(),
  name: z.string(),
  variation_amount: VtAmount,
  fixedPrice: z.string().nullish(),
});
export type VtVariation = z.infer<typeof VtVariation>;

export const VariationsContent = z.looseObject({
  ServiceName: z.string().nullish(),
  serviceID: z.string().nullish(),
  convinience_fee: z.string().nullish(),
  variations: z.array(z.unknown()).nullish(),
  varations: z.array(z.unknown()).nullish(), // sic
});

/** `GET /api/balance`: `{code: 1, contents: {balance}}` in third-party code (unconfirmed upstream). */
export const BalanceAnswer = z.looseObject({
  code: z.union([z.string(), z.number()]).nullish(),
  contents: z.looseObject({ balance: VtAmount }),
});
