/**
 * Helpers for driving the VTpass look-alike through the real Worker
 * (`exports.default.fetch`), by hand and through our real VtpassClient.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { VtpassClient, type VtpassOptions } from "../../src/providers/vtpass/client";
import { newRequestId } from "../../src/providers/vtpass/request-id";
import { SANDBOX_VTPASS_KEYS } from "../../src/sandbox/vtpass/model";
import { ORIGIN } from "./sandbox";

export { ORIGIN };
export const VT_BASE = `${ORIGIN}/__sandbox/vtpass`;

export const GET_KEYS = {
  "api-key": SANDBOX_VTPASS_KEYS.api_key,
  "public-key": SANDBOX_VTPASS_KEYS.public_key,
};
export const POST_KEYS = {
  "api-key": SANDBOX_VTPASS_KEYS.api_key,
  "secret-key": SANDBOX_VTPASS_KEYS.secret_key,
};

/** A call to the API with the keys its method needs (unless `headers` replaces them). */
export function vt(
  path: string,
  init: {
    method?: "GET" | "POST";
    body?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  return exports.default.fetch(`${VT_BASE}/api${path}`, {
    method,
    headers: init.headers ?? {
      ...(method === "GET" ? GET_KEYS : POST_KEYS),
      "content-type": "application/json",
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
    signal: init.signal,
  });
}

/** The JSON of an API answer, asserting its HTTP status first (VTpass answers 200 to nearly everything). */
export async function vtJson<T = any>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A call to the control API (no key). */
export function vtControl(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  return exports.default.fetch(`${VT_BASE}/__control${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** The `content` of a control answer, asserting the status first. */
export async function controlData<T = any>(response: Response, status = 200): Promise<T> {
  const body = await vtJson<{ code: string; response_description: string; content: T }>(
    response,
    status,
  );
  return body.content;
}

export function vtpassObject() {
  if (!env.VTPASS_SANDBOX) throw new Error("VTPASS_SANDBOX is not bound in the test environment");
  return env.VTPASS_SANDBOX.getByName("vtpass");
}

/** Our real client, pointed at the look-alike through the Worker itself. */
export function client(options: Partial<VtpassOptions> = {}): VtpassClient {
  return new VtpassClient({
    base_url: VT_BASE,
    api_key: SANDBOX_VTPASS_KEYS.api_key,
    public_key: SANDBOX_VTPASS_KEYS.public_key,
    secret_key: SANDBOX_VTPASS_KEYS.secret_key,
    timeout_ms: 5_000,
    fetch: (request) => exports.default.fetch(request),
    ...options,
  });
}

export function requestId(): string {
  return newRequestId(Date.now());
}

/**
 * An airtime amount in kobo no other test uses: the look-alike refuses the
 * same service, number and amount within 30 s (019), and every test buys for
 * the same few test numbers.
 */
export function uniqueAmountMinor(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 100_00 + (n % 4_000_000);
}

/** An airtime pay body for `phone` (amount in naira, as VTpass takes it). */
export function airtime(phone: string, overrides: Record<string, unknown> = {}) {
  return {
    request_id: requestId(),
    serviceID: "mtn",
    amount: uniqueAmountMinor() / 100,
    phone,
    ...overrides,
  };
}

export type Purchase = {
  request_id: string;
  status: string;
  current_status: string;
  amount_minor: number;
  debited_minor: number;
  callback: { state: string; attempts: number; next_at: string | null };
};

export async function purchase(request_id: string): Promise<Purchase> {
  return controlData<Purchase>(await vtControl(`/purchases/${request_id}`));
}

/**
 * Run the object's alarm until `done` holds. Each run does what the alarm
 * was set for (the earliest piece of work), which may be another test's; bounded.
 */
export async function runAlarmUntil(done: () => Promise<boolean>, runs_max = 8): Promise<void> {
  for (let run = 0; run < runs_max; run++) {
    if (await done()) return;
    await runDurableObjectAlarm(vtpassObject());
  }
  if (!(await done())) throw new Error(`still not done after ${runs_max} alarm runs`);
}

export type Delivery = {
  event: string;
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: string;
  body: any;
  at: string;
};

export async function deliveriesFor(request_id: string): Promise<Delivery[]> {
  return controlData<Delivery[]>(
    await vtControl(`/deliveries?match=${encodeURIComponent(request_id)}`),
  );
}

export async function requestCount(operation: string, match: string): Promise<number> {
  return (
    await controlData<{ count: number }>(
      await vtControl(`/requests?operation=${operation}&match=${encodeURIComponent(match)}`),
    )
  ).count;
}
