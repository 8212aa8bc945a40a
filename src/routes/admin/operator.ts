/**
 * The operator's view across all wallets and its Prometheus metrics, both
 * behind ADMIN_API_TOKEN. Both read the operator index, every shard of it
 * merged (src/services/operator-index.ts; fed by every wallet's change feed,
 * never by scanning wallets), and the dead-letter store; neither touches a
 * wallet. The index is fed in the background, so a change shows here a
 * moment after its answer left, not before.
 *
 * Request metrics are not here: they go to Workers Analytics Engine from the
 * request middleware (src/lib/request-metrics.ts), where they are queried
 * across every isolate. A counter kept in this isolate would only describe
 * the one isolate that happened to answer the scrape.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { SETTLEMENT_OUTCOMES } from "../../domain/operator";
import { formatMinor } from "../../domain/money";
import { TX_TYPES } from "../../domain/transactions";
import { DEAD_LETTERS_OBJECT } from "../../durable/dead-letters/object";
import { INDEX_MOVING_RETRY_AFTER_S } from "../../durable/operations/limits";
import type { IndexedTransaction } from "../../domain/operator";
import { adminOnly, operatorOnly } from "../../lib/admin-auth";
import { AppError, errors } from "../../lib/errors";
import { newRouter, problems, type AppContext } from "../../lib/http";
import { log } from "../../lib/log";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricFamily } from "../../lib/prometheus";
import {
  operatorOverview,
  resolveAnomaly,
  type OperatorOverview,
} from "../../services/operator-index";
import { lastReconciledDay, reconciliationMetric } from "./reconciliations";
import { AnomalyParams, AnomalyQuery, OperationsQuery, OperatorView } from "./schemas";

export const operatorRoutes = newRouter();

type DeadLetterStats = {
  stored: number;
  unreplayed: number;
  oldest_unreplayed_at_ms: number | null;
};

/** An anomaly not found while the single index's rows still move into the shards may be on its way. */
const indexMoving = () =>
  new AppError({
    status: 503,
    code: "operator_index_moving",
    title: "Service unavailable",
    detail:
      "The operator index is moving into its shards; this anomaly may not have arrived yet. Try again shortly.",
    headers: { "retry-after": String(INDEX_MOVING_RETRY_AFTER_S) },
  });

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const ageS = (now_ms: number, at_ms: number | null) =>
  at_ms === null ? 0 : Math.max(0, Math.floor((now_ms - at_ms) / 1000));

async function gather(
  c: AppContext,
  limit: number,
): Promise<{ overview: OperatorOverview; letters: DeadLetterStats }> {
  const [overview, letters] = await Promise.all([
    operatorOverview(c.env, c.var.config.OPERATOR_INDEX_SHARDS, limit),
    c.env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).stats(),
  ]);
  return { overview, letters };
}

function txView(tx: IndexedTransaction, now_ms: number) {
  return {
    tx_ref: tx.tx_ref,
    user_id: tx.owner_user_id,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    amount: formatMinor(tx.amount_minor),
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    created_at: iso(tx.created_at_ms),
    updated_at: iso(tx.updated_at_ms),
    expected_by: iso(tx.deadline_at_ms),
    overdue_s: ageS(now_ms, tx.deadline_at_ms),
    escalated: tx.escalated_at_ms !== null,
    escalated_at: isoOrNull(tx.escalated_at_ms),
  };
}

operatorRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/operations",
    tags: ["admin"],
    summary:
      "Operator view across all wallets: overdue, escalated, anomalies, settlements, dead letters, provider problems",
    ...adminOnly,
    request: { query: OperationsQuery },
    responses: {
      200: {
        description: "The view; each list holds at most `limit` rows and gives its total.",
        content: { "application/json": { schema: OperatorView } },
      },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const { limit } = c.req.valid("query");
    const { overview: o, letters } = await gather(c, limit);
    const now_ms = o.now_ms;
    return c.json(
      {
        object: "operator_view" as const,
        generated_at: iso(now_ms),
        pending: o.pending.map((p) => ({
          type: p.type,
          count: p.pending,
          overdue: p.overdue,
          escalated: p.escalated,
          oldest_created_at: isoOrNull(p.oldest_created_at_ms),
          oldest_age_s: ageS(now_ms, p.oldest_created_at_ms),
        })),
        overdue: { ...o.overdue, data: o.overdue.data.map((tx) => txView(tx, now_ms)) },
        escalations: { ...o.escalations, data: o.escalations.data.map((tx) => txView(tx, now_ms)) },
        anomalies: {
          ...o.anomalies,
          data: o.anomalies.data.map((a) => ({
            tx_ref: a.tx_ref,
            kind: a.kind,
            ref: a.ref,
            detail: a.detail,
            user_id: a.owner_user_id,
            created_at: iso(a.created_at_ms),
          })),
          by_kind: Object.fromEntries(o.anomalies_by_kind.map((k) => [k.kind, k.count])),
        },
        settlements: o.settlements,
        dead_letters: {
          stored: letters.stored,
          unreplayed: letters.unreplayed,
          oldest_unreplayed_at: isoOrNull(letters.oldest_unreplayed_at_ms),
          oldest_unreplayed_age_s: ageS(now_ms, letters.oldest_unreplayed_at_ms),
        },
        provider_problems: o.provider_problems.map((p) => ({
          provider: p.provider,
          kind: p.kind,
          detail: p.detail,
          first_seen_at: iso(p.first_at_ms),
          last_seen_at: iso(p.last_at_ms),
          count: p.count,
        })),
        index: o.index,
      },
      200,
    );
  },
);

operatorRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/anomalies/{tx_ref}/{kind}/resolve",
    tags: ["admin"],
    summary: "Mark an open anomaly resolved (the refund or correction was made by hand)",
    ...operatorOnly,
    request: { params: AnomalyParams, query: AnomalyQuery },
    responses: {
      200: {
        description: "Resolved.",
        content: {
          "application/json": {
            schema: z.object({
              tx_ref: z.string(),
              kind: z.string(),
              ref: z.string().nullable(),
              resolved: z.literal(true),
            }),
          },
        },
      },
      ...problems(401, 403, 404, 422, 503),
    },
  }),
  async (c) => {
    const { tx_ref, kind } = c.req.valid("param");
    const ref = c.req.valid("query").ref ?? null;
    const outcome = await resolveAnomaly(
      c.env,
      c.var.config.OPERATOR_INDEX_SHARDS,
      tx_ref,
      kind,
      ref,
    );
    if (outcome === "moving") throw indexMoving();
    if (outcome === "not_found") throw errors.notFound("No such open anomaly.");
    log.info("anomaly resolved by an operator", {
      request_id: c.var.request_id,
      tx_ref,
      kind,
      ref,
    });
    return c.json({ tx_ref, kind, ref, resolved: true as const }, 200);
  },
);

/**
 * The metric families. Every transaction type and settlement outcome is
 * listed even at zero, so a series exists before its first event (an alert
 * on `increase()` or on absence then works from the start).
 */
export function operatorMetrics(o: OperatorOverview, letters: DeadLetterStats): MetricFamily[] {
  const now_ms = o.now_ms;
  const pending = new Map(o.pending.map((p) => [p.type, p]));
  const settled = new Map(o.settlements.map((s) => [`${s.type}/${s.outcome}`, s.count]));
  const byType = (pick: (p: OperatorOverview["pending"][number] | undefined) => number) =>
    TX_TYPES.map((type) => ({ labels: { type }, value: pick(pending.get(type)) }));
  return [
    {
      name: "wallet_transactions_pending",
      help: "Transactions not yet settled, by type.",
      type: "gauge",
      samples: byType((p) => p?.pending ?? 0),
    },
    {
      name: "wallet_transactions_overdue",
      help: "Pending transactions past their expected time (deadline), by type.",
      type: "gauge",
      samples: byType((p) => p?.overdue ?? 0),
    },
    {
      name: "wallet_transactions_pending_oldest_age_seconds",
      help: "Age of the oldest pending transaction, by type (0 when none).",
      type: "gauge",
      samples: byType((p) => ageS(now_ms, p?.oldest_created_at_ms ?? null)),
    },
    {
      name: "wallet_escalations_open",
      help: "Escalated transactions still pending.",
      type: "gauge",
      samples: [{ value: o.escalations.total }],
    },
    {
      name: "wallet_anomalies_open",
      help: "Open anomalies for operators, by kind (refund_due, overpaid, escalated, paid_after_terminal, ...).",
      type: "gauge",
      samples: o.anomalies_by_kind.map((k) => ({ labels: { kind: k.kind }, value: k.count })),
    },
    {
      name: "wallet_settlements_total",
      help: "Transactions that reached an outcome, by type and outcome.",
      type: "counter",
      samples: TX_TYPES.flatMap((type) =>
        SETTLEMENT_OUTCOMES.map((outcome) => ({
          labels: { type, outcome },
          value: settled.get(`${type}/${outcome}`) ?? 0,
        })),
      ),
    },
    {
      name: "wallet_dead_letters",
      help: "Dead-lettered queue messages stored.",
      type: "gauge",
      samples: [{ value: letters.stored }],
    },
    {
      name: "wallet_dead_letters_unreplayed",
      help: "Dead letters never replayed.",
      type: "gauge",
      samples: [{ value: letters.unreplayed }],
    },
    {
      name: "wallet_dead_letters_oldest_unreplayed_age_seconds",
      help: "Age of the oldest dead letter never replayed (0 when none).",
      type: "gauge",
      samples: [{ value: ageS(now_ms, letters.oldest_unreplayed_at_ms) }],
    },
    {
      name: "wallet_provider_problems",
      help: "Provider problems of ours (float, credentials) seen recently: occurrences, by provider and kind.",
      type: "gauge",
      samples: o.provider_problems.map((p) => ({
        labels: { provider: p.provider, kind: p.kind },
        value: p.count,
      })),
    },
  ];
}

operatorRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/metrics",
    tags: ["admin"],
    summary: "Operator metrics in Prometheus text format (0.0.4)",
    ...adminOnly,
    responses: {
      200: {
        description: "Prometheus text exposition.",
        content: { "text/plain": { schema: z.string() } },
      },
      ...problems(401, 503),
    },
  }),
  async (c) => {
    const [{ overview, letters }, reconciled] = await Promise.all([
      gather(c, 1),
      lastReconciledDay(c),
    ]);
    const families = [...operatorMetrics(overview, letters), reconciliationMetric(reconciled)];
    return c.text(renderPrometheus(families), 200, {
      "content-type": PROMETHEUS_CONTENT_TYPE,
    });
  },
);
