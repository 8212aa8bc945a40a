/**
 * Wallet schemas: amounts arrive as decimal naira (form strings or JSON
 * numbers/strings) and leave as both decimal strings (as the FastAPI service
 * sent) and integer kobo (`*_minor`).
 */
import { z } from "@hono/zod-openapi";
import {
  formatMinor,
  isSupportedCurrency,
  MINOR_PER_MAJOR,
  parseDecimal,
} from "../../domain/money";
import { STAGES } from "../../domain/flows";
import { TX_STATUSES, TX_TYPES } from "../../domain/transactions";
import { TRANSACTIONS_PAGE_DEFAULT, TRANSACTIONS_PAGE_MAX } from "../../durable/wallet/limits";
import { IDEMPOTENCY_KEY_MAX_CHARS, WATCH_TICKET_TTL_S } from "../../lib/limits";
import { TX_REF_MAX_CHARS } from "../../lib/ids";

/**
 * A decimal naira amount within [min, max] kobo, parsed to kobo by string arithmetic.
 * `whole_naira`: the route refuses kobo (airtime is sold in whole naira, problem code
 * `whole_naira`); only the documentation is told here, the route makes the check.
 */
export function amountField(
  min_minor: number,
  max_minor: number,
  { whole_naira = false }: { whole_naira?: boolean } = {},
) {
  return z
    .union([z.string(), z.number()])
    .transform((raw, ctx) => {
      const parsed = parseDecimal(raw);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: `amount ${parsed.reason}` });
        return z.NEVER;
      }
      if (parsed.amount_minor < min_minor || parsed.amount_minor > max_minor) {
        ctx.addIssue({
          code: "custom",
          message: `amount must be between ${formatMinor(min_minor)} and ${formatMinor(max_minor)}`,
        });
        return z.NEVER;
      }
      return parsed.amount_minor;
    })
    .openapi({
      // Documented as both shapes the union above accepts, so a validating proxy
      // (or a generated client) does not refuse a JSON number the API would take.
      // Form bodies carry the string form. `anyOf`, the key the generator writes
      // for a union, so that these branches replace its bare ones rather than sit
      // beside them (the two types are disjoint: anyOf says what oneOf would).
      anyOf: [
        { type: "string", example: whole_naira ? "500" : "1500.00" },
        {
          type: "number",
          minimum: min_minor / MINOR_PER_MAJOR,
          maximum: max_minor / MINOR_PER_MAJOR,
          example: whole_naira ? 500 : 1500,
        },
      ],
      description: whole_naira
        ? `Whole naira, ${min_minor / MINOR_PER_MAJOR} to ${max_minor / MINOR_PER_MAJOR}: a string ("500") or a JSON number (500). An amount with kobo ("500.50") is refused: 422 validation_failed, whose error for amount has the code whole_naira.`
        : `Decimal naira, at most 2 decimals, ${formatMinor(min_minor)} to ${formatMinor(max_minor)}: a string ("1500.50") or a JSON number (1500.5).`,
    });
}

export const CurrencyField = z
  .string()
  .transform((v) => v.trim().toUpperCase())
  .refine(isSupportedCurrency, { message: "currency must be NGN" })
  .default("NGN")
  .openapi({ type: "string", example: "NGN" });

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX_CHARS)
    .regex(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" })
    .optional()
    .openapi({
      description: "Retry-safe key: the same key and body replay the first answer (kept 24 h).",
    }),
});

export const WalletResponse = z
  .object({
    user_id: z.string(),
    currency: z.string(),
    balance: z.string().openapi({ example: "1500.00" }),
    balance_minor: z.number().int(),
    available: z.string(),
    available_minor: z.number().int(),
    held: z.string(),
    held_minor: z.number().int(),
    is_active: z.boolean(),
    frozen: z
      .object({ mode: z.enum(["no_debit", "full"]), reason: z.string() })
      .nullable()
      .openapi({
        description:
          "Null unless the wallet is frozen: `no_debit` refuses withdrawals and purchases, `full` fundings too; `reason` says why.",
      }),
  })
  .openapi("Wallet");

export const TransactionResponse = z
  .object({
    tx_ref: z.string(),
    type: z.enum(TX_TYPES),
    status: z.enum(TX_STATUSES),
    stage: z.enum(STAGES).openapi({
      description:
        "The finer state inside its flow (src/domain/flows.ts): what the status page and the WebSocket frames show.",
    }),
    amount: z.string(),
    amount_minor: z.number().int(),
    fee: z.string(),
    fee_minor: z.number().int(),
    currency: z.string(),
    payment_link: z.string().nullable(),
    failure_reason: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    created_at: z.string(),
    updated_at: z.string(),
    settled_at: z.string().nullable(),
  })
  .openapi("Transaction");

export const TransactionListResponse = z
  .object({ object: z.literal("list"), data: z.array(TransactionResponse), has_more: z.boolean() })
  .openapi("TransactionList");

const isoDate = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));

export const TransactionsQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(TRANSACTIONS_PAGE_MAX)
    .default(TRANSACTIONS_PAGE_DEFAULT),
  starting_after: z
    .string()
    .max(TX_REF_MAX_CHARS)
    .optional()
    .openapi({ description: "tx_ref of the last item of the previous page." }),
  type: z.enum(TX_TYPES).optional(),
  status: z.enum(TX_STATUSES).optional(),
  created_gte: isoDate.optional().openapi({ type: "string", format: "date-time" }),
  created_lte: isoDate.optional().openapi({ type: "string", format: "date-time" }),
});

export const TxRefParam = z.object({ tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS) });

export const FundResponse = z
  .object({
    tx_ref: z.string(),
    status: z.enum(TX_STATUSES),
    amount: z.string(),
    amount_minor: z.number().int(),
    currency: z.string(),
    payment_link: z.string().nullable(),
    expires_at: z.string(),
    watch: z
      .object({
        websocket_url: z
          .string()
          .openapi({ example: "wss://api.example.com/api/v1/ws/wallet?tx_ref=fnd_..." }),
        ticket: z.string().openapi({
          description: `Watch ticket for this tx_ref only: pass it as \`?ticket=\` (or in the join frame). Expires ${WATCH_TICKET_TTL_S / 3600} hours after the funding was created.`,
        }),
      })
      .openapi("Watch", {
        description: "Watch the status live over WebSocket (GET /api/v1/ws/wallet).",
      }),
  })
  .openapi("Funding");

export const WebhookAck = z
  .object({ status: z.literal("accepted"), request_id: z.string() })
  .openapi("WebhookAck");
