/**
 * VTpass client: the only code that speaks VTpass's vocabulary (with
 * schemas.ts, classify.ts and catalogue.ts beside it).
 *
 * Responsibilities
 * - Build requests: `api-key` on every call, plus `public-key` on GETs and
 *   `secret-key` on POSTs (VTpass's key-based authentication). JSON bodies.
 * - A timeout on every call (AbortSignal.timeout); the abort reaches the
 *   injected `fetch`, so a hung provider costs at most `timeout_ms`.
 * - Hand every answer to classify.ts, which maps it to ok / not_found /
 *   refused / unknown exhaustively.
 * - Retry (bounded, with backoff) only reads: the GETs and `requery`, which
 *   is a POST but changes nothing. `pay` is never retried here: a lost answer
 *   is `unknown`, and the purchase flow re-queries with the same request_id.
 *
 * Keys never reach a log line; phones are logged masked.
 */
import { assertMinor, minorToProviderNumber } from "../../domain/money";
import { VTPASS_READ_RETRIES, VTPASS_RESPONSE_MAX_CHARS, VTPASS_RETRY_BASE_MS } from "./limits";
import { log, maskAccount } from "../../lib/log";
import { sleep } from "../../lib/time";
import type { ProviderFetch } from "../http";
import {
  classifyPurchase,
  classifyRead,
  isTransient,
  type Exchange,
  type PurchaseResult,
  type VtpassOutcome,
} from "./classify";
import {
  parseBalanceAnswer,
  parseServicesAnswer,
  parseVariationsAnswer,
  type PlanCatalogue,
  type ServiceInfo,
} from "./catalogue";
import { checkRequestId } from "./request-id";
import { parseVerifyAnswer, type Verified } from "./bills";

export type VtpassOptions = {
  /** Origin plus any mount path, without `/api`: https://vtpass.com, or the sandbox's. */
  base_url: string;
  api_key: string;
  public_key: string;
  secret_key: string;
  /** Bound on each call's wait for an answer. */
  timeout_ms: number;
  /** Bound on each read attempt; defaults to `timeout_ms`. Reads are retried, so this may be shorter. */
  read_timeout_ms?: number;
  fetch: ProviderFetch;
  /** Our request id, for log lines (not VTpass's request_id). */
  request_id?: string;
};

export type PayInput = {
  /** From newRequestId, stored with the purchase before this call. */
  request_id: string;
  serviceID: string;
  /** Airtime: the face value. Data: the plan's price (VTpass ignores it for fixed-price plans). */
  amount_minor: number;
  /** The number to credit for airtime; the customer's number for data. */
  phone: string;
  /** Data: the number to credit; electricity: the meter; TV: the smartcard (Showmax: the phone). */
  billersCode?: string;
  /** Data and TV: the plan's or bouquet's code; electricity: `prepaid` or `postpaid`. */
  variation_code?: string;
  /** DStv and GOtv: `change` (a bouquet, for `quantity` months) or `renew` (the current bouquet). */
  subscription_type?: "change" | "renew";
  quantity?: number;
};

/** `merchant-verify`: a meter (with its type) or a smartcard. */
export type VerifyInput = { serviceID: string; billersCode: string; type?: string };

type Method = "GET" | "POST";

export class VtpassClient {
  constructor(private readonly options: VtpassOptions) {}

  // ---- purchases ----------------------------------------------------------------------

  /** Buy airtime or data. Sent once; an unclear answer is `unknown` (requery, never re-send). */
  async pay(input: PayInput): Promise<PurchaseResult> {
    // Programmer errors, not operating ones: the caller built these.
    const id = checkRequestId(input.request_id);
    if (!id.ok) throw new Error(`pay: invalid request_id (${id.reason})`);
    assertMinor(input.amount_minor);
    if (input.amount_minor === 0) throw new Error("pay: amount must be positive");
    const body = {
      request_id: input.request_id,
      serviceID: input.serviceID,
      amount: minorToProviderNumber(input.amount_minor),
      phone: input.phone,
      ...(input.billersCode === undefined ? {} : { billersCode: input.billersCode }),
      ...(input.variation_code === undefined ? {} : { variation_code: input.variation_code }),
      ...(input.subscription_type === undefined
        ? {}
        : { subscription_type: input.subscription_type }),
      ...(input.quantity === undefined ? {} : { quantity: input.quantity }),
    };
    const exchange = await this.once("POST", "/api/pay", body, this.options.timeout_ms);
    const result = classifyPurchase("pay", input.request_id, exchange);
    this.report("pay", input.request_id, exchange, result, input.billersCode ?? input.phone);
    return result;
  }

  /** The state of an earlier purchase. A read: retried on transport trouble. */
  async requery(request_id: string): Promise<PurchaseResult> {
    const exchange = await this.read("POST", "/api/requery", { request_id });
    const result = classifyPurchase("requery", request_id, exchange);
    this.report("requery", request_id, exchange, result, null);
    return result;
  }

  /**
   * What VTpass knows of a meter or smartcard (name, address, bouquet). A
   * read: retried on transport trouble; a wrong number is `not_found`.
   */
  async verify(input: VerifyInput): Promise<VtpassOutcome<Verified>> {
    const exchange = await this.read("POST", "/api/merchant-verify", {
      serviceID: input.serviceID,
      billersCode: input.billersCode,
      ...(input.type === undefined ? {} : { type: input.type }),
    });
    return this.reportRead("verify", classifyRead(exchange, parseVerifyAnswer));
  }

  // ---- catalogue and balance -------------------------------------------------------------

  /** `identifier`: "airtime" or "data" (VTpass's service groups). */
  async services(
    identifier: "airtime" | "data" | "electricity-bill" | "tv-subscription",
  ): Promise<VtpassOutcome<ServiceInfo[]>> {
    const exchange = await this.read(
      "GET",
      `/api/services?identifier=${encodeURIComponent(identifier)}`,
    );
    return this.reportRead("services", classifyRead(exchange, parseServicesAnswer));
  }

  async variations(serviceID: string): Promise<VtpassOutcome<PlanCatalogue>> {
    const exchange = await this.read(
      "GET",
      `/api/service-variations?serviceID=${encodeURIComponent(serviceID)}`,
    );
    const result = classifyRead(exchange, parseVariationsAnswer);
    if (result.ok && result.value.skipped > 0) {
      log.warn("vtpass variations: entries skipped", {
        request_id: this.options.request_id,
        serviceID,
        skipped: result.value.skipped,
      });
    }
    return this.reportRead("variations", result);
  }

  /** Our float at VTpass. */
  async balance(): Promise<VtpassOutcome<{ balance_minor: number }>> {
    const exchange = await this.read("GET", "/api/balance");
    return this.reportRead("balance", classifyRead(exchange, parseBalanceAnswer));
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** A read: up to 1 + VTPASS_READ_RETRIES attempts while the answer is transient. */
  private async read(method: Method, path: string, body?: unknown): Promise<Exchange> {
    const timeout_ms = this.options.read_timeout_ms ?? this.options.timeout_ms;
    let exchange = await this.once(method, path, body, timeout_ms);
    for (let retry = 1; retry <= VTPASS_READ_RETRIES && isTransient(exchange); retry++) {
      await sleep(VTPASS_RETRY_BASE_MS * 2 ** (retry - 1));
      exchange = await this.once(method, path, body, timeout_ms);
    }
    return exchange;
  }

  private async once(
    method: Method,
    path: string,
    body: unknown,
    timeout_ms: number,
  ): Promise<Exchange> {
    const url = `${this.options.base_url.replace(/\/+$/, "")}${path}`;
    const headers: Record<string, string> = {
      accept: "application/json",
      "api-key": this.options.api_key,
    };
    if (method === "GET") headers["public-key"] = this.options.public_key;
    else {
      headers["secret-key"] = this.options.secret_key;
      headers["content-type"] = "application/json";
    }
    let response: Response;
    try {
      response = await this.options.fetch(
        new Request(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeout_ms),
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
    if (text.length > VTPASS_RESPONSE_MAX_CHARS) return { answered: false, reason: "too_large" };
    return { answered: true, http_status: response.status, body_text: text };
  }

  private report(
    operation: string,
    vtpass_request_id: string,
    exchange: Exchange,
    result: PurchaseResult,
    phone: string | null,
  ): void {
    const fields = {
      request_id: this.options.request_id,
      operation,
      vtpass_request_id,
      http_status: exchange.answered ? exchange.http_status : null,
      kind: result.ok ? "ok" : result.kind,
      outcome: result.ok ? result.value.outcome : null,
      code: result.ok ? null : "code" in result ? (result.code ?? null) : null,
      reason: !result.ok && result.kind === "unknown" ? result.reason : null,
      anomaly: !result.ok && "anomaly" in result ? (result.anomaly ?? null) : null,
      phone: phone === null ? null : maskAccount(phone),
    };
    if (fields.anomaly) log.error("vtpass anomaly", fields);
    else if (!result.ok && result.kind === "unknown") log.warn("vtpass outcome unknown", fields);
    else log.info("vtpass answered", fields);
  }

  private reportRead<T>(operation: string, result: VtpassOutcome<T>): VtpassOutcome<T> {
    if (!result.ok) {
      const fields = {
        request_id: this.options.request_id,
        operation,
        kind: result.kind,
        reason: result.kind === "unknown" ? result.reason : result.message,
        anomaly: "anomaly" in result ? (result.anomaly ?? null) : null,
      };
      if (fields.anomaly) log.error("vtpass anomaly", fields);
      else log.warn("vtpass read failed", fields);
    }
    return result;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}
