/**
 * Flutterwave v3 client: the only code that speaks Flutterwave's vocabulary.
 *
 * Responsibilities
 * - Build requests (Bearer secret key, JSON), with a timeout on every call.
 * - Parse every response with zod; map vendor statuses to ours exhaustively.
 *   An unknown status is an error (outcome `unknown`), never a silent default.
 * - Classify each outcome for the caller:
 *     ok        the provider answered and we understood it
 *     not_found the provider says the thing does not exist
 *     refused   a definite refusal (4xx): nothing happened on their side
 *     unknown   timeout, network error, 5xx, 429, malformed body: the operation
 *               may or may not have happened; callers re-query, never re-submit
 * - Retry (bounded, with backoff) only reads, which are safe to repeat. Writes
 *   (hosted links, transfers) are never retried here.
 */
import { z } from "zod";
import { PROVIDER_READ_RETRIES, PROVIDER_RETRY_BASE_MS } from "../../lib/limits";
import { log } from "../../lib/log";
import { providerAmountToMinor, minorToProviderNumber } from "../../domain/money";
import type { ProviderFetch } from "../http";
import { Bank, Charge, Envelope, HostedLink, ResolvedAccount, Transfer } from "./schemas";

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; kind: "not_found"; message: string }
  | { ok: false; kind: "refused"; status: number; message: string }
  | { ok: false; kind: "unknown"; reason: string };

/** Our words for a charge's state. */
export type ChargeStatus = "successful" | "failed" | "pending";
/** Our words for a transfer's state. */
export type TransferStatus = "successful" | "failed" | "pending";

export type ChargeVerification = {
  provider_id: string;
  tx_ref: string;
  status: ChargeStatus;
  amount_minor: number;
  currency: string;
  processor_response: string | null;
};

export type TransferState = {
  provider_id: string;
  reference: string | null;
  status: TransferStatus;
  amount_minor: number;
  fee_minor: number | null;
  currency: string;
  message: string | null;
};

export type FlutterwaveOptions = {
  /** Base URL without `/v3`, e.g. https://api.flutterwave.com */
  base_url: string;
  secret_key: string;
  timeout_ms: number;
  fetch: ProviderFetch;
  request_id?: string;
};

class UnknownStatus extends Error {}

/** Flutterwave's charge statuses -> ours. Throws on anything else. */
export function mapChargeStatus(status: string): ChargeStatus {
  const normalised = status.toLowerCase();
  switch (normalised) {
    case "successful":
    case "succeeded": // v4 wording
      return "successful";
    case "failed":
    case "cancelled":
    case "error":
      return "failed";
    case "pending":
    case "processing":
    case "initiated":
      return "pending";
    default:
      throw new UnknownStatus(`unknown charge status "${status}"`);
  }
}

/** Flutterwave's transfer statuses -> ours. Throws on anything else. */
export function mapTransferStatus(status: string): TransferStatus {
  switch (status.toUpperCase()) {
    case "SUCCESSFUL":
      return "successful";
    case "FAILED":
      return "failed";
    case "NEW":
    case "PENDING":
      return "pending";
    default:
      throw new UnknownStatus(`unknown transfer status "${status}"`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FlutterwaveClient {
  constructor(private readonly options: FlutterwaveOptions) {}

  // ---- plumbing ---------------------------------------------------------------

  private async call<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    parse: (data: unknown) => T,
  ): Promise<Outcome<T>> {
    const attempts = method === "GET" ? 1 + PROVIDER_READ_RETRIES : 1;
    let last: Outcome<T> = { ok: false, kind: "unknown", reason: "not attempted" };
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(PROVIDER_RETRY_BASE_MS * 2 ** (attempt - 1));
      last = await this.once(method, path, body, parse);
      if (last.ok || last.kind !== "unknown") return last;
    }
    return last;
  }

  private async once<T>(method: string, path: string, body: unknown, parse: (data: unknown) => T): Promise<Outcome<T>> {
    const url = `${this.options.base_url.replace(/\/+$/, "")}/v3${path}`;
    const operation = `${method} ${path.split("?")[0]}`;
    let response: Response;
    try {
      response = await this.options.fetch(
        new Request(url, {
          method,
          headers: {
            authorization: `Bearer ${this.options.secret_key}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeout_ms),
        }),
      );
    } catch (error) {
      const reason = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : "network error";
      log.warn("flutterwave call failed", { request_id: this.options.request_id, operation, reason });
      return { ok: false, kind: "unknown", reason };
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      return { ok: false, kind: "unknown", reason: "body read failed" };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const envelope = Envelope.safeParse(json);
    const message = envelope.success ? envelope.data.message : "";
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      log.warn("flutterwave unavailable", { request_id: this.options.request_id, operation, status: response.status });
      return { ok: false, kind: "unknown", reason: `http ${response.status}` };
    }
    if (response.status >= 400) {
      if (response.status === 401 || response.status === 403) {
        // Our key is wrong: an operating error for us, and nothing happened there.
        log.error("flutterwave refused our credentials", { request_id: this.options.request_id, operation, status: response.status });
      }
      if (/no transaction was found|not found/i.test(message) || response.status === 404) {
        return { ok: false, kind: "not_found", message: message || "not found" };
      }
      return { ok: false, kind: "refused", status: response.status, message: message || `http ${response.status}` };
    }
    if (!envelope.success || envelope.data.status !== "success") {
      log.warn("flutterwave answered an unexpected body", { request_id: this.options.request_id, operation, status: response.status });
      return { ok: false, kind: "unknown", reason: "malformed response" };
    }
    try {
      return { ok: true, value: parse(envelope.data.data) };
    } catch (error) {
      log.error("flutterwave response not understood", {
        request_id: this.options.request_id,
        operation,
        error: error instanceof Error ? error.message : "parse error",
      });
      return { ok: false, kind: "unknown", reason: error instanceof UnknownStatus ? error.message : "malformed response" };
    }
  }

  // ---- hosted checkout -------------------------------------------------------

  createPaymentLink(input: {
    tx_ref: string;
    amount_minor: number;
    currency: string;
    redirect_url: string;
    customer: { email: string; name?: string | null };
    session_duration_minutes: number;
    link_expiry_minutes: number;
    title: string;
    meta: Record<string, string>;
  }): Promise<Outcome<{ link: string }>> {
    return this.call(
      "POST",
      "/payments",
      {
        tx_ref: input.tx_ref,
        amount: minorToProviderNumber(input.amount_minor),
        currency: input.currency,
        redirect_url: input.redirect_url,
        customer: { email: input.customer.email, ...(input.customer.name ? { name: input.customer.name } : {}) },
        customizations: { title: input.title },
        meta: input.meta,
        configurations: { session_duration: input.session_duration_minutes },
        bank_transfer_options: { expires: input.link_expiry_minutes * 60 },
      },
      (data) => HostedLink.parse(data),
    );
  }

  // ---- verification ----------------------------------------------------------

  verifyTransaction(provider_id: string): Promise<Outcome<ChargeVerification>> {
    if (!/^\d{1,20}$/.test(provider_id)) return Promise.resolve({ ok: false, kind: "not_found", message: "not a transaction id" });
    return this.call("GET", `/transactions/${provider_id}/verify`, undefined, toVerification);
  }

  verifyByReference(tx_ref: string): Promise<Outcome<ChargeVerification>> {
    return this.call("GET", `/transactions/verify_by_reference?tx_ref=${encodeURIComponent(tx_ref)}`, undefined, toVerification);
  }

  // ---- banks -------------------------------------------------------------------

  listBanks(country: string): Promise<Outcome<{ code: string; name: string }[]>> {
    return this.call("GET", `/banks/${encodeURIComponent(country)}`, undefined, (data) =>
      z.array(Bank).parse(data).map((b) => ({ code: b.code, name: b.name })),
    );
  }

  resolveAccount(account_number: string, account_bank: string): Promise<Outcome<{ account_number: string; account_name: string }>> {
    return this.call("POST", "/accounts/resolve", { account_number, account_bank }, (data) => {
      const parsed = ResolvedAccount.parse(data);
      return { account_number: parsed.account_number, account_name: parsed.account_name };
    });
  }

  // ---- transfers -----------------------------------------------------------------

  createTransfer(input: {
    reference: string;
    account_bank: string;
    account_number: string;
    amount_minor: number;
    currency: string;
    narration: string;
    beneficiary_name?: string;
  }): Promise<Outcome<TransferState>> {
    return this.call(
      "POST",
      "/transfers",
      {
        account_bank: input.account_bank,
        account_number: input.account_number,
        amount: minorToProviderNumber(input.amount_minor),
        currency: input.currency,
        debit_currency: input.currency,
        narration: input.narration,
        reference: input.reference,
        ...(input.beneficiary_name ? { beneficiary_name: input.beneficiary_name } : {}),
      },
      toTransferState,
    );
  }

  getTransfer(provider_id: string): Promise<Outcome<TransferState>> {
    if (!/^\d{1,20}$/.test(provider_id)) return Promise.resolve({ ok: false, kind: "not_found", message: "not a transfer id" });
    return this.call("GET", `/transfers/${provider_id}`, undefined, toTransferState);
  }

  /**
   * Find a transfer by our reference (used when a create's answer was lost).
   * Whether the live API filters the list by `reference` is unconfirmed, so the
   * results are filtered again here; no match is `not_found`.
   */
  async findTransferByReference(reference: string): Promise<Outcome<TransferState>> {
    const listed = await this.call("GET", `/transfers?reference=${encodeURIComponent(reference)}`, undefined, (data) =>
      z.array(z.unknown()).parse(data),
    );
    if (!listed.ok) return listed;
    for (const item of listed.value) {
      const transfer = Transfer.safeParse(item);
      if (transfer.success && transfer.data.reference === reference) {
        try {
          return { ok: true, value: toTransferState(transfer.data) };
        } catch (error) {
          return { ok: false, kind: "unknown", reason: error instanceof Error ? error.message : "malformed" };
        }
      }
    }
    return { ok: false, kind: "not_found", message: "no transfer with this reference" };
  }
}

function toVerification(data: unknown): ChargeVerification {
  const charge = Charge.parse(data);
  const amount_minor = providerAmountToMinor(charge.amount);
  if (amount_minor === null) throw new Error("charge amount not understood");
  return {
    provider_id: String(charge.id),
    tx_ref: charge.tx_ref,
    status: mapChargeStatus(charge.status),
    amount_minor,
    currency: charge.currency.toUpperCase(),
    processor_response: charge.processor_response ?? null,
  };
}

function toTransferState(data: unknown): TransferState {
  const transfer = Transfer.parse(data);
  const amount_minor = providerAmountToMinor(transfer.amount);
  if (amount_minor === null) throw new Error("transfer amount not understood");
  const fee_minor = transfer.fee === null || transfer.fee === undefined ? null : providerAmountToMinor(transfer.fee);
  return {
    provider_id: String(transfer.id),
    reference: transfer.reference ?? null,
    status: mapTransferStatus(transfer.status),
    amount_minor,
    fee_minor,
    currency: transfer.currency.toUpperCase(),
    message: transfer.complete_message ?? null,
  };
}
