/**
 * The shapes the ledger hands out: a transaction as stored, and the snapshot a
 * watcher (the Room) and the change feed's other readers receive. Plain data,
 * no Cloudflare imports, so the Wallet object, the Room, the routes and the
 * pages can all depend on this module without depending on each other.
 */
import type { Stage } from "./flows";
import type { TxStatus, TxType } from "./transactions";
import type { Tier } from "./tiers";

/** Per-type extra facts (bank, narration, phone...). Flat and serialisable. */
export type TxDetails = Record<string, string | number | boolean | null>;

export type TransactionRecord = {
  tx_ref: string;
  type: TxType;
  status: TxStatus;
  stage: Stage;
  /** Bumped by every visible change; readers of the change feed drop older or equal versions. */
  version: number;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  provider_ref: string | null;
  payment_link: string | null;
  failure_reason: string | null;
  details: TxDetails;
  created_at_ms: number;
  updated_at_ms: number;
  settled_at_ms: number | null;
  deadline_at_ms: number;
  next_check_at_ms: number | null;
  check_attempts: number;
  escalated_at_ms: number | null;
};

export type Profile = {
  user_id: string;
  email: string;
  full_name: string | null;
  created_at_ms: number;
};

export type WalletSummary = {
  user_id: string;
  currency: string;
  balance_minor: number;
  held_minor: number;
  available_minor: number;
  is_active: boolean;
  /** Null unless an operator froze the wallet; `reason` is what the user is told. */
  frozen: { mode: "no_debit" | "full"; reason: string } | null;
  /** The KYC tier (src/domain/tiers.ts): a change is a new wallet version on the feed. */
  tier: Tier;
};

/** What the change feed carries for each entity: its new version, whole. */
export type TransactionChange = TransactionRecord & { owner_user_id: string };
export type WalletVersion = WalletSummary & {
  version: number;
  created_at_ms: number;
  updated_at_ms: number;
  /**
   * The tier's limits in force when this version was written (KYC_TIERS and
   * KYC_REQUIRED: a tier 0 wallet that may move nothing reads 0 and 0;
   * `max_balance_minor` null: no cap). Absent on versions written before them.
   */
  daily_limit_minor?: number;
  max_balance_minor?: number | null;
};
export type ProfileVersion = Profile & { version: number };
/**
 * An anomaly recorded for operators (refund due, overpayment, escalation, late
 * success): one per (tx_ref, kind), so it enters the feed once, at version 1.
 */
/** `ref`: the provider charge the anomaly is about ('' when it is about the transaction as a whole). */
export type AnomalyRecord = {
  tx_ref: string;
  kind: string;
  ref: string;
  detail: string;
  owner_user_id: string | null;
  created_at_ms: number;
  /** Set on the anomaly's next version when a refund or credit settled it (./flows.ts REFUND). */
  resolved_at_ms?: number | null;
};

/** What a Room holds and broadcasts about its transaction. */
export type StatusSnapshot = {
  tx_ref: string;
  owner_user_id: string;
  type: TxType;
  status: TxStatus;
  /** The wallet's finer state (e.g. `attempt_failed` while a funding stays PENDING). */
  stage: Stage;
  version: number;
  amount_minor: number;
  currency: string;
  failure_reason: string | null;
  updated_at_ms: number;
  /** A bill's token (and units), once delivered: present only then, so other frames keep their shape. */
  token?: string;
  units?: string | null;
};

export function snapshotOf(owner_user_id: string, tx: TransactionRecord): StatusSnapshot {
  return {
    tx_ref: tx.tx_ref,
    owner_user_id,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    version: tx.version,
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    failure_reason: tx.failure_reason,
    updated_at_ms: tx.updated_at_ms,
    ...tokenOfDetails(tx.details),
  };
}

/** The token a bill's details carry (src/services/bills.ts), as the status frames and the projection show it. */
export function tokenOfDetails(details: TransactionRecord["details"]): {
  token?: string;
  units?: string | null;
} {
  if (typeof details.token !== "string") return {};
  return { token: details.token, units: typeof details.units === "string" ? details.units : null };
}
