/**
 * A fake VTpass for the client tests: a responder function injected as the
 * client's `fetch`. It stands for the outside world; none of our code is faked.
 */
import { VtpassClient } from "../../src/providers/vtpass/client";
import { newRequestId } from "../../src/providers/vtpass/request-id";

type Seen = {
  method: string;
  path: string;
  headers: Headers;
  body: Record<string, unknown> | null;
};
type Responder = (seen: Seen, call: number) => Response | Promise<Response>;

export function fakeVtpass(responder: Responder) {
  const calls: Seen[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const seen: Seen = {
      method: request.method,
      path: url.pathname + url.search,
      headers: request.headers,
      body: text ? JSON.parse(text) : null,
    };
    calls.push(seen);
    return responder(seen, calls.length);
  };
  return { fetch, calls };
}

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A fetch that never answers but rejects when the client's signal aborts, like a real hung connection. */
export function hangingFetch() {
  let calls = 0;
  const fetch = (request: Request) =>
    new Promise<Response>((_, reject) => {
      calls++;
      request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
    });
  return { fetch, count: () => calls };
}

export const KEYS = {
  api_key: "test-api-key",
  public_key: "PK_test_public",
  secret_key: "SK_test_secret",
};

export function client(fetch: (request: Request) => Promise<Response>, timeout_ms = 2_000) {
  return new VtpassClient({ base_url: "https://vtpass.test/", ...KEYS, timeout_ms, fetch });
}

export const REQUEST_ID = newRequestId(Date.now());

export function txAnswer(code: string, status: string | null, extra: Record<string, unknown> = {}) {
  return {
    code,
    response_description: code === "000" ? "TRANSACTION SUCCESSFUL" : "SOMETHING",
    ...(status === null
      ? {}
      : {
          content: {
            transactions: {
              status,
              product_name: "MTN Airtime VTU",
              unique_element: "08031234567",
              unit_price: "100",
              quantity: 1,
              commission: 3,
              total_amount: 96.5,
              amount: "100.00",
              transactionId: "17415980564672211596777904",
              phone: "08031234567",
            },
          },
        }),
    requestId: REQUEST_ID,
    amount: "100.00",
    transaction_date: {
      date: "2026-11-27 10:17:16.000000",
      timezone_type: 3,
      timezone: "Africa/Lagos",
    },
    purchased_code: "",
    ...extra,
  };
}

export const PAY = {
  request_id: REQUEST_ID,
  serviceID: "mtn",
  amount_minor: 100_00,
  phone: "08031234567",
};

export async function payAnswering(body: unknown, status = 200) {
  const vt = fakeVtpass(() => json(body, status));
  const result = await client(vt.fetch).pay(PAY);
  return { result, calls: vt.calls };
}
