/**
 * A user's statement for a period of Lagos days: read from their Wallet's
 * journal (the ledger of record, src/durable/wallet/statement.ts) and
 * answered as JSON, CSV or PDF. Every figure comes from the journal's own
 * rows; none is computed from transactions, so a statement matches the
 * ledger to the kobo.
 */
import { STATEMENT_RANGE_DAYS_MAX } from "../domain/limits";
import { formatMinor } from "../domain/money";
import {
  statementPeriod,
  statementTotals,
  type StatementEntry,
  type StatementPeriod,
} from "../domain/statements";
import { errors } from "../lib/errors";
import type { AppContext } from "../lib/http";
import { lagosTime, statementPdf } from "./statement-pdf";

const iso = (ms: number) => new Date(ms).toISOString();

/** The period of `from`..`to`, or the 422 that says what is wrong with it. */
export function periodOrThrow(from: string, to: string): StatementPeriod {
  const period = statementPeriod(from, to, STATEMENT_RANGE_DAYS_MAX);
  if (period.ok) return period;
  switch (period.reason) {
    case "not_a_day":
      throw errors.validation([
        { path: period.field, message: "is not a calendar day (YYYY-MM-DD)" },
      ]);
    case "to_before_from":
      throw errors.validation([{ path: "to", message: "must be the same day as from or later" }]);
    case "too_long":
      throw errors.unprocessable(
        "statement_period_too_long",
        `A statement covers at most ${period.max_days} days; this period has ${period.days}. Ask for a shorter one.`,
        { days: period.days, max_days: period.max_days },
      );
  }
}

export type Statement = {
  period: StatementPeriod;
  holder: { name: string | null; email: string };
  currency: string;
  opening_balance_minor: number;
  closing_balance_minor: number;
  credits_minor: number;
  debits_minor: number;
  entries: StatementEntry[];
};

/** The caller's own statement: the user id is the bearer token's, never a parameter. */
export async function statementOf(
  c: AppContext,
  user_id: string,
  period: StatementPeriod,
): Promise<Statement> {
  const wallet = c.env.WALLET.getByName(user_id);
  const [read, profile] = await Promise.all([
    wallet.statement({ start_ms: period.start_ms, end_ms: period.end_ms }),
    wallet.profile(),
  ]);
  if (read.outcome === "no_wallet" || !profile) throw errors.notFound("No wallet for this user.");
  if (read.outcome === "too_long")
    throw errors.unprocessable(
      "statement_too_long",
      `This period has more than ${read.max_entries} entries, the most one statement lists. Ask for a shorter period.`,
      { max_entries: read.max_entries },
    );
  const totals = statementTotals(read.entries);
  return {
    period,
    holder: { name: profile.full_name, email: profile.email },
    currency: read.currency,
    opening_balance_minor: read.opening_balance_minor,
    closing_balance_minor: read.closing_balance_minor,
    credits_minor: totals.credits_minor,
    debits_minor: totals.debits_minor,
    entries: read.entries,
  };
}

export function statementView(s: Statement) {
  return {
    object: "statement" as const,
    from: s.period.from,
    to: s.period.to,
    period_start: iso(s.period.start_ms),
    period_end: iso(s.period.end_ms),
    currency: s.currency,
    opening_balance: formatMinor(s.opening_balance_minor),
    opening_balance_minor: s.opening_balance_minor,
    total_credits: formatMinor(s.credits_minor),
    total_credits_minor: s.credits_minor,
    total_debits: formatMinor(s.debits_minor),
    total_debits_minor: s.debits_minor,
    closing_balance: formatMinor(s.closing_balance_minor),
    closing_balance_minor: s.closing_balance_minor,
    entries: s.entries.map((e) => ({
      seq: e.seq,
      created_at: iso(e.created_at_ms),
      tx_ref: e.tx_ref,
      type: e.type,
      entry: e.entry,
      description: e.description,
      amount: formatMinor(e.amount_minor),
      amount_minor: e.amount_minor,
      balance_after: formatMinor(e.balance_after_minor),
      balance_after_minor: e.balance_after_minor,
    })),
  };
}

export const STATEMENT_CSV_COLUMNS = [
  "date_lagos",
  "created_at",
  "tx_ref",
  "type",
  "entry",
  "description",
  "credit",
  "debit",
  "balance",
  "credit_minor",
  "debit_minor",
  "balance_minor",
] as const;

/**
 * One CSV field: quoted when it must be, and a field a spreadsheet would run
 * as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe.
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV: a header row, an `opening` row, one row per journal entry, a
 * `closing` row. Money both as naira with 2 decimals and as kobo.
 */
export function statementCsv(s: Statement): string {
  const row = (cells: (string | number)[]) => cells.map(csvField).join(",");
  const balanceRow = (entry: "opening" | "closing", at_ms: number, minor: number) =>
    row([
      lagosTime(at_ms),
      iso(at_ms),
      "",
      "",
      entry,
      entry === "opening" ? "Opening balance" : "Closing balance",
      "",
      "",
      formatMinor(minor),
      "",
      "",
      minor,
    ]);
  const lines = [
    row([...STATEMENT_CSV_COLUMNS]),
    balanceRow("opening", s.period.start_ms, s.opening_balance_minor),
    ...s.entries.map((e) => {
      const credit = e.entry === "credit";
      return row([
        lagosTime(e.created_at_ms),
        iso(e.created_at_ms),
        e.tx_ref,
        e.type,
        e.entry,
        e.description,
        credit ? formatMinor(e.amount_minor) : "",
        credit ? "" : formatMinor(e.amount_minor),
        formatMinor(e.balance_after_minor),
        credit ? e.amount_minor : "",
        credit ? "" : e.amount_minor,
        e.balance_after_minor,
      ]);
    }),
    balanceRow("closing", s.period.end_ms, s.closing_balance_minor),
  ];
  return `${lines.join("\r\n")}\r\n`;
}

export function statementFilePdf(s: Statement, now_ms = Date.now()): Promise<Uint8Array> {
  return statementPdf({
    holder: s.holder,
    currency: s.currency,
    from: s.period.from,
    to: s.period.to,
    opening_balance_minor: s.opening_balance_minor,
    closing_balance_minor: s.closing_balance_minor,
    credits_minor: s.credits_minor,
    debits_minor: s.debits_minor,
    entries: s.entries,
    generated_at_ms: now_ms,
  });
}

/** The attachment's file name: the period, nothing about the user. */
export const statementFileName = (s: Statement, ext: "csv" | "pdf") =>
  `statement-${s.period.from}-to-${s.period.to}.${ext}`;
