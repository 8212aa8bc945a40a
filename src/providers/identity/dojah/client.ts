/**
 * Dojah client: the only code that speaks Dojah's vocabulary. It answers the
 * identity port (../port.ts) directly: one lookup per call, classified into
 * found / not_found / unavailable.
 *
 * Endpoints (reference: providers section 19.3):
 * - BVN: `GET /api/v1/kyc/bvn/full?bvn=` (Dojah's "BVN basic" lookup: names,
 *   date of birth as YYYY-MM-DD).
 * - NIN: `GET /api/v1/kyc/nin?nin=`: not in the pages the reference captured
 *   (NOT CONFIRMED there); it is what Dojah's own generated SDKs call
 *   (`nigeriaKyc.getNin`), whose answer model names the fields `first_name`,
 *   `middle_name`, `surname` and `birth_date`, while Dojah's guide shows
 *   `last_name` and `date_of_birth`: both spellings are read.
 * Headers: `AppId` and the secret key as a raw `Authorization` (no "Bearer"),
 * as Dojah's SDKs send them.
 *
 * Classification: a 200 with a readable person is `found`; a 400/404 whose
 * error says the number is not found or invalid is `not_found`; everything
 * else (timeout, network, 401/403, 429, 5xx, an answer we cannot read) is
 * `unavailable`. The number and the person's data never reach a log line.
 */
import { log } from "../../../lib/log";
import type { ProviderFetch } from "../../http";
import type { IdentityKind, IdentityLookup, IdentityPort, IssuedPerson } from "../port";
import { DOJAH_RESPONSE_MAX_CHARS } from "./limits";

export const DOJAH = "dojah";

export type DojahOptions = {
  /** Origin plus any mount path, without `/api`: https://api.dojah.io, or the look-alike's. */
  base_url: string;
  app_id: string;
  secret_key: string;
  timeout_ms: number;
  fetch: ProviderFetch;
  /** Our request id, for log lines. */
  request_id?: string;
};

const PATHS: Record<IdentityKind, { path: string; param: string }> = {
  bvn: { path: "/api/v1/kyc/bvn/full", param: "bvn" },
  nin: { path: "/api/v1/kyc/nin", param: "nin" },
};

/** What one HTTP exchange produced, before any meaning is read into it. */
export type DojahExchange =
  | { answered: true; http_status: number; body_text: string }
  | { answered: false; reason: "timeout" | "network_error" | "body_read_failed" | "too_large" };

export class DojahClient implements IdentityPort {
  readonly name = DOJAH;

  constructor(private readonly options: DojahOptions) {}

  async lookup(kind: IdentityKind, number: string): Promise<IdentityLookup> {
    const { path, param } = PATHS[kind];
    const url = `${this.options.base_url.replace(/\/+$/, "")}${path}?${param}=${encodeURIComponent(number)}`;
    const exchange = await this.once(url);
    const result = classifyDojah(exchange);
    const fields = {
      request_id: this.options.request_id,
      provider: DOJAH,
      kind,
      http_status: exchange.answered ? exchange.http_status : null,
      outcome: result.outcome,
      reason: result.outcome === "unavailable" ? result.reason : null,
    };
    if (result.outcome === "unavailable") log.warn("identity lookup unavailable", fields);
    else log.info("identity lookup answered", fields);
    return result;
  }

  private async once(url: string): Promise<DojahExchange> {
    let response: Response;
    try {
      response = await this.options.fetch(
        new Request(url, {
          method: "GET",
          headers: {
            accept: "application/json",
            AppId: this.options.app_id,
            Authorization: this.options.secret_key,
          },
          signal: AbortSignal.timeout(this.options.timeout_ms),
        }),
      );
    } catch (error) {
      return { answered: false, reason: isAbort(error) ? "timeout" : "network_error" };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return { answered: false, reason: isAbort(error) ? "timeout" : "body_read_failed" };
    }
    if (text.length > DOJAH_RESPONSE_MAX_CHARS) return { answered: false, reason: "too_large" };
    return { answered: true, http_status: response.status, body_text: text };
  }
}

/** Dojah's answer -> the port's. Pure, so a table test walks it. */
export function classifyDojah(exchange: DojahExchange): IdentityLookup {
  if (!exchange.answered) return { outcome: "unavailable", reason: exchange.reason };
  const { http_status, body_text } = exchange;
  let body: unknown;
  try {
    body = JSON.parse(body_text);
  } catch {
    body = null;
  }
  if (http_status === 400 || http_status === 404) {
    const error = isRecord(body) && typeof body.error === "string" ? body.error : "";
    if (/not\s*found|invalid|no record/i.test(error)) return { outcome: "not_found" };
    return { outcome: "unavailable", reason: `http_${http_status}` };
  }
  if (http_status === 401 || http_status === 403) {
    return { outcome: "unavailable", reason: "credentials_refused" };
  }
  if (http_status !== 200) return { outcome: "unavailable", reason: `http_${http_status}` };
  const entity = isRecord(body) ? body.entity : null;
  if (!isRecord(entity)) return { outcome: "unavailable", reason: "no_entity" };
  const person = readPerson(entity);
  if (!person) return { outcome: "unavailable", reason: "unreadable_person" };
  return { outcome: "found", person };
}

function readPerson(entity: Record<string, unknown>): IssuedPerson | null {
  const first = text(entity.first_name) ?? text(entity.firstname);
  const last = text(entity.last_name) ?? text(entity.surname) ?? text(entity.lastname);
  const middle = text(entity.middle_name) ?? text(entity.middlename);
  const dob = isoDate(
    text(entity.date_of_birth) ?? text(entity.birth_date) ?? text(entity.birthdate),
  );
  if (!first || !last || !dob) return null;
  return { first_name: first, middle_name: middle, last_name: last, date_of_birth: dob };
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/**
 * Dates as Dojah writes them: YYYY-MM-DD (lookups), DD-MM-YYYY or DD/MM/YYYY,
 * and DD-Month-YYYY ("01-January-1907", the BVN selfie check). Anything else,
 * or an impossible date, is null (the answer is then unreadable).
 */
export function isoDate(value: string | null): string | null {
  if (!value) return null;
  let y: number;
  let m: number;
  let d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(value);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{2})[-/](\d{2})[-/](\d{4})$/.exec(value))) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})-([A-Za-z]+)-(\d{4})$/.exec(value))) {
    const month = MONTHS.indexOf(match[2]!.toLowerCase());
    if (month < 0) return null;
    [d, m, y] = [Number(match[1]), month + 1, Number(match[3])];
  } else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return null;
  }
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}
