/**
 * Schemas of the operator view (GET /admin/operations). Times are ISO 8601
 * strings, ages whole seconds, money `amount` in decimal naira beside
 * `amount_minor` in kobo, as everywhere else in the API.
 */
import { z } from "@hono/zod-openapi";
import { SETTLEMENT_OUTCOMES } from "../../domain/operator";
import { TX_STATUSES, TX_TYPES } from "../../domain/transactions";
import {
  ANOMALY_KIND_MAX_CHARS,
  OPERATOR_LIST_DEFAULT,
  OPERATOR_LIST_MAX,
} from "../../durable/operations/limits";
import { IDENTIFIER_MAX_CHARS } from "../../lib/limits";

export const OperationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(OPERATOR_LIST_MAX).default(OPERATOR_LIST_DEFAULT),
});

export const AnomalyParams = z.object({
  tx_ref: z.string().min(1).max(IDENTIFIER_MAX_CHARS),
  kind: z
    .string()
    .max(ANOMALY_KIND_MAX_CHARS)
    .regex(/^[a-z_]+$/),
});

/** Which provider charge's anomaly to resolve; without it, every open anomaly of (tx_ref, kind). */
export const AnomalyQuery = z.object({
  ref: z
    .string()
    .min(1)
    .max(IDENTIFIER_MAX_CHARS)
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .optional()
    .openapi({ description: "The provider charge the anomaly names (its `ref`)." }),
});

const OperatorTransaction = z
  .object({
    tx_ref: z.string(),
    user_id: z.string(),
    type: z.enum(TX_TYPES),
    status: z.enum(TX_STATUSES),
    stage: z.string(),
    amount: z.string(),
    amount_minor: z.number().int(),
    currency: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    expected_by: z.string().describe("The deadline; a pending transaction past it is overdue."),
    overdue_s: z.number().int().describe("Seconds past `expected_by` (0 when not yet due)."),
    escalated: z.boolean(),
    escalated_at: z.string().nullable(),
  })
  .openapi("OperatorTransaction");

const OperatorAnomaly = z
  .object({
    tx_ref: z.string(),
    kind: z.string(),
    ref: z
      .string()
      .describe(
        "The provider charge the anomaly is about (a payment owed back, received late or twice); empty when it is about the transaction as a whole.",
      ),
    detail: z.string(),
    user_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("OperatorAnomaly");

const bounded = <T extends z.ZodType>(item: T) =>
  z.object({
    total: z.number().int().describe("How many there are; `data` holds at most `limit`."),
    has_more: z.boolean(),
    data: z.array(item),
  });

export const OperatorView = z
  .object({
    object: z.literal("operator_view"),
    generated_at: z.string(),
    pending: z.array(
      z.object({
        type: z.enum(TX_TYPES),
        count: z.number().int(),
        overdue: z.number().int(),
        escalated: z.number().int(),
        oldest_created_at: z.string().nullable(),
        oldest_age_s: z.number().int(),
      }),
    ),
    overdue: bounded(OperatorTransaction),
    escalations: bounded(OperatorTransaction),
    anomalies: bounded(OperatorAnomaly).extend({ by_kind: z.record(z.string(), z.number().int()) }),
    settlements: z.array(
      z.object({
        type: z.enum(TX_TYPES),
        outcome: z.enum(SETTLEMENT_OUTCOMES),
        count: z.number().int(),
      }),
    ),
    dead_letters: z.object({
      stored: z.number().int(),
      unreplayed: z.number().int(),
      oldest_unreplayed_at: z.string().nullable(),
      oldest_unreplayed_age_s: z.number().int(),
    }),
    provider_problems: z.array(
      z.object({
        provider: z.string(),
        kind: z.string(),
        detail: z.string(),
        first_seen_at: z.string(),
        last_seen_at: z.string(),
        count: z.number().int(),
      }),
    ),
    index: z
      .object({
        shards: z
          .number()
          .int()
          .describe(
            "The operator index's shards (OPERATOR_INDEX_SHARDS); every one answered this view.",
          ),
        moving: z
          .boolean()
          .describe(
            "True while the rows of the index from before it was sharded are still moving into the shards: lists may then miss some of them for a moment.",
          ),
      })
      .describe("How the view was gathered."),
  })
  .openapi("OperatorView");
