/**
 * The VTpass look-alike's behaviour, as pure functions over a purchase ledger
 * the caller owns (a Durable Object's SQLite, or a Map in tests). No storage,
 * no Cloudflare imports; a route maps each decision to an HTTP answer.
 *
 * What it imitates (VTpass's documentation, sandbox section):
 * - key checks: `api-key` + `public-key` on GET, `api-key` + `secret-key` on POST (087);
 * - request_id rules: first 12 characters a Lagos date-time of today (085),
 *   never reused (014);
 * - the same service, number and amount twice within 30 s is refused (019);
 * - bills (bills.ts): electricity and cable TV, their test meters and
 *   smartcards, a prepaid token once delivered, and `merchant-verify`;
 * - the test numbers: 08011111111 delivered, 201000000000 pending and later
 *   delivered, 500000000000 an unexpected answer, 400000000000 no answer,
 *   300000000000 a timeout, any other number failed.
 *
 * The request_id check is written again here rather than imported from our
 * VTpass client: the look-alike stands for VTpass, and sharing the client's
 * code would hide a bug in it instead of catching it.
 */
import { DEV_VTPASS_KEYS } from "../../lib/config";
import { billOf, decideBillProduct, SUCCESS_NUMBERS, typeText } from "./bills";
import { findPlan, findService } from "./catalogue";
import type { Json } from "./json";
import {
  DUPLICATE_WINDOW_MS,
  PENDING_DELIVER_AFTER_MS,
  PHONE_MAX_DIGITS,
  REQUEST_ID_MAX_CHARS,
  REQUEST_ID_MIN_CHARS,
  REQUEST_ID_TOLERANCE_MS,
} from "./limits";

export type { Json } from "./json";

// ---- Keys ------------------------------------------------------------------------------

/** Sandbox-only keys the look-alike accepts (development's default VTPASS_* keys). They open nothing anywhere else. */
export const SANDBOX_VTPASS_KEYS = DEV_VTPASS_KEYS;

export type HeaderReader = { get(name: string): string | null };

export function keysAccepted(method: "GET" | "POST", headers: HeaderReader): boolean {
  if (headers.get("api-key") !== SANDBOX_VTPASS_KEYS.api_key) return false;
  if (method === "GET") return headers.get("public-key") === SANDBOX_VTPASS_KEYS.public_key;
  return headers.get("secret-key") === SANDBOX_VTPASS_KEYS.secret_key;
}

/** A GET (services, variations, balance): 087 unless the GET keys are right, else the answer. */
export function decideRead(headers: HeaderReader, render: () => Json): Json {
  return keysAccepted("GET", headers) ? render() : renderError("087");
}

// ---- Answers with only a code -------------------------------------------------------------

const CODE_TEXT = {
  "011": "INVALID ARGUMENTS",
  "010": "VARIATION CODE DOES NOT EXIST",
  "012": "PRODUCT DOES NOT EXIST",
  "013": "BELOW MINIMUM AMOUNT ALLOWED",
  "014": "REQUEST ID ALREADY EXIST",
  "015": "INVALID REQUEST ID",
  "017": "ABOVE MAXIMUM AMOUNT ALLOWED",
  "018": "LOW WALLET BALANCE",
  "019": "LIKELY DUPLICATE TRANSACTION",
  "085": "IMPROPER REQUEST ID: DOES NOT CONTAIN DATE",
  "087": "INVALID CREDENTIALS",
  "031": "BELOW MINIMUM QUANTITY ALLOWED",
  "032": "ABOVE MAXIMUM QUANTITY ALLOWED",
} as const;
export type SandboxErrorCode = keyof typeof CODE_TEXT;

export function renderError(code: SandboxErrorCode): Json {
  return { code, response_description: CODE_TEXT[code], content: { errors: CODE_TEXT[code] } };
}

// ---- request_id ---------------------------------------------------------------------------

const LAGOS_OFFSET_MS = 60 * 60 * 1000;

/**
 * 085 unless the first 12 characters are a real Lagos date-time whose date
 * is today in Lagos, or which lies within the tolerance of now (midnight and
 * small clock skew). A prefix further in the future is refused too.
 */
export function requestIdDateOk(request_id: string, now_ms: number): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(request_id);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number);
  const wall_ms = Date.UTC(y, mo - 1, d, h, mi);
  const wall = new Date(wall_ms);
  if (
    wall.getUTCFullYear() !== y ||
    wall.getUTCMonth() !== mo - 1 ||
    wall.getUTCDate() !== d ||
    wall.getUTCHours() !== h ||
    wall.getUTCMinutes() !== mi
  ) {
    return false;
  }
  const prefix_ms = wall_ms - LAGOS_OFFSET_MS;
  if (prefix_ms > now_ms + REQUEST_ID_TOLERANCE_MS) return false;
  const today = new Date(now_ms + LAGOS_OFFSET_MS).toISOString().slice(0, 10);
  return (
    today === wall.toISOString().slice(0, 10) ||
    Math.abs(now_ms - prefix_ms) <= REQUEST_ID_TOLERANCE_MS
  );
}

// ---- Purchases -------------------------------------------------------------------------------

export type SandboxStatus = "delivered" | "pending" | "failed" | "reversed";

export type PurchaseRecord = {
  request_id: string;
  transaction_id: string;
  serviceID: string;
  product_name: string;
  /** The number credited: `phone` for airtime, `billersCode` for data. */
  recipient: string;
  /** The `phone` field as sent. */
  phone: string;
  variation_code: string | null;
  amount_minor: number;
  commission_minor: number;
  status: SandboxStatus;
  /** Pending purchases turn delivered at this time (null: they stay as they are). */
  deliver_at_ms: number | null;
  created_at_ms: number;
};

/** The ledger the caller keeps; read synchronously (SQLite in a Durable Object is). */
export type PurchaseLedger = {
  find(request_id: string): PurchaseRecord | null;
  /** created_at_ms of the latest purchase of this service, for this number and amount. */
  latestSimilar(serviceID: string, recipient: string, amount_minor: number): number | null;
};

/** What the route does with a pay request. Every case but `answer` with no record stores the record first. */
export type PayDecision =
  | { kind: "answer"; body: Json; record: PurchaseRecord | null }
  /** 500000000000: a 200 whose body does not follow the rules (000 without a transaction). */
  | { kind: "unexpected"; body: Json; record: PurchaseRecord }
  /** 400000000000: the connection ends without an answer. */
  | { kind: "no_response"; record: PurchaseRecord }
  /** 300000000000: the answer is held for TIMEOUT_HANG_MS, past any client's timeout. */
  | { kind: "timeout"; record: PurchaseRecord };

/** VTpass's transactionId style: the millisecond time and random digits, 26 in all. */
export function newTransactionId(now_ms: number): string {
  const bytes = new Uint8Array(13);
  crypto.getRandomValues(bytes);
  return String(now_ms).padStart(13, "0") + Array.from(bytes, (b) => String(b % 10)).join("");
}

/** A naira amount (JSON number or numeric string, at most 2 decimals) in kobo, by string arithmetic. */
export function parseNairaMinor(value: unknown): number | null {
  const text =
    typeof value === "number"
      ? Number.isFinite(value)
        ? String(value)
        : ""
      : typeof value === "string"
        ? value.trim()
        : "";
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

function digits(value: unknown): string | null {
  const text =
    typeof value === "number" && Number.isSafeInteger(value)
      ? String(value)
      : typeof value === "string"
        ? value.trim()
        : "";
  return new RegExp(`^\\d{1,${PHONE_MAX_DIGITS}}$`).test(text) ? text : null;
}

const answer = (body: Json, record: PurchaseRecord | null = null): PayDecision => ({
  kind: "answer",
  body,
  record,
});

/** `POST /api/pay`: checks in VTpass's order, then the test-number scenario. */
export function decidePay(
  input: {
    headers: HeaderReader;
    body: unknown;
    now_ms: number;
    transaction_id: string;
    /** How long a pending test number stays pending (PENDING_DELIVER_AFTER_MS unless configured). */
    pending_deliver_after_ms?: number;
  },
  ledger: PurchaseLedger,
): PayDecision {
  if (!keysAccepted("POST", input.headers)) return answer(renderError("087"));
  const body = (typeof input.body === "object" && input.body !== null ? input.body : {}) as Record<
    string,
    unknown
  >;
  const { request_id, serviceID } = body;
  const phone = digits(body.phone);
  if (typeof request_id !== "string" || typeof serviceID !== "string" || phone === null)
    return answer(renderError("011"));
  if (
    request_id.length < REQUEST_ID_MIN_CHARS ||
    request_id.length > REQUEST_ID_MAX_CHARS ||
    !/^[0-9A-Za-z]+$/.test(request_id)
  ) {
    return answer(renderError("085"));
  }
  if (!requestIdDateOk(request_id, input.now_ms)) return answer(renderError("085"));
  if (ledger.find(request_id)) return answer(renderError("014"));

  const service = findService(serviceID);
  if (!service) return answer(renderError("012"));
  let recipient = phone;
  let amount_minor: number | null;
  let product_name = service.name;
  let variation_code: string | null = null;
  if (service.identifier === "data") {
    const billers = digits(body.billersCode);
    if (billers === null || typeof body.variation_code !== "string")
      return answer(renderError("011"));
    const plan = findPlan(service, body.variation_code);
    if (!plan) return answer(renderError("010"));
    recipient = billers;
    amount_minor = plan.price_minor; // a fixed-price plan: the amount sent is ignored
    variation_code = plan.variation_code;
    product_name = `${service.name} - ${plan.name}`;
  } else if (
    service.identifier === "electricity-bill" ||
    service.identifier === "tv-subscription"
  ) {
    const billers = digits(body.billersCode);
    if (billers === null) return answer(renderError("011"));
    const asked = body.amount === undefined ? null : parseNairaMinor(body.amount);
    if (body.amount !== undefined && asked === null) return answer(renderError("011"));
    const bill = decideBillProduct(service, body, asked);
    if (!bill.ok) return answer(renderError(bill.code));
    recipient = billers;
    amount_minor = bill.amount_minor;
    variation_code = bill.variation_code;
    product_name = bill.product_name;
  } else {
    amount_minor = parseNairaMinor(body.amount);
    if (amount_minor === null || amount_minor === 0) return answer(renderError("011"));
    if (amount_minor < service.min_minor) return answer(renderError("013"));
    if (amount_minor > service.max_minor) return answer(renderError("017"));
  }
  const latest = ledger.latestSimilar(serviceID, recipient, amount_minor);
  if (latest !== null && input.now_ms - latest < DUPLICATE_WINDOW_MS)
    return answer(renderError("019"));

  const record: PurchaseRecord = {
    request_id,
    transaction_id: input.transaction_id,
    serviceID,
    product_name,
    recipient,
    phone,
    variation_code,
    amount_minor,
    commission_minor: Math.floor((amount_minor * service.commission_bp) / 10_000),
    status: "failed",
    deliver_at_ms: null,
    created_at_ms: input.now_ms,
  };
  switch (SUCCESS_NUMBERS.includes(recipient) ? "success" : recipient) {
    case "success":
      return answer(renderPayAnswer({ ...record, status: "delivered" }), {
        ...record,
        status: "delivered",
      });
    case "201000000000": {
      const pending: PurchaseRecord = {
        ...record,
        status: "pending",
        deliver_at_ms: input.now_ms + (input.pending_deliver_after_ms ?? PENDING_DELIVER_AFTER_MS),
      };
      return answer(renderPayAnswer(pending), pending);
    }
    case "500000000000": {
      // It went through; the answer just does not say so in the documented way.
      const delivered: PurchaseRecord = { ...record, status: "delivered" };
      return {
        kind: "unexpected",
        body: {
          code: "000",
          response_description: "TRANSACTION SUCCESSFUL",
          requestId: request_id,
        },
        record: delivered,
      };
    }
    case "400000000000":
      // Processed, but the answer is lost: only a requery tells.
      return { kind: "no_response", record: { ...record, status: "delivered" } };
    case "300000000000":
      // Still processing when the client gives up; delivered later, like 201000000000.
      return {
        kind: "timeout",
        record: {
          ...record,
          status: "pending",
          deliver_at_ms:
            input.now_ms + (input.pending_deliver_after_ms ?? PENDING_DELIVER_AFTER_MS),
        },
      };
    default:
      return answer(renderPayAnswer(record), record);
  }
}

// ---- The float ---------------------------------------------------------------------------------

/** What a purchase takes from the merchant's float: its cost after commission (`total_amount`), unless it failed. */
export function floatDebitMinor(record: PurchaseRecord): number {
  return record.status === "failed" || record.status === "reversed"
    ? 0
    : record.amount_minor - record.commission_minor;
}

/**
 * VTpass checks the float before it vends, so before the number's outcome is
 * known: 018 when the purchase's cost (after commission) is more than the
 * float holds, whatever the number; nothing is stored and the request_id stays
 * unused. A decision that stores nothing passes unchanged.
 */
export function checkFloat(decision: PayDecision, float_minor: number): PayDecision {
  const record = decision.record;
  if (record === null) return decision;
  if (record.amount_minor - record.commission_minor <= float_minor) return decision;
  return answer(renderError("018"));
}

/** The status a requery sees now: a pending purchase past its delivery time is delivered. */
export function currentStatus(record: PurchaseRecord, now_ms: number): SandboxStatus {
  if (
    record.status === "pending" &&
    record.deliver_at_ms !== null &&
    now_ms >= record.deliver_at_ms
  )
    return "delivered";
  return record.status;
}

/**
 * Settle a pending purchase (the alarm at `deliver_at_ms`, or a control call).
 * Null when it is not pending: a purchase reaches a final state once.
 */
export function settle(
  record: PurchaseRecord,
  to: "delivered" | "failed" | "reversed",
): PurchaseRecord | null {
  // Pending settles once; a delivered purchase may still be reversed (VTpass's staff do), once.
  if (!(record.status === "pending" || (record.status === "delivered" && to === "reversed")))
    return null;
  return { ...record, status: to, deliver_at_ms: null };
}

/** `POST /api/requery`. */
export function decideRequery(
  input: { headers: HeaderReader; body: unknown; now_ms: number },
  ledger: PurchaseLedger,
): Json {
  if (!keysAccepted("POST", input.headers)) return renderError("087");
  const request_id = (input.body as { request_id?: unknown } | null)?.request_id;
  if (typeof request_id !== "string" || request_id === "") return renderError("011");
  const record = ledger.find(request_id);
  if (!record) return renderError("015");
  return renderRequeryAnswer({ ...record, status: currentStatus(record, input.now_ms) });
}

// ---- Renderers -------------------------------------------------------------------------------

/** Exact for whole kobo: an integer divided by 100 prints as its two-decimal value. */
const nairaNumber = (minor: number) => minor / 100;

const STATUS_ANSWER: Record<SandboxStatus, { code: string; text: string }> = {
  delivered: { code: "000", text: "TRANSACTION SUCCESSFUL" },
  pending: { code: "099", text: "TRANSACTION IS PROCESSING" },
  failed: { code: "016", text: "TRANSACTION FAILED" },
  reversed: { code: "040", text: "TRANSACTION REVERSAL" },
};

function transactionObject(record: PurchaseRecord): Json {
  const commission_minor =
    record.status === "delivered" || record.status === "pending" ? record.commission_minor : 0;
  return {
    status: record.status,
    product_name: record.product_name,
    unique_element: record.recipient,
    unit_price: nairaNumber(record.amount_minor),
    quantity: 1,
    service_verification: null,
    channel: "api",
    commission: nairaNumber(commission_minor),
    total_amount: nairaNumber(record.amount_minor - commission_minor),
    discount: null,
    type: typeText(record.serviceID),
    email: "sandbox@sandbox.vtpass.com",
    phone: record.phone,
    name: null,
    convinience_fee: 0,
    amount: nairaNumber(record.amount_minor),
    platform: "api",
    method: "api",
    transactionId: record.transaction_id,
    commission_details: {
      amount: nairaNumber(commission_minor),
      rate: "3.00",
      rate_type: "percent",
      computation_type: "default",
    },
  };
}

/** `YYYY-MM-DD HH:MM:SS.000000` in Lagos, for the older object form of `transaction_date`. */
function lagosWallClock(ms: number): string {
  return `${new Date(ms + LAGOS_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ")}.000000`;
}

/**
 * A pay answer: `000` with the status inside for delivered and pending, `016`
 * for failed; `transaction_date` in the older object form, so clients meet
 * both forms (requery answers use the ISO string).
 */
export function renderPayAnswer(record: PurchaseRecord): Json {
  const code = record.status === "failed" ? "016" : "000";
  return {
    code,
    content: { transactions: transactionObject(record) },
    response_description:
      record.status === "failed"
        ? "TRANSACTION FAILED"
        : record.status === "pending"
          ? "TRANSACTION PROCESSING - PENDING"
          : "TRANSACTION SUCCESSFUL",
    requestId: record.request_id,
    amount: nairaNumber(record.amount_minor),
    transaction_date: {
      date: lagosWallClock(record.created_at_ms),
      timezone_type: 3,
      timezone: "Africa/Lagos",
    },
    purchased_code: "",
    ...billOf(record, "pay").fields,
  };
}

/** A requery answer (and the `data` of a callback); `transaction_date` as an ISO string, as newer answers have it. */
export function renderRequeryAnswer(record: PurchaseRecord): Json {
  const { code, text } = STATUS_ANSWER[record.status];
  const bill = billOf(record);
  return {
    code,
    // Requery repeats a bill's token in `extras` (14.7).
    content: { transactions: { ...(transactionObject(record) as object), extras: bill.extras } },
    response_description: text,
    requestId: record.request_id,
    amount: nairaNumber(record.amount_minor),
    transaction_date: new Date(record.created_at_ms).toISOString().replace("Z", "000Z"),
    purchased_code: "",
    ...bill.fields,
  };
}

/** The callback VTpass POSTs when a pending purchase is resolved. */
export function renderTransactionUpdate(record: PurchaseRecord): Json {
  return { type: "transaction-update", data: renderRequeryAnswer(record) };
}

/** `GET /api/balance`, as third-party code reads it (`contents.balance`). */
export function renderBalance(balance_minor: number): Json {
  return { code: 1, contents: { number: "SANDBOX", balance: nairaNumber(balance_minor), code: 1 } };
}
