/**
 * The client's own behaviour, in Node, against a scripted server: here the API
 * is the outside world, so its answers are played by a fetch function that
 * records every request the client sends.
 */
import { describe, expect, it } from "vitest";
import { ApiProblem, createWalletClient, retryAfterMs, type ClientOptions } from "../src/index";
import { delayMs, RETRY_DEFAULTS } from "../src/retry";

const ORIGIN = "https://wallet.test";

type Sent = { method: string; url: string; headers: Headers; body: string };

/** A fetch that answers from a script, one answer per call, and records what was sent. */
function scripted(answers: Array<() => Response>) {
  const sent: Sent[] = [];
  const fetch = async (request: Request) => {
    sent.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${request.method} ${request.url}`);
    return next();
  };
  return { sent, fetch };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });

const problem =
  (
    status: number,
    code: string,
    headers: Record<string, string> = {},
    extra: Record<string, unknown> = {},
  ) =>
  () =>
    new Response(
      JSON.stringify({
        type: `tag:test:${code}`,
        title: "Refused",
        status,
        detail: `because ${code}`,
        code,
        request_id: `req_${code}`,
        ...extra,
      }),
      {
        status,
        headers: { "content-type": "application/problem+json", ...headers },
      },
    );

const FUNDING = {
  tx_ref: "fnd_1",
  status: "PENDING",
  amount: "2500.00",
  amount_minor: 250000,
  currency: "NGN",
  payment_link: "https://pay",
  expires_at: "2026-01-01T00:00:00Z",
  watch: { websocket_url: "wss://x", ticket: "t" },
};
const WALLET = {
  user_id: "u",
  currency: "NGN",
  balance: "0.00",
  balance_minor: 0,
  available: "0.00",
  available_minor: 0,
  held: "0.00",
  held_minor: 0,
  is_active: true,
};

function client(fetch: ClientOptions["fetch"], extra: Partial<ClientOptions> = {}) {
  // Small backoff steps: these tests check what is waited for, not how long a default is.
  return createWalletClient({
    baseUrl: `${ORIGIN}/`,
    token: "tok",
    fetch,
    retry: { base_delay_ms: 5, max_delay_ms: 20 },
    ...extra,
  });
}

describe("retries on 429 and 503", () => {
  it("waits out a Retry-After in seconds before sending again, then returns the data", async () => {
    const server = scripted([
      problem(429, "rate_limited", { "retry-after": "1" }),
      json(200, WALLET),
    ]);
    const started_ms = Date.now();
    expect(await client(server.fetch).wallet()).toEqual(WALLET);
    expect(Date.now() - started_ms).toBeGreaterThanOrEqual(990);
    expect(server.sent).toHaveLength(2);
  });

  it("reads a Retry-After given as an HTTP date", () => {
    const now_ms = Date.parse("2026-11-27T08:00:00Z");
    expect(retryAfterMs("Fri, 27 Nov 2026 08:00:03 GMT", now_ms)).toBe(3000);
    expect(retryAfterMs("Fri, 27 Nov 2026 07:59:00 GMT", now_ms)).toBe(0);
    expect(retryAfterMs("soon", now_ms)).toBeNull();
    expect(retryAfterMs(null, now_ms)).toBeNull();
  });

  it("backs off exponentially with jitter, capped, when no Retry-After is given", () => {
    const options = { ...RETRY_DEFAULTS, base_delay_ms: 100, max_delay_ms: 500 };
    const refused = new Response(null, { status: 503 });
    expect(
      [1, 2, 3, 4, 5].map((attempt) => delayMs(refused, attempt, options, 0, () => 1)),
    ).toEqual([100, 200, 400, 500, 500]);
    expect(delayMs(refused, 3, options, 0, () => 0)).toBe(0);
  });

  it("stops after max_attempts and throws the last refusal as an ApiProblem", async () => {
    const server = scripted(
      [0, 1, 2].map(() => problem(503, "provider_unavailable", { "retry-after": "0" })),
    );
    const error = await client(server.fetch, { retry: { max_attempts: 3 } })
      .wallet()
      .catch((e: unknown) => e);
    expect(server.sent).toHaveLength(3);
    expect(error).toBeInstanceOf(ApiProblem);
    expect(error).toMatchObject({
      status: 503,
      code: "provider_unavailable",
      request_id: "req_provider_unavailable",
      retry_after_s: 0,
    });
  });

  it("hands back at once a Retry-After longer than it is willing to wait", async () => {
    const server = scripted([problem(429, "rate_limited", { "retry-after": "3600" })]);
    const started_ms = Date.now();
    const error = (await client(server.fetch)
      .wallet()
      .catch((e: unknown) => e)) as ApiProblem;
    expect(Date.now() - started_ms).toBeLessThan(500);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retry_after_s: 3600 });
  });

  it("does not resend a POST without an Idempotency-Key after a 503, but does after a 429", async () => {
    const refused = scripted([problem(503, "service_misconfigured")]);
    await expect(
      client(refused.fetch).register({ email: "a@example.com", password: "correct horse" }),
    ).rejects.toMatchObject({ code: "service_misconfigured" });
    expect(refused.sent).toHaveLength(1);

    const limited = scripted([
      problem(429, "rate_limited", { "retry-after": "0" }),
      json(201, { id: "u", email: "a@example.com" }),
    ]);
    await client(limited.fetch).register({ email: "a@example.com", password: "correct horse" });
    expect(limited.sent).toHaveLength(2);
  });

  it("does not retry other refusals", async () => {
    const server = scripted([problem(422, "insufficient_funds")]);
    await expect(
      client(server.fetch).withdraw({
        amount: "1500",
        account_number: "0690000031",
        account_bank: "044",
      }),
    ).rejects.toMatchObject({ status: 422, code: "insufficient_funds" });
    expect(server.sent).toHaveLength(1);
  });
});

describe("Idempotency-Key on money calls", () => {
  it("sends the same key and the same body on every retry of one call", async () => {
    const server = scripted([
      problem(503, "provider_unavailable"),
      problem(429, "rate_limited", { "retry-after": "0" }),
      json(201, FUNDING),
    ]);
    expect(await client(server.fetch).fund({ amount: 2500 })).toEqual(FUNDING);
    expect(server.sent).toHaveLength(3);
    const keys = server.sent.map((s) => s.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    expect(server.sent.map((s) => JSON.parse(s.body))).toEqual([
      { amount: 2500 },
      { amount: 2500 },
      { amount: 2500 },
    ]);
  });

  it("gives each call its own key, and uses the caller's key when given", async () => {
    const purchase = { tx_ref: "air_1" };
    const server = scripted([
      json(202, purchase),
      json(202, purchase),
      json(202, purchase),
      json(202, purchase),
      json(202, purchase),
    ]);
    const wallet = client(server.fetch);
    await wallet.buyAirtime({ phone: "08011111111", amount: "100" });
    await wallet.buyAirtime({ phone: "08011111111", amount: "100" });
    await wallet.buyData({ phone: "08011111111", plan: "mtn-100mb-1000" });
    await wallet.withdraw({ amount: "1500", account_number: "0690000031", account_bank: "044" });
    await wallet.fund({ amount: "100" }, { idempotency_key: "order-42" });
    const keys = server.sent.map((s) => s.headers.get("idempotency-key"));
    expect(new Set(keys.slice(0, 4)).size).toBe(4);
    expect(keys[4]).toBe("order-42");
    expect(server.sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "POST /api/v1/wallet/airtime",
      "POST /api/v1/wallet/airtime",
      "POST /api/v1/wallet/data",
      "POST /api/v1/wallet/withdraw",
      "POST /api/v1/wallet/fund",
    ]);
  });

  it("sends no key on calls that move no money", async () => {
    const server = scripted([json(200, WALLET)]);
    await client(server.fetch).wallet();
    expect(server.sent[0].headers.has("idempotency-key")).toBe(false);
  });
});

describe("ApiProblem", () => {
  it("carries the problem document's code, status, request id and field errors", async () => {
    const server = scripted([
      problem(
        422,
        "validation_failed",
        {},
        { errors: [{ path: "amount", message: "amount must be between 100.00 and 5000000.00" }] },
      ),
    ]);
    const error = (await client(server.fetch)
      .fund({ amount: "1" })
      .catch((e: unknown) => e)) as ApiProblem;
    expect(error).toBeInstanceOf(ApiProblem);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ApiProblem",
      status: 422,
      code: "validation_failed",
      request_id: "req_validation_failed",
      detail: "because validation_failed",
      type: "tag:test:validation_failed",
    });
    expect(error.errors).toEqual([
      { path: "amount", message: "amount must be between 100.00 and 5000000.00" },
    ]);
    expect(error.message).toContain("validation_failed");
  });

  it("describes an answer that is not a problem document by its status and X-Request-Id", async () => {
    const server = scripted([
      () =>
        new Response("<html>Bad gateway</html>", {
          status: 502,
          statusText: "Bad Gateway",
          headers: { "content-type": "text/html", "x-request-id": "req_edge" },
        }),
    ]);
    await expect(client(server.fetch).me()).rejects.toMatchObject({
      status: 502,
      code: "http_502",
      request_id: "req_edge",
    });
  });
});

describe("login and the bearer token", () => {
  it("keeps the token from login and sends it on later calls; logout stops sending it", async () => {
    const server = scripted([
      json(200, { access_token: "fresh", token_type: "bearer", expires_in: 3600 }),
      json(200, WALLET),
      json(200, WALLET),
    ]);
    const wallet = createWalletClient({ baseUrl: ORIGIN, fetch: server.fetch });
    await wallet.login("ada@example.com", "correct horse battery");
    expect(wallet.token).toBe("fresh");
    await wallet.wallet();
    wallet.logout();
    await wallet.wallet();
    expect(server.sent[0].headers.has("authorization")).toBe(false);
    expect(JSON.parse(server.sent[0].body)).toEqual({
      email: "ada@example.com",
      password: "correct horse battery",
    });
    expect(server.sent[1].headers.get("authorization")).toBe("Bearer fresh");
    expect(server.sent[2].headers.has("authorization")).toBe(false);
  });

  it("asks for JSON, so a money call is never answered with a browser's redirect", async () => {
    const server = scripted([json(202, { tx_ref: "wdr_1" })]);
    await client(server.fetch).withdraw({
      amount: 1500,
      account_number: "0690000031",
      account_bank: "044",
    });
    expect(server.sent[0].headers.get("accept")).toBe("application/json");
    expect(server.sent[0].headers.get("content-type")).toBe("application/json");
  });
});

describe("bills", () => {
  const BILL = {
    tx_ref: "elc_1",
    type: "ELECTRICITY",
    status: "SUCCESS",
    stage: "settled",
    service: "ikeja-electric",
    account: "1111111111111",
    customer_name: "TESTMETER1",
    token: "26362054405982757802",
    units: "79.9 kWh",
  };

  it("verifies a meter and a smartcard with their query, no key, and reads the customer back", async () => {
    const meter = { disco: "ikeja-electric", meter: "1111111111111", type: "prepaid" };
    const card = { provider: "dstv", smartcard: "1212121212", customer_name: "TEST METER" };
    const server = scripted([
      json(200, { ...meter, customer_name: "TESTMETER1", cached: false }),
      json(200, card),
    ]);
    const wallet = client(server.fetch);
    expect(
      await wallet.verifyMeter({
        disco: "ikeja-electric",
        meter: "1111111111111",
        type: "prepaid",
      }),
    ).toMatchObject({ customer_name: "TESTMETER1" });
    expect(await wallet.verifySmartcard({ provider: "dstv", smartcard: "1212121212" })).toEqual(
      card,
    );
    const urls = server.sent.map((s) => new URL(s.url));
    expect(urls.map((u) => `${u.pathname}?${u.searchParams.toString()}`)).toEqual([
      "/api/v1/catalog/electricity/verify?disco=ikeja-electric&meter=1111111111111&type=prepaid",
      "/api/v1/catalog/tv/verify?provider=dstv&smartcard=1212121212",
    ]);
    expect(server.sent.map((s) => s.method)).toEqual(["GET", "GET"]);
    expect(server.sent.some((s) => s.headers.has("idempotency-key"))).toBe(false);
    expect(server.sent[0].headers.get("authorization")).toBe("Bearer tok");
  });

  it("turns a wrong meter into an ApiProblem meter_invalid, without retrying", async () => {
    const server = scripted([problem(422, "meter_invalid")]);
    await expect(
      client(server.fetch).verifyMeter({
        disco: "eko-electric",
        meter: "1234",
        type: "postpaid",
      }),
    ).rejects.toMatchObject({ status: 422, code: "meter_invalid" });
    expect(server.sent).toHaveLength(1);
  });

  it("pays electricity and TV with an Idempotency-Key kept across a retry, and returns the token", async () => {
    const server = scripted([
      problem(503, "provider_unavailable", { "retry-after": "0" }),
      json(202, BILL),
      json(202, { ...BILL, tx_ref: "tvs_1", type: "TV", token: null, units: null }),
    ]);
    const wallet = client(server.fetch);
    const electricity = await wallet.buyElectricity({
      disco: "ikeja-electric",
      meter: "1111111111111",
      type: "prepaid",
      amount: 2000,
      phone: "08031234567",
    });
    expect(electricity).toMatchObject({ token: "26362054405982757802", units: "79.9 kWh" });
    const tv = await wallet.payTv(
      {
        provider: "dstv",
        smartcard: "1212121212",
        action: "change",
        bouquet: "dstv79",
        quantity: 2,
        phone: "08031234567",
      },
      { idempotency_key: "tv-order-7" },
    );
    expect(tv).toMatchObject({ tx_ref: "tvs_1", token: null });
    expect(server.sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "POST /api/v1/wallet/electricity",
      "POST /api/v1/wallet/electricity",
      "POST /api/v1/wallet/tv",
    ]);
    const keys = server.sent.map((s) => s.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe("tv-order-7");
    expect(JSON.parse(server.sent[1].body)).toEqual({
      disco: "ikeja-electric",
      meter: "1111111111111",
      type: "prepaid",
      amount: 2000,
      phone: "08031234567",
    });
    expect(JSON.parse(server.sent[2].body)).toMatchObject({ action: "change", quantity: 2 });
  });
});

describe("statements", () => {
  it("asks for each format by name and accept header, and hands back JSON, CSV text and PDF bytes", async () => {
    const pdfBytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0xff, 0x00]);
    const server = scripted([
      json(200, { object: "statement", closing_balance_minor: 150 }),
      () =>
        new Response("date_lagos,created_at\r\n", {
          status: 200,
          headers: { "content-type": "text/csv; charset=utf-8" },
        }),
      () => new Response(pdfBytes, { status: 200, headers: { "content-type": "application/pdf" } }),
      problem(422, "statement_period_too_long"),
    ]);
    const wallet = client(server.fetch);
    const period = { from: "2026-12-01", to: "2026-12-06" };
    expect(await wallet.statement(period)).toMatchObject({ closing_balance_minor: 150 });
    expect(await wallet.statementCsv(period)).toBe("date_lagos,created_at\r\n");
    expect(await wallet.statementPdf(period)).toEqual(pdfBytes);
    const refused = await wallet.statementPdf({ from: "2025-01-01", to: "2026-12-06" }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiProblem);
    expect((refused as ApiProblem).code).toBe("statement_period_too_long");
    const asked = server.sent.map((s) => {
      const url = new URL(s.url);
      return [url.pathname, url.searchParams.get("format"), s.headers.get("accept")];
    });
    expect(asked.slice(0, 3)).toEqual([
      ["/api/v1/wallet/statement", "json", "application/json, application/problem+json"],
      ["/api/v1/wallet/statement", "csv", "text/csv, application/problem+json"],
      ["/api/v1/wallet/statement", "pdf", "application/pdf, application/problem+json"],
    ]);
    expect(server.sent[0].headers.get("authorization")).toBe("Bearer tok");
  });
});
