/**
 * The reconciler (invariant 7, nothing stays pending forever): the Wallet's
 * alarm re-asks the provider about each PENDING transaction whose check is
 * due, on its type's backoff schedule (src/domain/transactions.ts), and hands
 * every payment the provider holds for it (a funding may have several
 * charges) to the same apply path as webhooks. The provider is picked by the
 * transaction's type (src/providers/index.ts); nothing here is vendor-specific.
 *
 * - A due transaction's next check is pushed back BEFORE its network call, so
 *   a crash or a hung provider cannot cause a hot loop.
 * - A held payment still in `hold_placed` past IDEMPOTENCY_IN_FLIGHT_LOCK_MS
 *   was never submitted (the claim happens before any call): voiding it is
 *   not a guess.
 * - "Not found" and "no answer" never move money. Past the deadline, a
 *   transaction the provider cannot confirm is escalated to operators.
 * - Bounded: at most RECONCILE_BATCH_MAX transactions per run, and no new one
 *   started after RECONCILE_RUN_BUDGET_MS; the rest wait for the next alarm.
 */
import type { TransactionRecord } from "../../domain/records";
import { chargesInOrder, nextCheckAt, type ProviderFacts } from "../../domain/transactions";
import { requireConfig } from "../../lib/config";
import { IDEMPOTENCY_IN_FLIGHT_LOCK_MS } from "../../domain/limits";
import { RECONCILE_BATCH_MAX, RECONCILE_RUN_BUDGET_MS } from "./limits";
import { log } from "../../lib/log";
import { lookupNow, lookupsFor } from "../../providers";
import { escalate, type SettleOutcome, type WalletCore } from "./core";
import type { SettleSource } from "./trail";

export type ReconcileDeps = {
  env: Env;
  ctx: ExecutionContext;
  /** Apply provider facts through the Wallet's one settle path (its own storage transaction). */
  apply: (tx_ref: string, facts: ProviderFacts, source: SettleSource) => SettleOutcome;
  /** Void a held payment that never left hold_placed. */
  abandon: (tx_ref: string) => boolean;
};

/** Take the next due transaction and push its next check back, in one transaction. */
function claimDue(core: WalletCore, now_ms: number): TransactionRecord | null {
  return core.storage.transactionSync(() => {
    const [tx] = core.store.due(now_ms, 1);
    if (!tx) return null;
    const attempts = tx.check_attempts + 1;
    const written = core.store.write(
      tx.tx_ref,
      {
        set: {
          check_attempts: attempts,
          next_check_at_ms: nextCheckAt(now_ms, attempts, tx.deadline_at_ms, tx.type),
        },
      },
      now_ms,
    );
    if (!written.ok)
      throw new Error(`reconciler could not reschedule ${tx.tx_ref}: ${written.refusal}`);
    return written.tx;
  });
}

export async function reconcileDue(core: WalletCore, deps: ReconcileDeps): Promise<number> {
  const started_ms = Date.now();
  let checked = 0;
  while (checked < RECONCILE_BATCH_MAX && Date.now() - started_ms < RECONCILE_RUN_BUDGET_MS) {
    const tx = claimDue(core, Date.now());
    if (!tx) break;
    checked += 1;
    try {
      await reconcileOne(core, deps, tx);
    } catch (error) {
      log.error("reconcile failed", { tx_ref: tx.tx_ref, error });
    }
  }
  return checked;
}

async function reconcileOne(
  core: WalletCore,
  deps: ReconcileDeps,
  tx: TransactionRecord,
): Promise<void> {
  const now_ms = Date.now();
  // A held payment never submitted, or a refund never sent (claims happen before any call).
  if (tx.stage === "hold_placed" || (tx.type === "REFUND" && tx.stage === "refund_requested")) {
    if (now_ms - tx.created_at_ms >= IDEMPOTENCY_IN_FLIGHT_LOCK_MS && deps.abandon(tx.tx_ref)) {
      log.warn("payment abandoned before submission", { tx_ref: tx.tx_ref, type: tx.type });
    }
    return;
  }
  const lookups = lookupsFor(tx.type, {
    env: deps.env,
    ctx: deps.ctx,
    config: requireConfig(deps.env),
  });
  if (!lookups) {
    // No provider serves this type (yet): nothing can confirm it, so it waits
    // for its deadline and is then escalated, never settled on a guess.
    deps.apply(tx.tx_ref, { found: false }, { via: "reconciler" });
    return;
  }
  const answer = await lookupNow(lookups, tx);
  if (answer.ok) {
    // Every payment the provider holds for the reference, a payment in full first (chargesInOrder).
    const facts = tx.type === "FUND" ? chargesInOrder(tx, answer.value) : answer.value;
    for (const one of facts) deps.apply(tx.tx_ref, one, { via: "reconciler" });
  } else if (answer.kind === "not_found") {
    deps.apply(tx.tx_ref, { found: false }, { via: "reconciler" });
  } else {
    log.warn("reconcile: provider gave no answer; will retry", {
      tx_ref: tx.tx_ref,
      kind: answer.kind,
    });
    if (Date.now() >= tx.deadline_at_ms) {
      core.storage.transactionSync(() => {
        const current = core.store.get(tx.tx_ref);
        if (current && current.status === "PENDING")
          escalate(
            core,
            current,
            `The provider gave no answer (${answer.kind}) past the deadline.`,
            Date.now(),
          );
      });
    }
  }
}
