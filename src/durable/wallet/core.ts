/**
 * What the Wallet object's flows share: its storage and the modules over it,
 * plus the outcome types its RPC methods answer with. Flows (funding-flow.ts,
 * held-payment-flow.ts, reconciler.ts) are functions of this core, so each stays small and
 * the class in ./object.ts keeps only its RPC surface.
 */
import { freezeRefuses, type FreezeMode } from "../../domain/acts";
import type { TransactionRecord } from "../../domain/records";
import { one } from "../../lib/sqlite";
import type { AuditLog } from "./audit";
import type { IdempotencyInput, IdempotencyKeys, KeyVerdict } from "./idempotency";
import type { Ledger } from "./ledger";
import type { TxStore, WriteChange, WriteResult } from "./store";
import type { TierPolicy } from "../../domain/tiers";
import type { TierRefusal } from "./tier-rules";
import type { TierBook } from "./tiers";
import type { Trail } from "./trail";

export type WalletCore = {
  storage: DurableObjectStorage;
  ledger: Ledger;
  store: TxStore;
  keys: IdempotencyKeys;
  trail: Trail;
  audit: AuditLog;
  tiers: TierBook;
  /** The KYC tier policy last passed with an open, else this object's configuration's (./tier-rules.ts). */
  policy: () => TierPolicy;
};

export type OpenOutcome =
  | { outcome: "opened"; tx: TransactionRecord }
  | KeyVerdict
  | { outcome: "inactive" }
  | { outcome: "no_wallet" }
  /** An operator froze the wallet; `reason` is what the user is told. */
  | { outcome: "frozen"; mode: FreezeMode; reason: string }
  | { outcome: "too_many_pending"; pending: number; limit: number }
  /** The KYC tier rules refuse it (./tier-rules.ts). */
  | TierRefusal;

export type HeldOpenOutcome =
  | OpenOutcome
  | { outcome: "insufficient_funds"; available_minor: number; required_minor: number }
  | { outcome: "too_many_failures"; limit: number; window_ms: number; retry_after_s: number };

export type SettleOutcome =
  | { outcome: "credited"; tx: TransactionRecord }
  | { outcome: "debited"; tx: TransactionRecord }
  | { outcome: "failed"; tx: TransactionRecord }
  | { outcome: "reversed"; tx: TransactionRecord }
  | { outcome: "unchanged"; tx: TransactionRecord; reason: string }
  | { outcome: "unknown_tx" }
  | { outcome: "wrong_type"; tx: TransactionRecord };

/**
 * What every open checks first, inside its storage transaction: what the
 * Idempotency-Key says (a replay, a changed body, a request in flight, or a
 * transaction to resume), then that the wallet exists, is active, and is not
 * frozen against this `direction` (a held payment debits, a funding credits).
 * Null: go on and open.
 */
export function openChecks(
  core: WalletCore,
  idempotency: IdempotencyInput | undefined,
  now_ms: number,
  direction: "debit" | "credit",
): Exclude<OpenOutcome, { outcome: "opened" }> | null {
  if (idempotency) {
    const existing = core.keys.check(idempotency, now_ms);
    if (existing) return existing;
  }
  const wallet = core.ledger.wallet();
  if (!wallet) return { outcome: "no_wallet" };
  if (wallet.is_active !== 1) return { outcome: "inactive" };
  const frozen = one(
    core.storage.sql.exec<{ mode: FreezeMode; reason: string }>(
      "SELECT mode, reason FROM wallet_freeze WHERE id = 1",
    ),
  );
  if (frozen && freezeRefuses(frozen.mode, direction))
    return { outcome: "frozen", mode: frozen.mode, reason: frozen.reason };
  return null;
}

/**
 * Enter `stage` if the flow allows it from where the transaction is; if it
 * does not but the transaction is still PENDING, only set the fields. For
 * bookkeeping that must land whatever stage a concurrent event moved the
 * transaction to (a checkout link arriving after a failed card attempt).
 */
export function advanceOrStay(
  core: WalletCore,
  tx_ref: string,
  change: Required<Pick<WriteChange, "stage">> & WriteChange,
  now_ms: number,
): WriteResult {
  const moved = core.store.write(tx_ref, change, now_ms);
  if (moved.ok || moved.refusal !== "transition_not_allowed") return moved;
  return core.store.write(tx_ref, { set: change.set }, now_ms);
}

/** Flag a PENDING transaction for operators, once (the anomaly and the log line too). */
export function escalate(
  core: WalletCore,
  tx: TransactionRecord,
  reason: string,
  now_ms: number,
): SettleOutcome {
  if (tx.escalated_at_ms === null) {
    const written = core.store.write(tx.tx_ref, { set: { escalated_at_ms: now_ms } }, now_ms);
    if (written.ok) core.trail.anomaly(tx.tx_ref, "escalated", reason, now_ms);
  }
  return { outcome: "unchanged", tx: core.store.get(tx.tx_ref) ?? tx, reason: "escalated" };
}

/**
 * Facts that change nothing (a terminal transaction, another reference). A
 * success reported for a held payment that already FAILED is money the
 * provider moved that we did not: it is recorded for operators (`late`,
 * naming the provider's reference) and logged, once.
 */
export function ignore(
  core: WalletCore,
  tx: TransactionRecord,
  decision: { reason: string; late_success: boolean },
  late: { kind: string; detail: string; ref: string },
  now_ms: number,
): SettleOutcome {
  if (decision.late_success)
    core.trail.anomaly(tx.tx_ref, late.kind, late.detail, now_ms, late.ref);
  return { outcome: "unchanged", tx, reason: decision.late_success ? late.kind : decision.reason };
}

/**
 * A definite refusal before anything happened at the provider (a refused
 * checkout, a refused transfer): the transaction ends FAILED in stage
 * `refused`, which every flow has; a held payment's hold is voided by entering it.
 */
export function refuse(
  core: WalletCore,
  tx_ref: string,
  reason: string,
  anomaly: { kind: string; detail: string } | undefined,
  now_ms: number,
): { changed: boolean; tx: TransactionRecord | null } {
  return core.storage.transactionSync(() => {
    const written = core.store.write(
      tx_ref,
      { stage: "refused", set: { failure_reason: reason } },
      now_ms,
    );
    if (written.ok && anomaly) core.trail.anomaly(tx_ref, anomaly.kind, anomaly.detail, now_ms);
    return { changed: written.ok && written.changed, tx: written.tx };
  });
}
