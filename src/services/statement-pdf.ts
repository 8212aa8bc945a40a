/**
 * A statement drawn as a PDF with pdf-lib (pure JavaScript, no Node APIs, so
 * it runs in a Worker as it is).
 *
 * Made to be read on a phone: a narrow page (STATEMENT_PAGE_WIDTH_PT, about
 * a phone's shape, so a phone shows it at full width without zooming) and
 * text at STATEMENT_BODY_PT or larger on it, which reads like 10-11 px on a
 * 360 px wide screen. Each entry is a small block rather than a wide table
 * row: its time and amount, its words (wrapped, never cut), and the balance
 * after it. Entries run on across as many pages as they need; every page
 * says which it is, and the first page carries the period and both balances.
 *
 * The standard Helvetica fonts only encode WinAnsi (Latin-1, roughly), so
 * other characters in a name or description are simplified (`winAnsi`)
 * instead of failing the whole document.
 */
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import { formatMinor } from "../domain/money";
import { LAGOS_OFFSET_MS } from "../domain/tiers";
import type { StatementEntry } from "../domain/statements";

/** A phone-shaped page (points; A4 is 595 x 842): narrower than A4, so its text is large on a phone. */
export const STATEMENT_PAGE_WIDTH_PT = 320;
export const STATEMENT_PAGE_HEIGHT_PT = 568;
/** The smallest text on the page (descriptions); amounts are larger. */
export const STATEMENT_BODY_PT = 9;
const MARGIN = 18;
const AMOUNT_PT = 10.5;
const TITLE_PT = 16;
const LINE = 1.3;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.38, 0.38, 0.42);
const CREDIT = rgb(0.05, 0.45, 0.2);
const RULE = rgb(0.82, 0.82, 0.85);

export type StatementDocument = {
  holder: { name: string | null; email: string };
  currency: string;
  from: string;
  to: string;
  opening_balance_minor: number;
  closing_balance_minor: number;
  credits_minor: number;
  debits_minor: number;
  entries: readonly StatementEntry[];
  generated_at_ms: number;
};

const DRAWABLE = /^[\x20-\x7e\xa0-\xff]*$/;

/**
 * Only what WinAnsi can draw: a letter with marks Latin-1 lacks keeps its
 * base letter (Yoruba's "ọ̀" reads "o"), a lone mark is dropped, anything
 * else (an emoji, another script) becomes "?".
 */
export function winAnsi(text: string): string {
  return text.normalize("NFC").replace(/[^\x20-\x7e\xa0-\xff]/gu, (ch) => {
    const base = ch.normalize("NFD").replace(/\p{M}/gu, "");
    return DRAWABLE.test(base) ? base : "?";
  });
}

/** 1234567 kobo -> "12,345.67": grouped for reading (the CSV and JSON keep plain decimals). */
export function groupedNaira(amount_minor: number): string {
  const [whole, fraction] = formatMinor(amount_minor).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction}`;
}

/** An instant as Lagos wall time, "YYYY-MM-DD HH:MM". */
export function lagosTime(ms: number): string {
  return new Date(ms + LAGOS_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ");
}

/** Words wrapped to `width` points; a word longer than a line is broken where it must be. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    let rest = word;
    while (!fits(rest)) {
      let cut = rest.length - 1;
      while (cut > 1 && !fits(rest.slice(0, cut))) cut--;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

class Writer {
  page!: PDFPage;
  y = 0;
  readonly pages: PDFPage[] = [];
  constructor(
    readonly doc: PDFDocument,
    readonly font: PDFFont,
    readonly bold: PDFFont,
  ) {
    this.newPage();
  }
  get width() {
    return STATEMENT_PAGE_WIDTH_PT - 2 * MARGIN;
  }
  newPage() {
    this.page = this.doc.addPage([STATEMENT_PAGE_WIDTH_PT, STATEMENT_PAGE_HEIGHT_PT]);
    this.pages.push(this.page);
    this.y = STATEMENT_PAGE_HEIGHT_PT - MARGIN;
  }
  /** Room for `height` more points on this page (the footer's line is kept free), else a new page. */
  need(height: number) {
    if (this.y - height < MARGIN + STATEMENT_BODY_PT * 2) this.newPage();
  }
  text(
    text: string,
    options: { size?: number; bold?: boolean; color?: typeof INK; right?: boolean } = {},
  ) {
    const size = options.size ?? STATEMENT_BODY_PT;
    const font = options.bold ? this.bold : this.font;
    const clean = winAnsi(text);
    const x = options.right
      ? STATEMENT_PAGE_WIDTH_PT - MARGIN - font.widthOfTextAtSize(clean, size)
      : MARGIN;
    this.page.drawText(clean, { x, y: this.y - size, size, font, color: options.color ?? INK });
  }
  down(points: number) {
    this.y -= points;
  }
  rule() {
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: STATEMENT_PAGE_WIDTH_PT - MARGIN, y: this.y },
      thickness: 0.6,
      color: RULE,
    });
  }
  /** A label on the left, a figure on the right, one line. */
  pair(label: string, value: string, bold = false) {
    const size = AMOUNT_PT;
    this.need(size * LINE);
    this.text(label, { size, color: MUTED });
    this.text(value, { size, bold, right: true });
    this.down(size * LINE);
  }
}

export async function statementPdf(doc_in: StatementDocument): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Wallet statement ${doc_in.from} to ${doc_in.to}`);
  doc.setCreator("Airtime Wallet");
  doc.setProducer("Airtime Wallet");
  doc.setCreationDate(new Date(doc_in.generated_at_ms));
  doc.setModificationDate(new Date(doc_in.generated_at_ms));
  const w = new Writer(
    doc,
    await doc.embedFont(StandardFonts.Helvetica),
    await doc.embedFont(StandardFonts.HelveticaBold),
  );
  const money = (minor: number) => `${doc_in.currency} ${groupedNaira(minor)}`;

  w.text("Wallet statement", { size: TITLE_PT, bold: true });
  w.down(TITLE_PT * LINE + 2);
  for (const line of [doc_in.holder.name, doc_in.holder.email].filter((v): v is string => !!v)) {
    for (const part of wrap(winAnsi(line), w.font, AMOUNT_PT, w.width)) {
      w.text(part, { size: AMOUNT_PT });
      w.down(AMOUNT_PT * LINE);
    }
  }
  w.text(`${doc_in.from} to ${doc_in.to} (Lagos time)`, { color: MUTED });
  w.down(STATEMENT_BODY_PT * LINE + 6);
  w.pair("Opening balance", money(doc_in.opening_balance_minor), true);
  w.pair("Money in", money(doc_in.credits_minor));
  w.pair("Money out", money(doc_in.debits_minor));
  w.pair("Closing balance", money(doc_in.closing_balance_minor), true);
  w.down(6);
  w.rule();
  w.down(8);

  if (doc_in.entries.length === 0) {
    w.text("No entries in this period.", { color: MUTED });
    w.down(STATEMENT_BODY_PT * LINE);
  }
  for (const e of doc_in.entries) {
    const words = wrap(winAnsi(e.description), w.font, STATEMENT_BODY_PT, w.width);
    const height = AMOUNT_PT * LINE + (words.length + 1) * STATEMENT_BODY_PT * LINE + 8;
    w.need(height);
    w.text(lagosTime(e.created_at_ms), { color: MUTED });
    const sign = e.entry === "credit" ? "+" : "-";
    w.text(`${sign}${groupedNaira(e.amount_minor)}`, {
      size: AMOUNT_PT,
      bold: true,
      right: true,
      color: e.entry === "credit" ? CREDIT : INK,
    });
    w.down(AMOUNT_PT * LINE);
    for (const line of words) {
      w.text(line);
      w.down(STATEMENT_BODY_PT * LINE);
    }
    w.text(e.tx_ref, { color: MUTED });
    w.text(`Balance ${groupedNaira(e.balance_after_minor)}`, { color: MUTED, right: true });
    w.down(STATEMENT_BODY_PT * LINE + 3);
    w.rule();
    w.down(5);
  }
  w.down(4);
  w.pair("Closing balance", money(doc_in.closing_balance_minor), true);
  w.need(STATEMENT_BODY_PT * LINE * 2);
  w.text(`Produced ${lagosTime(doc_in.generated_at_ms)} (Lagos time)`, { color: MUTED });

  const total = w.pages.length;
  w.pages.forEach((page, i) => {
    const label = `Page ${i + 1} of ${total}`;
    page.drawText(label, {
      x: STATEMENT_PAGE_WIDTH_PT - MARGIN - w.font.widthOfTextAtSize(label, STATEMENT_BODY_PT),
      y: MARGIN - 4,
      size: STATEMENT_BODY_PT,
      font: w.font,
      color: MUTED,
    });
  });
  return doc.save();
}
