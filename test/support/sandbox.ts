/**
 * Helpers for driving the Flutterwave sandbox through the real Worker
 * (`exports.default.fetch`), as our provider client and a browser would.
 */
import { env, exports } from "cloudflare:workers";
import { requireConfig } from "../../src/lib/config";
import { randomBase32 } from "../../src/lib/ids";

export { env };
export const ORIGIN = "http://wallet.test";
export const FLW_BASE = `${ORIGIN}/__sandbox/flutterwave`;
export const SECRET_KEY = requireConfig(env).FLUTTERWAVE_SECRET_KEY;

export type Envelope<T = unknown> = {
  status: "success" | "error";
  message: string;
  data: T;
  meta?: unknown;
};

/** A unique reference per call: sandbox storage is shared by every test. */
export function uniqueRef(tag: string): string {
  return `${tag}-${randomBase32(16)}`;
}

/** A call to the v3 API with the sandbox key (unless `headers.authorization` overrides it). */
export function flw(
  path: string,
  init: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  return exports.default.fetch(`${FLW_BASE}/v3${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${SECRET_KEY}`,
      "content-type": "application/json",
      ...init.headers,
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
    signal: init.signal,
    redirect: "manual",
  });
}

/** A call to the control API (no key). */
export function control(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  return exports.default.fetch(`${FLW_BASE}/__control${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** Read an envelope, asserting the HTTP status first (the body is in the error message when it differs). */
export async function envelope<T = any>(response: Response, status = 200): Promise<Envelope<T>> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as Envelope<T>;
}

export function paymentBody(tx_ref: string, overrides: Record<string, unknown> = {}) {
  return {
    tx_ref,
    amount: "1500.50",
    currency: "NGN",
    redirect_url: "https://wallet.test/wallet/flutterwave/callback?source=app",
    customer: { email: "ada@example.com", name: "Ada Obi", phonenumber: "08012345678" },
    customizations: { title: "Wallet funding" },
    meta: { user_id: "usr0000000000000000" },
    configurations: { session_duration: 30, max_retry_attempt: 2 },
    ...overrides,
  };
}

/** Create a payment link and return its checkout URL. */
export async function createLink(
  tx_ref: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const body = await envelope<{ link: string }>(
    await flw("/payments", { body: paymentBody(tx_ref, overrides) }),
  );
  return body.data.link;
}

/** Post a checkout choice as the page's form does. */
export function choose(link: string, outcome: string): Promise<Response> {
  return exports.default.fetch(link, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ outcome }).toString(),
    redirect: "manual",
  });
}

export type Delivery = {
  id: number;
  event: string;
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: string;
  body: any;
  at: string;
};

export async function deliveriesFor(match: string): Promise<Delivery[]> {
  return (
    await envelope<Delivery[]>(await control(`/deliveries?match=${encodeURIComponent(match)}`))
  ).data;
}

export function transferBody(reference: string, overrides: Record<string, unknown> = {}) {
  return {
    account_bank: "044",
    account_number: "0690000031",
    amount: 5500,
    currency: "NGN",
    narration: "Wallet withdrawal",
    reference,
    debit_currency: "NGN",
    ...overrides,
  };
}

export function sandboxObject() {
  if (!env.FLUTTERWAVE_SANDBOX)
    throw new Error("FLUTTERWAVE_SANDBOX is not bound in the test environment");
  return env.FLUTTERWAVE_SANDBOX.getByName("flutterwave");
}
