/**
 * Statements (pure rules): the period a statement covers and what each
 * journal entry reads as.
 *
 * A period is given as Lagos calendar days, `from` and `to` inclusive
 * (YYYY-MM-DD), and covers [start of `from`, start of the day after `to`) in
 * UTC milliseconds. The wallet reads the journal over that half-open range,
 * so two statements for consecutive periods meet exactly: the closing balance
 * of one is the opening balance of the next.
 */
import { formatMinor } from "./money";
import type { TxDetails } from "./records";
import { DAY_MS, LAGOS_OFFSET_MS } from "./tiers";
import type { TxType } from "./transactions";

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant (UTC ms) a Lagos day "YYYY-MM-DD" begins; null when it is no calendar day. */
export function lagosDayStart(day: string): number | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(year, month - 1, date);
  const back = new Date(utc);
  // Date.UTC rolls 2026-02-30 over to March: such a day does not exist.
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== date
  )
    return null;
  return utc - LAGOS_OFFSET_MS;
}

export type StatementPeriod = {
  from: string;
  to: string;
  start_ms: number;
  end_ms: number;
  days: number;
};

export type PeriodRefusal =
  | { ok: false; reason: "not_a_day"; field: "from" | "to" }
  | { ok: false; reason: "to_before_from" }
  | { ok: false; reason: "too_long"; days: number; max_days: number };

/** The period of `from`..`to` (inclusive Lagos days), or why it is refused. */
export function statementPeriod(
  from: string,
  to: string,
  max_days: number,
): ({ ok: true } & StatementPeriod) | PeriodRefusal {
  const start_ms = lagosDayStart(from);
  if (start_ms === null) return { ok: false, reason: "not_a_day", field: "from" };
  const last_ms = lagosDayStart(to);
  if (last_ms === null) return { ok: false, reason: "not_a_day", field: "to" };
  if (last_ms < start_ms) return { ok: false, reason: "to_before_from" };
  const end_ms = last_ms + DAY_MS;
  const days = (end_ms - start_ms) / DAY_MS;
  if (days > max_days) return { ok: false, reason: "too_long", days, max_days };
  return { ok: true, from, to, start_ms, end_ms, days };
}

/** One journal row as a statement shows it: the wallet reads it with its transaction's type and details. */
export type StatementEntry = {
  seq: number;
  tx_ref: string;
  type: TxType;
  entry: "credit" | "debit";
  amount_minor: number;
  balance_after_minor: number;
  created_at_ms: number;
  fee_minor: number;
  description: string;
};

/** What the wallet answers for a period: the journal is the only source of every number. */
export type StatementRead = {
  currency: string;
  opening_balance_minor: number;
  closing_balance_minor: number;
  entries: StatementEntry[];
};

const text = (details: TxDetails, key: string): string | null => {
  const value = details[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
};
const join = (...parts: (string | null)[]) => parts.filter((p) => p !== null).join(" ");

/**
 * What an entry is, in the user's words: the product and its recipient, the
 * bank account a withdrawal went to. A prepaid electricity token is the
 * user's own and belongs on their statement (it is never logged).
 */
export function describeEntry(
  type: TxType,
  entry: "credit" | "debit",
  fee_minor: number,
  details: TxDetails,
): string {
  const words = ((): string => {
    switch (type) {
      case "FUND":
        return "Wallet funding (card or bank transfer)";
      case "WITHDRAW": {
        const fee = fee_minor > 0 ? `, fee NGN ${formatMinor(fee_minor)} included` : "";
        return `${join("Withdrawal to", text(details, "bank_name"), text(details, "account_number"), text(details, "account_name") && `(${text(details, "account_name")})`)}${fee}`;
      }
      case "AIRTIME":
        return join(
          "Airtime",
          text(details, "network")?.toUpperCase() ?? null,
          text(details, "phone"),
        );
      case "DATA":
        return join(
          "Data",
          text(details, "plan_name") ?? text(details, "plan_code"),
          text(details, "phone"),
        );
      case "ELECTRICITY":
        return join(
          "Electricity",
          text(details, "service_id"),
          text(details, "meter_type"),
          "meter",
          text(details, "billers_code"),
          text(details, "token") && `token ${text(details, "token")}`,
        );
      case "TV":
        return join(
          "TV",
          text(details, "service_id"),
          text(details, "plan_name") ?? text(details, "plan_code"),
          "smartcard",
          text(details, "billers_code"),
        );
      case "REFUND":
        return join("Refund for", text(details, "anomaly_tx_ref"));
      case "ADJUSTMENT":
        return join(
          "Adjustment:",
          text(details, "note") ?? text(details, "reason_code") ?? "by our staff",
        );
    }
  })();
  // A credit on a payment that debits is the money coming back (a reversal).
  const debits = type !== "FUND" && type !== "REFUND" && type !== "ADJUSTMENT";
  return debits && entry === "credit" ? `Reversal: ${words}` : words;
}

/** Credits and debits of a statement's entries, in kobo. */
export function statementTotals(
  entries: readonly Pick<StatementEntry, "entry" | "amount_minor">[],
) {
  let credits_minor = 0;
  let debits_minor = 0;
  for (const e of entries) {
    if (e.entry === "credit") credits_minor += e.amount_minor;
    else debits_minor += e.amount_minor;
  }
  return { credits_minor, debits_minor };
}
