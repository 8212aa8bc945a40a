/**
 * The real side of the HTTP model test: the Worker's own routes, the
 * look-alikes' checkout and control APIs, and the real queue consumer.
 *
 * The queue: the webhook and callback routes enqueue with
 * `WALLET_EVENTS.send`. Here that one platform call keeps the message in
 * `queued` instead of handing it to the local queue (which would run the
 * consumer on its own clock, a second later); the model decides when the
 * messages are delivered, in which order and how often, and the Worker's
 * exported `queue()` handler (the real consumer) processes them. Nothing of
 * ours is replaced: the routes, the consumer, the Wallet objects and the
 * provider clients are the real ones.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { createApp } from "../../../src/app";
import { hmacSha256Base64 } from "../../../src/lib/crypto";
import { requireConfig } from "../../../src/lib/config";
import { dispatch, ORIGIN } from "../../support/helpers";

export const WEBHOOK_HASH = requireConfig(env).FLUTTERWAVE_WEBHOOK_HASH;
const FLW_SECRET = requireConfig(env).FLUTTERWAVE_SECRET_KEY;

// ---- The queue, held for the model ---------------------------------------------------------

export const queued: unknown[] = [];
let captureInstalled = false;

export function captureQueue(): void {
  if (captureInstalled) return;
  captureInstalled = true;
  vi.spyOn(env.WALLET_EVENTS, "send").mockImplementation(async (message: unknown) => {
    queued.push(message);
    return undefined as never;
  });
}

export type BatchResult = { acked: number; retried: number };

/** Hand `messages` to the Worker's queue handler (the real consumer) as one batch. */
export async function consume(messages: unknown[]): Promise<BatchResult> {
  if (messages.length === 0) return { acked: 0, retried: 0 };
  const { default: worker } = await import("../../../src/worker");
  const batch = createMessageBatch(
    "wallet-events",
    messages.map((body, i) => ({
      id: `model-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  const t0 = Date.now();
  await worker.queue(batch as never, env, ctx);
  const t1 = Date.now();
  const result = (await getQueueResult(batch, ctx)) as unknown as {
    explicitAcks: string[];
    retryMessages: unknown[];
    ackAll: boolean;
  };
  spent("consume: handler", t1 - t0);
  spent("consume: waitUntil", Date.now() - t1);
  return {
    acked: result.ackAll ? messages.length : result.explicitAcks.length,
    retried: result.retryMessages.length,
  };
}

// ---- Requests --------------------------------------------------------------------------

const app = createApp();

/**
 * A request to /api/v1 through the Worker (in-process: `dispatch` in
 * test/support/helpers.ts says why). With a withdrawal fee the same app
 * runs with the test bindings plus WITHDRAWAL_FEE (configuration is read per
 * environment object), as test/routes/withdrawals/withdrawal-fee.test.ts does.
 */
export async function call(fee: string, path: string, init: RequestInit = {}): Promise<Response> {
  if (fee === "0") return dispatch(`${ORIGIN}/api/v1${path}`, init);
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`${ORIGIN}/api/v1${path}`, init),
    { ...env, WITHDRAWAL_FEE: fee } as unknown as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export function jsonPost(
  auth: Record<string, string>,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...auth,
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

/** A signed Flutterwave webhook straight to our route (a forged one, or a replay by an attacker with the hash). */
export function postWebhook(
  body: string,
  signature: "verif-hash" | "hmac" | "wrong",
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature === "verif-hash") headers["verif-hash"] = WEBHOOK_HASH;
  else if (signature === "hmac")
    headers["flutterwave-signature"] = hmacSha256Base64(
      WEBHOOK_HASH,
      new TextEncoder().encode(body),
    );
  else headers["verif-hash"] = `${WEBHOOK_HASH}x`;
  return dispatch(`${ORIGIN}/api/v1/wallet/flutterwave/webhook`, { method: "POST", headers, body });
}

// ---- The look-alikes ---------------------------------------------------------------------

const FLW = `${ORIGIN}/__sandbox/flutterwave`;
const VT = `${ORIGIN}/__sandbox/vtpass`;

export function flwControl(path: string, body?: unknown): Promise<Response> {
  return dispatch(`${FLW}/__control${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function vtControl(path: string, body?: unknown): Promise<Response> {
  return dispatch(`${VT}/__control${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function okJson<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Pay at the hosted checkout as the customer's browser does (the page's form). */
export function checkout(link: string, outcome: "full" | "less" | "fail"): Promise<Response> {
  return dispatch(link, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ outcome }).toString(),
    redirect: "manual",
  });
}

/** The look-alike's transfer for one of our references (its id, to settle it). */
export async function transferIdFor(tx_ref: string): Promise<number | null> {
  const listed = await dispatch(`${FLW}/v3/transfers?reference=${encodeURIComponent(tx_ref)}`, {
    headers: { authorization: `Bearer ${FLW_SECRET}` },
  });
  const data = (await okJson<{ data: { id: number }[] }>(listed, "transfers list")).data;
  if (data.length > 1)
    throw new Error(`two transfers for ${tx_ref}: one tx_ref must reach Flutterwave at most once`);
  return data[0]?.id ?? null;
}

// ---- Unique purchases ------------------------------------------------------------------------

/**
 * VTpass refuses the same service, number and amount within 30 s (019), and
 * every sequence shares the few test numbers. Each purchase takes an amount
 * (or plan) not used for that number in the last 40 s.
 */
const recentPurchases = new Map<string, number>();
const PURCHASE_REPEAT_WINDOW_MS = 40_000;

export function claimPurchaseSlot(key: string): boolean {
  const now = Date.now();
  const last = recentPurchases.get(key);
  if (last !== undefined && now - last < PURCHASE_REPEAT_WINDOW_MS) return false;
  recentPurchases.set(key, now);
  if (recentPurchases.size > 5_000)
    for (const [k, at] of recentPurchases)
      if (now - at >= PURCHASE_REPEAT_WINDOW_MS) recentPurchases.delete(k);
  return true;
}

/** A whole-naira airtime amount near `wanted_naira` that this number has not been sold lately. */
export function airtimeNaira(service: string, phone: string, wanted_naira: number): number {
  for (let step = 0; step < 10_000; step++) {
    const naira = Math.min(50_000, Math.max(100, wanted_naira + step));
    if (claimPurchaseSlot(`${service}|${phone}|${naira}`)) return naira;
  }
  throw new Error("no free airtime amount");
}

export function uniqueMtnNumber(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return `0803${String(n % 10_000_000).padStart(7, "0")}`;
}

// ---- Purchases per user per minute -------------------------------------------------------------

/**
 * PURCHASE_USER_LIMITER (wrangler.jsonc) lets one user start 10 purchases a
 * minute, counted before anything else, and the pooled wallets serve sequence
 * after sequence. The model does not model that limiter (its route test,
 * test/routes/purchases/purchase-limits.test.ts, proves it); it paces each user as a
 * client that knows the limit would: before sending `n` purchase attempts at
 * once, it waits until that user's attempts in the last minute leave room for
 * them. An unexpected 429 still fails the sequence, as any wrong answer does.
 */
export const PURCHASES_PER_MINUTE = 10;
/** A second longer than the limiter's minute: its clock and the test's are not the same clock. */
const PURCHASE_PACE_WINDOW_MS = 61_000;
const purchaseAttempts = new Map<string, number[]>();

export async function pacePurchases(user_id: string, n: number): Promise<void> {
  if (n < 1 || n > PURCHASES_PER_MINUTE)
    throw new Error(`cannot send ${n} purchases at once under a limit of ${PURCHASES_PER_MINUTE}`);
  const started_ms = Date.now();
  for (;;) {
    const now_ms = Date.now();
    const recent = (purchaseAttempts.get(user_id) ?? []).filter(
      (at_ms) => now_ms - at_ms < PURCHASE_PACE_WINDOW_MS,
    );
    if (recent.length + n <= PURCHASES_PER_MINUTE) {
      purchaseAttempts.set(user_id, [...recent, ...Array<number>(n).fill(now_ms)]);
      if (now_ms > started_ms) spent("purchase pacing", now_ms - started_ms);
      return;
    }
    // Until enough of the oldest attempts are a window old.
    const frees_at_ms =
      recent[recent.length + n - PURCHASES_PER_MINUTE - 1] + PURCHASE_PACE_WINDOW_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, frees_at_ms - now_ms)));
  }
}

// ---- Counting ------------------------------------------------------------------------------

/**
 * A fresh Idempotency-Key. Never derived from what the model remembers: a key
 * sent with a request the model keeps no answer for (a refusal the server
 * still stores, say) would otherwise be sent again with another body.
 */
let key_serial = 0;
export function freshKey(prefix: string, seq: number): string {
  key_serial += 1;
  return `${prefix}-${seq}-${key_serial}`;
}

export const spent_ms = new Map<string, number>();
export function spent(what: string, ms: number): void {
  spent_ms.set(what, (spent_ms.get(what) ?? 0) + ms);
}

export const counts = {
  commands: new Map<string, number>(),
  outcomes: new Map<string, number>(),
  requests: 0,
  faults: 0,
  attacks: 0,
  sequences: 0,
};

export function countCommand(kind: string): void {
  counts.commands.set(kind, (counts.commands.get(kind) ?? 0) + 1);
}

export function countOutcome(outcome: string): void {
  counts.outcomes.set(outcome, (counts.outcomes.get(outcome) ?? 0) + 1);
}
