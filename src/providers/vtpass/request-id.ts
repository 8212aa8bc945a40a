/**
 * VTpass `request_id`: our idempotency key for a purchase, and the only handle
 * a requery has. VTpass requires the first 12 characters to be the current
 * Africa/Lagos date and time as `YYYYMMDDHHII` (error 085 otherwise) and
 * refuses a reused one (014), so an id is made once per purchase, stored with
 * the purchase before `pay` is sent, and never regenerated for it.
 *
 * Lagos is UTC+1 all year (West Africa Time has no daylight saving), so the
 * prefix is computed by adding one hour to UTC: no dependence on the runtime's
 * Intl time-zone data.
 */
import { randomBase32 } from "../../lib/ids";
import { VTPASS_REQUEST_ID_MAX_CHARS, VTPASS_REQUEST_ID_SUFFIX_CHARS } from "./limits";

export const LAGOS_UTC_OFFSET_MS = 60 * 60 * 1000;
export const REQUEST_ID_PREFIX_CHARS = 12;

const SHAPE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})[0-9A-Za-z]*$/;

/** `YYYYMMDDHHII` in Lagos time for an instant. */
export function lagosDateTimePrefix(now_ms: number): string {
  if (!Number.isSafeInteger(now_ms) || now_ms < 0) throw new Error(`invalid time: ${now_ms}`);
  const lagos = new Date(now_ms + LAGOS_UTC_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    String(lagos.getUTCFullYear()).padStart(4, "0") +
    pad(lagos.getUTCMonth() + 1) +
    pad(lagos.getUTCDate()) +
    pad(lagos.getUTCHours()) +
    pad(lagos.getUTCMinutes())
  );
}

/**
 * A fresh request_id: the Lagos minute of `now_ms` and 20 random base32
 * characters (100 bits from crypto.getRandomValues), 32 characters in all.
 * Ids made in the same minute differ only by their suffix, which is what
 * keeps them unique.
 */
export function newRequestId(now_ms: number): string {
  const id = lagosDateTimePrefix(now_ms) + randomBase32(VTPASS_REQUEST_ID_SUFFIX_CHARS);
  if (!isRequestId(id)) throw new Error("generated request_id fails its own check");
  return id;
}

export type RequestIdCheck =
  | { ok: true; prefix_utc_ms: number }
  | { ok: false; reason: "length" | "characters" | "date" };

/**
 * The shape VTpass accepts: 12 to 36 characters, ASCII letters and digits only,
 * the first 12 a real calendar minute. `prefix_utc_ms` is the UTC instant the
 * prefix names, so a caller can tell how old the id is. Freshness ("today in
 * Lagos") is not checked here: it depends on when the id is sent.
 */
export function checkRequestId(id: string): RequestIdCheck {
  if (id.length < REQUEST_ID_PREFIX_CHARS || id.length > VTPASS_REQUEST_ID_MAX_CHARS)
    return { ok: false, reason: "length" };
  const match = SHAPE.exec(id);
  if (!match) return { ok: false, reason: "characters" };
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number);
  const wall_ms = Date.UTC(year, month - 1, day, hour, minute);
  const wall = new Date(wall_ms);
  // Date.UTC rolls 31 February into March; a prefix that does not survive the round trip is no date.
  const real =
    wall.getUTCFullYear() === year &&
    wall.getUTCMonth() === month - 1 &&
    wall.getUTCDate() === day &&
    wall.getUTCHours() === hour &&
    wall.getUTCMinutes() === minute;
  if (!real) return { ok: false, reason: "date" };
  return { ok: true, prefix_utc_ms: wall_ms - LAGOS_UTC_OFFSET_MS };
}

export function isRequestId(id: string): boolean {
  return checkRequestId(id).ok;
}
