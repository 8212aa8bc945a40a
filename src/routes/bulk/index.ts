/**
 * Bulk top-ups (src/services/bulk-runs.ts):
 *   POST /wallet/bulk                            a batch: CSV (text/csv), JSON lines
 *                                                (application/x-ndjson, application/jsonl) or
 *                                                JSON { lines, partial? }; 202 with the batch
 *   GET  /wallet/bulk/{batch_id}                 the batch: counts by status and a page of lines
 *   GET  /wallet/bulk/{batch_id}/results.csv     one row per line
 *
 * The batch's answers carry `watch` (a WebSocket URL and a ticket): its
 * counts and changed lines live (src/durable/room/batch.ts).
 *
 * A batch id is looked up only in the caller's own wallet: another user's
 * batch is answered exactly like a missing one (404).
 */
import { createRoute } from "@hono/zod-openapi";
import { formatMinor } from "../../domain/money";
import type { BatchView, BulkLineView } from "../../durable/wallet/object";
import { AppError, errors } from "../../lib/errors";
import {
  bearerSecurity,
  limitByUser,
  newRouter,
  problems,
  requireUser,
  userIdOf,
  type AppContext,
} from "../../lib/http";
import { BATCH_ID_PATTERN } from "../../lib/ids";
import { BULK_LINES_PAGE_MAX } from "../../lib/limits";
import {
  RESULTS_COLUMNS,
  resultsCsvRows,
  startBulk,
  type BulkUpload,
} from "../../services/bulk-runs";
import { batchWatch } from "../../services/watch";
import { BatchIdParam, BatchResponse, BulkJsonBody, BulkQuery, LinesQuery } from "./schemas";

export const bulkRoutes = newRouter();

const iso = (ms: number) => new Date(ms).toISOString();

export function batchBody(batch: BatchView) {
  return {
    batch_id: batch.batch_id,
    status: batch.status,
    lines: batch.lines,
    total: formatMinor(batch.total_minor),
    total_minor: batch.total_minor,
    partial: batch.partial,
    counts: batch.counts,
    created_at: iso(batch.created_at_ms),
    updated_at: iso(batch.updated_at_ms),
  };
}

export function lineBody(l: BulkLineView) {
  return {
    line: l.line,
    type: l.order.kind,
    phone: l.order.phone,
    network: l.order.network ?? null,
    plan: l.order.kind === "data" ? l.order.plan : null,
    amount: formatMinor(l.price_minor),
    amount_minor: l.price_minor,
    status: l.status,
    tx_ref: l.tx_ref,
    code: l.code,
    reason: l.reason,
  };
}

const CSV_TYPE = /^text\/csv\b/i;
const JSONL_TYPE = /^application\/(x-ndjson|jsonl|x-jsonlines)\b/i;
const JSON_TYPE = /^application\/json\b/i;

/** The upload as its media type says, and `partial` from the body or the query. */
async function uploadOf(c: AppContext): Promise<{ upload: BulkUpload; partial: boolean }> {
  const type = c.req.header("content-type") ?? "";
  const query_partial = c.req.query("partial") === "true";
  if (CSV_TYPE.test(type))
    return { upload: { format: "csv", text: await c.req.text() }, partial: query_partial };
  if (JSONL_TYPE.test(type))
    return { upload: { format: "jsonl", text: await c.req.text() }, partial: query_partial };
  if (JSON_TYPE.test(type)) {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new AppError({
        status: 400,
        code: "malformed_request",
        title: "Malformed request",
        detail: "The body could not be parsed as JSON.",
      });
    }
    const parsed = BulkJsonBody.safeParse(raw);
    if (!parsed.success)
      throw errors.validation(
        parsed.error.issues.map((i) => ({
          path: i.path.join("."),
          message: i.message,
          code: i.code,
        })),
      );
    return {
      upload: { format: "json", lines: parsed.data.lines },
      partial: parsed.data.partial ?? query_partial,
    };
  }
  throw new AppError({
    status: 415,
    code: "unsupported_media_type",
    title: "Unsupported media type",
    detail: "Send text/csv, application/x-ndjson (or application/jsonl), or application/json.",
  });
}

/** Starting a batch costs catalogue look-ups for every line: counted per user, with the purchases. */
const limitBatches = limitByUser((env) => env.PURCHASE_USER_LIMITER, "bulk");

bulkRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/bulk",
    tags: ["bulk"],
    summary:
      "Start a bulk top-up: every line checked and priced first, then bought a few at a time, each as its own held payment",
    security: bearerSecurity,
    middleware: [requireUser, limitBatches] as const,
    request: {
      query: BulkQuery,
      body: {
        description:
          "CSV with a header (type, phone, amount, plan, network), JSON lines with the same fields, or JSON { lines, partial }.",
        content: {
          "application/json": { schema: BulkJsonBody },
          "text/csv": { schema: { type: "string" } },
          "application/x-ndjson": { schema: { type: "string" } },
        },
      },
    },
    responses: {
      202: {
        description:
          "Accepted: the batch is stored and drains in the background; poll it or watch it.",
        content: { "application/json": { schema: BatchResponse } },
      },
      ...problems(400, 401, 409, 413, 415, 422, 429, 503),
    },
  }),
  async (c) => {
    const user_id = userIdOf(c);
    const { upload, partial } = await uploadOf(c);
    const batch = await startBulk(c, user_id, upload, partial);
    c.header("location", `${c.req.path.replace(/\/+$/, "")}/${batch.batch_id}`);
    const watch = await batchWatch(c, user_id, batch.batch_id);
    return c.json({ ...batchBody(batch), watch }, 202) as never;
  },
);

/** The caller's batch, or 404: a malformed id or another user's batch is answered as a missing one. */
async function ownBatch(c: AppContext, batch_id: string): Promise<BatchView> {
  const batch = BATCH_ID_PATTERN.test(batch_id)
    ? await c.env.WALLET.getByName(userIdOf(c)).batch(batch_id)
    : null;
  if (!batch) throw errors.notFound("No such batch.");
  return batch;
}

bulkRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/bulk/{batch_id}",
    tags: ["bulk"],
    summary: "A bulk top-up: counts by status and a page of its lines",
    security: bearerSecurity,
    middleware: [requireUser] as const,
    request: { params: BatchIdParam, query: LinesQuery },
    responses: {
      200: {
        description: "The batch.",
        content: { "application/json": { schema: BatchResponse } },
      },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const { batch_id } = c.req.valid("param");
    const query = c.req.valid("query");
    const batch = await ownBatch(c, batch_id);
    const limit = query.limit ?? BULK_LINES_PAGE_MAX;
    const lines = await c.env.WALLET.getByName(userIdOf(c)).batchLines(
      batch_id,
      query.after_line ?? -1,
      limit + 1,
    );
    return c.json(
      {
        ...batchBody(batch),
        watch: await batchWatch(c, userIdOf(c), batch_id),
        items: lines.slice(0, limit).map(lineBody),
        has_more: lines.length > limit,
      },
      200,
    ) as never;
  },
);

bulkRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/bulk/{batch_id}/results.csv",
    tags: ["bulk"],
    summary: `A bulk top-up's results: one CSV row per line (${RESULTS_COLUMNS.join(", ")})`,
    security: bearerSecurity,
    middleware: [requireUser] as const,
    request: { params: BatchIdParam },
    responses: {
      200: { description: "The results.", content: { "text/csv": { schema: { type: "string" } } } },
      ...problems(401, 404),
    },
  }),
  async (c) => {
    const { batch_id } = c.req.valid("param");
    await ownBatch(c, batch_id);
    const stub = c.env.WALLET.getByName(userIdOf(c));
    let csv = `${RESULTS_COLUMNS.join(",")}\r\n`;
    let after = -1;
    for (;;) {
      const page = await stub.batchLines(batch_id, after, BULK_LINES_PAGE_MAX);
      csv += resultsCsvRows(page);
      if (page.length < BULK_LINES_PAGE_MAX) break;
      after = page[page.length - 1].line;
    }
    return c.body(csv, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${batch_id}-results.csv"`,
    }) as never;
  },
);
