/**
 * Bulk top-ups' pure rules (src/domain/bulk.ts): the CSV reader against any
 * table written the RFC 4180 way (quotes, doubled quotes, commas and line
 * breaks in fields, CRLF, a byte-order mark, blank lines), the per-line
 * errors with their line numbers, the prefix a balance covers, and the
 * drain's release rule.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  coveredPrefix,
  csvLines,
  jsonLines,
  arrayLines,
  lineIdempotencyKey,
  parseCsv,
  releasePlan,
  validateLines,
} from "../../src/domain/bulk";

const SEED = 20261206;

/** Write a table as a CSV writer would: quote a field when it needs it (or at random). */
function writeCsv(rows: string[][], eol: string, quoteAll: boolean[]): string {
  return rows
    .map((row, r) =>
      row
        .map((f) =>
          quoteAll[r % quoteAll.length] || /[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f,
        )
        .join(","),
    )
    .join(eol);
}

const field = fc.string({
  unit: fc.constantFrom("a", "b", "0", "9", " ", ",", '"', "\n", "\r\n", "é", "+"),
  maxLength: 8,
});

describe("parseCsv: any table written as CSV reads back as the same table", () => {
  it("round-trips fields with quotes, commas and line breaks, LF or CRLF, with or without a BOM", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((width) =>
          fc.array(fc.array(field, { minLength: width, maxLength: width }), {
            minLength: 1,
            maxLength: 6,
          }),
        ),
        fc.constantFrom("\n", "\r\n"),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        (rows, eol, quoteAll, bom, trailing) => {
          // A row whose fields are all empty is a blank line to the reader: skipped.
          const kept = rows.filter((r) => r.some((f) => f !== ""));
          const text = `${bom ? "\uFEFF" : ""}${writeCsv(rows, eol, quoteAll)}${trailing ? eol : ""}`;
          const parsed = parseCsv(text);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          // Line breaks inside quoted fields are kept as written.
          expect(parsed.records.map((r) => r.fields)).toEqual(kept);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("numbers each record by the line it starts on, counting blank lines and line breaks inside quotes", () => {
    const text = 'type,phone\r\n\r\nairtime,"0803\n1234567"\n\nairtime,08031234568\n';
    const parsed = parseCsv(text);
    expect(parsed.ok && parsed.records.map((r) => r.line)).toEqual([1, 3, 6]);
  });

  it("refuses an unterminated quote, naming the line it opened on", () => {
    expect(parseCsv('type,phone\nairtime,"0803')).toEqual({
      ok: false,
      errors: [
        {
          line: 2,
          field: "file",
          code: "unterminated_quote",
          message: "A quoted field is never closed.",
        },
      ],
    });
  });
});

describe("validateLines: every line checked, every error with its line number", () => {
  const csv = (body: string) => {
    const raw = csvLines(body);
    if (!raw.ok) return raw;
    return validateLines(raw.lines, 500);
  };

  it("reads good lines into orders (amount in kobo; network optional; header names in any case and order)", () => {
    const result = csv(
      "\uFEFFPhone,Type,Amount,Plan,Network\r\n08031234567,airtime,500,,\r\n08031234568,data,,mtn-100mb-1000,MTN\r\n",
    );
    expect(result).toEqual({
      ok: true,
      lines: [
        { line: 2, order: { kind: "airtime", phone: "08031234567", amount_minor: 500_00 } },
        {
          line: 3,
          order: { kind: "data", phone: "08031234568", plan: "mtn-100mb-1000", network: "mtn" },
        },
      ],
    });
  });

  const table: [string, string, { line: number; field: string; code: string }[]][] = [
    [
      "unknown type",
      "type,phone\nrecharge,0803",
      [{ line: 2, field: "type", code: "invalid_type" }],
    ],
    [
      "missing phone",
      "type,phone,amount\nairtime,,100",
      [{ line: 2, field: "phone", code: "phone_required" }],
    ],
    [
      "airtime without amount",
      "type,phone,amount\nairtime,08031234567,",
      [{ line: 2, field: "amount", code: "amount_required" }],
    ],
    [
      "fractional naira",
      "type,phone,amount\nairtime,08031234567,100.50",
      [{ line: 2, field: "amount", code: "whole_naira" }],
    ],
    [
      "amount out of range",
      "type,phone,amount\nairtime,08031234567,10",
      [{ line: 2, field: "amount", code: "amount_out_of_range" }],
    ],
    [
      "amount not a number",
      "type,phone,amount\nairtime,08031234567,1e3",
      [{ line: 2, field: "amount", code: "invalid_amount" }],
    ],
    [
      "data without plan",
      "type,phone,plan\ndata,08031234567,",
      [{ line: 2, field: "plan", code: "plan_required" }],
    ],
    [
      "data with an amount",
      "type,phone,plan,amount\ndata,08031234567,p1,100",
      [{ line: 2, field: "amount", code: "unexpected_field" }],
    ],
    [
      "airtime with a plan",
      "type,phone,plan,amount\nairtime,08031234567,p1,100",
      [{ line: 2, field: "plan", code: "unexpected_field" }],
    ],
    [
      "unknown network",
      "type,phone,amount,network\nairtime,08031234567,100,etisalat",
      [{ line: 2, field: "network", code: "invalid_network" }],
    ],
    [
      "phone too long",
      `type,phone,amount\nairtime,${"1".repeat(40)},100`,
      [{ line: 2, field: "phone", code: "too_long_input" }],
    ],
    [
      "too many fields",
      "type,phone\nairtime,0803,extra",
      [{ line: 2, field: "line", code: "too_many_fields" }],
    ],
    [
      "unknown column",
      "type,phone,colour\nairtime,0803,red",
      [{ line: 1, field: "column 3", code: "unknown_column" }],
    ],
    [
      "duplicate column",
      "type,phone,phone\nairtime,0803,0803",
      [{ line: 1, field: "phone", code: "duplicate_column" }],
    ],
    ["missing type column", "phone\n0803", [{ line: 1, field: "type", code: "missing_column" }]],
    ["no lines", "type,phone\n\n", [{ line: 0, field: "file", code: "no_lines" }]],
    ["empty file", "", [{ line: 1, field: "file", code: "empty" }]],
    [
      "errors of several lines, each numbered",
      "type,phone,amount\nairtime,08031234567,100\n\nairtime,08031234567,\ndata,08031234567,",
      [
        { line: 4, field: "amount", code: "amount_required" },
        { line: 5, field: "plan", code: "plan_required" },
      ],
    ],
  ];
  it.each(table)("%s", (_name, body, expected) => {
    const result = csv(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(({ line, field, code }) => ({ line, field, code }))).toEqual(expected);
    for (const e of result.errors) expect(e.message.length).toBeGreaterThan(0);
  });

  it("refuses more lines than the bound, before reading any of them", () => {
    const body = `type,phone,amount\n${"airtime,08031234567,100\n".repeat(4)}`;
    const raw = csvLines(body);
    expect(raw.ok && validateLines(raw.lines, 3)).toMatchObject({
      ok: false,
      errors: [{ code: "too_many_lines" }],
    });
  });

  it("reads JSON lines with the file's line numbers, and a JSON array by place", () => {
    const raw = jsonLines(
      '{"type":"airtime","phone":"08031234567","amount":100}\n\n{"type":"data","phone":"08031234567","plan":"p"}\nnot json\n',
    );
    expect(raw).toMatchObject({ ok: false, errors: [{ line: 4, code: "invalid_json" }] });
    const good = jsonLines('{"type":"airtime","phone":"08031234567","amount":"100"}\r\n\r\n[1]');
    expect(good.ok && validateLines(good.lines, 10)).toMatchObject({
      ok: false,
      errors: [{ line: 3, code: "not_an_object" }],
    });
    expect(
      validateLines(arrayLines([{ type: "airtime", phone: "08031234567", amount: 100, x: 1 }]), 10),
    ).toMatchObject({ ok: false, errors: [{ line: 1, field: "x", code: "unknown_field" }] });
  });
});

describe("coveredPrefix: the lines, in order, that a balance covers", () => {
  it("is the longest prefix whose total fits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 20_000 }),
        (prices, available) => {
          const n = coveredPrefix(prices, available);
          const sum = (k: number) => prices.slice(0, k).reduce((a, b) => a + b, 0);
          expect(sum(n)).toBeLessThanOrEqual(available);
          if (n < prices.length) expect(sum(n + 1)).toBeGreaterThan(available);
        },
      ),
      { seed: SEED },
    );
  });
});

describe("releasePlan: one batch cannot monopolise the drain", () => {
  const batches = fc.uniqueArray(
    fc.record({
      batch_id: fc.uuid(),
      queued: fc.integer({ min: 0, max: 600 }),
      in_flight: fc.integer({ min: 0, max: 5 }),
    }),
    { maxLength: 6, selector: (b) => b.batch_id },
  );
  it("releases at most per_tick in all, never past in_flight_max per batch, and shares turns fairly", () => {
    fc.assert(
      fc.property(batches, fc.integer({ min: 0, max: 40 }), (list, per_tick) => {
        const max = 5;
        const plan = releasePlan(list, per_tick, max);
        const total = [...plan.values()].reduce((a, b) => a + b, 0);
        expect(total).toBeLessThanOrEqual(per_tick);
        for (const b of list) {
          const n = plan.get(b.batch_id) ?? 0;
          expect(n).toBeLessThanOrEqual(b.queued);
          expect(b.in_flight + n).toBeLessThanOrEqual(Math.max(max, b.in_flight));
        }
        // Work-conserving: while capacity is left, no batch that could take a line is left waiting.
        const capacity = (b: (typeof list)[number]) =>
          Math.max(0, Math.min(b.queued, max - b.in_flight));
        if (total < per_tick) for (const b of list) expect(plan.get(b.batch_id)).toBe(capacity(b));
        // Fair: a batch gets more than another only when the other reached what it could take.
        for (const a of list)
          for (const b of list) {
            const na = plan.get(a.batch_id) ?? 0;
            const nb = plan.get(b.batch_id) ?? 0;
            if (na > nb + 1) expect(nb).toBe(capacity(b));
          }
      }),
      { seed: SEED },
    );
  });
  it("a 500-line batch and a 2-line batch started after it: both progress in the first tick", () => {
    const plan = releasePlan(
      [
        { batch_id: "big", queued: 500, in_flight: 0 },
        { batch_id: "small", queued: 2, in_flight: 0 },
      ],
      20,
      5,
    );
    expect(Object.fromEntries(plan)).toEqual({ big: 5, small: 2 });
  });
});

describe("lineIdempotencyKey", () => {
  it("names each (batch, line) once, and the same one every time", () => {
    expect(lineIdempotencyKey("bat_x", 2)).toBe(lineIdempotencyKey("bat_x", 2));
    expect(lineIdempotencyKey("bat_x", 2)).not.toBe(lineIdempotencyKey("bat_x", 12));
    expect(lineIdempotencyKey("bat_x", 2)).not.toBe(lineIdempotencyKey("bat_y", 2));
  });
});
