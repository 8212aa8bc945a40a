/**
 * VTpass answers -> neutral facts. Pure: the client hands over what came back
 * (or that nothing did) and gets one classification, so every rule below is a
 * table a unit test can walk.
 *
 * VTpass's own rule leads: a response code of `000` is not success by itself;
 * the outcome is `content.transactions.status`. Anything unexpected (an
 * unknown code or status, a timeout, a 5xx, a body we cannot read) is
 * `unknown`: the purchase may have happened, so it is re-queried, never
 * re-sent and never refunded on a guess.
 *
 * `refused` means "this pay was not executed and nothing was charged", and it
 * comes only from `pay`. A requery that VTpass refuses (bad credentials, say)
 * tells us nothing about the purchase, so it is `unknown`, with the anomaly.
 */
import { providerAmountToMinor } from "../../domain/money";
import { tokenOf } from "./bills";
import type { Outcome } from "../outcome";
import {
  CodeOnly,
  TransactionAnswer,
  TransactionUpdate,
  type TransactionAnswer as Answer,
} from "./schemas";

// ---- Neutral facts ------------------------------------------------------------------

export type PurchaseOutcome = "succeeded" | "failed" | "pending" | "reversed";

export type PurchaseFacts = {
  outcome: PurchaseOutcome;
  /** VTpass's transactionId, when it gave one. */
  provider_ref: string | null;
  /** Ours: the request_id the purchase was sent with. */
  request_id: string;
  /** Face value VTpass reports (`amount`), in kobo. */
  amount_minor: number | null;
  /** What VTpass debited our float (`total_amount`, after commission), in kobo. */
  charged_minor: number | null;
  product_name: string | null;
  /** The number credited (`unique_element`). */
  phone: string | null;
  /** VTpass's `response_description`, for logs and support. */
  message: string;
  /** A bill's token or voucher (bills.ts tokenOf) and a prepaid meter's units: never logged. */
  token: string | null;
  units: string | null;
};

/** What operators must hear about; each is an alarm, not a user's problem. */
export type VtpassAnomaly =
  | "provider_float_low"
  | "provider_credentials"
  | "provider_request_invalid";
export type VtpassRefusal = { code: string; anomaly?: VtpassAnomaly };
export type VtpassUnknown = { code?: string; anomaly?: VtpassAnomaly };
export type VtpassOutcome<T> = Outcome<T, VtpassRefusal, VtpassUnknown>;
export type PurchaseResult = VtpassOutcome<PurchaseFacts>;

/** What one HTTP exchange produced, before any meaning is read into it. */
export type Exchange =
  | { answered: true; http_status: number; body_text: string }
  | { answered: false; reason: "timeout" | "network_error" | "body_read_failed" | "too_large" };

// ---- Response codes ----------------------------------------------------------------------

type CodeClass =
  | "processed" // read the inner status
  | "processing" // still running: requery
  | "failed" // not delivered, nothing charged
  | "reversed" // charged, then returned to our wallet
  | "refused" // validation or product problem: not executed
  | "refused_float_low"
  | "refused_credentials"
  | "refused_request_id" // 085: our request_id's date prefix is wrong (a bug of ours)
  | "request_id_used" // 014: an earlier pay with this id reached VTpass
  | "request_id_unknown" // 015: requery of an id VTpass never saw
  | "unclear"; // documented, but not an outcome

/**
 * Every code we know, with a sentence a user can read when it ends a purchase.
 * Codes missing from this table are `unknown`.
 */
export const VTPASS_CODES: Readonly<Record<string, { class: CodeClass; message: string }>> = {
  "000": { class: "processed", message: "Processed." },
  "099": { class: "processing", message: "The purchase is still being processed." },
  "089": { class: "processing", message: "An earlier request is still being processed." },
  "016": { class: "failed", message: "The purchase failed and you were not charged." },
  "091": { class: "failed", message: "The purchase was not processed and you were not charged." },
  "040": { class: "reversed", message: "The purchase was reversed and the money returned." },
  "010": { class: "refused", message: "That plan is no longer offered; pick another." },
  "011": { class: "refused", message: "The purchase details were incomplete." },
  "012": { class: "refused", message: "That product is not available." },
  "013": { class: "refused", message: "The amount is below the minimum for this product." },
  "017": { class: "refused", message: "The amount is above the maximum for this product." },
  "020": { class: "refused", message: "The purchase could not be completed." }, // a verification answer to a purchase: failed (VTpass)
  "025": { class: "refused", message: "The recipient's bank is not valid." },
  "026": { class: "refused", message: "The recipient's account could not be verified." },
  "028": { class: "refused", message: "This product is not available right now." },
  "030": { class: "refused", message: "The network cannot be reached right now; try again later." },
  "031": { class: "refused", message: "The quantity is below the minimum for this product." },
  "032": { class: "refused", message: "The quantity is above the maximum for this product." },
  "034": { class: "refused", message: "This product is suspended right now." },
  "035": { class: "refused", message: "This product is not active right now." },
  "019": {
    class: "refused",
    message:
      "The same purchase was just made for this number; wait 30 seconds before repeating it.",
  },
  "018": {
    class: "refused_float_low",
    message: "Purchases are paused for a moment; try again shortly.",
  },
  "087": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "021": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "022": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "023": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "024": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "027": {
    class: "refused_credentials",
    message: "Purchases are unavailable right now; try again later.",
  },
  "085": { class: "refused_request_id", message: "The purchase could not be started; try again." },
  "014": { class: "request_id_used", message: "This purchase was already sent." },
  "015": { class: "request_id_unknown", message: "VTpass has no purchase with this reference." },
  "083": { class: "unclear", message: "VTpass reported a system error." },
  "044": { class: "unclear", message: "VTpass marked the transaction resolved." },
  "001": { class: "unclear", message: "Transaction query." },
};

/**
 * `content.transactions.status` -> ours. `resolved` is pending: VTpass's staff
 * settled a stuck transaction but the word does not say which way (delivered
 * or reversed); the next requery or the transaction-update callback does.
 * `failed` appears only in third-party guides; handled as failed if seen.
 */
export function mapInnerStatus(status: string): PurchaseOutcome | null {
  const known = ["delivered", "initiated", "pending", "reversed", "failed", "resolved"] as const;
  const normalised = status.trim().toLowerCase() as (typeof known)[number];
  if (!known.includes(normalised)) return null;
  switch (normalised) {
    case "delivered":
      return "succeeded";
    case "initiated":
    case "pending":
    case "resolved":
      return "pending";
    case "reversed":
      return "reversed";
    case "failed":
      return "failed";
    default: {
      const unreachable: never = normalised;
      throw new Error(`unmapped inner status ${String(unreachable)}`);
    }
  }
}

// ---- Transport -------------------------------------------------------------------------------

/** Worth asking again (reads only): no answer, a gateway or rate-limit status, or a body that is not JSON. */
export function isTransient(exchange: Exchange): boolean {
  if (!exchange.answered) return true;
  if (exchange.http_status >= 500 || exchange.http_status === 429 || exchange.http_status === 408)
    return true;
  return parseJson(exchange.body_text) === undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Json = { ok: true; json: unknown } | { ok: false; reason: string };

/** The body as JSON, or why there is none worth reading. */
export function answeredJson(exchange: Exchange): Json {
  if (!exchange.answered) return { ok: false, reason: exchange.reason };
  const { http_status } = exchange;
  if (http_status >= 500 || http_status === 429 || http_status === 408)
    return { ok: false, reason: `http ${http_status}` };
  const json = parseJson(exchange.body_text);
  if (json === undefined) return { ok: false, reason: `unparsable body (http ${http_status})` };
  return { ok: true, json };
}

// ---- Purchases (pay and requery) ---------------------------------------------------------

function amountMinor(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : providerAmountToMinor(value);
}

function factsFrom(
  outcome: PurchaseOutcome,
  request_id: string,
  code: string,
  answer: Answer | null,
  raw: unknown,
): PurchaseFacts {
  const tx = answer?.content?.transactions ?? null;
  const { token, units } = tokenOf(raw);
  return {
    outcome,
    provider_ref: tx?.transactionId ?? answer?.transactionId ?? null,
    request_id,
    amount_minor: amountMinor(tx?.amount ?? answer?.amount),
    charged_minor: amountMinor(tx?.total_amount),
    product_name: tx?.product_name ?? null,
    phone: tx?.unique_element ?? null,
    message: answer?.response_description ?? VTPASS_CODES[code]?.message ?? code,
    token,
    units,
  };
}

/**
 * Classify the answer to `pay` or `requery` for `request_id`. Also used for
 * the `data` of a transaction-update callback (requery-shaped).
 */
export function classifyPurchase(
  operation: "pay" | "requery",
  request_id: string,
  exchange: Exchange,
): PurchaseResult {
  const body = answeredJson(exchange);
  if (!body.ok) return { ok: false, kind: "unknown", reason: body.reason };
  const head = CodeOnly.safeParse(body.json);
  if (!head.success) return { ok: false, kind: "unknown", reason: "no response code" };
  const code = head.data.code;
  const known = VTPASS_CODES[code];
  if (!known) return { ok: false, kind: "unknown", code, reason: `unknown response code ${code}` };

  const parsed = TransactionAnswer.safeParse(body.json);
  const answer = parsed.success ? parsed.data : null;
  if (answer?.requestId && answer.requestId !== request_id) {
    return { ok: false, kind: "unknown", code, reason: "answer names another request_id" };
  }
  const inner = answer?.content?.transactions?.status;
  const refusal = (anomaly?: VtpassAnomaly): PurchaseResult =>
    operation === "pay"
      ? {
          ok: false,
          kind: "refused",
          code,
          message: known.message,
          ...(anomaly ? { anomaly } : {}),
        }
      : {
          ok: false,
          kind: "unknown",
          code,
          reason: `requery refused with ${code}`,
          ...(anomaly ? { anomaly } : {}),
        };

  switch (known.class) {
    case "processed": {
      if (!answer) return { ok: false, kind: "unknown", code, reason: "malformed 000 answer" };
      if (inner === undefined || inner === null)
        return { ok: false, kind: "unknown", code, reason: "000 without a transaction status" };
      const outcome = mapInnerStatus(inner);
      if (!outcome)
        return {
          ok: false,
          kind: "unknown",
          code,
          reason: `unknown transaction status "${inner}"`,
        };
      return { ok: true, value: factsFrom(outcome, request_id, code, answer, body.json) };
    }
    case "processing":
      return { ok: true, value: factsFrom("pending", request_id, code, answer, body.json) };
    case "failed":
    case "reversed": {
      // A code that says "no value given" beside an inner status that says
      // delivered or pending contradicts itself: ask again rather than refund.
      const says = inner ? mapInnerStatus(inner) : null;
      if (says === "succeeded" || says === "pending") {
        return {
          ok: false,
          kind: "unknown",
          code,
          reason: `code ${code} contradicts status "${inner}"`,
        };
      }
      return { ok: true, value: factsFrom(known.class, request_id, code, answer, body.json) };
    }
    case "refused":
      return refusal();
    case "refused_float_low":
      return refusal("provider_float_low");
    case "refused_credentials":
      return refusal("provider_credentials");
    case "refused_request_id":
      return refusal("provider_request_invalid");
    case "request_id_used":
      // Not a failure: an earlier pay with this id got there. Its outcome is
      // whatever a requery says.
      return { ok: false, kind: "unknown", code, reason: "request_id already used: requery" };
    case "request_id_unknown":
      return operation === "requery"
        ? { ok: false, kind: "not_found", message: known.message }
        : { ok: false, kind: "unknown", code, reason: "015 in answer to pay" };
    case "unclear":
      return { ok: false, kind: "unknown", code, reason: `code ${code}: ${known.message}` };
    default: {
      const unreachable: never = known.class;
      throw new Error(`unhandled code class ${String(unreachable)}`);
    }
  }
}

/**
 * A transaction-update callback body -> the request_id it is about and what
 * it claims. Callbacks are unsigned, so the caller treats the claim as a
 * reason to requery, never as the outcome itself.
 */
export function classifyTransactionUpdate(
  body_text: string,
): { request_id: string; claim: PurchaseResult } | null {
  const json = parseJson(body_text);
  const update = TransactionUpdate.safeParse(json);
  if (!update.success) return null;
  const data = TransactionAnswer.safeParse(update.data.data);
  if (!data.success || !data.data.requestId) return null;
  const request_id = data.data.requestId;
  const claim = classifyPurchase("requery", request_id, {
    answered: true,
    http_status: 200,
    body_text: JSON.stringify(update.data.data),
  });
  return { request_id, claim };
}

// ---- Reads (catalogue, balance) ------------------------------------------------------------

export type ReadParse<T> =
  | { ok: true; value: T }
  | { ok: false; kind: "not_found"; message: string }
  | { ok: false; kind: "malformed"; reason: string };

/**
 * Classify a read: transport problems are `unknown`; a credentials code is
 * `refused` (nothing to retry until an operator acts); otherwise `parse`
 * decides. Reads move no money, so `refused` here is safe to act on.
 */
export function classifyRead<T>(
  exchange: Exchange,
  parse: (json: unknown) => ReadParse<T>,
): VtpassOutcome<T> {
  const body = answeredJson(exchange);
  if (!body.ok) return { ok: false, kind: "unknown", reason: body.reason };
  const head = CodeOnly.safeParse(body.json);
  const known = head.success ? VTPASS_CODES[head.data.code] : undefined;
  if (head.success && known?.class === "refused_credentials") {
    return {
      ok: false,
      kind: "refused",
      code: head.data.code,
      message: known.message,
      anomaly: "provider_credentials",
    };
  }
  const result = parse(body.json);
  if (result.ok || result.kind === "not_found") return result;
  return {
    ok: false,
    kind: "unknown",
    ...(head.success ? { code: head.data.code } : {}),
    reason: result.reason,
  };
}
