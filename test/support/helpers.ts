/**
 * Test helpers. Everything goes through the real Worker (`exports.default.fetch`)
 * and the real Durable Objects; only the outside world is ever replaced.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import worker from "../../src/worker";
import { FUND_PENDING_MAX_CEILING } from "../../src/domain/limits";
import { randomBase32 } from "../../src/lib/ids";
import { loadMongoDriver } from "../../src/projection/mongo-client";
import { beforeAll, expect } from "vitest";

export const ORIGIN = "http://wallet.test";

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/api/v1${path}`, init);
}

/**
 * The Worker's own `fetch` handler, called in-process with the real bindings
 * and a fresh ExecutionContext (its waitUntil work is awaited by the runner at
 * the end of the test, as it is for `exports.default.fetch`). It is the same
 * code and the same Durable Objects; what it leaves out is the test runner's
 * loopback, which slows with every request a file sends through it (measured:
 * a route answering "hello" served 112/s over its first 200 requests, then 30/s,
 * then 12/s). The generated suites send thousands of requests per file, so they
 * dispatch this way; tests of the runtime's own request handling (streamed
 * bodies, upgrades through the runtime) keep using `api()`.
 */
export function dispatch(input: string | Request, init?: RequestInit): Promise<Response> {
  const request = typeof input === "string" ? new Request(input, init) : input;
  return Promise.resolve(
    worker.fetch(
      request as Parameters<typeof worker.fetch>[0],
      env as never,
      createExecutionContext(),
    ),
  );
}

/** `api()` through `dispatch()`: a path under /api/v1, in-process. */
export function apiInProcess(path: string, init: RequestInit = {}): Promise<Response> {
  return dispatch(`${ORIGIN}/api/v1${path}`, init);
}

/** A fresh, unique email per call, so tests never share Durable Objects. */
export function uniqueEmail(tag = "user"): string {
  return `${tag}.${randomBase32(10)}@example.com`;
}

let ipCounter = 0;
/** A unique client address (rate limits are keyed per IP). */
export function uniqueIp(): string {
  ipCounter += 1;
  const r = crypto.getRandomValues(new Uint8Array(2));
  return `10.${r[0]}.${r[1]}.${ipCounter % 250}`;
}

export function form(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "cf-connecting-ip": uniqueIp(),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  };
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp(), ...headers },
    body: JSON.stringify(body),
  };
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  request_id: string;
  detail?: string;
  errors?: { path: string; message: string }[];
};

/** Asserts the response is an RFC 9457 problem with this status, and returns it. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  // Assertions (not throws), so a test that checks only problem documents still counts as asserting.
  expect(response.status, `expected ${status}: ${text}`).toBe(status);
  expect(response.headers.get("content-type"), `expected problem+json: ${text}`).toBe(
    "application/problem+json",
  );
  const body = JSON.parse(text) as Problem;
  expect(
    body.status === status &&
      typeof body.code === "string" &&
      typeof body.request_id === "string" &&
      !!body.type,
    `not a problem document: ${text}`,
  ).toBe(true);
  expect(/\bat .+:\d+:\d+/.test(text), `stack trace leaked: ${text}`).toBe(false);
  return body;
}

export const PASSWORD = "correct horse battery";

/** Register through the API and log in; returns the token and user id. */
export async function registerAndLogin(email = uniqueEmail(), password = PASSWORD) {
  const registered = await api("/auth/register", json({ email, password }));
  if (registered.status !== 201)
    throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const user = (await registered.json()) as { id: string };
  const login = await api("/auth/login", form({ username: email, password }));
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const token = (await login.json()) as { access_token: string };
  return {
    email,
    user_id: user.id,
    token: token.access_token,
    auth: { authorization: `Bearer ${token.access_token}` },
  };
}

export { env };

/**
 * The budget of a test that calls withinOneRateWindow: the wait alone may take up to
 * `needed_ms` (30 s at most in this suite), so the default 30 s budget would leave the
 * test's own work no time at all on an unlucky start.
 */
export const WAITS_FOR_RATE_WINDOW_MS = 90_000;

/**
 * Rate limiters count in fixed windows aligned to the minute (locally and in
 * production's simple limiter). A test that counts attempts waits, when needed,
 * so that it runs inside one window.
 */
export async function withinOneRateWindow(needed_ms: number, period_s = 60): Promise<void> {
  const period_ms = period_s * 1000;
  const left_ms = period_ms - (Date.now() % period_ms);
  if (left_ms < needed_ms) await new Promise((resolve) => setTimeout(resolve, left_ms + 50));
}

/** A fresh user id and its initialised wallet object (no HTTP, no password hashing). */
export async function newWallet(email = uniqueEmail("wallet")) {
  const { newUserId } = await import("../../src/lib/ids");
  const user_id = newUserId();
  const stub = env.WALLET.getByName(user_id);
  const profile = await stub.init({ user_id, email, full_name: "Test User", currency: "NGN" });
  if (!profile) throw new Error("wallet init failed");
  return { user_id, email, stub };
}

/** A bearer header for a user id, signed like the login route signs it. */
export async function bearerFor(user_id: string): Promise<Record<string, string>> {
  const { issueAccessToken } = await import("../../src/lib/tokens");
  const { requireConfig } = await import("../../src/lib/config");
  const token = await issueAccessToken(requireConfig(env), user_id);
  return { authorization: `Bearer ${token.access_token}` };
}

/** Balance equals the journal and available is never negative (invariants 2 and 5). */
export async function expectLedgerConsistent(stub: {
  audit(): Promise<{
    ok: boolean;
    balance_minor: number;
    journal_balance_minor: number;
    available_minor: number;
    held_minor: number;
    journal_rows: number;
  }>;
}) {
  const audit = await stub.audit();
  expect(audit.ok, `ledger inconsistent: ${JSON.stringify(audit)}`).toBe(true);
  return audit;
}

/** POST JSON with a bearer header (and optional extra headers). */
export function authedJson(
  auth: Record<string, string>,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...auth, ...headers },
    body: JSON.stringify(body),
  };
}

/** Wait until `check` stops throwing (queue consumers and alarms run asynchronously). */
export async function eventually<T>(
  check: () => Promise<T>,
  timeout_ms = 10_000,
  interval_ms = 100,
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, interval_ms));
    }
  }
}

/** Make every pending transaction of a wallet due now and run its alarm (the reconciler). */
export async function runReconciler(
  stub: DurableObjectStub<import("../../src/durable/wallet/object").Wallet>,
): Promise<void> {
  const { runInDurableObject, runDurableObjectAlarm } = await import("cloudflare:test");
  await runInDurableObject(stub, async (_instance, state) => {
    state.storage.sql.exec("UPDATE transactions SET next_check_at_ms = 0 WHERE status = 'PENDING'");
    // Far enough ahead that it does not fire by itself: runDurableObjectAlarm runs it now, and waits for it.
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  if (!(await runDurableObjectAlarm(stub))) throw new Error("no alarm ran");
}

/**
 * A tier table that never binds, as an environment's KYC_TIERS could set it:
 * for the tests of the ledger's own invariants (balances up to the
 * BALANCE_MAX_MINOR cap), passed in the opens' `tiers` as the services pass
 * their configuration's. The tier rules have their own tests.
 */
export const UNBOUNDED_TIERS = {
  required: false,
  table: {
    "1": { daily_limit_minor: Number.MAX_SAFE_INTEGER, max_balance_minor: null },
    "2": { daily_limit_minor: Number.MAX_SAFE_INTEGER, max_balance_minor: null },
    "3": { daily_limit_minor: Number.MAX_SAFE_INTEGER, max_balance_minor: null },
  },
} as const;

/**
 * KYC tiers (src/domain/tiers.ts) for a wallet about to hold and spend
 * `amount_minor` today, through the Wallet's own methods (the ones the
 * identity service and operators call): an unverified wallet has tier 1's
 * room (NGN 50,000 a day, NGN 300,000 held) while KYC_REQUIRED is false, as
 * in the tests; past half of that day, a BVN and a NIN (tier 2, NGN 200,000);
 * past half of that, an approver's upgrade to tier 3 (no cap). Half, so the
 * test still has the rest of the day to spend what it funded.
 */
export async function verifyForAmount(
  stub: DurableObjectStub<import("../../src/durable/wallet/object").Wallet>,
  user_id: string,
  amount_minor: number,
): Promise<void> {
  const { CBN_TIER_TABLE } = await import("../../src/domain/tiers");
  if (amount_minor <= CBN_TIER_TABLE["1"].daily_limit_minor / 2) return;
  for (const kind of ["bvn", "nin"] as const) {
    const recorded = await stub.recordIdentity({
      kind,
      hash: `test-${kind}-${user_id}`,
      last4: "0000",
      verified_name: "TEST USER",
      verified_dob: "1990-01-01",
      provider: "sandbox",
    });
    if (recorded.outcome !== "recorded")
      throw new Error(`identity not recorded: ${recorded.outcome}`);
  }
  if (amount_minor <= CBN_TIER_TABLE["2"].daily_limit_minor / 2) return;
  const upgraded = await stub.overrideTier(
    { id: "op-test-approver", role: "approver" },
    { tier: 3, reason: "test: address verified" },
  );
  if (upgraded.outcome !== "set" || upgraded.tier !== 3) throw new Error("tier 3 not granted");
}

/**
 * A wallet with `amount_minor` already credited through the real funding path,
 * verified to the tier it needs (`verify: false`: left unverified, for tests of
 * the tiers themselves).
 */
export async function fundedWallet(amount_minor: number, options: { verify?: boolean } = {}) {
  const { newTxRef } = await import("../../src/lib/ids");
  const w = await newWallet();
  if (options.verify !== false) await verifyForAmount(w.stub, w.user_id, amount_minor);
  const tx_ref = newTxRef("FUND", w.user_id);
  await w.stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
  });
  const credited = await w.stub.applyProviderFacts(
    tx_ref,
    {
      found: true,
      provider_ref: String(Date.now()),
      our_ref: tx_ref,
      outcome: "succeeded",
      amount_minor,
      currency: "NGN",
      message: null,
    },
    { via: "webhook" },
  );
  if (credited.outcome !== "credited")
    throw new Error(`funding did not credit: ${credited.outcome}`);
  return { ...w, auth: await bearerFor(w.user_id) };
}

/**
 * For a file whose first test makes a timed provider call right after its
 * first wallet: load the MongoDB driver before any test. The driver (most of
 * the bundle) loads the first time a projector writes, in the background,
 * just after a new wallet is made. Inside the test runtime that load goes
 * through the test runner's module loader and took up to 7.5 s of the
 * isolate on a busy two-core machine, while the first funding's call to the
 * look-alike waited on the same isolate: it outlasted the 1.5 s provider
 * timeout the tests set (vitest.config.ts) and the funding answered 503,
 * about once in four runs. (A deployed Worker evaluates the bundled driver in
 * about 85 ms: src/projection/mongo-client.ts.)
 */
export function loadMongoDriverFirst(): void {
  beforeAll(async () => {
    await loadMongoDriver();
  }, DRIVER_LOAD_TIMEOUT_MS);
}
const DRIVER_LOAD_TIMEOUT_MS = 60_000;
