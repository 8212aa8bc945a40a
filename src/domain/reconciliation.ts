/**
 * Daily reconciliation (issue 24): the matching rules, pure.
 *
 * Our side is the books' record of a Lagos day (`BookTransaction`, books.ts);
 * their side is what the providers list or answer for that day, already in
 * our words (`TheirRecord`: the provider clients translate Flutterwave's and
 * VTpass's vocabulary). The rules, in order:
 *
 * 1. Source: a funding is matched against Flutterwave's charges, a
 *    withdrawal against its transfers, a purchase (airtime, data,
 *    electricity, TV) against VTpass. Other types (refunds, adjustments) are
 *    not in any provider list of the day and are left out (`skipped`).
 * 2. Key: the reference we gave the provider (our tx_ref as Flutterwave's
 *    `tx_ref` or transfer `reference`, VTpass's `request_id`), within one source.
 * 3. One-to-one: a record of theirs matches at most one of ours. When several
 *    of theirs carry one key (a failed card attempt before the paid one, a
 *    duplicate row), the one whose provider id we stored wins, then the one
 *    with the fewest differing fields, then the lowest id; the others are
 *    `theirs_only`.
 * 4. Compare: amount (kobo), currency, status (our PENDING/SUCCESS/FAILED
 *    against the provider's outcome; a reversal is a failure for us) and the
 *    creation time, within RECON_TIME_DRIFT_MS. Any difference is
 *    `mismatched`, with each field's two values.
 *
 * Every input item lands in exactly one result, and the result depends only
 * on the inputs (sorted output), so a re-run on the same inputs is the same.
 */
import type { BookTransaction } from "./books";
import { DAY_MS, LAGOS_OFFSET_MS, lagosDayKey } from "./tiers";
import type { ProviderOutcome, TxStatus, TxType } from "./transactions";

/**
 * How far apart our creation time and the provider's may be for one
 * transaction. A funding is created when the checkout opens and the charge
 * when the customer pays, which may be the whole checkout session (30 minutes
 * by default) plus the bank transfer's grace later; two hours covers that and
 * a clock's drift, while a record from another day's transaction cannot hide
 * behind it.
 */
export const RECON_TIME_DRIFT_MS = 2 * 60 * 60 * 1000;

export const RECON_SOURCES = [
  "flutterwave:charge",
  "flutterwave:transfer",
  "vtpass:purchase",
] as const;
export type ReconSource = (typeof RECON_SOURCES)[number];

export const RECON_RESULTS = ["matched", "ours_only", "theirs_only", "mismatched"] as const;
export type ReconResult = (typeof RECON_RESULTS)[number];

/** A provider's record of one payment, in our words. */
export type TheirRecord = {
  source: ReconSource;
  /** Our reference as the provider holds it (null when it does not say). */
  reference: string | null;
  /** The provider's own id for the record. */
  provider_id: string;
  amount_minor: number | null;
  currency: string;
  outcome: ProviderOutcome;
  /** Null when the provider does not say when (a VTpass requery without a date). */
  created_at_ms: number | null;
};

export type FieldDiff = {
  field: "amount_minor" | "currency" | "status" | "created_at";
  ours: string | number | null;
  theirs: string | number | null;
};

export type ReconItem = {
  result: ReconResult;
  source: ReconSource;
  /** The reference the pair was keyed by. */
  reference: string | null;
  ours: BookTransaction | null;
  theirs: TheirRecord | null;
  diffs: FieldDiff[];
};

export type ReconOutcome = {
  items: ReconItem[];
  counts: Record<ReconResult, number>;
  /** Our transactions of a type no provider list covers. */
  skipped: number;
  /** Their records that matched nothing and were created outside the day: a neighbour day's. */
  outside_day: number;
  /** Our failures with no record at the provider (nothing moved on either side). */
  failed_unseen: number;
};

/** A Lagos calendar day, as the UTC instants it starts and ends at. */
export type DayWindow = { start_ms: number; end_ms: number };

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The Lagos day `YYYY-MM-DD` as UTC instants (null: not a calendar day). */
export function lagosDayWindow(day: string): DayWindow | null {
  if (!DAY_PATTERN.test(day)) return null;
  const midnight_utc = Date.parse(`${day}T00:00:00Z`);
  if (!Number.isFinite(midnight_utc) || new Date(midnight_utc).toISOString().slice(0, 10) !== day)
    return null;
  const start_ms = midnight_utc - LAGOS_OFFSET_MS;
  return { start_ms, end_ms: start_ms + DAY_MS };
}

/** Only a day that has ended in Lagos can be reconciled: today's lists are still growing. */
export function isPastLagosDay(day: string, now_ms: number): boolean {
  return lagosDayWindow(day) !== null && day < lagosDayKey(now_ms);
}

/** The Lagos day that ended most recently before `now_ms` (what the nightly run reconciles). */
export function previousLagosDay(now_ms: number): string {
  return lagosDayKey(now_ms - DAY_MS);
}

/** Which provider's records a transaction of ours is matched against (null: none). */
export function sourceOf(type: TxType): ReconSource | null {
  switch (type) {
    case "FUND":
      return "flutterwave:charge";
    case "WITHDRAW":
      return "flutterwave:transfer";
    case "AIRTIME":
    case "DATA":
    case "ELECTRICITY":
    case "TV":
      return "vtpass:purchase";
    case "REFUND":
    case "ADJUSTMENT":
      return null;
    default: {
      const unreachable: never = type;
      throw new Error(`unhandled type ${String(unreachable)}`);
    }
  }
}

/** The status a provider's outcome means for us. */
export function statusOfOutcome(outcome: ProviderOutcome): TxStatus {
  switch (outcome) {
    case "succeeded":
      return "SUCCESS";
    case "failed":
    case "reversed":
      return "FAILED";
    case "pending":
      return "PENDING";
    default: {
      const unreachable: never = outcome;
      throw new Error(`unhandled outcome ${String(unreachable)}`);
    }
  }
}

/** The key ours is found by at the provider. */
export function referenceOf(ours: BookTransaction): string {
  return ours.provider_ref ?? ours.tx_ref;
}

/** Field by field: what differs between ours and theirs (empty: they agree). */
export function compare(ours: BookTransaction, theirs: TheirRecord): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  if (theirs.amount_minor !== ours.amount_minor)
    diffs.push({ field: "amount_minor", ours: ours.amount_minor, theirs: theirs.amount_minor });
  if (theirs.currency.toUpperCase() !== ours.currency.toUpperCase())
    diffs.push({ field: "currency", ours: ours.currency, theirs: theirs.currency });
  const their_status = statusOfOutcome(theirs.outcome);
  if (their_status !== ours.status)
    diffs.push({ field: "status", ours: ours.status, theirs: their_status });
  if (
    theirs.created_at_ms !== null &&
    Math.abs(theirs.created_at_ms - ours.created_at_ms) > RECON_TIME_DRIFT_MS
  )
    diffs.push({
      field: "created_at",
      ours: new Date(ours.created_at_ms).toISOString(),
      theirs: new Date(theirs.created_at_ms).toISOString(),
    });
  return diffs;
}

const keyOf = (source: ReconSource, reference: string | null) => `${source}\u0000${reference}`;

function byProviderId(a: TheirRecord, b: TheirRecord): number {
  const na = Number(a.provider_id);
  const nb = Number(b.provider_id);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  if (a.provider_id !== b.provider_id) return a.provider_id < b.provider_id ? -1 : 1;
  // Two rows with one id (a duplicate): any fixed order, so a re-run picks the same one.
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function itemOrder(a: ReconItem, b: ReconItem): number {
  const key = (i: ReconItem) =>
    `${i.source}\u0000${i.reference ?? ""}\u0000${i.ours?.tx_ref ?? ""}\u0000${i.theirs ? JSON.stringify(i.theirs) : ""}`;
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Match one day: ours against theirs, one-to-one, by the rules above. */
export function reconcile(
  ours: readonly BookTransaction[],
  theirs: readonly TheirRecord[],
  day?: DayWindow,
): ReconOutcome {
  const pool = new Map<string, TheirRecord[]>();
  for (const record of [...theirs].sort(byProviderId)) {
    const key = keyOf(record.source, record.reference);
    const list = pool.get(key);
    if (list) list.push(record);
    else pool.set(key, [record]);
  }
  const items: ReconItem[] = [];
  let skipped = 0;
  let failed_unseen = 0;
  const sorted = [...ours].sort((a, b) => (a.tx_ref < b.tx_ref ? -1 : a.tx_ref > b.tx_ref ? 1 : 0));
  for (const tx of sorted) {
    const source = sourceOf(tx.type);
    if (source === null) {
      skipped++;
      continue;
    }
    const reference = referenceOf(tx);
    const candidates = pool.get(keyOf(source, reference)) ?? [];
    if (candidates.length === 0) {
      // A failure the provider never recorded (a checkout never paid, a
      // transfer or purchase refused before it existed) moved no money on
      // either side: both agree, and it is counted, not listed.
      if (tx.status === "FAILED") failed_unseen++;
      else
        items.push({ result: "ours_only", source, reference, ours: tx, theirs: null, diffs: [] });
      continue;
    }
    let best = 0;
    let best_diffs = compare(tx, candidates[0]);
    for (let i = 0; i < candidates.length; i++) {
      const diffs = i === 0 ? best_diffs : compare(tx, candidates[i]);
      const stored = tx.provider_id !== null && candidates[i].provider_id === tx.provider_id;
      const best_stored =
        tx.provider_id !== null && candidates[best].provider_id === tx.provider_id;
      if (
        (stored && !best_stored) ||
        (stored === best_stored && diffs.length < best_diffs.length)
      ) {
        best = i;
        best_diffs = diffs;
      }
    }
    const [chosen] = candidates.splice(best, 1);
    items.push({
      result: best_diffs.length === 0 ? "matched" : "mismatched",
      source,
      reference,
      ours: tx,
      theirs: chosen,
      diffs: best_diffs,
    });
  }
  let outside_day = 0;
  // Their lists are read a drift wider than the day, so a transaction of ours
  // near midnight finds its record; what is left over from the margins is a
  // neighbour day's business, not a difference of this one.
  const outside = (record: TheirRecord) =>
    day !== undefined &&
    record.created_at_ms !== null &&
    (record.created_at_ms < day.start_ms || record.created_at_ms >= day.end_ms);
  for (const left of pool.values())
    for (const record of left) {
      if (outside(record)) {
        outside_day++;
        continue;
      }
      items.push({
        result: "theirs_only",
        source: record.source,
        reference: record.reference,
        ours: null,
        theirs: record,
        diffs: [],
      });
    }
  items.sort(itemOrder);
  const counts: Record<ReconResult, number> = {
    matched: 0,
    ours_only: 0,
    theirs_only: 0,
    mismatched: 0,
  };
  for (const item of items) counts[item.result]++;
  return { items, counts, skipped, outside_day, failed_unseen };
}

/** Whether an item needs an operator's look (everything but a match). */
export function needsAttention(item: ReconItem): boolean {
  return item.result !== "matched";
}

/** The operator anomaly an item that is not a match becomes (its key: tx_ref, kind, ref). */
export type ReconAnomaly = {
  tx_ref: string;
  kind: `reconciliation_${Exclude<ReconResult, "matched">}`;
  ref: string;
  detail: string;
  owner_user_id: string | null;
};

const SOURCE_WORDS: Record<ReconSource, string> = {
  "flutterwave:charge": "Flutterwave's transactions",
  "flutterwave:transfer": "Flutterwave's transfers",
  "vtpass:purchase": "VTpass's requery",
};

/**
 * An item that needs a look, as an operator anomaly. One of ours is keyed by
 * its tx_ref (its page in the console); a record of theirs alone by the
 * reference it carries (or its id) and its provider id.
 */
export function anomalyOf(item: ReconItem, day: string): ReconAnomaly | null {
  if (item.result === "matched") return null;
  const kind = `reconciliation_${item.result}` as const;
  if (item.ours) {
    const detail =
      item.result === "ours_only"
        ? `${day}: not in ${SOURCE_WORDS[item.source]}`
        : `${day}: ${item.diffs.map((d) => `${d.field} ours ${d.ours ?? "none"}, theirs ${d.theirs ?? "none"}`).join("; ")}`;
    return {
      tx_ref: item.ours.tx_ref,
      kind,
      ref: "",
      detail,
      owner_user_id: item.ours.owner_user_id,
    };
  }
  const theirs = item.theirs;
  if (!theirs) return null;
  return {
    tx_ref: theirs.reference ?? `${item.source}:${theirs.provider_id}`,
    kind,
    ref: theirs.provider_id,
    detail: `${day}: in ${SOURCE_WORDS[item.source]} (${theirs.outcome}, ${theirs.amount_minor ?? "no amount"} ${theirs.currency}) but not ours`,
    owner_user_id: null,
  };
}
