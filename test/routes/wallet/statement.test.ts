/**
 * GET /wallet/statement through the real routes, after real flows: a funding
 * paid at the Flutterwave look-alike's checkout, airtime bought from the
 * VTpass look-alike, a purchase that failed (posts nothing), and a
 * withdrawal with a fee (the app run with WITHDRAWAL_FEE, as
 * withdrawal-fee.test.ts does). The statement's figures are checked against
 * the wallet's own balance and the transactions' amounts, in JSON, CSV and
 * PDF, and the period's refusals against their problem documents.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { FUND_PENDING_MAX_CEILING, STATEMENT_RANGE_DAYS_MAX } from "../../../src/domain/limits";
import { STATEMENT_ENTRIES_MAX } from "../../../src/durable/wallet/limits";
import { DAY_MS, lagosDayKey } from "../../../src/domain/tiers";
import { requireConfig } from "../../../src/lib/config";
import { newTxRef, newUserId, randomBase32 } from "../../../src/lib/ids";
import { STATEMENT_PAGE_WIDTH_PT, winAnsi } from "../../../src/services/statement-pdf";
import { csvField, STATEMENT_CSV_COLUMNS } from "../../../src/services/statements";
import {
  ORIGIN,
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  form,
  loadMongoDriverFirst,
  newWallet,
  runReconciler,
  UNBOUNDED_TIERS,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";
import { buyAirtime } from "../../support/purchases";
import { choose, control, envelope } from "../../support/sandbox";

const FEE_MINOR = 5025;
const withFee = { ...env, WITHDRAWAL_FEE: "50.25" } as unknown as Env;
const app = createApp();

type Entry = {
  seq: number;
  tx_ref: string;
  type: string;
  entry: "credit" | "debit";
  description: string;
  amount: string;
  amount_minor: number;
  balance_after_minor: number;
};
type Statement = {
  object: string;
  from: string;
  to: string;
  opening_balance_minor: number;
  closing_balance_minor: number;
  closing_balance: string;
  total_credits_minor: number;
  total_debits_minor: number;
  entries: Entry[];
};

/**
 * A whole-naira airtime amount (NGN 100-999) the funding covers; random, since the
 * look-alike refuses the same number and amount twice within 30 s (019).
 */
const smallNaira = () => String(100 + Math.floor(Math.random() * 900));

/** RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  expect(field === "" && row.length === 0, "the CSV ends with CRLF").toBe(true);
  return rows;
}

const day = (offset_days: number) => lagosDayKey(Date.now() + offset_days * DAY_MS);

function statement(auth: Record<string, string>, query: Record<string, string>) {
  return api(`/wallet/statement?${new URLSearchParams(query)}`, { headers: auth });
}

async function fundThroughCheckout(auth: Record<string, string>, amount: string) {
  const res = await api("/wallet/fund", form({ amount }, auth));
  expect(res.status).toBe(201);
  const { tx_ref, payment_link } = (await res.json()) as { tx_ref: string; payment_link: string };
  expect((await choose(payment_link, "full")).status).toBe(303);
  return tx_ref;
}

async function withdrawWithFee(auth: Record<string, string>, amount: string) {
  const res = await app.fetch(
    new Request(
      `${ORIGIN}/api/v1/wallet/withdraw`,
      authedJson(auth, {
        account_bank: "044",
        account_number: "0690000031",
        narration: `stmt-${randomBase32(10)}`,
        amount,
      }),
    ),
    withFee,
    createExecutionContext(),
  );
  expect(res.status).toBe(202);
  const tx = (await res.json()) as { tx_ref: string };
  const listed = await exports.default.fetch(
    `${ORIGIN}/__sandbox/flutterwave/v3/transfers?reference=${tx.tx_ref}`,
    { headers: { authorization: `Bearer ${requireConfig(env).FLUTTERWAVE_SECRET_KEY}` } },
  );
  const [sent] = ((await listed.json()) as { data: { id: number }[] }).data;
  await envelope(await control(`/transfers/${sent.id}/settle`, { body: { status: "SUCCESSFUL" } }));
  return tx.tx_ref;
}

loadMongoDriverFirst();

describe("GET /wallet/statement after real flows", () => {
  it("opens, lists every posted entry and closes at the wallet's balance, to the kobo, in JSON, CSV and PDF", async () => {
    const { user_id, stub } = await newWallet();
    const auth = await bearerFor(user_id);
    const funding = await fundThroughCheckout(auth, "20000.50");
    await eventually(async () =>
      expect((await stub.getTransaction(funding))?.status).toBe("SUCCESS"),
    );
    const airtime = smallNaira();
    const bought = await buyAirtime(auth, {
      phone: "08011111111",
      amount: airtime,
      network: "mtn",
    });
    expect(bought.status, await bought.clone().text()).toBe(202);
    const purchase = (await bought.json()) as { tx_ref: string; status: string };
    expect(purchase.status).toBe("SUCCESS");
    // Any other number fails at the look-alike: the hold is released and nothing is posted.
    const refused = await buyAirtime(auth, { phone: "+234 803 555 0101", amount: smallNaira() });
    const failed = (await refused.json()) as { tx_ref: string; status: string };
    expect(failed.status, JSON.stringify(failed)).toBe("FAILED");
    const withdrawal = await withdrawWithFee(auth, "1000");
    await runReconciler(stub);
    expect((await stub.getTransaction(withdrawal))?.status).toBe("SUCCESS");
    const audit = await expectLedgerConsistent(stub);
    const balance = (await stub.summary())!.balance_minor;
    expect(balance).toBe(20_000_50 - Number(airtime) * 100 - 1000_00 - FEE_MINOR);

    const res = await statement(auth, { from: day(-1), to: day(1) });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const s = (await res.json()) as Statement;
    expect(s).toMatchObject({
      object: "statement",
      from: day(-1),
      to: day(1),
      opening_balance_minor: 0,
      closing_balance_minor: balance,
      total_credits_minor: 20_000_50,
      total_debits_minor: Number(airtime) * 100 + 1000_00 + FEE_MINOR,
    });
    expect(s.entries.map((e) => [e.tx_ref, e.entry, e.amount_minor])).toEqual([
      [funding, "credit", 20_000_50],
      [purchase.tx_ref, "debit", Number(airtime) * 100],
      [withdrawal, "debit", 1000_00 + FEE_MINOR],
    ]);
    expect(s.entries).toHaveLength(audit.journal_rows);
    expect(s.entries.some((e) => e.tx_ref === failed.tx_ref)).toBe(false);
    expect(s.entries.at(-1)?.balance_after_minor).toBe(balance);
    expect(s.entries[1].description).toBe("Airtime MTN 08011111111");
    expect(s.entries[2].description).toMatch(/^Withdrawal to .+, fee NGN 50\.25 included$/);

    // CSV: the same figures, naira and kobo, opening and closing rows around the entries.
    const csv = await statement(auth, { from: day(-1), to: day(1), format: "csv" });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="statement-${day(-1)}-to-${day(1)}.csv"`,
    );
    const rows = parseCsv(await csv.text());
    expect(rows[0]).toEqual([...STATEMENT_CSV_COLUMNS]);
    const col = (name: (typeof STATEMENT_CSV_COLUMNS)[number]) =>
      STATEMENT_CSV_COLUMNS.indexOf(name);
    expect(rows.map((r) => r[col("entry")])).toEqual([
      "entry",
      "opening",
      "credit",
      "debit",
      "debit",
      "closing",
    ]);
    const kobo = (r: string[], name: "credit_minor" | "debit_minor") => Number(r[col(name)] || 0);
    const body = rows.slice(2, -1);
    expect(
      Number(rows[1][col("balance_minor")]) +
        body.reduce((sum, r) => sum + kobo(r, "credit_minor") - kobo(r, "debit_minor"), 0),
    ).toBe(balance);
    expect(rows.at(-1)?.[col("balance_minor")]).toBe(String(balance));
    expect(rows.at(-1)?.[col("balance")]).toBe(s.closing_balance);
    expect(body[2][col("debit")]).toBe(((1000_00 + FEE_MINOR) / 100).toFixed(2));
    expect(body.map((r) => r[col("description")])).toEqual(s.entries.map((e) => e.description));

    // PDF: a real document of phone-width pages.
    const pdf = await statement(auth, { from: day(-1), to: day(1), format: "pdf" });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    const bytes = new Uint8Array(await pdf.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(doc.getPage(0).getWidth()).toBe(STATEMENT_PAGE_WIDTH_PT);
    expect(doc.getTitle()).toBe(`Wallet statement ${day(-1)} to ${day(1)}`);
  }, 60_000);

  it("meets at the boundary: the period before today closes where today's opens, and a wallet's first period opens at 0", async () => {
    const { user_id, stub } = await newWallet();
    const auth = await bearerFor(user_id);
    const funding = await fundThroughCheckout(auth, "500");
    await eventually(async () =>
      expect((await stub.getTransaction(funding))?.status).toBe("SUCCESS"),
    );
    const before = (await (
      await statement(auth, { from: day(-30), to: day(-1) })
    ).json()) as Statement;
    const today = (await (await statement(auth, { from: day(0), to: day(0) })).json()) as Statement;
    expect(before).toMatchObject({
      opening_balance_minor: 0,
      closing_balance_minor: 0,
      entries: [],
    });
    expect(today.opening_balance_minor).toBe(before.closing_balance_minor);
    expect(today.closing_balance_minor).toBe(500_00);
    const after = (await (await statement(auth, { from: day(1), to: day(2) })).json()) as Statement;
    expect(after).toMatchObject({
      opening_balance_minor: 500_00,
      closing_balance_minor: 500_00,
      entries: [],
    });
  });

  it("shows only the caller's own wallet", async () => {
    const a = await newWallet();
    const b = await newWallet();
    const funding = await fundThroughCheckout(await bearerFor(a.user_id), "700");
    await eventually(async () =>
      expect((await a.stub.getTransaction(funding))?.status).toBe("SUCCESS"),
    );
    const seen = (await (
      await statement(await bearerFor(b.user_id), { from: day(-1), to: day(1) })
    ).json()) as Statement;
    expect(seen).toMatchObject({ opening_balance_minor: 0, closing_balance_minor: 0, entries: [] });
    const unsigned = await statement({}, { from: day(-1), to: day(1) });
    expect(unsigned.status).toBe(401);
  });
});

/** STATEMENT_USER_LIMITER in wrangler.jsonc, the same in development and production: 10 per minute per user. */
const STATEMENT_LIMIT = 10;

describe("GET /wallet/statement is bounded per user", () => {
  it(
    "429 past STATEMENT_USER_LIMITER in a minute, counting refused asks too; another user is not affected",
    async () => {
      const a = await bearerFor((await newWallet()).user_id);
      const b = await bearerFor((await newWallet()).user_id);
      const period = { from: day(-1), to: day(0) };
      await withinOneRateWindow(20_000);
      // A refused ask counts (the limit runs before validation), as an answered one does.
      await expectProblem(await statement(a, { from: day(0), to: day(-1) }), 422);
      for (let i = 1; i < STATEMENT_LIMIT; i++)
        expect((await statement(a, { ...period, format: i % 2 ? "csv" : "json" })).status).toBe(
          200,
        );
      const limited = await statement(a, { ...period, format: "pdf" });
      expect(limited.headers.get("retry-after")).toBe("60");
      expect((await expectProblem(limited, 429)).code).toBe("rate_limited");
      expect((await statement(b, { ...period, format: "pdf" })).status).toBe(200);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );
});

describe("GET /wallet/statement refuses periods it cannot answer", () => {
  it("422 for a day that does not exist, a malformed day, to before from, an unknown format, and a period too long", async () => {
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const bad = async (query: Record<string, string>) =>
      expectProblem(await statement(auth, query), 422);
    expect((await bad({ from: "2026-02-30", to: "2026-03-01" })).errors?.[0]).toMatchObject({
      path: "from",
    });
    expect((await bad({ from: "1/12/2026", to: "2026-12-06" })).code).toBe("validation_failed");
    expect((await bad({ from: "2026-12-06", to: "2026-12-05" })).errors?.[0]).toMatchObject({
      path: "to",
    });
    expect((await bad({ from: "2026-12-01", to: "2026-12-06", format: "xlsx" })).code).toBe(
      "validation_failed",
    );
    expect((await bad({ from: "2026-12-01" })).code).toBe("validation_failed");
    const long = await bad({ from: "2025-01-01", to: "2026-01-02" });
    expect(long).toMatchObject({
      code: "statement_period_too_long",
      max_days: STATEMENT_RANGE_DAYS_MAX,
      days: 367,
    });
    // The longest period allowed is answered.
    expect((await statement(auth, { from: "2025-01-01", to: "2026-01-01" })).status).toBe(200);
  });

  it("422 statement_too_long past the entry bound, never a statement cut short", async () => {
    const { user_id, stub } = await newWallet();
    // One more funding than a statement may list, credited through the wallet's own
    // calls, many in flight at once (the object still takes them one at a time).
    const credit = async (i: number) => {
      const tx_ref = newTxRef("FUND", user_id);
      await stub.openFunding({
        tx_ref,
        amount_minor: 100,
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + 3_600_000,
        tiers: UNBOUNDED_TIERS,
      });
      return (
        await stub.applyProviderFacts(
          tx_ref,
          {
            found: true,
            provider_ref: `bulk-${i}`,
            our_ref: tx_ref,
            outcome: "succeeded",
            amount_minor: 100,
            currency: "NGN",
            message: null,
          },
          { via: "webhook" },
        )
      ).outcome;
    };
    const outcomes: string[] = [];
    for (let i = 0; i <= STATEMENT_ENTRIES_MAX; i += 100) {
      const batch = Array.from(
        { length: Math.min(100, STATEMENT_ENTRIES_MAX + 1 - i) },
        (_, k) => i + k,
      );
      outcomes.push(...(await Promise.all(batch.map(credit))));
    }
    expect(outcomes.filter((o) => o === "credited")).toHaveLength(STATEMENT_ENTRIES_MAX + 1);
    const problem = await expectProblem(
      await statement(await bearerFor(user_id), { from: day(-1), to: day(1), format: "pdf" }),
      422,
    );
    expect(problem).toMatchObject({
      code: "statement_too_long",
      max_entries: STATEMENT_ENTRIES_MAX,
    });
    // The period before them is still answered.
    expect((await statement(await bearerFor(user_id), { from: day(-3), to: day(-2) })).status).toBe(
      200,
    );
  }, 120_000);
});

describe("what a statement's files are made of", () => {
  it("draws a name the standard PDF font cannot encode (Yoruba marks, an emoji) instead of failing", async () => {
    const user_id = newUserId();
    const stub = env.WALLET.getByName(user_id);
    await stub.init({
      user_id,
      email: `stmt.${randomBase32(8)}@example.com`,
      full_name: "Adébáyọ̀ Ọlá 🙂",
      currency: "NGN",
    });
    const pdf = await statement(await bearerFor(user_id), {
      from: day(0),
      to: day(0),
      format: "pdf",
    });
    expect(pdf.status).toBe(200);
    expect((await PDFDocument.load(await pdf.arrayBuffer())).getPageCount()).toBe(1);
    // Letters keep their base where Latin-1 lacks their marks; what has none is "?".
    expect(winAnsi("Adébáyọ̀ Ọlá 🙂")).toBe("Adébáyo Olá ?");
    expect(winAnsi("Chukwuemeka Nwosu")).toBe("Chukwuemeka Nwosu");
  });

  it("never hands a spreadsheet a formula: a field starting with = + - @ is prefixed, commas and quotes are quoted", () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField("+2348011111111")).toBe("'+2348011111111");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("Airtime MTN 08011111111")).toBe("Airtime MTN 08011111111");
    expect(csvField(1234)).toBe("1234");
  });
});
