/**
 * The VTpass client against a fake VTpass (see vtpass-fake.ts): every
 * response-code class, every inner status, transport failures, auth headers
 * per method, retries (reads only, never pay), logs, the transaction-update
 * callback, and the shared Outcome type.
 */
import { describe, expect, it, vi } from "vitest";
import { VTPASS_READ_RETRIES } from "../../../src/providers/vtpass/limits";
import type { Outcome as FlutterwaveOutcome } from "../../../src/providers/flutterwave/client";
import type { Outcome } from "../../../src/providers/outcome";
import {
  classifyTransactionUpdate,
  mapInnerStatus,
  VTPASS_CODES,
} from "../../../src/providers/vtpass/classify";
import { newRequestId } from "../../../src/providers/vtpass/request-id";
import {
  client,
  fakeVtpass,
  hangingFetch,
  json,
  KEYS,
  PAY,
  payAnswering,
  REQUEST_ID,
  txAnswer,
} from "../../support/vtpass-fake";

// ---- Requests ---------------------------------------------------------------------------------

describe("requests VTpass receives", () => {
  it("sends api-key and secret-key on POST, api-key and public-key on GET, never both keys", async () => {
    const vt = fakeVtpass((seen) =>
      seen.method === "GET"
        ? json({ response_description: "000", content: [] })
        : json(txAnswer("000", "delivered")),
    );
    const vtpass = client(vt.fetch);
    await vtpass.pay(PAY);
    await vtpass.requery(REQUEST_ID);
    await vtpass.services("airtime");
    const [pay, requery, services] = vt.calls;
    for (const post of [pay, requery]) {
      expect(post.method).toBe("POST");
      expect(post.headers.get("api-key")).toBe(KEYS.api_key);
      expect(post.headers.get("secret-key")).toBe(KEYS.secret_key);
      expect(post.headers.get("public-key")).toBeNull();
      expect(post.headers.get("content-type")).toBe("application/json");
    }
    expect(services.method).toBe("GET");
    expect(services.headers.get("api-key")).toBe(KEYS.api_key);
    expect(services.headers.get("public-key")).toBe(KEYS.public_key);
    expect(services.headers.get("secret-key")).toBeNull();
  });

  it("posts the purchase to /api/pay with the amount in naira as a number", async () => {
    const vt = fakeVtpass(() => json(txAnswer("000", "delivered")));
    await client(vt.fetch).pay({
      ...PAY,
      serviceID: "mtn-data",
      amount_minor: 150_50,
      billersCode: "08031234567",
      variation_code: "mtn-100mb-100",
    });
    expect(vt.calls[0].path).toBe("/api/pay");
    expect(vt.calls[0].body).toEqual({
      request_id: REQUEST_ID,
      serviceID: "mtn-data",
      amount: 150.5,
      phone: "08031234567",
      billersCode: "08031234567",
      variation_code: "mtn-100mb-100",
    });
  });

  it("requeries with only the request_id, and reads the catalogue by query string", async () => {
    const vt = fakeVtpass(() => json({ response_description: "000", content: { variations: [] } }));
    const vtpass = client(vt.fetch);
    await vtpass.requery(REQUEST_ID);
    await vtpass.variations("etisalat-data");
    await vtpass.services("data");
    expect(vt.calls.map((c) => c.path)).toEqual([
      "/api/requery",
      "/api/service-variations?serviceID=etisalat-data",
      "/api/services?identifier=data",
    ]);
    expect(vt.calls[0].body).toEqual({ request_id: REQUEST_ID });
  });

  it("refuses to send a purchase with a malformed request_id or amount (a bug of ours), without calling VTpass", async () => {
    const vt = fakeVtpass(() => json(txAnswer("000", "delivered")));
    const vtpass = client(vt.fetch);
    await expect(vtpass.pay({ ...PAY, request_id: "abc" })).rejects.toThrow(/request_id/);
    await expect(vtpass.pay({ ...PAY, request_id: "202613011200abc" })).rejects.toThrow(
      /request_id/,
    );
    await expect(vtpass.pay({ ...PAY, amount_minor: 0 })).rejects.toThrow();
    await expect(vtpass.pay({ ...PAY, amount_minor: 10.5 })).rejects.toThrow();
    expect(vt.calls).toHaveLength(0);
  });
});

// ---- Classification -------------------------------------------------------------------------

describe("pay: inner status decides a 000", () => {
  it.each([
    ["delivered", "succeeded"],
    ["DELIVERED", "succeeded"],
    ["initiated", "pending"],
    ["pending", "pending"],
    ["resolved", "pending"],
    ["reversed", "reversed"],
    ["failed", "failed"],
  ])("000 with %s is %s", async (status, outcome) => {
    const { result } = await payAnswering(txAnswer("000", status));
    expect(result).toEqual({
      ok: true,
      value: {
        outcome,
        provider_ref: "17415980564672211596777904",
        request_id: REQUEST_ID,
        amount_minor: 100_00,
        charged_minor: 96_50,
        product_name: "MTN Airtime VTU",
        phone: "08031234567",
        message: "TRANSACTION SUCCESSFUL",
        // An airtime answer carries no bill token (purchased_code is empty).
        token: null,
        units: null,
      },
    });
  });

  it("treats an unknown inner status as unknown, never as a default", async () => {
    const { result } = await payAnswering(txAnswer("000", "completed"));
    expect(result).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: expect.stringContaining("completed"),
    });
    expect(mapInnerStatus("processing")).toBeNull();
  });

  it("treats 000 without content.transactions as unknown: 000 alone is not success", async () => {
    const { result } = await payAnswering(
      txAnswer("000", null, { transactionId: "1563873435424" }),
    );
    expect(result).toMatchObject({ ok: false, kind: "unknown", code: "000" });
  });

  it("reads transaction_date as an ISO string too, and ignores fields it does not know", async () => {
    const { result } = await payAnswering(
      txAnswer("000", "delivered", {
        transaction_date: "2026-11-27T09:14:16.000000Z",
        brand_new_field: { x: 1 },
      }),
    );
    expect(result).toMatchObject({ ok: true, value: { outcome: "succeeded" } });
  });

  it("does not accept an answer about another request_id", async () => {
    const { result } = await payAnswering(
      txAnswer("000", "delivered", { requestId: newRequestId(Date.now()) }),
    );
    expect(result).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: "answer names another request_id",
    });
  });
});

describe("pay: response codes", () => {
  it.each([
    ["099", "pending"],
    ["089", "pending"],
    ["016", "failed"],
    ["091", "failed"],
    ["040", "reversed"],
  ])("%s is %s", async (code, outcome) => {
    const { result } = await payAnswering({
      code,
      response_description: "X",
      requestId: REQUEST_ID,
    });
    expect(result).toMatchObject({
      ok: true,
      value: { outcome, request_id: REQUEST_ID, provider_ref: null },
    });
  });

  it("treats a failure code next to a delivered or pending inner status as unknown (contradiction)", async () => {
    expect((await payAnswering(txAnswer("016", "delivered"))).result).toMatchObject({
      ok: false,
      kind: "unknown",
      code: "016",
    });
    expect((await payAnswering(txAnswer("040", "pending"))).result).toMatchObject({
      ok: false,
      kind: "unknown",
      code: "040",
    });
    expect((await payAnswering(txAnswer("016", "failed"))).result).toMatchObject({
      ok: true,
      value: { outcome: "failed" },
    });
  });

  const refusedPlain = [
    "010",
    "011",
    "012",
    "013",
    "017",
    "019",
    "020",
    "025",
    "026",
    "028",
    "030",
    "031",
    "032",
    "034",
    "035",
  ];
  it.each(refusedPlain)(
    "%s is refused with a sentence a user can read and no anomaly",
    async (code) => {
      const { result } = await payAnswering({ code, response_description: "VENDOR WORDS" });
      expect(result).toEqual({
        ok: false,
        kind: "refused",
        code,
        message: VTPASS_CODES[code].message,
      });
      expect(VTPASS_CODES[code].message).not.toMatch(/VENDOR/);
    },
  );

  it.each([
    ["018", "provider_float_low"],
    ["087", "provider_credentials"],
    ["021", "provider_credentials"],
    ["022", "provider_credentials"],
    ["023", "provider_credentials"],
    ["024", "provider_credentials"],
    ["027", "provider_credentials"],
    ["085", "provider_request_invalid"],
  ])("%s is refused with the operator anomaly %s", async (code, anomaly) => {
    const { result } = await payAnswering({ code, response_description: "X" });
    expect(result).toMatchObject({ ok: false, kind: "refused", code, anomaly });
  });

  it("reads 014 (request_id already used) as 'requery', not as a failure", async () => {
    const { result } = await payAnswering({
      code: "014",
      response_description: "REQUEST ID ALREADY EXIST",
    });
    expect(result).toMatchObject({
      ok: false,
      kind: "unknown",
      code: "014",
      reason: expect.stringContaining("requery"),
    });
  });

  it.each(["083", "044", "001", "015", "999", "100"])(
    "%s in answer to pay is unknown",
    async (code) => {
      const { result } = await payAnswering({ code, response_description: "X" });
      expect(result).toMatchObject({ ok: false, kind: "unknown" });
    },
  );

  it("treats a body without a usable code as unknown", async () => {
    for (const body of [
      {},
      { code: 0 },
      { code: "16" },
      { response_description: "TRANSACTION SUCCESSFUL" },
      [],
      "000",
      null,
    ]) {
      expect((await payAnswering(body)).result, JSON.stringify(body)).toMatchObject({
        ok: false,
        kind: "unknown",
      });
    }
  });
});

describe("requery", () => {
  it("gives the purchase's facts from a requery answer", async () => {
    const vt = fakeVtpass(() => json(txAnswer("000", "delivered")));
    expect(await client(vt.fetch).requery(REQUEST_ID)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: 100_00 },
    });
  });

  it("reads 015 as not_found", async () => {
    const vt = fakeVtpass(() => json({ code: "015", response_description: "INVALID REQUEST ID" }));
    expect(await client(vt.fetch).requery(REQUEST_ID)).toEqual({
      ok: false,
      kind: "not_found",
      message: VTPASS_CODES["015"].message,
    });
  });

  it("never says refused: a refused requery says nothing about the purchase", async () => {
    for (const [code, anomaly] of [
      ["087", "provider_credentials"],
      ["085", "provider_request_invalid"],
      ["013", undefined],
      ["014", undefined],
    ] as const) {
      const vt = fakeVtpass(() => json({ code, response_description: "X" }));
      const result = await client(vt.fetch).requery(REQUEST_ID);
      expect(result, code).toMatchObject({ ok: false, kind: "unknown", code });
      if (anomaly) expect(result).toMatchObject({ anomaly });
    }
  });
});

describe("transport failures", () => {
  it("times out a hung pay, calls once, and reports unknown", async () => {
    const hung = hangingFetch();
    const started_ms = Date.now();
    const result = await client(hung.fetch, 50).pay(PAY);
    expect(result).toEqual({ ok: false, kind: "unknown", reason: "timeout" });
    expect(hung.count()).toBe(1);
    expect(Date.now() - started_ms).toBeLessThan(1_000);
  });

  it("retries a hung requery within its bound, then reports unknown", async () => {
    const hung = hangingFetch();
    const result = await client(hung.fetch, 50).requery(REQUEST_ID);
    expect(result).toEqual({ ok: false, kind: "unknown", reason: "timeout" });
    expect(hung.count()).toBe(1 + VTPASS_READ_RETRIES);
  });

  it("never retries pay on a 5xx or an unreadable body", async () => {
    for (const response of [
      () => json({ message: "Bad gateway" }, 502),
      () => new Response("<html>oops</html>", { status: 200 }),
    ]) {
      const vt = fakeVtpass(response);
      const result = await client(vt.fetch).pay(PAY);
      expect(result).toMatchObject({ ok: false, kind: "unknown" });
      expect(vt.calls).toHaveLength(1);
    }
  });

  it("retries requery after a 5xx and uses the answer that finally comes", async () => {
    const vt = fakeVtpass((_, call) =>
      call < 3 ? json({}, 503) : json(txAnswer("000", "delivered")),
    );
    expect(await client(vt.fetch).requery(REQUEST_ID)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
    expect(vt.calls).toHaveLength(3);
  });

  it("retries reads on malformed JSON and gives up as unknown", async () => {
    const vt = fakeVtpass(() => new Response("{not json", { status: 200 }));
    const result = await client(vt.fetch).services("airtime");
    expect(result).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: expect.stringContaining("unparsable"),
    });
    expect(vt.calls).toHaveLength(1 + VTPASS_READ_RETRIES);
  });

  it("reports a network error as unknown", async () => {
    const result = await client(() => Promise.reject(new TypeError("connection reset"))).pay(PAY);
    expect(result).toEqual({ ok: false, kind: "unknown", reason: "network_error" });
  });

  it("does not retry a definite read answer (credentials refused)", async () => {
    const vt = fakeVtpass(() =>
      json({ code: "087", response_description: "INVALID CREDENTIALS" }, 401),
    );
    expect(await client(vt.fetch).balance()).toMatchObject({
      ok: false,
      kind: "refused",
      code: "087",
      anomaly: "provider_credentials",
    });
    expect(vt.calls).toHaveLength(1);
  });
});

// ---- Callback and shared types ---------------------------------------------------------------

describe("transaction-update callback", () => {
  it("names the request_id and the claimed outcome (to be confirmed by requery)", () => {
    const body = JSON.stringify({ type: "transaction-update", data: txAnswer("000", "reversed") });
    expect(classifyTransactionUpdate(body)).toMatchObject({
      request_id: REQUEST_ID,
      claim: { ok: true, value: { outcome: "reversed" } },
    });
    expect(
      classifyTransactionUpdate(JSON.stringify({ type: "variations-update", data: {} })),
    ).toBeNull();
    expect(classifyTransactionUpdate("nope")).toBeNull();
  });
});

describe("logs", () => {
  it("never carry a key or a full phone number", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = [
      vi.spyOn(console, "log").mockImplementation(capture),
      vi.spyOn(console, "warn").mockImplementation(capture),
      vi.spyOn(console, "error").mockImplementation(capture),
    ];
    try {
      for (const body of [
        txAnswer("000", "delivered"),
        { code: "087" },
        { code: "018" },
        { code: "999" },
      ]) {
        const vt = fakeVtpass(() => json(body));
        await client(vt.fetch).pay(PAY);
        await client(vt.fetch).balance();
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      for (const secret of [KEYS.api_key, KEYS.public_key, KEYS.secret_key, "08031234567"])
        expect(line).not.toContain(secret);
    }
    expect(lines.some((line) => line.includes('"anomaly":"provider_float_low"'))).toBe(true);
  });
});

describe("shared Outcome type", () => {
  it("is the same type as Flutterwave's with the default refusal detail", () => {
    const a: Outcome<number> = { ok: false, kind: "refused", status: 400, message: "x" };
    const b: FlutterwaveOutcome<number> = a;
    const c: Outcome<number> = b;
    expect(c).toBe(a);
  });
});
