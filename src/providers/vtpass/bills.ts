/**
 * VTpass's bills in our words: the electricity distribution companies and
 * cable TV services it sells, what `merchant-verify` says about a meter or a
 * smartcard, and the token (and units) a paid prepaid meter gets.
 *
 * Field names follow VTpass's documentation (providers reference 14, 15);
 * where it is unclear, the most-used clients (the README names them):
 * - a wrong number's verify answer is not documented: `code` 000 alone is not
 *   enough; `content.WrongBillersCode === true`, a `content.error`, or no
 *   `Customer_Name` all mean "wrong number";
 * - the token is top-level and DisCo-specific: `purchased_code` ("Token :
 *   2636..."), then `token`, `mainToken`, `Token`, then the requery's
 *   `content.transactions.extras`; units from `units`, `mainTokenUnits` or
 *   `PurchasedUnits`;
 * - `Current_Bouquet`, `Current_Bouquet_Code`, `Renewal_Amount` and the
 *   casing of `Due_Date` / `DUE_DATE` are optional (not in the current samples).
 */
import { parseDecimal } from "../../domain/money";
import { VTPASS_TOKEN_MAX_CHARS, VTPASS_VERIFY_TEXT_MAX_CHARS } from "./limits";

export * from "../../domain/bills";

// ---- merchant-verify ----------------------------------------------------------------------------

/** A verified meter or smartcard, as we show it; the fields VTpass did not give are null. */
export type Verified = {
  customer_name: string;
  address: string | null;
  /** Electricity: `Meter_Type`; TV: the account status (`Status`). */
  account_status: string | null;
  current_bouquet: string | null;
  current_bouquet_code: string | null;
  /** Kobo: `Renewal_Amount`. */
  renewal_amount_minor: number | null;
  due_date: string | null;
  /** Kobo: `Min_Purchase_Amount` or `Minimum_Amount` when VTpass fills them (often empty). */
  min_amount_minor: number | null;
  can_vend: boolean | null;
};

export type VerifyParse =
  | { ok: true; value: Verified }
  | { ok: false; kind: "not_found"; message: string }
  | { ok: false; kind: "malformed"; reason: string };

const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

function text(v: unknown): string | null {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" || t.length > VTPASS_VERIFY_TEXT_MAX_CHARS ? null : t;
}

function kobo(v: unknown): number | null {
  if (typeof v !== "number" && typeof v !== "string") return null;
  if (typeof v === "string" && v.trim() === "") return null;
  const parsed = parseDecimal(typeof v === "string" ? v.trim() : v);
  return parsed.ok && parsed.amount_minor > 0 ? parsed.amount_minor : null;
}

export function parseVerifyAnswer(json: unknown): VerifyParse {
  const body = obj(json);
  if (!body || typeof body.code !== "string")
    return { ok: false, kind: "malformed", reason: "not a verify answer" };
  // Product or argument codes: the number cannot be verified for this service.
  if (body.code === "011" || body.code === "012" || body.code === "010")
    return { ok: false, kind: "not_found", message: "not verifiable for this service" };
  if (body.code !== "000" && body.code !== "020")
    return { ok: false, kind: "malformed", reason: `verify answered ${body.code}` };
  const content = obj(body.content);
  if (!content) return { ok: false, kind: "malformed", reason: "verify answer without content" };
  const name = text(content.Customer_Name);
  if (content.WrongBillersCode === true || content.error !== undefined || !name)
    return { ok: false, kind: "not_found", message: "wrong number" };
  return {
    ok: true,
    value: {
      customer_name: name,
      address: text(content.Address),
      account_status: text(content.Meter_Type) ?? text(content.Status),
      current_bouquet: text(content.Current_Bouquet),
      current_bouquet_code: text(content.Current_Bouquet_Code),
      renewal_amount_minor: kobo(content.Renewal_Amount),
      due_date: text(content.Due_Date) ?? text(content.DUE_DATE),
      min_amount_minor: kobo(content.Min_Purchase_Amount) ?? kobo(content.Minimum_Amount),
      can_vend:
        typeof content.Can_Vend === "string"
          ? content.Can_Vend.trim().toLowerCase() === "yes"
          : null,
    },
  };
}

// ---- The token of a paid bill ------------------------------------------------------------------

/** "Token : 2636 2054 ..." -> "26362054..."; the main token when a bonus token follows; null for "N/A" or "". */
export function cleanToken(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  let t = raw.trim();
  t = t.replace(/^(main\s*)?token\s*:?\s*/i, "");
  t = t.split(/\s+bonus\s+token/i)[0] ?? "";
  t = t.replace(/[\s-]/g, "");
  if (t.length < 6 || t.length > VTPASS_TOKEN_MAX_CHARS || !/^[0-9A-Za-z]+$/.test(t)) return null;
  return t;
}

function unitsText(raw: unknown): string | null {
  if (typeof raw === "number" && Number.isFinite(raw) && raw > 0) return `${raw} kWh`;
  if (typeof raw !== "string") return null;
  const t = raw.trim();
  if (t === "" || t.toUpperCase() === "N/A" || t.length > 32) return null;
  return /^\d+(\.\d+)?$/.test(t) ? `${t} kWh` : t;
}

/** The token and units an answer carries (pay, requery or callback data), wherever this DisCo put them. */
export function tokenOf(json: unknown): { token: string | null; units: string | null } {
  const body = obj(json);
  if (!body) return { token: null, units: null };
  const extras = obj(obj(body.content)?.transactions)?.extras;
  const token =
    cleanToken(body.purchased_code) ??
    cleanToken(body.token) ??
    cleanToken(body.mainToken) ??
    cleanToken(body.Token) ??
    cleanToken(extras);
  const units =
    unitsText(body.units) ?? unitsText(body.mainTokenUnits) ?? unitsText(body.PurchasedUnits);
  return { token, units: token ? units : null };
}
