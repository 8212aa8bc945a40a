/**
 * A typed client for the Airtime Wallet API.
 *
 *   const wallet = createWalletClient({ baseUrl: "https://wallet.example.com" });
 *   await wallet.login("ada@example.com", "correct horse battery");
 *   const funding = await wallet.fund({ amount: "2500.00" });
 *
 * Types come from the API's own OpenAPI document (src/schema.ts, generated);
 * calls go through openapi-fetch. On top, only what every integrator would
 * otherwise write: the bearer token, an Idempotency-Key on every money call,
 * retries on 429/503 that honour Retry-After, refusals as `ApiProblem`, and
 * `watch(tx_ref)` over the WebSocket. Anything not wrapped here is reachable,
 * still typed, through `client.api`.
 */
import createClient, { type Client } from "openapi-fetch";
import { ApiProblem } from "./problem.js";
import { type RetryOptions, retryingFetch } from "./retry.js";
import type { components, paths } from "./schema.js";
import {
  type StatusFrame,
  type WatchOptions,
  type WebSocketConstructor,
  watchTransaction,
} from "./watch.js";

export { ApiProblem, retryAfterMs, type FieldProblem, type Problem } from "./problem.js";
export { RETRY_DEFAULTS, type RetryOptions } from "./retry.js";
export type { components, paths } from "./schema.js";
export {
  BEARER_PROTOCOL,
  CLOSE,
  type CloseKind,
  FINAL_CLOSE_CODES,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
} from "./protocol.js";
export {
  isTerminal,
  type ErrorFrame,
  type StatusFrame,
  type TxStatus,
  type WatchOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./watch.js";

type Schemas = components["schemas"];
export type Wallet = Schemas["Wallet"];
export type Transaction = Schemas["Transaction"];
export type TransactionList = Schemas["TransactionList"];
export type Funding = Schemas["Funding"];
export type Purchase = Schemas["Purchase"];
export type Token = Schemas["Token"];
export type User = Schemas["User"];
export type FundRequest = Schemas["FundRequest"];
export type WithdrawRequest = Schemas["WithdrawRequest"];
export type AirtimeRequest = Schemas["AirtimeRequest"];
export type DataRequest = Schemas["DataRequest"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type ElectricityRequest = Schemas["ElectricityRequest"];
export type TvRequest = Schemas["TvRequest"];
/** A bill's answer: the transaction, the DisCo or TV service, the meter or smartcard and, once delivered, a prepaid `token` and `units`. */
export type BillPayment = Schemas["BillPayment"];
export type MeterVerification = Schemas["MeterVerification"];
export type SmartcardVerification = Schemas["SmartcardVerification"];
export type Beneficiary = Schemas["Beneficiary"];
export type BeneficiaryRequest = Schemas["BeneficiaryRequest"];
export type BeneficiaryChange = Schemas["BeneficiaryChange"];
export type SuggestedRecipients = Schemas["SuggestedRecipients"];
export type Schedule = Schemas["Schedule"];
export type ScheduleRequest = Schemas["ScheduleRequest"];
export type ScheduleChange = Schemas["ScheduleChange"];
export type MeterQuery = paths["/api/v1/catalog/electricity/verify"]["get"]["parameters"]["query"];
export type SmartcardQuery = paths["/api/v1/catalog/tv/verify"]["get"]["parameters"]["query"];
/** A statement: opening balance, every journal entry, closing balance (naira strings and kobo). */
export type Statement = Schemas["Statement"];
/** Lagos days, both included: `{ from: "2026-12-01", to: "2026-12-31" }`. */
export type StatementQuery = Omit<
  NonNullable<paths["/api/v1/wallet/statement"]["get"]["parameters"]["query"]>,
  "format"
>;
export type Batch = Schemas["Batch"];
export type BulkLine = Schemas["BulkLine"];
export type BulkRequest = Schemas["BulkRequest"];
export type BatchQuery = paths["/api/v1/wallet/bulk/{batch_id}"]["get"]["parameters"]["query"];
export type TransactionsQuery = NonNullable<
  paths["/api/v1/wallet/transactions"]["get"]["parameters"]["query"]
>;

/** What each statement format is answered as. */
const STATEMENT_TYPES = {
  json: "application/json",
  csv: "text/csv",
  pdf: "application/pdf",
} as const;

/** The path every route lives under; the document's paths carry it, so `baseUrl` is the bare origin. */
const API_BASE = "/api/v1";

export type ClientOptions = {
  /** The API's origin, e.g. `https://wallet.example.com` (no `/api/v1`). */
  baseUrl: string;
  /** An access token from an earlier login. */
  token?: string;
  retry?: RetryOptions;
  /** Defaults to the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
  /** For watch(); defaults to the global WebSocket (browsers, workers, Node 22+). On Node 20 pass the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  /** Makes the Idempotency-Key of a money call that was given none. Defaults to a random UUID. */
  newIdempotencyKey?: () => string;
};

/** Per call: the key that makes the call retry-safe across your own retries too (e.g. after a crash). */
export type MoneyCallOptions = { idempotency_key?: string; signal?: AbortSignal };

export type WalletClient = ReturnType<typeof createWalletClient>;

export function createWalletClient(options: ClientOptions) {
  const origin = options.baseUrl.replace(/\/+$/, "");
  const newKey = options.newIdempotencyKey ?? (() => crypto.randomUUID());
  const WebSocketImpl =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  let token: string | null = options.token ?? null;

  const api: Client<paths> = createClient<paths>({
    baseUrl: origin,
    fetch: retryingFetch(options.fetch ?? ((request) => globalThis.fetch(request)), options.retry),
    // JSON answers, never the 303 to an HTML status page a browser form post gets.
    headers: { accept: "application/json" },
  });
  api.use({
    onRequest({ request }) {
      if (token && !request.headers.has("authorization"))
        request.headers.set("authorization", `Bearer ${token}`);
      return request;
    },
  });

  /** The answer's data, or its refusal as an ApiProblem (openapi-fetch has read and parsed the body). */
  async function unwrap<T>(
    call: Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok) throw ApiProblem.fromAnswer(response, error);
    return data as T;
  }

  const transaction = (tx_ref: string) =>
    unwrap<Transaction>(
      api.GET(`${API_BASE}/wallet/transactions/{tx_ref}`, { params: { path: { tx_ref } } }),
    );

  /**
   * GET /wallet/statement in one of its three forms. The route documents all
   * three content types, so openapi-fetch types its data as their union: the
   * caller's `format` picks one, and this says which.
   */
  const statementAs = <T>(
    query: StatementQuery,
    format: "json" | "csv" | "pdf",
    parseAs: "json" | "text" | "arrayBuffer",
  ) =>
    unwrap<T>(
      api.GET(`${API_BASE}/wallet/statement`, {
        params: { query: { ...query, format } },
        headers: {
          accept: `${STATEMENT_TYPES[format]}, application/problem+json`,
        },
        parseAs,
      }) as unknown as Promise<{ data?: T; error?: unknown; response: Response }>,
    );

  const idempotent = (call?: MoneyCallOptions) => ({
    header: { "idempotency-key": call?.idempotency_key ?? newKey() },
  });

  return {
    /** Every route, typed, for what the helpers below do not wrap. Bearer, retries and `accept` apply here too. */
    api,

    get token(): string | null {
      return token;
    },
    setToken(value: string | null): void {
      token = value;
    },

    // ---- Accounts -------------------------------------------------------------

    register: (body: RegisterRequest) =>
      unwrap<User>(api.POST(`${API_BASE}/auth/register`, { body })),

    /** Logs in and keeps the access token for every later call (and for watch()). */
    async login(email: string, password: string): Promise<Token> {
      const answer = await unwrap<Token>(
        api.POST(`${API_BASE}/auth/login`, { body: { email, password } }),
      );
      token = answer.access_token;
      return answer;
    },

    logout(): void {
      token = null;
    },

    me: () => unwrap<User>(api.GET(`${API_BASE}/auth/me`)),

    // ---- Wallet ---------------------------------------------------------------

    wallet: () => unwrap<Wallet>(api.GET(`${API_BASE}/wallet`)),

    transactions: (query: TransactionsQuery = {}) =>
      unwrap<TransactionList>(api.GET(`${API_BASE}/wallet/transactions`, { params: { query } })),

    transaction,

    /** The statement for Lagos days `from`..`to` (both included), as JSON. */
    statement: (query: StatementQuery) => statementAs<Statement>(query, "json", "json"),

    /** The same statement as CSV text (header row, opening row, one row per entry, closing row). */
    statementCsv: (query: StatementQuery) => statementAs<string>(query, "csv", "text"),

    /** The same statement as a PDF file's bytes (to save, share or show). */
    statementPdf: async (query: StatementQuery): Promise<Uint8Array> =>
      new Uint8Array(await statementAs<ArrayBuffer>(query, "pdf", "arrayBuffer")),

    // ---- Money calls: each carries an Idempotency-Key, the same on every retry --

    /** Starts a funding; pay at `payment_link`, then watch(`tx_ref`, { ticket: watch.ticket }). */
    fund: (body: FundRequest, call?: MoneyCallOptions) =>
      unwrap<Funding>(
        api.POST(`${API_BASE}/wallet/fund`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    withdraw: (body: WithdrawRequest, call?: MoneyCallOptions) =>
      unwrap<Transaction>(
        api.POST(`${API_BASE}/wallet/withdraw`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    buyAirtime: (body: AirtimeRequest, call?: MoneyCallOptions) =>
      unwrap<Purchase>(
        api.POST(`${API_BASE}/wallet/airtime`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    buyData: (body: DataRequest, call?: MoneyCallOptions) =>
      unwrap<Purchase>(
        api.POST(`${API_BASE}/wallet/data`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    // ---- Bills: verify the meter or smartcard first, then pay ---------------------

    /** The meter's customer as the DisCo knows it; a wrong meter is an ApiProblem `meter_invalid` (422). */
    verifyMeter: (query: MeterQuery) =>
      unwrap<MeterVerification>(
        api.GET(`${API_BASE}/catalog/electricity/verify`, { params: { query } }),
      ),

    /** The smartcard's customer, current bouquet, due date and renewal amount where VTpass gives them; `smartcard_invalid` (422) for a wrong one. */
    verifySmartcard: (query: SmartcardQuery) =>
      unwrap<SmartcardVerification>(
        api.GET(`${API_BASE}/catalog/tv/verify`, { params: { query } }),
      ),

    /**
     * Pays electricity. A prepaid meter's `token` (and `units`) is in the answer
     * once delivered; when the answer is PENDING, it arrives in a later status
     * frame of watch(`tx_ref`) and in transaction(`tx_ref`)'s details.
     */
    buyElectricity: (body: ElectricityRequest, call?: MoneyCallOptions) =>
      unwrap<BillPayment>(
        api.POST(`${API_BASE}/wallet/electricity`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    /** Renews (`action: "renew"`) or changes (`"change"`, with `bouquet` and `quantity`) a TV subscription; priced by the server. */
    payTv: (body: TvRequest, call?: MoneyCallOptions) =>
      unwrap<BillPayment>(
        api.POST(`${API_BASE}/wallet/tv`, {
          body,
          params: idempotent(call),
          signal: call?.signal,
        }),
      ),

    // ---- Bulk top-ups: every line checked first, then bought a few at a time -----

    /** Starts a batch from JSON lines; a malformed line is an ApiProblem `bulk_invalid` listing `line_errors`. */
    startBulk: (body: BulkRequest) => unwrap<Batch>(api.POST(`${API_BASE}/wallet/bulk`, { body })),

    /** Starts a batch from a CSV file (header: type, phone, amount, plan, network). */
    startBulkCsv: (csv: string, options: { partial?: boolean } = {}) =>
      unwrap<Batch>(
        api.POST(`${API_BASE}/wallet/bulk`, {
          params: { query: options.partial ? { partial: "true" } : {} },
          body: csv as never,
          bodySerializer: (text: unknown) => text as string,
          headers: { "content-type": "text/csv" },
        }),
      ),

    /** A batch's counts by status and a page of its lines (`after_line`, `limit`). */
    batch: (batch_id: string, query: BatchQuery = {}) =>
      unwrap<Batch>(
        api.GET(`${API_BASE}/wallet/bulk/{batch_id}`, { params: { path: { batch_id }, query } }),
      ),

    /** The batch's results, one CSV row per line. */
    batchResultsCsv: (batch_id: string) =>
      unwrap<string>(
        api.GET(`${API_BASE}/wallet/bulk/{batch_id}/results.csv`, {
          params: { path: { batch_id } },
          parseAs: "text",
        }),
      ),

    // ---- Saved recipients and scheduled top-ups ------------------------------------

    /** The saved recipients and how many may be saved (`limit`). */
    beneficiaries: () =>
      unwrap<Schemas["BeneficiaryList"]>(api.GET(`${API_BASE}/wallet/beneficiaries`)),

    /** Saves a phone, meter or smartcard; a meter or smartcard is verified first (`verified_name`). `beneficiary_exists` (409) for a duplicate. */
    saveBeneficiary: (body: BeneficiaryRequest) =>
      unwrap<Beneficiary>(api.POST(`${API_BASE}/wallet/beneficiaries`, { body })),

    /** Recipients of recent purchases not saved yet. */
    suggestedBeneficiaries: () =>
      unwrap<SuggestedRecipients>(api.GET(`${API_BASE}/wallet/beneficiaries/suggested`)),

    updateBeneficiary: (id: string, body: BeneficiaryChange) =>
      unwrap<Beneficiary>(
        api.PATCH(`${API_BASE}/wallet/beneficiaries/{id}`, { params: { path: { id } }, body }),
      ),

    /** Refused (`beneficiary_in_use`, 409) while a schedule buys for it. */
    deleteBeneficiary: (id: string) =>
      unwrap<void>(
        api.DELETE(`${API_BASE}/wallet/beneficiaries/{id}`, { params: { path: { id } } }),
      ),

    schedules: () => unwrap<Schemas["ScheduleList"]>(api.GET(`${API_BASE}/wallet/schedules`)),

    /** A product for a saved recipient, daily, weekly or monthly at a Lagos time; runs are the wallet's alarm's. */
    createSchedule: (body: ScheduleRequest) =>
      unwrap<Schedule>(api.POST(`${API_BASE}/wallet/schedules`, { body })),

    /** One schedule with `next_run_at` and its last runs. */
    schedule: (id: string) =>
      unwrap<Schedule>(api.GET(`${API_BASE}/wallet/schedules/{id}`, { params: { path: { id } } })),

    /** Changes, pauses (`status: "paused"`) or resumes (`"active"`) a schedule; a run in flight keeps its product. */
    updateSchedule: (id: string, body: ScheduleChange) =>
      unwrap<Schedule>(
        api.PATCH(`${API_BASE}/wallet/schedules/{id}`, { params: { path: { id } }, body }),
      ),

    deleteSchedule: (id: string) =>
      unwrap<void>(api.DELETE(`${API_BASE}/wallet/schedules/{id}`, { params: { path: { id } } })),

    // ---- Live status ------------------------------------------------------------

    /**
     * Status frames of one transaction until it is SUCCESS or FAILED:
     * `for await (const frame of client.watch(tx_ref)) ...`. Uses the watch
     * ticket when given, else the logged-in token.
     */
    watch(
      tx_ref: string,
      watch_options: WatchOptions = {},
    ): AsyncGenerator<StatusFrame, void, undefined> {
      if (!WebSocketImpl)
        throw new TypeError(
          "No global WebSocket here: pass `WebSocket` (e.g. the `ws` package's) to createWalletClient",
        );
      // Without a ticket the token is the credential, and the transaction's
      // HTTP route says why an upgrade was refused (401, 404) as a problem document.
      const probe = watch_options.ticket
        ? undefined
        : async (ref: string) => void (await transaction(ref));
      return watchTransaction(
        {
          url: `${origin.replace(/^http/, "ws")}${API_BASE}/ws/wallet`,
          token,
          WebSocket: WebSocketImpl,
          retry: options.retry ?? {},
          probe,
        },
        tx_ref,
        watch_options,
      );
    },
  };
}
