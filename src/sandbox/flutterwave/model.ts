/**
 * The Flutterwave sandbox's data: stored row types, the JSON shapes Flutterwave
 * answers with (built from those rows), money at the edge, fees, banks and the
 * documented test accounts. Pure: no storage, no Cloudflare imports.
 *
 * Vendor vocabulary is deliberate here (`successful`, `NEW`, `flw_ref`): this
 * file describes the outside world, not our service.
 */
import { AMOUNT_MAX_MINOR } from "./limits";

// ---- Money ------------------------------------------------------------------

const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/**
 * Flutterwave takes `amount` as a JSON number or a numeric string. Parsed by
 * string arithmetic into minor units (kobo); more than two decimals, zero,
 * negatives and exponents are refused rather than rounded, so a client that
 * sends `0.30000000000000004` finds out here and not in a reconciliation.
 */
export function parseAmountMinor(value: number | string): number | null {
  const text =
    typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const minor = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  if (!Number.isSafeInteger(minor) || minor <= 0 || minor > AMOUNT_MAX_MINOR) return null;
  return minor;
}

/**
 * Flutterwave's JSON carries amounts as numbers (`5500`, `26.875`). An integer
 * number of minor units divided by 100 is the double nearest that decimal, and
 * prints as exactly that decimal, so this is safe for display on the wire.
 */
export function amountNumber(minor: number): number {
  return minor / 100;
}

/** `123456` -> `"1,234.56"`, for the checkout page. */
export function amountText(minor: number): string {
  const whole = Math.floor(minor / 100).toLocaleString("en-US");
  return `${whole}.${String(minor % 100).padStart(2, "0")}`;
}

/** Half the amount, rounded to the nearest kobo: what "Pay less than asked" pays. */
export function halfMinor(minor: number): number {
  return Math.max(1, Math.round(minor / 2));
}

/**
 * Flutterwave's fee on an NGN card collection: 1.4 % capped at NGN 2,000 (the
 * published local-card rate). Illustrative: the sandbox never bills anyone.
 */
export function appFeeMinor(amount_minor: number): number {
  return Math.min(Math.round((amount_minor * 14) / 1000), 200_000);
}

/**
 * NGN transfer fee tiers: 10.75 up to 5,000, 26.88 up to 50,000, 53.75 above
 * (10 / 25 / 50 plus 7.5 % VAT). Illustrative; the official SDK's own sample
 * shows the middle tier unrounded as 26.875, so clients must not assume a fee
 * has at most two decimals when they talk to the real API.
 */
export function transferFeeMinor(amount_minor: number): number {
  if (amount_minor <= 500_000) return 1_075;
  if (amount_minor <= 5_000_000) return 2_688;
  return 5_375;
}

// ---- Banks and test accounts ------------------------------------------------

export type Bank = { id: number; code: string; name: string };

/** Real Nigerian bank codes (NIBSS/CBN) with made-up ids, as `GET /v3/banks/NG` lists them. */
const BANKS_NG: Bank[] = [
  { id: 191, code: "044", name: "Access Bank" },
  { id: 192, code: "023", name: "Citibank Nigeria" },
  { id: 193, code: "050", name: "Ecobank Nigeria" },
  { id: 194, code: "070", name: "Fidelity Bank" },
  { id: 195, code: "011", name: "First Bank of Nigeria" },
  { id: 196, code: "214", name: "First City Monument Bank" },
  { id: 197, code: "058", name: "Guaranty Trust Bank" },
  { id: 198, code: "030", name: "Heritage Bank" },
  { id: 199, code: "082", name: "Keystone Bank" },
  { id: 200, code: "076", name: "Polaris Bank" },
  { id: 201, code: "221", name: "Stanbic IBTC Bank" },
  { id: 202, code: "232", name: "Sterling Bank" },
  { id: 203, code: "032", name: "Union Bank of Nigeria" },
  { id: 204, code: "033", name: "United Bank For Africa" },
  { id: 205, code: "035", name: "Wema Bank" },
  { id: 206, code: "057", name: "Zenith Bank" },
  { id: 207, code: "50211", name: "Kuda Bank" },
  { id: 208, code: "100004", name: "Opay" },
  { id: 209, code: "100033", name: "PalmPay" },
  { id: 210, code: "50515", name: "Moniepoint MFB" },
];

/** The other countries the SDK documents; a few banks each is enough for a sandbox. */
const BANKS_BY_COUNTRY: Record<string, Bank[]> = {
  NG: BANKS_NG,
  GH: [
    { id: 301, code: "GH280100", name: "Access Bank Ghana" },
    { id: 302, code: "GH040100", name: "Ghana Commercial Bank" },
    { id: 303, code: "GH230100", name: "Stanbic Bank Ghana" },
  ],
  KE: [
    { id: 401, code: "01", name: "Kenya Commercial Bank" },
    { id: 402, code: "68", name: "Equity Bank" },
    { id: 403, code: "MPS", name: "M-Pesa" },
  ],
  UG: [
    { id: 501, code: "UG010", name: "Stanbic Bank Uganda" },
    { id: 502, code: "MPS", name: "MTN Mobile Money" },
  ],
  ZA: [
    { id: 601, code: "632005", name: "ABSA Bank" },
    { id: 602, code: "250655", name: "First National Bank" },
    { id: 603, code: "051001", name: "Standard Bank" },
  ],
  TZ: [
    { id: 701, code: "TZ001", name: "CRDB Bank" },
    { id: 702, code: "TZ002", name: "NMB Bank" },
  ],
};

export function banksOf(country: string): Bank[] | null {
  return BANKS_BY_COUNTRY[country.toUpperCase()] ?? null;
}

/** Flutterwave's documented test bank: Access Bank (044). */
export const TEST_BANK_CODE = "044";
/** How Flutterwave names Access Bank on transfers ("bank_name"). */
export const TEST_BANK_TRANSFER_NAME = "ACCESS BANK NIGERIA";
/** Documented: a payout to this account is refused as blacklisted. */
export const BLACKLISTED_ACCOUNT = "0690000036";
/** Sandbox rule (not Flutterwave's): transfers to this account settle FAILED. */
export const FAILING_ACCOUNT = "0690000032";

/**
 * Flutterwave's test accounts 0690000031..0690000041 at 044. The names are made
 * up (the real sandbox returns its own); they are fixed so tests can assert them.
 */
const TEST_ACCOUNT_NAMES: Record<string, string> = {
  "0690000031": "Adaeze Okafor",
  "0690000032": "Babatunde Adeyemi",
  "0690000033": "Chinedu Eze",
  "0690000034": "Damilola Ogunleye",
  "0690000035": "Emeka Nwosu",
  "0690000036": "Funmilayo Bakare",
  "0690000037": "Garba Musa",
  "0690000038": "Halima Bello",
  "0690000039": "Ifeoma Obi",
  "0690000040": "Jide Akande",
  "0690000041": "Kemi Alade",
};

/** The account holder's name, or null when the account does not resolve. */
export function resolveAccount(account_bank: string, account_number: string): string | null {
  if (account_bank !== TEST_BANK_CODE) return null;
  return TEST_ACCOUNT_NAMES[account_number] ?? null;
}

// ---- Stored rows ------------------------------------------------------------

export type LinkStatus = "open" | "completed" | "cancelled" | "failed" | "expired";

export type LinkRow = {
  link_id: string;
  tx_ref: string;
  amount_minor: number;
  currency: string;
  redirect_url: string;
  customer_email: string;
  customer_name: string | null;
  customer_phone: string | null;
  title: string | null;
  description: string | null;
  meta_json: string | null;
  request_json: string;
  max_retry_attempt: number;
  failed_attempts: number;
  status: LinkStatus;
  origin: string;
  created_at_ms: number;
  expires_at_ms: number;
  closed_at_ms: number | null;
};

export type TransactionStatus = "successful" | "failed" | "pending";

/** A transaction row joined with its customer. */
export type TransactionRow = {
  id: number;
  tx_ref: string;
  flw_ref: string;
  link_id: string | null;
  amount_minor: number;
  charged_amount_minor: number;
  app_fee_minor: number;
  merchant_fee_minor: number;
  currency: string;
  status: TransactionStatus;
  processor_response: string;
  ip: string;
  narration: string;
  meta_json: string | null;
  origin: string;
  created_at_ms: number;
  customer_id: number;
  customer_email: string;
  customer_name: string | null;
  customer_phone: string | null;
  customer_created_at_ms: number;
};

export type TransferStatus = "NEW" | "PENDING" | "SUCCESSFUL" | "FAILED";

export type TransferRow = {
  id: number;
  reference: string;
  account_number: string;
  bank_code: string;
  bank_name: string;
  full_name: string;
  currency: string;
  debit_currency: string;
  amount_minor: number;
  fee_minor: number;
  status: TransferStatus;
  complete_message: string;
  narration: string | null;
  meta_json: string | null;
  callback_url: string | null;
  origin: string;
  created_at_ms: number;
  settle_at_ms: number;
  settled_at_ms: number | null;
};

/** The outcome a settled transfer reaches, by the sandbox's account rule. */
export function settlementFor(
  account_number: string,
  forced?: "SUCCESSFUL" | "FAILED",
): { status: "SUCCESSFUL" | "FAILED"; complete_message: string } {
  const status = forced ?? (account_number === FAILING_ACCOUNT ? "FAILED" : "SUCCESSFUL");
  return status === "FAILED"
    ? { status, complete_message: "DISBURSE FAILED: Insufficient funds in customer wallet" }
    : { status, complete_message: "Transaction was successful" };
}
