/**
 * The model of the wallet API that the HTTP model test compares every answer
 * with: users, their transactions, and what each provider look-alike holds
 * for each transaction (its "truth"). Pure: no I/O, no Cloudflare imports.
 *
 * Balances are never stored in the model; they are derived from the
 * transactions' statuses, the way the ledger's invariants say they must be:
 *   balance = credited fundings - settled withdrawals (amount + fee) - delivered purchases
 *   held    = pending withdrawals (amount + fee) + pending purchases
 */

export type TxType = "FUND" | "WITHDRAW" | "AIRTIME" | "DATA";
export type TxStatus = "PENDING" | "SUCCESS" | "FAILED";

/** A charge the Flutterwave look-alike recorded for a funding. */
export type Charge = { id: number; tx_ref: string; amount_minor: number; currency: string; status: "successful" | "failed" };

/** What VTpass says about a purchase (its requery answer). */
export type VtTruth = "delivered" | "failed" | "reversed" | "pending";

/** What Flutterwave says about a transfer; NONE: it never reached Flutterwave. */
export type TransferTruth = "NONE" | "NEW" | "SUCCESSFUL" | "FAILED";

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
  /** WITHDRAW: the look-alike's transfer id and its status there. */
  transfer_id?: number | null;
  transfer?: TransferTruth;
  /** AIRTIME/DATA: our VTpass request_id and VTpass's status for it. */
  request_id?: string | null;
  vt?: VtTruth;
};

export type ModelUser = {
  user_id: string;
  auth: Record<string, string>;
  email: string;
  /** Set for users the sequence registered itself (login is possible). */
  password?: string;
  txs: ModelTx[];
  /** Idempotency keys this user used, with the first stored answer. */
  keys: Map<string, { fingerprint: string; status: number; tx_ref: string | null; code: string | null }>;
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

export function balances(user: ModelUser): { balance_minor: number; held_minor: number; available_minor: number } {
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

export type Next = { status: TxStatus; stage: string } | null;

/** The funding rule (invariant 4) for one verified charge. null: nothing changes. */
export function fundingAfterCharge(tx: ModelTx, charge: Charge): Next {
  if (tx.status !== "PENDING") return null;
  if (charge.status === "failed") return tx.stage === "attempt_failed" ? null : { status: "PENDING", stage: "attempt_failed" };
  if (charge.currency !== "NGN" || charge.amount_minor < tx.amount_minor) return { status: "FAILED", stage: "failed" };
  return { status: "SUCCESS", stage: "settled" };
}

/** The charge a lookup by reference finds: the latest successful one, else the latest. */
export function chargeByReference(tx: ModelTx): Charge | null {
  const charges = tx.charges ?? [];
  const successful = charges.filter((c) => c.status === "successful");
  const pool = successful.length > 0 ? successful : charges;
  return pool.length === 0 ? null : pool.reduce((a, b) => (b.id > a.id ? b : a));
}

/** What the transaction becomes when its provider is asked about it (webhook by reference, callback, reconciler). */
export function converged(tx: ModelTx): Next {
  switch (tx.type) {
    case "FUND": {
      const charge = chargeByReference(tx);
      return charge ? fundingAfterCharge(tx, charge) : null;
    }
    case "WITHDRAW":
      if (tx.status !== "PENDING") return null;
      if (tx.transfer === "SUCCESSFUL") return { status: "SUCCESS", stage: "settled" };
      if (tx.transfer === "FAILED") return { status: "FAILED", stage: "failed" };
      // NEW at Flutterwave: the lookup confirms the submission (a lost answer becomes "submitted").
      if (tx.transfer === "NEW" && tx.stage === "submit_unknown") return { status: "PENDING", stage: "submitted" };
      return null;
    case "AIRTIME":
    case "DATA":
      if (tx.status === "PENDING") {
        if (tx.vt === "delivered") return { status: "SUCCESS", stage: "settled" };
        if (tx.vt === "failed") return { status: "FAILED", stage: "failed" };
        if (tx.vt === "reversed") return { status: "FAILED", stage: "reversed" };
        return null;
      }
      if (tx.status === "SUCCESS" && tx.vt === "reversed") return { status: "FAILED", stage: "reversed" };
      return null;
  }
}

export function apply(tx: ModelTx, next: Next): boolean {
  if (!next) return false;
  tx.status = next.status;
  tx.stage = next.stage;
  return true;
}

// ---- Concurrency: is there a serial order that explains these answers? -------------------

/**
 * Held payments started at once on one wallet with `available_minor` free:
 * some serial order explains the answers iff the accepted ones fit together
 * and every refused one would not fit after all the accepted ones (put the
 * refused last: that is the order that leaves the least room).
 */
export function serialOrderExists(available_minor: number, answers: { required_minor: number; accepted: boolean }[]): boolean {
  const taken = answers.filter((a) => a.accepted).reduce((sum, a) => sum + a.required_minor, 0);
  if (taken > available_minor) return false;
  return answers.filter((a) => !a.accepted).every((a) => a.required_minor > available_minor - taken);
}
