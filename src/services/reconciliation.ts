/**
 * The daily reconciliation (issue 24): one Lagos day of our transactions
 * against what Flutterwave lists and what VTpass answers, matched by the pure
 * rules of src/domain/reconciliation.ts, the result stored per day in the
 * Reconciliations object (a re-run replaces it).
 *
 * Their side:
 * - Flutterwave: every charge and every transfer created in the day, widened
 *   by RECON_TIME_DRIFT_MS on both sides so a transaction of ours near
 *   midnight finds its record (what is left over from the margins belongs to
 *   the neighbour day and is not reported).
 * - VTpass has no list (reference §16.1): each purchase of ours is requeried
 *   by its request_id; `015` (never seen) leaves it ours only.
 * A provider that cannot answer fails the whole run (503) instead of turning
 * what it did not say into differences; the day's previous result stays.
 *
 * Our side comes from the caller: `reconcileDay` takes the day's
 * `BookTransaction[]`; `runReconciliation` takes the function that loads them
 * (the books' `ourTransactionsOfDay`).
 */
import type { BookTransaction } from "../domain/books";
import {
  anomalyOf,
  lagosDayWindow,
  previousLagosDay,
  RECON_TIME_DRIFT_MS,
  type ReconAnomaly,
  type ReconItem,
  reconcile,
  sourceOf,
  type TheirRecord,
} from "../domain/reconciliation";
import type { ReconRun } from "../durable/reconciliations/object";
import { RECON_REQUERY_CONCURRENCY, RECON_REQUERY_MAX } from "../durable/reconciliations/limits";
import { errors } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { newRequestId } from "../lib/ids";
import { log } from "../lib/log";
import { type ReconciliationPort, reconciliationPort } from "../providers";
import { backgroundContext } from "./background-context";
import { recordAnomalies, resolveAnomaly } from "./operator-index";

export type ReconTrigger = { trigger: "cron" | "operator"; operator: string | null };

/** Loads our side of a day (the books' `ourTransactionsOfDay(env, day)`). */
export type LoadOurs = (day: string) => Promise<BookTransaction[]>;

const unclear = (what: string, why: string) =>
  errors.upstream(
    "provider_unavailable",
    `${what} could not be read (${why}); the day was not reconciled.`,
    503,
  );

/** VTpass's view of each purchase of ours, by requery. */
async function vtpassRecords(
  port: ReconciliationPort,
  purchases: BookTransaction[],
): Promise<TheirRecord[]> {
  const ids = purchases.flatMap((tx) => (tx.provider_ref ? [tx.provider_ref] : []));
  if (ids.length === 0) return [];
  const purchase = port.purchase;
  if (!purchase)
    throw errors.unavailable(
      "provider_not_configured",
      "VTpass is not configured: the day's purchases cannot be requeried.",
    );
  if (ids.length > RECON_REQUERY_MAX)
    throw errors.unprocessable(
      "reconciliation_too_large",
      `The day has ${ids.length} purchases; one run requeries at most ${RECON_REQUERY_MAX}.`,
    );
  const records: TheirRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const request_id = ids[next++];
      const answer = await purchase(request_id);
      if (answer.ok) records.push(answer.value);
      else if (answer.kind !== "not_found") throw unclear("A VTpass requery", answer.kind);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(RECON_REQUERY_CONCURRENCY, ids.length) }, worker),
  );
  return records;
}

const keyOf = (a: ReconAnomaly) => `${a.tx_ref}\u0000${a.kind}\u0000${a.ref}`;

/**
 * Every item that is not a match becomes an operator anomaly (open until an
 * operator resolves it); one the previous run of the day raised and this run
 * no longer finds is resolved, so a re-run replaces the day's anomalies too.
 */
async function raiseAnomalies(
  c: AppContext,
  day: string,
  items: readonly ReconItem[],
  replaced: readonly ReconItem[],
): Promise<void> {
  const shards = c.var.config.OPERATOR_INDEX_SHARDS;
  const now_ms = Date.now();
  const raised = items.flatMap((item) => anomalyOf(item, day) ?? []);
  const current = new Set(raised.map(keyOf));
  await recordAnomalies(
    c.env,
    shards,
    raised.map((a) => ({ fact: "anomaly" as const, ...a, created_at_ms: now_ms })),
  );
  for (const gone of replaced.flatMap((item) => anomalyOf(item, day) ?? []))
    if (!current.has(keyOf(gone)))
      await resolveAnomaly(c.env, shards, gone.tx_ref, gone.kind, gone.ref);
}

/**
 * Reconcile one Lagos day against `ours` (the day's transactions) and store
 * the result, replacing the day's previous one. Throws a problem when the day
 * is not a calendar day or a provider cannot give its side.
 */
export async function reconcileDay(
  c: AppContext,
  day: string,
  ours: BookTransaction[],
  by: ReconTrigger,
): Promise<ReconRun> {
  const window = lagosDayWindow(day);
  if (!window)
    throw errors.validation([{ path: "day", message: "not a calendar day (YYYY-MM-DD)" }]);
  const port = reconciliationPort({
    env: c.env,
    ctx: executionCtx(c),
    config: c.var.config,
    request_id: c.var.request_id,
  });
  const wide = {
    from_ms: window.start_ms - RECON_TIME_DRIFT_MS,
    to_ms: window.end_ms + RECON_TIME_DRIFT_MS,
  };
  const purchases = ours.filter((tx) => sourceOf(tx.type) === "vtpass:purchase");
  const [charges, transfers, purchased] = await Promise.all([
    port.charges(wide),
    port.transfers(wide),
    vtpassRecords(port, purchases),
  ]);
  if (!charges.ok) throw unclear("Flutterwave's transactions list", charges.kind);
  if (!transfers.ok) throw unclear("Flutterwave's transfers list", transfers.kind);
  const outcome = reconcile(ours, [...charges.value, ...transfers.value, ...purchased], window);
  const { run, replaced } = await c.env.RECONCILIATIONS.getByName(day).replace(
    {
      day,
      ran_at_ms: Date.now(),
      trigger: by.trigger,
      operator: by.operator,
      skipped: outcome.skipped,
      outside_day: outcome.outside_day,
      failed_unseen: outcome.failed_unseen,
    },
    outcome.items,
  );
  await raiseAnomalies(c, day, outcome.items, replaced);
  const level = outcome.items.some((item) => item.result !== "matched") ? "warn" : "info";
  log[level]("day reconciled", {
    request_id: c.var.request_id,
    day,
    trigger: by.trigger,
    ...run.counts,
    skipped: run.skipped,
  });
  return run;
}

/** Load our side of the day, then reconcile it (the cron's and the route's entry). */
export async function runReconciliation(
  c: AppContext,
  day: string,
  loadOurs: LoadOurs,
  by: ReconTrigger,
): Promise<ReconRun> {
  const ours = (await loadOurs(day)).filter((tx) => tx.day === day);
  return reconcileDay(c, day, ours, by);
}

/**
 * The nightly run (wrangler.jsonc `triggers.crons`, 23:30 UTC = 00:30 in
 * Lagos): the Lagos day that ended before `scheduled_ms`. A failure is logged
 * and thrown, so the platform records the failed invocation; an operator
 * re-runs the day with POST /admin/reconciliations.
 */
export async function scheduledReconciliation(
  scheduled_ms: number,
  env: Env,
  ctx: ExecutionContext,
  loadOurs: LoadOurs,
): Promise<ReconRun> {
  const request_id = newRequestId();
  const day = previousLagosDay(scheduled_ms);
  try {
    return await runReconciliation(backgroundContext(env, ctx, request_id), day, loadOurs, {
      trigger: "cron",
      operator: null,
    });
  } catch (error) {
    log.error("nightly reconciliation failed", {
      request_id,
      day,
      error: error instanceof Error ? error.message : "unknown error",
    });
    throw error;
  }
}
