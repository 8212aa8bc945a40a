/** @jsxImportSource hono/jsx */
/**
 * The daily reconciliation's routes (src/services/reconciliation.ts):
 *
 *   POST /admin/reconciliations           {day}  reconcile a Lagos day that has ended (operator);
 *                                                a re-run replaces the day's result
 *   GET  /admin/reconciliations/{day}            the day's result, page by page (viewer)
 *   GET  /admin/console/reconciliations/{day}    the same as a console page (viewer)
 *
 * Each item links to its transaction's console page when it is one of ours.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  isPastLagosDay,
  lagosDayWindow,
  previousLagosDay,
  RECON_RESULTS,
} from "../../domain/reconciliation";
import { RECON_PAGE_DEFAULT, RECON_PAGE_MAX } from "../../durable/reconciliations/limits";
import type { ReconRun, StoredItem } from "../../durable/reconciliations/object";
import { adminOnly, operatorOnly } from "../../lib/admin-auth";
import { errors } from "../../lib/errors";
import { type AppContext, newRouter, problems } from "../../lib/http";
import type { MetricFamily } from "../../lib/prometheus";
import { consoleTransactionPath } from "../../pages/console/paths";
import { ReconciliationPage } from "../../pages/console/reconciliation";
import { runReconciliation } from "../../services/reconciliation";
import { ourTransactionsOfDay } from "../../services/books";
import { HTML, pageHeaders, who } from "./console";

export const reconciliationRoutes = newRouter();

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  // A day that does not exist (2026-02-30, 2026-13-01) is refused on every route, as a malformed one is.
  .refine((day) => lagosDayWindow(day) !== null, { message: "not a calendar day (YYYY-MM-DD)" })
  .openapi({ example: "2026-12-05", description: "A Lagos calendar day." });

const Counts = z.object({
  matched: z.number().int(),
  ours_only: z.number().int(),
  theirs_only: z.number().int(),
  mismatched: z.number().int(),
});

const Run = z
  .object({
    day: z.string(),
    ran_at: z.string(),
    trigger: z.enum(["cron", "operator"]),
    operator: z.string().nullable(),
    counts: Counts,
    skipped: z.number().int(),
    outside_day: z.number().int(),
    failed_unseen: z
      .number()
      .int()
      .describe("Our failures the provider never recorded: nothing moved on either side."),
    runs: z.number().int(),
  })
  .openapi("ReconciliationRun");

const Side = z.object({
  amount_minor: z.number().int().nullable(),
  currency: z.string(),
  status: z.string(),
  created_at: z.string().nullable(),
  provider_id: z.string().nullable(),
});

const Item = z
  .object({
    seq: z.number().int(),
    result: z.enum(RECON_RESULTS),
    source: z.string(),
    reference: z.string().nullable(),
    tx_ref: z.string().nullable(),
    owner_user_id: z.string().nullable(),
    ours: Side.nullable(),
    theirs: Side.nullable(),
    diffs: z.array(
      z.object({
        field: z.string(),
        ours: z.union([z.string(), z.number()]).nullable(),
        theirs: z.union([z.string(), z.number()]).nullable(),
      }),
    ),
    link: z.string().nullable(),
  })
  .openapi("ReconciliationItem");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const runView = (run: ReconRun) => ({
  day: run.day,
  ran_at: new Date(run.ran_at_ms).toISOString(),
  trigger: run.trigger,
  operator: run.operator,
  counts: run.counts,
  skipped: run.skipped,
  outside_day: run.outside_day,
  failed_unseen: run.failed_unseen,
  runs: run.runs,
});

const itemView = (item: StoredItem) => ({
  seq: item.seq,
  result: item.result,
  source: item.source,
  reference: item.reference,
  tx_ref: item.ours?.tx_ref ?? null,
  owner_user_id: item.ours?.owner_user_id ?? null,
  ours: item.ours && {
    amount_minor: item.ours.amount_minor,
    currency: item.ours.currency,
    status: item.ours.status,
    created_at: iso(item.ours.created_at_ms),
    provider_id: item.ours.provider_id,
  },
  theirs: item.theirs && {
    amount_minor: item.theirs.amount_minor,
    currency: item.theirs.currency,
    status: item.theirs.outcome,
    created_at: iso(item.theirs.created_at_ms),
    provider_id: item.theirs.provider_id,
  },
  diffs: item.diffs,
  link: item.ours ? consoleTransactionPath(item.ours.tx_ref) : null,
});

/** The result of the Lagos day that ended last (null: not reconciled yet), for the metrics. */
export function lastReconciledDay(c: AppContext): Promise<ReconRun | null> {
  return c.env.RECONCILIATIONS.getByName(previousLagosDay(Date.now())).summary();
}

/**
 * `wallet_reconciliation_items{result}`: the last ended day's items by result,
 * every result listed (zero until the day is reconciled), so an alert on
 * `wallet_reconciliation_items{result!="matched"} > 0` works from the start.
 */
export function reconciliationMetric(run: ReconRun | null): MetricFamily {
  return {
    name: "wallet_reconciliation_items",
    help: "Items of the last ended Lagos day's reconciliation, by result (matched, ours_only, theirs_only, mismatched).",
    type: "gauge",
    samples: RECON_RESULTS.map((result) => ({
      labels: { result },
      value: run?.counts[result] ?? 0,
    })),
  };
}

reconciliationRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/reconciliations",
    tags: ["admin"],
    summary:
      "Reconcile a Lagos day that has ended against the providers (a re-run replaces its result)",
    ...operatorOnly,
    request: {
      body: { content: { "application/json": { schema: z.strictObject({ day: Day }) } } },
    },
    responses: {
      200: {
        description: "The day's new result.",
        content: { "application/json": { schema: Run } },
      },
      ...problems(401, 403, 422, 503),
    },
  }),
  async (c) => {
    const { day } = c.req.valid("json");
    if (!isPastLagosDay(day, Date.now()))
      throw errors.unprocessable(
        "day_not_ended",
        "Only a Lagos day that has ended can be reconciled; today's lists are still growing.",
      );
    const run = await runReconciliation(c, day, (d) => ourTransactionsOfDay(c.env, d), {
      trigger: "operator",
      operator: c.var.operator?.id ?? null,
    });
    return c.json(runView(run), 200);
  },
);

const ItemsQuery = z.strictObject({
  result: z.enum(RECON_RESULTS).optional(),
  limit: z.coerce.number().int().min(1).max(RECON_PAGE_MAX).default(RECON_PAGE_DEFAULT),
  starting_after: z.coerce.number().int().min(0).optional(),
});

reconciliationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/reconciliations/{day}",
    tags: ["admin"],
    summary: "A reconciled day: its counts and items (matched, ours only, theirs only, mismatched)",
    ...adminOnly,
    request: { params: z.object({ day: Day }), query: ItemsQuery },
    responses: {
      200: {
        description: "The day's result.",
        content: {
          "application/json": {
            schema: z.object({
              run: Run,
              data: z.array(Item),
              has_more: z.boolean(),
            }),
          },
        },
      },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const { day } = c.req.valid("param");
    const q = c.req.valid("query");
    const store = c.env.RECONCILIATIONS.getByName(day);
    const run = await store.summary();
    if (!run) throw errors.notFound("This day has not been reconciled.");
    const page = await store.items({
      result: q.result,
      after_seq: q.starting_after,
      limit: q.limit,
    });
    return c.json(
      { run: runView(run), data: page.items.map(itemView), has_more: page.has_more },
      200,
    );
  },
);

reconciliationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/console/reconciliations/{day}",
    tags: ["admin"],
    summary: "Operator console: a reconciled day's differences (HTML)",
    ...adminOnly,
    request: { params: z.object({ day: Day }) },
    responses: { 200: { description: "The day's page.", content: HTML }, ...problems(401, 422) },
  }),
  async (c) => {
    const { day } = c.req.valid("param");
    const store = c.env.RECONCILIATIONS.getByName(day);
    const [run, unmatched] = await Promise.all([
      store.summary(),
      // The page shows what needs a look; matches are only counted.
      Promise.all(
        (["ours_only", "theirs_only", "mismatched"] as const).map((result) =>
          store.items({ result, limit: RECON_PAGE_MAX }),
        ),
      ),
    ]);
    return c.html(
      <ReconciliationPage
        day={day}
        run={run}
        items={unmatched.flatMap((p) => p.items)}
        has_more={unmatched.some((p) => p.has_more)}
        operator={who(c)}
      />,
      200,
      pageHeaders,
    ) as never;
  },
);
