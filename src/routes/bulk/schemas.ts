/** Request and answer shapes of the bulk top-up routes (./index.ts). */
import { z } from "@hono/zod-openapi";
import { NETWORKS } from "../../domain/phone";

export const LINE_STATUSES = [
  "queued",
  "sending",
  "pending",
  "succeeded",
  "failed",
  "refused",
  "skipped",
] as const;

/** One line of a JSON body: the CSV's columns as fields (checked line by line, with line numbers, not here). */
const BulkLineInput = z.record(z.string(), z.unknown()).openapi("BulkLineInput", {
  description:
    'type ("airtime" | "data"), phone, amount (naira, airtime), plan (a data plan code), network (optional)',
  example: { type: "airtime", phone: "08031234567", amount: 500 },
});

export const BulkJsonBody = z
  .strictObject({
    lines: z.array(BulkLineInput).openapi({ description: "At most BULK_LINES_MAX lines." }),
    partial: z.boolean().optional().openapi({
      description:
        "Buy the lines that fit in the available balance, in order, instead of refusing the batch.",
    }),
  })
  .openapi("BulkRequest");

export const BulkQuery = z.strictObject({
  partial: z.enum(["true", "false"]).optional().openapi({
    description: "For CSV and JSON-lines bodies: as the JSON body's `partial`.",
  }),
});

export const BatchIdParam = z.object({ batch_id: z.string().max(64) });

export const LinesQuery = z.strictObject({
  after_line: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const Counts = z.object(
  Object.fromEntries(LINE_STATUSES.map((s) => [s, z.number().int()])) as Record<
    (typeof LINE_STATUSES)[number],
    z.ZodNumber
  >,
);

export const BulkLineResponse = z
  .object({
    line: z.number().int(),
    type: z.enum(["airtime", "data"]),
    phone: z.string(),
    network: z.enum(NETWORKS).nullable(),
    plan: z.string().nullable(),
    amount: z.string(),
    amount_minor: z.number().int(),
    status: z.enum(LINE_STATUSES),
    tx_ref: z.string().nullable(),
    code: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .openapi("BulkLine");

export const BatchResponse = z
  .object({
    batch_id: z.string(),
    status: z.enum(["running", "done"]),
    lines: z.number().int(),
    total: z.string(),
    total_minor: z.number().int(),
    partial: z.boolean(),
    counts: Counts,
    created_at: z.string(),
    updated_at: z.string(),
    items: z.array(BulkLineResponse).optional(),
    has_more: z.boolean().optional(),
    watch: z.object({ websocket_url: z.string(), ticket: z.string() }).optional(),
  })
  .openapi("Batch");
