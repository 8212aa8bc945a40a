/**
 * Money: integers in minor units (kobo) inside, decimal strings at the edges.
 *
 * Conversions are string arithmetic only: "1234.5" becomes 123450 by splitting on
 * the point and padding, never by multiplying a float. Every result is checked to
 * be a safe integer; a value outside that range is refused, not rounded.
 */

export const MINOR_PER_MAJOR = 100;
export const CURRENCY_DECIMALS = 2;

/** Currencies a wallet can hold. The old service only ever used NGN. */
export const SUPPORTED_CURRENCIES = ["NGN"] as const;
export type Currency = (typeof SUPPORTED_CURRENCIES)[number];

export type Money = { amount_minor: number; currency: Currency };

const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

export type ParseResult = { ok: true; amount_minor: number } | { ok: false; reason: string };

/**
 * Parse a decimal naira amount ("100", "100.5", "100.50") into kobo. A JSON
 * number is accepted through its shortest decimal representation (String(n)),
 * which is exact for any value that has at most two decimals; exponent forms,
 * signs, separators and a third decimal are refused.
 */
export function parseDecimal(input: string | number): ParseResult {
  let text: string;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return { ok: false, reason: "must be a finite number" };
    text = String(input);
  } else {
    text = input.trim();
  }
  const match = DECIMAL.exec(text);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(text))
      return { ok: false, reason: "must have at most 2 decimal places" };
    return { ok: false, reason: "must be a decimal amount like 1500 or 1500.50" };
  }
  const whole = match[1];
  const fraction = (match[2] ?? "").padEnd(CURRENCY_DECIMALS, "0");
  const amount_minor = Number(whole) * MINOR_PER_MAJOR + Number(fraction);
  if (!Number.isSafeInteger(amount_minor)) return { ok: false, reason: "is too large" };
  return { ok: true, amount_minor };
}

/**
 * A provider's amount (a JSON number or string in major units) into kobo,
 * rounding DOWN past the second decimal: when checking "paid at least the
 * expected amount", a fraction of a kobo must never tip the balance our way.
 */
export function providerAmountToMinor(value: number | string): number | null {
  const text =
    typeof value === "number"
      ? Number.isFinite(value)
        ? numberToPlainString(value)
        : ""
      : value.trim();
  const match = /^(\d{1,13})(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const fraction = (match[2] ?? "").slice(0, CURRENCY_DECIMALS).padEnd(CURRENCY_DECIMALS, "0");
  const amount_minor = Number(match[1]) * MINOR_PER_MAJOR + Number(fraction);
  return Number.isSafeInteger(amount_minor) ? amount_minor : null;
}

/** 1e-7 prints as "1e-7" with String(); providers never send such values, but refuse them cleanly. */
function numberToPlainString(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? "" : text;
}

/** 10050 -> "100.50"; always two decimals. */
export function formatMinor(amount_minor: number): string {
  assertMinor(amount_minor, true);
  const negative = amount_minor < 0;
  const abs = Math.abs(amount_minor);
  const whole = Math.floor(abs / MINOR_PER_MAJOR);
  const fraction = String(abs % MINOR_PER_MAJOR).padStart(CURRENCY_DECIMALS, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** Major units as a JSON number for provider APIs that take numbers (exact for 2 decimals). */
export function minorToProviderNumber(amount_minor: number): number {
  return Number(formatMinor(amount_minor));
}

/** Programmer-error check: money must be a safe integer (and non-negative unless allowed). */
export function assertMinor(amount_minor: number, allow_negative = false): void {
  if (!Number.isSafeInteger(amount_minor) || (!allow_negative && amount_minor < 0)) {
    throw new Error(`invalid minor amount: ${amount_minor}`);
  }
}

export function isSupportedCurrency(value: string): value is Currency {
  return (SUPPORTED_CURRENCIES as readonly string[]).includes(value);
}
