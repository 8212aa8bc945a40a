/**
 * Operators' acts on a wallet, as rules: adjustments (a credit or a debit with
 * a reason code), freezes, and the four-eyes rule that turns an act into a
 * proposal a second person must approve. Plain data and pure functions; the
 * Wallet object applies them inside its storage transactions
 * (src/durable/wallet/proposals.ts, freeze.ts, audit.ts).
 */

/** Who acts, in the order of what they may do: an approver may do what an operator may. */
export const ACTOR_ROLES = ["viewer", "operator", "approver"] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];
/** An operator as the wallet records it (the identity layer's Operator is assignable to this). */
export type Actor = { id: string; role: ActorRole };

export function roleAtLeast(role: ActorRole, min: ActorRole): boolean {
  return ACTOR_ROLES.indexOf(role) >= ACTOR_ROLES.indexOf(min);
}

/** Why an adjustment was made: the user's history shows it with the note the user may see. */
export const ADJUSTMENT_REASON_CODES = ["goodwill", "correction", "chargeback"] as const;
export type AdjustmentReasonCode = (typeof ADJUSTMENT_REASON_CODES)[number];
export type AdjustmentDirection = "credit" | "debit";

/**
 * What a proposal asks for. The adjustments and `tier` (an operator's KYC
 * tier override, src/domain/tiers.ts) are the wallet's own (executed in the
 * approval's storage transaction); `decide`, `refund` and `credit_excess`
 * need a provider and run in two steps (claim, execute, record the result).
 */
export const PROPOSAL_KINDS = [
  "adjust_credit",
  "adjust_debit",
  "decide",
  "refund",
  "credit_excess",
  "tier",
] as const;
export type ProposalKind = (typeof PROPOSAL_KINDS)[number];

/** Kinds the Wallet executes itself, in the storage transaction that approves them. */
export function isWalletLocal(
  kind: ProposalKind,
): kind is "adjust_credit" | "adjust_debit" | "tier" {
  return kind === "adjust_credit" || kind === "adjust_debit" || kind === "tier";
}

export const PROPOSAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "executed",
  "failed",
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/** Flat facts (what a proposal carries, an act's before and after): serialisable as they are. */
export type Facts = Record<string, string | number | boolean | null>;

/** What a proposal carries: flat facts, or one level deeper (a refund names its anomaly as an object). */
export type ProposalPayload = Record<string, Facts[string] | Facts>;

/** What the adjustment kinds carry. */
export type AdjustmentPayload = {
  reason_code: AdjustmentReasonCode;
  /** Why, for operators (the audit log). */
  reason: string;
  /** What the user sees in their history. */
  user_note: string;
};

export type Proposal = {
  id: string;
  kind: ProposalKind;
  payload: ProposalPayload;
  /** The transaction the proposal acts on, and its version when proposed (null for adjustments). */
  tx_ref: string | null;
  tx_version: number | null;
  amount_minor: number;
  proposed_by: string;
  created_at_ms: number;
  expires_at_ms: number;
  status: ProposalStatus;
  decided_by: string | null;
  decided_at_ms: number | null;
  /** What execution produced (the adjustment's tx_ref) or why it failed or was refused. */
  result: Facts | null;
  version: number;
};

/**
 * Four eyes: every debit, decision and refund is a proposal; a credit only
 * above the threshold (`OPS_DUAL_CONTROL_MINOR`). Below it, an operator's
 * credit executes at once (still audited).
 */
export function needsApproval(kind: ProposalKind, amount_minor: number, threshold_minor: number) {
  return kind === "adjust_credit" ? amount_minor > threshold_minor : true;
}

/** Why an approval is refused, named. */
export type ApprovalRefusal =
  | "proposal_not_pending"
  | "proposal_expired"
  | "self_approval"
  | "role_required"
  | "transaction_changed";

/**
 * May `approver` approve `p` now? Checked in the order a person would want to
 * hear it: already decided, expired, their own, not an approver, and a bound
 * transaction that moved since the proposal (the provider answered).
 */
export function approvalRefusal(
  p: Pick<Proposal, "status" | "expires_at_ms" | "proposed_by" | "tx_ref" | "tx_version">,
  approver: Actor,
  now_ms: number,
  current_tx_version: number | null,
): ApprovalRefusal | null {
  if (p.status !== "pending") return "proposal_not_pending";
  if (now_ms >= p.expires_at_ms) return "proposal_expired";
  if (approver.id === p.proposed_by) return "self_approval";
  if (approver.role !== "approver") return "role_required";
  if (p.tx_ref !== null && current_tx_version !== p.tx_version) return "transaction_changed";
  return null;
}

/** `no_debit`: post no debit (holds refused); `full`: nothing new at all (fundings refused too). */
export const FREEZE_MODES = ["no_debit", "full"] as const;
export type FreezeMode = (typeof FREEZE_MODES)[number];
export type FreezeState = {
  mode: FreezeMode;
  /** What the user is told (GET /wallet, the 422). */
  reason: string;
  internal_reason: string;
  by: string;
  at_ms: number;
};

/**
 * Does a freeze refuse a new act of this direction? Only new acts: what is
 * already in flight still settles (a credit arriving at a `full` wallet is
 * credited), so nothing is lost.
 */
export function freezeRefuses(mode: FreezeMode | null, direction: "debit" | "credit"): boolean {
  if (mode === null) return false;
  return mode === "full" || direction === "debit";
}

/** What the audit log records: each act, by whom, with what result. */
export const AUDIT_ACTIONS = [
  "proposed",
  "approved",
  "rejected",
  "executed",
  "refused",
  "failed",
  "freeze",
  "unfreeze",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = {
  id: number;
  user_id: string;
  operator_id: string;
  operator_role: ActorRole;
  at_ms: number;
  action: AuditAction;
  /** What was acted on: a proposal kind, a tx_ref, or 'wallet'. */
  target: string;
  reason: string;
  evidence: string | null;
  before: Facts;
  after: Facts;
  proposal_id: string | null;
};
