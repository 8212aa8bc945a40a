/**
 * The model of the wallet API that the HTTP model test compares every answer
 * with: users, their transactions, and what each provider look-alike holds
 * for each transaction (its "truth"). Pure: no I/O, no Cloudflare imports.
 *
 * Balances are never stored in the model; they are derived from the
 * transactions' statuses, the way the ledger's invariants say they must be:
 *   balance = credited fundings - settled withdrawals (amount + fee) - delivered purchases
 *   held    = pending withdrawals (amount + fee) + pending purchases
 *
 * Every successful charge is money received, accounted for once by its id:
 * the one that credits a funding, or an anomaly naming it (`ref`) that says
 * whose money it is. The model keeps each transaction's anomalies the same way.
 */

export type TxType = "FUND" | "WITHDRAW" | "AIRTIME" | "DATA" | "ELECTRICITY" | "TV";
export type TxStatus = "PENDING" | "SUCCESS" | "FAILED";

/** A charge the Flutterwave look-alike recorded for a funding. */
export type Charge = {
  id: number;
  tx_ref: string;
  amount_minor: number;
  currency: string;
  status: "successful" | "failed";
};

/** What VTpass says about a purchase (its requery answer). */
export type VtTruth = "delivered" | "failed" | "reversed" | "pending";

/** What Flutterwave says about a transfer; NONE: it never reached Flutterwave. */
export type TransferTruth = "NONE" | "NEW" | "SUCCESSFUL" | "FAILED";

/**
 * Anomalies the model predicts, one per (tx_ref, kind, ref): money received
 * that is owed back or was not taken (refund_due, overpaid, paid_after_terminal,
 * paid_twice) and a provider's success after a hold was released
 * (paid_after_void). `ref` is the provider's charge, transfer id or VTpass
 * request_id. Nothing else (an escalation, a provider refusal's anomaly) can
 * arise in the model's sequences, so every other recorded anomaly is a mismatch.
 */
export type AnomalyKind =
  | "refund_due"
  | "overpaid"
  | "paid_after_terminal"
  | "paid_twice"
  | "paid_after_void";
export type ModelAnomaly = { kind: AnomalyKind; ref: string };

export type ModelTx = {
  tx_ref: string;
  type: TxType;
  amount_minor: number;
  fee_minor: number;
  status: TxStatus;
  stage: string;
  /** FUND: the checkout link, whether paying there is still offered, and the charges made for it. */
  link?: string | null;
  link_open?: boolean;
  failed_attempts?: number;
  charges?: Charge[];
  /** FUND: the charge that credited it; whether its deadline was moved behind it (the funding rule then ends it). */
  credited_by?: number;
  past_deadline?: boolean;
  /** What the wallet recorded about this transaction for operators (see AnomalyKind). */
  anomalies?: ModelAnomaly[];
  /** WITHDRAW: the look-alike's transfer id and its status there. */
  transfer_id?: number | null;
  transfer?: TransferTruth;
  /** AIRTIME/DATA/ELECTRICITY/TV: our VTpass request_id and VTpass's status for it. */
  request_id?: string | null;
  vt?: VtTruth;
  /** ELECTRICITY: a prepaid meter (its token is in the transaction once delivered). */
  prepaid?: boolean;
};

export type ModelUser = {
  user_id: string;
  auth: Record<string, string>;
  email: string;
  /** Set for users the sequence registered itself (login is possible). */
  password?: string;
  txs: ModelTx[];
  /** Idempotency keys this user used, with the first stored answer. */
  keys: Map<
    string,
    { fingerprint: string; status: number; tx_ref: string | null; code: string | null }
  >;
};

export type Model = {
  /** The wallets the money commands act on. */
  users: ModelUser[];
  /** Users with a password: shared registered ones (never used for money) and any the sequence registered. */
  logins: ModelUser[];
  /** WITHDRAWAL_FEE of this sequence, in kobo. */
  fee_minor: number;
  fund_pending_max: number;
};

// ---- Derived money ---------------------------------------------------------------------

export function balances(user: ModelUser): {
  balance_minor: number;
  held_minor: number;
  available_minor: number;
} {
  let balance_minor = 0;
  let held_minor = 0;
  for (const tx of user.txs) {
    const total = tx.amount_minor + tx.fee_minor;
    if (tx.type === "FUND") {
      if (tx.status === "SUCCESS") balance_minor += tx.amount_minor;
    } else if (tx.status === "PENDING") held_minor += total;
    else if (tx.status === "SUCCESS") balance_minor -= total;
  }
  return { balance_minor, held_minor, available_minor: balance_minor - held_minor };
}

export function pendingFundings(user: ModelUser): number {
  return user.txs.filter((t) => t.type === "FUND" && t.status === "PENDING").length;
}

export function findTx(model: Model, tx_ref: string): { user: ModelUser; tx: ModelTx } | null {
  for (const user of model.users) {
    const tx = user.txs.find((t) => t.tx_ref === tx_ref);
    if (tx) return { user, tx };
  }
  return null;
}

// ---- What a provider lookup does to a transaction ----------------------------------------

/**
 * What one provider answer does to a transaction: its status and stage after
 * it (unchanged when only an anomaly is recorded), the anomaly it records, and
 * for a funding the charge that credited it. null: nothing at all changes.
 */
export type Next = {
  status: TxStatus;
  stage: string;
  anomaly?: ModelAnomaly;
  anomalies?: ModelAnomaly[];
  credited_by?: number;
} | null;

/** Every anomaly an answer records (one answer may carry several charges). */
export function anomaliesOf(next: NonNullable<Next>): ModelAnomaly[] {
  return [...(next.anomaly ? [next.anomaly] : []), ...(next.anomalies ?? [])];
}

const accounted = (tx: ModelTx, ref: string): boolean =>
  (tx.anomalies ?? []).some((a) => a.ref === ref);

/** A recorded anomaly only, the transaction itself unchanged (unless this charge or payment was already recorded). */
function anomalyOnly(tx: ModelTx, kind: AnomalyKind, ref: string): Next {
  return accounted(tx, ref) ? null : { status: tx.status, stage: tx.stage, anomaly: { kind, ref } };
}

/**
 * The funding rule (invariant 4, src/domain/transactions.ts decideFunding) for
 * one verified charge. Before the deadline a failed attempt or a payment for
 * too little or in another currency leaves the funding PENDING (the latter owed
 * back: refund_due for that charge, stage payment_mismatch); past it they end
 * it. A payment in full credits (an excess is `overpaid`). After the funding
 * ended, a successful charge it did not take is recorded once: paid_twice
 * (credited by another charge) or paid_after_terminal (FAILED).
 */
export function fundingAfterCharge(tx: ModelTx, charge: Charge): Next {
  const ref = String(charge.id);
  if (tx.status !== "PENDING") {
    if (charge.status !== "successful" || charge.id === tx.credited_by) return null;
    return anomalyOnly(tx, tx.status === "SUCCESS" ? "paid_twice" : "paid_after_terminal", ref);
  }
  const late = tx.past_deadline === true;
  if (charge.status === "failed") {
    if (late) return { status: "FAILED", stage: "failed" };
    return tx.stage === "attempt_failed" ? null : { status: "PENDING", stage: "attempt_failed" };
  }
  // A charge already owed back cannot credit; past the deadline nothing in full came.
  if (accounted(tx, ref)) return late ? { status: "FAILED", stage: "failed" } : null;
  if (charge.currency !== "NGN" || charge.amount_minor < tx.amount_minor) {
    const anomaly = { kind: "refund_due", ref } as const;
    return late
      ? { status: "FAILED", stage: "failed", anomaly }
      : { status: "PENDING", stage: "payment_mismatch", anomaly };
  }
  const anomaly =
    charge.amount_minor > tx.amount_minor ? ({ kind: "overpaid", ref } as const) : undefined;
  return {
    status: "SUCCESS",
    stage: "settled",
    credited_by: charge.id,
    ...(anomaly ? { anomaly } : {}),
  };
}

/** A VTpass purchase: airtime, data and the bills are one held payment with the same ends. */
const isPurchase = (type: TxType): boolean =>
  type === "AIRTIME" || type === "DATA" || type === "ELECTRICITY" || type === "TV";

/**
 * A held payment's provider success after its hold was released (a transfer
 * that succeeded late, a purchase delivered after VTpass said it failed):
 * recorded once as paid_after_void, naming the provider's reference.
 */
export function heldLateSuccess(tx: ModelTx): Next {
  if (tx.status !== "FAILED") return null;
  if (tx.type === "WITHDRAW" && tx.transfer === "SUCCESSFUL" && tx.transfer_id)
    return anomalyOnly(tx, "paid_after_void", String(tx.transfer_id));
  if (isPurchase(tx.type) && tx.vt === "delivered" && tx.request_id)
    return anomalyOnly(tx, "paid_after_void", tx.request_id);
  return null;
}

/**
 * The charges a lookup of the funding finds, in the order the wallet applies
 * them: the look-alike lists every charge of the tx_ref newest first, and the
 * wallet takes a payment in full first, then the other successful charges,
 * then the rest (src/domain/transactions.ts chargesInOrder).
 */
export function chargesByReference(tx: ModelTx): Charge[] {
  const rank = (c: Charge) =>
    c.status !== "successful"
      ? 2
      : c.currency === "NGN" && c.amount_minor >= tx.amount_minor
        ? 0
        : 1;
  return [...(tx.charges ?? [])].sort((a, b) => b.id - a.id).sort((a, b) => rank(a) - rank(b));
}

/** What the transaction becomes when its provider is asked about it (webhook by reference, callback, reconciler). */
export function converged(tx: ModelTx): Next {
  switch (tx.type) {
    case "FUND": {
      const charges = chargesByReference(tx);
      // No payment at all: only the deadline ends it.
      if (charges.length === 0)
        return tx.status === "PENDING" && tx.past_deadline
          ? { status: "FAILED", stage: "failed" }
          : null;
      // Each charge in turn, as the wallet applies them, on a copy.
      const copy: ModelTx = { ...tx, anomalies: [...(tx.anomalies ?? [])] };
      const recorded: ModelAnomaly[] = [];
      let moved = false;
      for (const charge of charges) {
        const next = fundingAfterCharge(copy, charge);
        if (!next) continue;
        moved = true;
        recorded.push(...anomaliesOf(next));
        apply(copy, next);
      }
      return moved
        ? {
            status: copy.status,
            stage: copy.stage,
            anomalies: recorded,
            ...(copy.credited_by !== undefined ? { credited_by: copy.credited_by } : {}),
          }
        : null;
    }
    case "WITHDRAW":
      if (tx.status !== "PENDING") return heldLateSuccess(tx);
      if (tx.transfer === "SUCCESSFUL") return { status: "SUCCESS", stage: "settled" };
      if (tx.transfer === "FAILED") return { status: "FAILED", stage: "failed" };
      // NEW at Flutterwave: the lookup confirms the submission (a lost answer becomes "submitted").
      if (tx.transfer === "NEW" && tx.stage === "submit_unknown")
        return { status: "PENDING", stage: "submitted" };
      return null;
    case "AIRTIME":
    case "DATA":
    case "ELECTRICITY":
    case "TV":
      if (tx.status === "PENDING") {
        if (tx.vt === "delivered") return { status: "SUCCESS", stage: "settled" };
        if (tx.vt === "failed") return { status: "FAILED", stage: "failed" };
        if (tx.vt === "reversed") return { status: "FAILED", stage: "reversed" };
        return null;
      }
      if (tx.status === "SUCCESS" && tx.vt === "reversed")
        return { status: "FAILED", stage: "reversed" };
      return heldLateSuccess(tx);
  }
}

export function apply(tx: ModelTx, next: Next): boolean {
  if (!next) return false;
  tx.status = next.status;
  tx.stage = next.stage;
  (tx.anomalies ??= []).push(...anomaliesOf(next));
  if (next.credited_by !== undefined) tx.credited_by = next.credited_by;
  return true;
}

/** What an answer did, as the test counts it: the stage it entered, else the anomaly it recorded. */
export function effectOf(
  before: { status: TxStatus; stage: string },
  next: NonNullable<Next>,
): string {
  if (next.status !== before.status || next.stage !== before.stage) return next.stage;
  return anomaliesOf(next)[0]?.kind ?? "unchanged";
}

/** Every anomaly the model expects for a user's wallet, as `tx_ref kind ref` lines, sorted. */
export function expectedAnomalies(user: ModelUser): string[] {
  return user.txs
    .flatMap((tx) => (tx.anomalies ?? []).map((a) => anomalyLine(tx.tx_ref, a.kind, a.ref)))
    .sort();
}

export const anomalyLine = (tx_ref: string, kind: string, ref: string): string =>
  `${tx_ref} ${kind} ${ref}`;

// ---- Concurrency: is there a serial order that explains these answers? -------------------

/**
 * Held payments started at once on one wallet with `available_minor` free:
 * some serial order explains the answers iff the accepted ones fit together
 * and every refused one would not fit after all the accepted ones (put the
 * refused last: that is the order that leaves the least room).
 */
export function serialOrderExists(
  available_minor: number,
  answers: { required_minor: number; accepted: boolean }[],
): boolean {
  const taken = answers.filter((a) => a.accepted).reduce((sum, a) => sum + a.required_minor, 0);
  if (taken > available_minor) return false;
  return answers
    .filter((a) => !a.accepted)
    .every((a) => a.required_minor > available_minor - taken);
}
