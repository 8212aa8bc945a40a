/**
 * Stages as data: one table per flow, the only place where a transaction's
 * stages, their statuses, the allowed transitions and the money each stage
 * moves are written down.
 *
 * Everything else is derived from these tables:
 * - the Wallet object's one write path refuses a transition that is not listed
 *   here (a named result, `transition_not_allowed`), and the same tables are
 *   mirrored into its SQLite storage, where triggers refuse such a write even if
 *   code tried it (src/durable/wallet/schema.ts);
 * - a transaction's status is a function of its stage (`statusOf`);
 * - entering a stage performs that stage's money effect (`effectOf`), so a hold
 *   can never be left open by a path that forgot to void it;
 * - the room protocol and the OpenAPI document list `STAGES` as an enum.
 *
 * Three flows:
 * - funding (FUND), the credit side: pending -> verify with the provider ->
 *   credit once;
 * - the held payment (WITHDRAW): hold -> claim -> submit -> settle (post),
 *   fail (void), or stay pending and reconcile;
 * - the purchase (AIRTIME, DATA, ELECTRICITY, TV): the held payment, in a buyer's words, plus
 *   `reversed` (the provider undid it: the money comes back once).
 * - the refund (REFUND): money a funding's charge took that is owed back
 *   (an overpayment's excess, a mismatched or late payment), returned
 *   through the provider's refund, or, at the operator's choice, credited
 *   to the wallet instead. A refund moves no wallet money (that money was
 *   never credited; it leaves the provider's balance); the credit does.
 * A terminal stage (status SUCCESS or FAILED) accepts no change at all unless
 * its table lists an explicit next stage.
 */
import type { TxStatus, TxType } from "./transactions";

/** What entering a stage does to the money. */
export type StageEffect =
  | "none"
  /** Place a hold for amount + fee (the held payment's first stage). */
  | "place_hold"
  /** Close the hold as posted and debit its amount. */
  | "post_hold"
  /** Close the hold as voided: nothing leaves the wallet. */
  | "void_hold"
  /** Credit the transaction's amount (a funding that the provider confirmed, an approved adjustment). */
  | "credit"
  /**
   * Debit the transaction's amount from the available balance (an approved
   * adjustment debit): no hold, the approval checked available covers it, and
   * the ledger refuses it otherwise.
   */
  | "debit"
  /**
   * The provider undid a held payment: void the hold if it is still open, or,
   * if it was already posted, give the debit back as a new journal entry
   * (a reversal credit tied to the same tx_ref; nothing is edited or deleted).
   */
  | "reverse";

export type StageSpec = {
  readonly status: TxStatus;
  /** What a person is told about this stage. */
  readonly label: string;
  /** A transaction is created in its flow's initial stage. */
  readonly initial?: true;
  readonly effect: StageEffect;
  readonly next: readonly string[];
};

export const FUNDING_FLOW = {
  link_requested: {
    status: "PENDING",
    label: "Preparing the checkout",
    initial: true,
    effect: "none",
    next: [
      "awaiting_payment",
      "link_unknown",
      "attempt_failed",
      "payment_mismatch",
      "refused",
      "settled",
      "failed",
    ],
  },
  link_unknown: {
    status: "PENDING",
    label: "Confirming the checkout with the provider",
    effect: "none",
    next: [
      "awaiting_payment",
      "attempt_failed",
      "payment_mismatch",
      "refused",
      "settled",
      "failed",
    ],
  },
  awaiting_payment: {
    status: "PENDING",
    label: "Waiting for the payment",
    effect: "none",
    next: ["attempt_failed", "payment_mismatch", "settled", "failed"],
  },
  attempt_failed: {
    status: "PENDING",
    label: "A payment attempt failed; the checkout is still open",
    effect: "none",
    next: ["payment_mismatch", "settled", "failed"],
  },
  /**
   * A payment arrived for less than asked or in another currency while the
   * checkout was open: that payment is owed back (a `refund_due` anomaly for
   * its charge), and the funding stays open, so whoever made that payment
   * (anyone who knows a tx_ref can pay against it) cannot end the owner's
   * funding; the owner can still pay in full.
   */
  payment_mismatch: {
    status: "PENDING",
    label:
      "A payment for the wrong amount or currency arrived and will be refunded; the checkout is still open",
    effect: "none",
    next: ["attempt_failed", "settled", "failed"],
  },
  settled: { status: "SUCCESS", label: "Credited", effect: "credit", next: [] },
  failed: { status: "FAILED", label: "Failed", effect: "none", next: [] },
  refused: { status: "FAILED", label: "Refused by the provider", effect: "none", next: [] },
} as const satisfies Record<string, StageSpec>;

export const HELD_PAYMENT_FLOW = {
  hold_placed: {
    status: "PENDING",
    label: "Held",
    initial: true,
    effect: "place_hold",
    next: ["submitting", "abandoned"],
  },
  submitting: {
    status: "PENDING",
    label: "Sending",
    effect: "none",
    next: [
      "submitted",
      "submit_unknown",
      "refused",
      "settled",
      "failed",
      "posted_by_operator",
      "voided_by_operator",
    ],
  },
  submit_unknown: {
    status: "PENDING",
    label: "Confirming with the provider",
    effect: "none",
    next: ["submitted", "settled", "failed", "posted_by_operator", "voided_by_operator"],
  },
  submitted: {
    status: "PENDING",
    label: "Sent",
    effect: "none",
    next: ["settled", "failed", "posted_by_operator", "voided_by_operator"],
  },
  settled: { status: "SUCCESS", label: "Completed", effect: "post_hold", next: [] },
  failed: {
    status: "FAILED",
    label: "Failed; the hold was released",
    effect: "void_hold",
    next: [],
  },
  refused: {
    status: "FAILED",
    label: "Refused; the hold was released",
    effect: "void_hold",
    next: [],
  },
  abandoned: {
    status: "FAILED",
    label: "Interrupted before sending; the hold was released",
    effect: "void_hold",
    next: [],
  },
  /**
   * An operator's decision on an escalated or overdue payment the provider
   * could not answer for (src/durable/wallet/decisions.ts), with the evidence
   * in the transaction's details. Final like `settled` and `failed`: a later
   * provider answer that disagrees is recorded for operators (`failed_after_post`,
   * `paid_after_void`), never a second money movement.
   */
  posted_by_operator: {
    status: "SUCCESS",
    label: "Completed (confirmed by our team)",
    effect: "post_hold",
    next: [],
  },
  voided_by_operator: {
    status: "FAILED",
    label: "Failed; the hold was released by our team",
    effect: "void_hold",
    next: [],
  },
} as const satisfies Record<string, StageSpec>;

/**
 * A purchase (airtime, data) is a held payment whose words a buyer knows, and
 * which a provider may reverse, even after delivery: `reversed` returns the
 * money once, whether the hold was still open or already posted.
 */
export const PURCHASE_FLOW = {
  hold_placed: {
    ...HELD_PAYMENT_FLOW.hold_placed,
    label: "Held",
    next: ["submitting", "abandoned"],
  },
  submitting: {
    ...HELD_PAYMENT_FLOW.submitting,
    label: "Sending to the network",
    next: [...HELD_PAYMENT_FLOW.submitting.next, "reversed"],
  },
  submit_unknown: {
    ...HELD_PAYMENT_FLOW.submit_unknown,
    label: "Confirming with the network",
    next: [...HELD_PAYMENT_FLOW.submit_unknown.next, "reversed"],
  },
  submitted: {
    ...HELD_PAYMENT_FLOW.submitted,
    label: "Sent to the network",
    next: [...HELD_PAYMENT_FLOW.submitted.next, "reversed"],
  },
  settled: { ...HELD_PAYMENT_FLOW.settled, label: "Delivered", next: ["reversed"] },
  failed: { ...HELD_PAYMENT_FLOW.failed, label: "Failed; your money was released" },
  refused: { ...HELD_PAYMENT_FLOW.refused, label: "Refused; your money was released" },
  abandoned: {
    ...HELD_PAYMENT_FLOW.abandoned,
    label: "Interrupted before sending; your money was released",
  },
  /** The network may still reverse what our team confirmed, as it may reverse a delivery. */
  posted_by_operator: {
    ...HELD_PAYMENT_FLOW.posted_by_operator,
    label: "Delivered (confirmed by our team)",
    next: ["reversed"],
  },
  voided_by_operator: {
    ...HELD_PAYMENT_FLOW.voided_by_operator,
    label: "Failed; your money was released by our team",
  },
  reversed: {
    status: "FAILED",
    label: "Reversed; your money was returned",
    effect: "reverse",
    next: [],
  },
} as const satisfies Record<string, StageSpec>;

/**
 * A refund: the intent is stored (`refund_requested`) before any call, one
 * caller claims the submission (`refund_sending`) so the provider is asked
 * once, and the provider's refund status is followed to its end. Or the same
 * intent is settled by crediting the wallet (`credited_to_wallet`), never
 * both: that move is allowed only before a submission was claimed.
 */
export const REFUND_FLOW = {
  refund_requested: {
    status: "PENDING",
    label: "Refund requested",
    initial: true,
    effect: "none",
    next: ["refund_sending", "credited_to_wallet", "refund_abandoned"],
  },
  refund_sending: {
    status: "PENDING",
    label: "Sending the refund",
    effect: "none",
    next: ["refund_submitted", "refund_unknown", "refused", "refunded", "refund_failed"],
  },
  refund_unknown: {
    status: "PENDING",
    label: "Confirming the refund with the provider",
    effect: "none",
    next: ["refund_submitted", "refunded", "refund_failed"],
  },
  refund_submitted: {
    status: "PENDING",
    label: "Refund sent; waiting for the provider",
    effect: "none",
    next: ["refunded", "refund_failed"],
  },
  refunded: { status: "SUCCESS", label: "Refunded", effect: "none", next: [] },
  refund_failed: { status: "FAILED", label: "The refund failed", effect: "none", next: [] },
  refused: { status: "FAILED", label: "Refused by the provider", effect: "none", next: [] },
  refund_abandoned: {
    status: "FAILED",
    label: "Interrupted before sending",
    effect: "none",
    next: [],
  },
  credited_to_wallet: {
    status: "SUCCESS",
    label: "Credited to the wallet instead of refunded",
    effect: "credit",
    next: [],
  },
} as const satisfies Record<string, StageSpec>;

/**
 * An operator's adjustment (ADJUSTMENT): created when it executes (at once, or
 * when a second operator approves it) and moved, in the same storage
 * transaction, to `credited` or `debited`, whose effect moves the money. The
 * initial stage is PENDING because every flow starts in a pending stage (the
 * guards in schema.ts), and no one ever sees it: the feed gets both versions.
 */
export const ADJUSTMENT_FLOW = {
  adjustment_approved: {
    status: "PENDING",
    label: "Adjustment approved",
    initial: true,
    effect: "none",
    next: ["credited", "debited"],
  },
  credited: { status: "SUCCESS", label: "Credited by an adjustment", effect: "credit", next: [] },
  debited: { status: "SUCCESS", label: "Debited by an adjustment", effect: "debit", next: [] },
} as const satisfies Record<string, StageSpec>;

export type FundingStage = keyof typeof FUNDING_FLOW;
export type HeldStage = keyof typeof HELD_PAYMENT_FLOW;
export type PurchaseStage = keyof typeof PURCHASE_FLOW;
export type RefundStage = keyof typeof REFUND_FLOW;
export type AdjustmentStage = keyof typeof ADJUSTMENT_FLOW;
export type Stage = FundingStage | HeldStage | PurchaseStage | RefundStage | AdjustmentStage;

type Flow = Readonly<Record<string, StageSpec>>;

/** The flow each transaction type follows. */
export const FLOWS: { readonly [T in TxType]: Flow } = {
  FUND: FUNDING_FLOW,
  WITHDRAW: HELD_PAYMENT_FLOW,
  AIRTIME: PURCHASE_FLOW,
  DATA: PURCHASE_FLOW,
  // Bills are purchases too: the same held payment, the same stages.
  ELECTRICITY: PURCHASE_FLOW,
  TV: PURCHASE_FLOW,
  REFUND: REFUND_FLOW,
  ADJUSTMENT: ADJUSTMENT_FLOW,
};

/** Every stage name of every flow, for `z.enum` in the protocol and the OpenAPI document. */
export const STAGES = [
  ...new Set([
    ...Object.keys(FUNDING_FLOW),
    ...Object.keys(HELD_PAYMENT_FLOW),
    ...Object.keys(PURCHASE_FLOW),
    ...Object.keys(REFUND_FLOW),
    ...Object.keys(ADJUSTMENT_FLOW),
  ]),
] as [Stage, ...Stage[]];

export function flowOf(type: TxType): Flow {
  const flow = FLOWS[type];
  if (!flow) throw new Error(`no flow for transaction type ${String(type)}`);
  return flow;
}

function specOf(type: TxType, stage: string): StageSpec {
  const spec = flowOf(type)[stage];
  if (!spec) throw new Error(`stage ${stage} is not in the ${type} flow`);
  return spec;
}

export function initialStage(type: TxType): Stage {
  const entry = Object.entries(flowOf(type)).find(([, spec]) => spec.initial);
  if (!entry) throw new Error(`the ${type} flow has no initial stage`);
  return entry[0] as Stage;
}

export function statusOf(type: TxType, stage: string): TxStatus {
  return specOf(type, stage).status;
}

export function effectOf(type: TxType, stage: string): StageEffect {
  return specOf(type, stage).effect;
}

export function labelOf(type: TxType, stage: string): string {
  return specOf(type, stage).label;
}

export function isStageOf(type: TxType, stage: string): stage is Stage {
  return Object.hasOwn(FLOWS, type) && Object.hasOwn(flowOf(type), stage);
}

/** A stage nothing can follow: facts about such a transaction cannot change it. */
export function isFinalStage(type: TxType, stage: string): boolean {
  return specOf(type, stage).next.length === 0;
}

/** Why a write was refused, named (TigerBeetle style), never a free-text reason. */
export type TransitionRefusal = "transaction_already_terminal" | "transition_not_allowed";

/**
 * May a transaction of `type` in stage `from` be written with stage `to`?
 * Staying in a PENDING stage (new facts, a provider reference) is allowed; a
 * terminal stage accepts nothing but a transition its table lists.
 */
export function checkTransition(type: TxType, from: string, to: string): TransitionRefusal | null {
  const spec = specOf(type, from);
  if (!isStageOf(type, to)) return "transition_not_allowed";
  if (from === to) return spec.status === "PENDING" ? null : "transaction_already_terminal";
  if (spec.next.includes(to)) return null;
  return spec.next.length === 0 ? "transaction_already_terminal" : "transition_not_allowed";
}

/** The tables as rows, for the SQL mirror (stages and allowed transitions per type). */
export function flowRows(): {
  stages: { type: TxType; stage: string; status: TxStatus; initial: number }[];
  transitions: { type: TxType; from: string; to: string }[];
} {
  const stages: { type: TxType; stage: string; status: TxStatus; initial: number }[] = [];
  const transitions: { type: TxType; from: string; to: string }[] = [];
  for (const [type, flow] of Object.entries(FLOWS) as [TxType, Flow][]) {
    for (const [stage, spec] of Object.entries(flow)) {
      stages.push({ type, stage, status: spec.status, initial: spec.initial ? 1 : 0 });
      for (const to of spec.next) transitions.push({ type, from: stage, to });
    }
  }
  return { stages, transitions };
}
