/**
 * Flutterwave v3 client: the only code that speaks Flutterwave's vocabulary.
 *
 * Responsibilities
 * - Build requests (Bearer secret key, JSON), with a timeout on every call.
 * - Parse every response with zod; map vendor statuses to ours exhaustively.
 *   An unknown status is an error (outcome `unknown`), never a silent default.
 * - Classify each outcome for the caller (ok / not_found / refused / unknown,
 *   src/providers/outcome.ts) and translate what Flutterwave says about a
 *   charge or a transfer into our neutral facts (src/domain/transactions.ts),
 *   so no Flutterwave word (`successful`, `NEW`, `reference`) leaves this folder.
 * - Retry (bounded, with backoff) only reads, which are safe to repeat. Writes
 *   (hosted links, transfers) are never retried here.
 */
import { z } from "zod";
import { providerAmountToMinor, minorToProviderNumber } from "../../domain/money";
import type { FoundFacts, ProviderOutcome } from "../../domain/transactions";
import { PROVIDER_READ_RETRIES, PROVIDER_RETRY_BASE_MS } from "./limits";
import { log } from "../../lib/log";
import { sleep } from "../../lib/time";
import type { ProviderFetch } from "../http";
import type { Outcome } from "../outcome";
import type { CheckoutInput } from "../port";
import { FLUTTERWAVE_CHARGE_PAGES_MAX } from "./limits";
import { Bank, Charge, Envelope, HostedLink, PageInfo, ResolvedAccount, Transfer } from "./schemas";

export type { Outcome } from "../outcome";

/** A payout request, in our words (`reference` is our tx_ref). */
export type TransferRequest = {
  reference: string;
  account_bank: string;
  account_number: string;
  amount_minor: number;
  currency: string;
  narration: string;
  beneficiary_name?: string;
};

export type FlutterwaveOptions = {
  /** Base URL without `/v3`, e.g. https://api.flutterwave.com */
  base_url: string;
  secret_key: string;
  timeout_ms: number;
  fetch: ProviderFetch;
  request_id?: string;
};

/** A status word we do not know: the answer is `unknown`, never guessed. */
export class UnknownStatus extends Error {}

/** Flutterwave's charge statuses -> ours. Throws on anything else. */
export function mapChargeStatus(status: string): ProviderOutcome {
  const normalised = status.toLowerCase();
  switch (normalised) {
    case "successful":
    case "succeeded": // v4 wording
      return "succeeded";
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
export function mapTransferStatus(status: string): ProviderOutcome {
  switch (status.toUpperCase()) {
    case "SUCCESSFUL":
      return "succeeded";
    case "FAILED":
      return "failed";
    case "NEW":
    case "PENDING":
      return "pending";
    default:
      throw new UnknownStatus(`unknown transfer status "${status}"`);
  }
}

export class FlutterwaveClient {
  constructor(private readonly options: FlutterwaveOptions) {}

  // ---- plumbing ---------------------------------------------------------------

  /** One API call, classified (GET retried on `unknown`; POST never). Used by the adapters beside this file. */
  async call<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    parse: (data: unknown, meta: unknown) => T,
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

  private async once<T>(
    method: string,
    path: string,
    body: unknown,
    parse: (data: unknown, meta: unknown) => T,
  ): Promise<Outcome<T>> {
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
      const reason =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")
          ? "timeout"
          : "network error";
      log.warn("flutterwave call failed", {
        request_id: this.options.request_id,
        operation,
        reason,
      });
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
      log.warn("flutterwave unavailable", {
        request_id: this.options.request_id,
        operation,
        status: response.status,
      });
      return { ok: false, kind: "unknown", reason: `http ${response.status}` };
    }
    if (response.status >= 400) {
      if (response.status === 401 || response.status === 403) {
        // Our key is wrong: an operating error for us, and nothing happened there.
        log.error("flutterwave refused our credentials", {
          request_id: this.options.request_id,
          operation,
          status: response.status,
        });
      }
      if (/no transaction was found|not found/i.test(message) || response.status === 404) {
        return { ok: false, kind: "not_found", message: message || "not found" };
      }
      return {
        ok: false,
        kind: "refused",
        status: response.status,
        message: message || `http ${response.status}`,
      };
    }
    if (!envelope.success || envelope.data.status !== "success") {
      log.warn("flutterwave answered an unexpected body", {
        request_id: this.options.request_id,
        operation,
        status: response.status,
      });
      return { ok: false, kind: "unknown", reason: "malformed response" };
    }
    try {
      return { ok: true, value: parse(envelope.data.data, envelope.data.meta) };
    } catch (error) {
      log.error("flutterwave response not understood", {
        request_id: this.options.request_id,
        operation,
        error: error instanceof Error ? error.message : "parse error",
      });
      return {
        ok: false,
        kind: "unknown",
        reason: error instanceof UnknownStatus ? error.message : "malformed response",
      };
    }
  }

  // ---- hosted checkout -------------------------------------------------------

  createPaymentLink(input: CheckoutInput): Promise<Outcome<{ link: string }>> {
    return this.call(
      "POST",
      "/payments",
      {
        tx_ref: input.tx_ref,
        amount: minorToProviderNumber(input.amount_minor),
        currency: input.currency,
        redirect_url: input.redirect_url,
        customer: {
          email: input.customer.email,
          ...(input.customer.name ? { name: input.customer.name } : {}),
        },
        customizations: { title: input.title },
        meta: input.meta,
        configurations: { session_duration: input.session_duration_minutes },
        bank_transfer_options: { expires: input.link_expiry_minutes * 60 },
      },
      (data) => HostedLink.parse(data),
    );
  }

  // ---- verification ----------------------------------------------------------

  verifyTransaction(provider_id: string): Promise<Outcome<FoundFacts>> {
    if (!/^\d{1,20}$/.test(provider_id))
      return Promise.resolve({ ok: false, kind: "not_found", message: "not a transaction id" });
    return this.call("GET", `/transactions/${provider_id}/verify`, undefined, toVerification);
  }

  verifyByReference(tx_ref: string): Promise<Outcome<FoundFacts>> {
    return this.call(
      "GET",
      `/transactions/verify_by_reference?tx_ref=${encodeURIComponent(tx_ref)}`,
      undefined,
      toVerification,
    );
  }

  /**
   * Every charge Flutterwave holds for our tx_ref (`GET /v3/transactions?tx_ref=`,
   * newest first, paged), in our words. verify_by_reference answers with one
   * charge only, so a payment in full beside a later smaller one could never
   * be seen through it once its webhook was lost. At most
   * FLUTTERWAVE_CHARGE_PAGES_MAX pages are read; rows for another tx_ref are
   * dropped. An empty list is `not_found`.
   */
  async listCharges(tx_ref: string): Promise<Outcome<FoundFacts[]>> {
    const facts: FoundFacts[] = [];
    for (let page = 1; page <= FLUTTERWAVE_CHARGE_PAGES_MAX; page++) {
      const listed = await this.call(
        "GET",
        `/transactions?tx_ref=${encodeURIComponent(tx_ref)}&page=${page}`,
        undefined,
        (data, meta) => ({
          charges: z
            .array(z.unknown())
            .parse(data)
            .filter((item) => Charge.safeParse(item).data?.tx_ref === tx_ref)
            .map(toVerification),
          total_pages: PageInfo.safeParse(meta).data?.page_info.total_pages ?? 1,
        }),
      );
      if (!listed.ok) return listed;
      facts.push(...listed.value.charges);
      if (page >= listed.value.total_pages)
        return facts.length > 0
          ? { ok: true, value: facts }
          : { ok: false, kind: "not_found", message: "no charge for this tx_ref" };
    }
    log.warn("flutterwave lists more charges for one tx_ref than we read", {
      request_id: this.options.request_id,
      tx_ref,
      read: facts.length,
    });
    return { ok: true, value: facts };
  }

  // ---- banks -------------------------------------------------------------------

  listBanks(country: string): Promise<Outcome<{ code: string; name: string }[]>> {
    return this.call("GET", `/banks/${encodeURIComponent(country)}`, undefined, (data) =>
      z
        .array(Bank)
        .parse(data)
        .map((b) => ({ code: b.code, name: b.name })),
    );
  }

  resolveAccount(
    account_number: string,
    account_bank: string,
  ): Promise<Outcome<{ account_number: string; account_name: string }>> {
    return this.call("POST", "/accounts/resolve", { account_number, account_bank }, (data) => {
      const parsed = ResolvedAccount.parse(data);
      return { account_number: parsed.account_number, account_name: parsed.account_name };
    });
  }

  // ---- transfers -----------------------------------------------------------------

  createTransfer(input: TransferRequest): Promise<Outcome<FoundFacts>> {
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

  getTransfer(provider_id: string): Promise<Outcome<FoundFacts>> {
    if (!/^\d{1,20}$/.test(provider_id))
      return Promise.resolve({ ok: false, kind: "not_found", message: "not a transfer id" });
    return this.call("GET", `/transfers/${provider_id}`, undefined, toTransferState);
  }

  /**
   * Find a transfer by our reference (used when a create's answer was lost).
   * Whether the live API filters the list by `reference` is unconfirmed, so the
   * results are filtered again here; no match is `not_found`.
   */
  async findTransferByReference(reference: string): Promise<Outcome<FoundFacts>> {
    const listed = await this.call(
      "GET",
      `/transfers?reference=${encodeURIComponent(reference)}`,
      undefined,
      (data) => z.array(z.unknown()).parse(data),
    );
    if (!listed.ok) return listed;
    for (const item of listed.value) {
      const transfer = Transfer.safeParse(item);
      if (transfer.success && transfer.data.reference === reference) {
        try {
          return { ok: true, value: toTransferState(transfer.data) };
        } catch (error) {
          return {
            ok: false,
            kind: "unknown",
            reason: error instanceof Error ? error.message : "malformed",
          };
        }
      }
    }
    return { ok: false, kind: "not_found", message: "no transfer with this reference" };
  }
}

/** A verified charge, in our words: `our_ref` is the tx_ref Flutterwave holds for it. */
function toVerification(data: unknown): FoundFacts {
  const charge = Charge.parse(data);
  const amount_minor = providerAmountToMinor(charge.amount);
  if (amount_minor === null) throw new Error("charge amount not understood");
  return {
    found: true,
    provider_ref: String(charge.id),
    our_ref: charge.tx_ref,
    outcome: mapChargeStatus(charge.status),
    amount_minor,
    currency: charge.currency.toUpperCase(),
    message: charge.processor_response ?? null,
  };
}

/** A transfer, in our words: `our_ref` is its `reference` (null when Flutterwave does not say). */
function toTransferState(data: unknown): FoundFacts {
  const transfer = Transfer.parse(data);
  const amount_minor = providerAmountToMinor(transfer.amount);
  if (amount_minor === null) throw new Error("transfer amount not understood");
  return {
    found: true,
    provider_ref: String(transfer.id),
    our_ref: transfer.reference ?? null,
    outcome: mapTransferStatus(transfer.status),
    amount_minor,
    currency: transfer.currency.toUpperCase(),
    message: transfer.complete_message ?? null,
  };
}
