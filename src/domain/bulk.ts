/**
 * Bulk top-ups (issue 23): a file of orders, read and checked whole before
 * anything is bought. Pure: the CSV reader, the JSON-lines reader, each
 * line's validation (with its line number), the prefix a balance covers, and
 * how many lines of which batch the wallet's alarm may release at a time.
 *
 * CSV: RFC 4180 (fields in double quotes may hold commas, quotes doubled,
 * line breaks), LF or CRLF, a UTF-8 byte-order mark ignored, empty lines
 * skipped. The first non-empty line is the header; its names, in any order
 * and case: `type` (airtime | data), `phone`, `amount` (naira, airtime),
 * `plan` (a data plan's code), `network` (optional: mtn, airtel, glo,
 * 9mobile). JSON lines: one object per line with the same names
 * (`amount` a number or a string). A line's number is where it starts in the
 * file (1 = the header for CSV), or its place in a JSON `lines` array.
 */
import {
  AIRTIME_MAX_MINOR,
  AIRTIME_MIN_MINOR,
  PHONE_INPUT_MAX_CHARS,
  PLAN_CODE_MAX_CHARS,
} from "./limits";
import { formatMinor, MINOR_PER_MAJOR, parseDecimal } from "./money";
import { NETWORKS, type Network } from "./phone";

export type BulkOrder =
  | { kind: "airtime"; phone: string; amount_minor: number; network?: Network }
  | { kind: "data"; phone: string; plan: string; network?: Network };

export type BulkLine = { line: number; order: BulkOrder };

// ---- A stored batch as readers see it (the wallet's feed, the routes) --------------------

export type BulkLineStatus =
  | "queued"
  | "sending"
  | "pending"
  | "succeeded"
  | "failed"
  | "refused"
  | "skipped";
export const BULK_LINE_STATUSES: readonly BulkLineStatus[] = [
  "queued",
  "sending",
  "pending",
  "succeeded",
  "failed",
  "refused",
  "skipped",
];

export type BulkLineView = {
  line: number;
  order: BulkOrder;
  price_minor: number;
  status: BulkLineStatus;
  tx_ref: string | null;
  code: string | null;
  reason: string | null;
};

export type BatchView = {
  batch_id: string;
  owner_user_id: string;
  status: "running" | "done";
  lines: number;
  total_minor: number;
  partial: boolean;
  counts: Record<BulkLineStatus, number>;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
};

export type BatchChange = BatchView & { changed: BulkLineView[] };

export type LineError = { line: number; field: string; code: string; message: string };
export type BulkParse = { ok: true; lines: BulkLine[] } | { ok: false; errors: LineError[] };

export const CSV_COLUMNS = ["type", "phone", "amount", "plan", "network"] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** A record of a CSV file and the line it starts on (1-based). */
export type CsvRecord = { line: number; fields: string[] };

/**
 * RFC 4180 records. A record whose fields are all empty (a blank line) is
 * skipped. An unterminated quote is an error naming the line it opened on.
 */
export function parseCsv(text: string): { ok: true; records: CsvRecord[] } | LineErrorResult {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let record_line = 1;
  let quoted = false;
  let quote_line = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.some((f) => f !== "")) records.push({ line: record_line, fields });
    fields = [];
    field = "";
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      quote_line = line;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\r" && body[i + 1] === "\n") {
    } else if (ch === "\n") {
      endRecord();
      line++;
      record_line = line;
    } else field += ch;
  }
  if (quoted)
    return lineError(quote_line, "file", "unterminated_quote", "A quoted field is never closed.");
  endRecord();
  return { ok: true, records };
}

type LineErrorResult = { ok: false; errors: LineError[] };
const lineError = (line: number, field: string, code: string, message: string) =>
  ({ ok: false, errors: [{ line, field, code, message }] }) as LineErrorResult;

/** A raw line before validation: each named value as written (undefined when absent or empty). */
type RawLine = { line: number; values: Partial<Record<Column, unknown>> };

/** Read a CSV file into raw lines, the header naming the columns. */
export function csvLines(text: string): { ok: true; lines: RawLine[] } | LineErrorResult {
  const parsed = parseCsv(text);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.records;
  if (!header) return lineError(1, "file", "empty", "The file has no header and no lines.");
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const errors: LineError[] = [];
  names.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name))
      errors.push({
        line: header.line,
        field: `column ${i + 1}`,
        code: "unknown_column",
        message: `Unknown column "${name}"; the columns are ${CSV_COLUMNS.join(", ")}.`,
      });
    else if (names.indexOf(name) !== i)
      errors.push({
        line: header.line,
        field: name,
        code: "duplicate_column",
        message: `The column "${name}" is named twice.`,
      });
  });
  for (const required of ["type", "phone"] as const)
    if (!names.includes(required))
      errors.push({
        line: header.line,
        field: required,
        code: "missing_column",
        message: `The header has no "${required}" column.`,
      });
  if (errors.length > 0) return { ok: false, errors };
  const lines: RawLine[] = [];
  for (const row of rows) {
    if (row.fields.length > names.length) {
      errors.push({
        line: row.line,
        field: "line",
        code: "too_many_fields",
        message: `The line has ${row.fields.length} fields; the header names ${names.length}.`,
      });
      continue;
    }
    const values: RawLine["values"] = {};
    names.forEach((name, i) => {
      const value = row.fields[i]?.trim();
      if (value) values[name as Column] = value;
    });
    lines.push({ line: row.line, values });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}

/** Read JSON lines: one object per non-empty line. */
export function jsonLines(text: string): { ok: true; lines: RawLine[] } | LineErrorResult {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines: RawLine[] = [];
  const errors: LineError[] = [];
  body.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "") return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      errors.push({ line: i + 1, field: "line", code: "invalid_json", message: "Not JSON." });
      return;
    }
    lines.push({ line: i + 1, values: value as RawLine["values"] });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}

/** A JSON body's `lines` array: line numbers are places in the array, from 1. */
export function arrayLines(items: unknown[]): RawLine[] {
  return items.map((values, i) => ({ line: i + 1, values: values as RawLine["values"] }));
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value.trim() || undefined : undefined;

/** One line's order, or every error it has. */
export function validateLine(raw: RawLine): { ok: true; line: BulkLine } | LineErrorResult {
  const { line, values } = raw;
  const errors: LineError[] = [];
  const fail = (field: string, code: string, message: string) =>
    errors.push({ line, field, code, message });
  if (typeof values !== "object" || values === null || Array.isArray(values))
    return lineError(line, "line", "not_an_object", "A line must be an object.");
  for (const key of Object.keys(values))
    if (!(CSV_COLUMNS as readonly string[]).includes(key))
      fail(key, "unknown_field", `Unknown field "${key}".`);
  const kind = text(values.type)?.toLowerCase();
  if (kind !== "airtime" && kind !== "data")
    fail("type", "invalid_type", 'The type must be "airtime" or "data".');
  const phone = text(values.phone);
  // The number itself is checked with the catalogue's look-up (src/services/bulk-runs.ts),
  // which also knows the provider's sandbox test numbers; here only its size.
  if (!phone) fail("phone", "phone_required", "A phone number is required.");
  else if (phone.length > PHONE_INPUT_MAX_CHARS)
    fail(
      "phone",
      "too_long_input",
      `A phone number has at most ${PHONE_INPUT_MAX_CHARS} characters.`,
    );
  const network_text = text(values.network)?.toLowerCase();
  if (network_text !== undefined && !(NETWORKS as readonly string[]).includes(network_text))
    fail("network", "invalid_network", `The network must be one of ${NETWORKS.join(", ")}.`);
  const network = network_text as Network | undefined;
  let amount_minor = 0;
  if (kind === "airtime") {
    const amount = typeof values.amount === "number" ? values.amount : text(values.amount);
    const parsed = amount === undefined ? null : parseDecimal(amount);
    if (!parsed) fail("amount", "amount_required", "Airtime needs an amount in naira.");
    else if (!parsed.ok) fail("amount", "invalid_amount", `The amount ${parsed.reason}.`);
    else if (parsed.amount_minor % MINOR_PER_MAJOR !== 0)
      fail("amount", "whole_naira", "Airtime is sold in whole naira.");
    else if (parsed.amount_minor < AIRTIME_MIN_MINOR || parsed.amount_minor > AIRTIME_MAX_MINOR)
      fail(
        "amount",
        "amount_out_of_range",
        `The amount must be between ${formatMinor(AIRTIME_MIN_MINOR)} and ${formatMinor(AIRTIME_MAX_MINOR)} naira.`,
      );
    else amount_minor = parsed.amount_minor;
    if (values.plan !== undefined) fail("plan", "unexpected_field", "Airtime has no plan.");
  }
  const plan = text(values.plan);
  if (kind === "data") {
    if (!plan) fail("plan", "plan_required", "Data needs a plan code.");
    else if (plan.length > PLAN_CODE_MAX_CHARS)
      fail("plan", "plan_too_long", `A plan code has at most ${PLAN_CODE_MAX_CHARS} characters.`);
    if (values.amount !== undefined)
      fail("amount", "unexpected_field", "A data plan is priced by its plan; give no amount.");
  }
  if (errors.length > 0 || !phone) return { ok: false, errors };
  const with_network = network ? { network } : {};
  return {
    ok: true,
    line: {
      line,
      order:
        kind === "airtime"
          ? { kind: "airtime", phone, amount_minor, ...with_network }
          : { kind: "data", phone, plan: plan as string, ...with_network },
    },
  };
}

/** Every line checked: all the orders, or every error of every line (nothing is bought then). */
export function validateLines(raw: RawLine[], max_lines: number): BulkParse {
  if (raw.length === 0)
    return lineError(0, "file", "no_lines", "The file has no lines to buy.") as BulkParse;
  if (raw.length > max_lines)
    return lineError(
      0,
      "file",
      "too_many_lines",
      `A batch has at most ${max_lines} lines; this one has ${raw.length}.`,
    ) as BulkParse;
  const lines: BulkLine[] = [];
  const errors: LineError[] = [];
  for (const r of raw) {
    const checked = validateLine(r);
    if (checked.ok) lines.push(checked.line);
    else errors.push(...checked.errors);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}

/**
 * How many lines, in order, the available balance covers: the longest prefix
 * whose total is at most `available_minor` (a batch with `partial` buys
 * these, in order, until one does not fit).
 */
export function coveredPrefix(prices_minor: readonly number[], available_minor: number): number {
  let total = 0;
  for (let i = 0; i < prices_minor.length; i++) {
    total += prices_minor[i];
    if (total > available_minor) return i;
  }
  return prices_minor.length;
}

/**
 * The drain's rule: one alarm tick releases at most `per_tick` lines in all,
 * handed out one line per batch in turn (oldest batch first), and a batch
 * never has more than `in_flight_max` lines released and not yet reported.
 * So a batch of 500 lines cannot starve a later batch of the same wallet:
 * each gets a turn every round.
 */
export function releasePlan(
  batches: readonly { batch_id: string; queued: number; in_flight: number }[],
  per_tick: number,
  in_flight_max: number,
): Map<string, number> {
  const plan = new Map<string, number>(batches.map((b) => [b.batch_id, 0]));
  let left = per_tick;
  let gave = true;
  while (left > 0 && gave) {
    gave = false;
    for (const b of batches) {
      if (left === 0) break;
      const n = plan.get(b.batch_id) ?? 0;
      if (n < b.queued && b.in_flight + n < in_flight_max) {
        plan.set(b.batch_id, n + 1);
        left--;
        gave = true;
      }
    }
  }
  return plan;
}

/** A line's idempotency key: the same (batch, line) always names the same purchase, so it is bought once. */
export function lineIdempotencyKey(batch_id: string, line: number): string {
  return `bulk:${batch_id}:${line}`;
}
