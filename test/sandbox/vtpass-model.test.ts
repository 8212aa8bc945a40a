/**
 * The VTpass look-alike's model: key checks, request_id rules, duplicates,
 * every test number, requery and callback shapes, and the catalogue. The last
 * block drives our real VTpass client against the model, so the look-alike and
 * the client are held to the same documented shapes.
 */
import { describe, expect, it } from "vitest";
import { VtpassClient } from "../../src/providers/vtpass/client";
import { newRequestId } from "../../src/providers/vtpass/request-id";
import {
  renderServices,
  renderVariations,
  SANDBOX_SERVICES,
} from "../../src/sandbox/vtpass/catalogue";
import {
  DUPLICATE_WINDOW_MS,
  PENDING_DELIVER_AFTER_MS,
  REQUEST_ID_TOLERANCE_MS,
} from "../../src/sandbox/vtpass/limits";
import {
  checkFloat,
  currentStatus,
  decidePay,
  decideRead,
  decideRequery,
  floatDebitMinor,
  keysAccepted,
  newTransactionId,
  renderBalance,
  renderTransactionUpdate,
  requestIdDateOk,
  SANDBOX_VTPASS_KEYS,
  settle,
  type Json,
  type PayDecision,
  type PurchaseLedger,
  type PurchaseRecord,
} from "../../src/sandbox/vtpass/model";

const NOW_MS = Date.parse("2026-11-27T09:14:00Z"); // 10:14 in Lagos
const POST_KEYS = new Headers({
  "api-key": SANDBOX_VTPASS_KEYS.api_key,
  "secret-key": SANDBOX_VTPASS_KEYS.secret_key,
});
const GET_KEYS = new Headers({
  "api-key": SANDBOX_VTPASS_KEYS.api_key,
  "public-key": SANDBOX_VTPASS_KEYS.public_key,
});

/** The ledger a Durable Object would keep in SQLite, as a Map. */
function memoryLedger() {
  const rows = new Map<string, PurchaseRecord>();
  const ledger: PurchaseLedger = {
    find: (id) => rows.get(id) ?? null,
    latestSimilar: (serviceID, recipient, amount_minor) =>
      [...rows.values()]
        .filter(
          (r) =>
            r.serviceID === serviceID &&
            r.recipient === recipient &&
            r.amount_minor === amount_minor,
        )
        .reduce<number | null>(
          (latest, r) => (latest === null || r.created_at_ms > latest ? r.created_at_ms : latest),
          null,
        ),
  };
  /** Decide, then store what the decision says to store, as the route would. */
  const pay = (
    body: Record<string, unknown>,
    now_ms = NOW_MS,
    headers: Headers = POST_KEYS,
  ): PayDecision => {
    const decision = decidePay(
      { headers, body, now_ms, transaction_id: newTransactionId(now_ms) },
      ledger,
    );
    if (decision.record) rows.set(decision.record.request_id, decision.record);
    return decision;
  };
  return { rows, ledger, pay };
}

const airtime = (phone: string, extra: Record<string, unknown> = {}) => ({
  request_id: newRequestId(NOW_MS),
  serviceID: "mtn",
  amount: 100,
  phone,
  ...extra,
});
const codeOf = (decision: PayDecision) =>
  decision.kind === "answer" || decision.kind === "unexpected"
    ? (decision.body as { code?: string }).code
    : decision.kind;

describe("keys", () => {
  it("takes api-key + public-key on GET and api-key + secret-key on POST, nothing else", () => {
    expect(keysAccepted("GET", GET_KEYS)).toBe(true);
    expect(keysAccepted("POST", POST_KEYS)).toBe(true);
    expect(keysAccepted("GET", POST_KEYS)).toBe(false);
    expect(keysAccepted("POST", GET_KEYS)).toBe(false);
    expect(
      keysAccepted(
        "POST",
        new Headers({ "api-key": "wrong", "secret-key": SANDBOX_VTPASS_KEYS.secret_key }),
      ),
    ).toBe(false);
    expect(decideRead(new Headers(), () => renderBalance(1))).toMatchObject({ code: "087" });
  });

  it("answers 087 to a purchase with wrong keys, and records nothing", () => {
    const sandbox = memoryLedger();
    expect(codeOf(sandbox.pay(airtime("08011111111"), NOW_MS, GET_KEYS))).toBe("087");
    expect(sandbox.rows.size).toBe(0);
  });
});

describe("request_id", () => {
  it.each([
    ["202611271014abc", true], // now, in Lagos
    ["202611270001abc", true], // earlier today
    ["202611261014abc", false], // yesterday
    ["202611281014abc", false], // tomorrow
    ["202611271100abc", false], // later today: in the future past the tolerance
    ["202611271018abc", true], // a few minutes ahead: clock skew
    ["202611271314abc", false],
    ["202602301014abc", false], // 30 February
    ["abcdefghijklmn", false],
    ["2026112710", false],
  ])("%s is %s at 10:14 Lagos", (id, ok) => {
    expect(requestIdDateOk(id, NOW_MS)).toBe(ok);
  });

  it("accepts yesterday's 23:59 just after midnight, within the tolerance", () => {
    const just_after_midnight = Date.parse("2026-11-27T23:01:00Z"); // 00:01 on the 28th in Lagos
    expect(requestIdDateOk("202611272359xyz", just_after_midnight)).toBe(true);
    expect(requestIdDateOk("202611272350xyz", just_after_midnight + REQUEST_ID_TOLERANCE_MS)).toBe(
      false,
    );
  });

  it("answers 085 to a stale or malformed request_id and 014 to a reused one", () => {
    const sandbox = memoryLedger();
    expect(codeOf(sandbox.pay(airtime("08011111111", { request_id: "202611261014abcdef" })))).toBe(
      "085",
    );
    expect(codeOf(sandbox.pay(airtime("08011111111", { request_id: "202611271014abc-def" })))).toBe(
      "085",
    );
    const first = airtime("08011111111");
    expect(codeOf(sandbox.pay(first))).toBe("000");
    expect(codeOf(sandbox.pay({ ...first, amount: 200 }, NOW_MS + 60_000))).toBe("014");
  });
});

describe("pay: the test numbers", () => {
  it.each([
    ["08011111111", "answer", "000", "delivered"],
    ["201000000000", "answer", "000", "pending"],
    ["500000000000", "unexpected", "000", "delivered"],
    ["400000000000", "no_response", "no_response", "delivered"],
    ["300000000000", "timeout", "timeout", "pending"],
    ["08031234567", "answer", "016", "failed"],
    ["07011111111", "answer", "016", "failed"],
  ])("%s: %s (%s), recorded %s", (phone, kind, code, status) => {
    const decision = memoryLedger().pay(airtime(phone));
    expect(decision.kind).toBe(kind);
    expect(codeOf(decision)).toBe(code);
    expect(decision.record?.status).toBe(status);
  });

  it("gives the unexpected number a 000 without a transaction status", () => {
    const decision = memoryLedger().pay(airtime("500000000000"));
    expect(decision.kind === "unexpected" && decision.body).toEqual({
      code: "000",
      response_description: "TRANSACTION SUCCESSFUL",
      requestId: expect.any(String),
    });
  });

  it("delivers the pending number later, seen by requery and announced by callback", () => {
    const sandbox = memoryLedger();
    const body = airtime("201000000000");
    sandbox.pay(body);
    const requery = (now_ms: number) =>
      decideRequery(
        { headers: POST_KEYS, body: { request_id: body.request_id }, now_ms },
        sandbox.ledger,
      );
    expect(requery(NOW_MS + 1_000)).toMatchObject({
      code: "099",
      content: { transactions: { status: "pending" } },
    });
    expect(requery(NOW_MS + PENDING_DELIVER_AFTER_MS)).toMatchObject({
      code: "000",
      content: { transactions: { status: "delivered" } },
    });

    const record = sandbox.rows.get(body.request_id)!;
    const settled = settle(record, "delivered")!;
    expect(settle(settled, "delivered")).toBeNull(); // settled once
    expect(settle(settled, "failed")).toBeNull();
    // A delivered purchase may still be reversed, once.
    expect(settle(settle(settled, "reversed")!, "reversed")).toBeNull();
    expect(renderTransactionUpdate(settled)).toMatchObject({
      type: "transaction-update",
      data: {
        code: "000",
        requestId: body.request_id,
        content: { transactions: { status: "delivered", transactionId: record.transaction_id } },
      },
    });
    expect(currentStatus(settle(record, "reversed")!, NOW_MS + PENDING_DELIVER_AFTER_MS)).toBe(
      "reversed",
    );
  });

  it("answers 015 to a requery of an unknown request_id and 087 to wrong keys", () => {
    const { ledger } = memoryLedger();
    expect(
      decideRequery(
        { headers: POST_KEYS, body: { request_id: newRequestId(NOW_MS) }, now_ms: NOW_MS },
        ledger,
      ),
    ).toMatchObject({ code: "015" });
    expect(
      decideRequery({ headers: GET_KEYS, body: { request_id: "x" }, now_ms: NOW_MS }, ledger),
    ).toMatchObject({ code: "087" });
    expect(decideRequery({ headers: POST_KEYS, body: {}, now_ms: NOW_MS }, ledger)).toMatchObject({
      code: "011",
    });
  });
});

describe("pay: validation", () => {
  it("refuses missing arguments, unknown products and amounts out of range", () => {
    const sandbox = memoryLedger();
    expect(codeOf(sandbox.pay({ serviceID: "mtn", amount: 100, phone: "08011111111" }))).toBe(
      "011",
    );
    expect(codeOf(sandbox.pay(airtime("0801-111")))).toBe("011");
    expect(codeOf(sandbox.pay(airtime("08011111111", { amount: "1e3" })))).toBe("011");
    expect(codeOf(sandbox.pay(airtime("08011111111", { serviceID: "waec" })))).toBe("012");
    // A bill is a product, but not without its meter or smartcard (billersCode).
    expect(codeOf(sandbox.pay(airtime("08011111111", { serviceID: "dstv" })))).toBe("011");
    expect(codeOf(sandbox.pay(airtime("08011111111", { amount: 49.99 })))).toBe("013");
    expect(codeOf(sandbox.pay(airtime("08011111111", { amount: "50000.01" })))).toBe("017");
    expect(
      codeOf(
        sandbox.pay({
          ...airtime("08011111111"),
          serviceID: "mtn-data",
          billersCode: "08011111111",
          variation_code: "nope",
        }),
      ),
    ).toBe("010");
    expect(
      codeOf(
        sandbox.pay({
          ...airtime("08011111111"),
          serviceID: "mtn-data",
          variation_code: "mtn-10mb-100",
        }),
      ),
    ).toBe("011");
    expect(sandbox.rows.size).toBe(0);
  });

  it("prices data by the plan, credits billersCode, and ignores the amount sent", () => {
    const decision = memoryLedger().pay({
      ...airtime("08031234567"),
      serviceID: "glo-data",
      amount: 1,
      billersCode: "08011111111",
      variation_code: "glo500",
    });
    expect(decision.record).toMatchObject({
      status: "delivered",
      recipient: "08011111111",
      phone: "08031234567",
      amount_minor: 500_00,
      variation_code: "glo500",
    });
    expect(decision.kind === "answer" && decision.body).toMatchObject({
      amount: 500,
      content: { transactions: { unique_element: "08011111111", type: "Data Services" } },
    });
  });

  it("answers 019 to the same service, number and amount within 30 s, and only then", () => {
    const sandbox = memoryLedger();
    expect(codeOf(sandbox.pay(airtime("08031234567")))).toBe("016");
    expect(codeOf(sandbox.pay(airtime("08031234567"), NOW_MS + DUPLICATE_WINDOW_MS - 1))).toBe(
      "019",
    );
    expect(codeOf(sandbox.pay(airtime("08031234567", { amount: 101 }), NOW_MS + 1))).toBe("016");
    expect(codeOf(sandbox.pay(airtime("08031234567", { serviceID: "glo" }), NOW_MS + 1))).toBe(
      "016",
    );
    expect(codeOf(sandbox.pay(airtime("08031234567"), NOW_MS + DUPLICATE_WINDOW_MS))).toBe("016");
  });
});

describe("the float", () => {
  it("answers 018 when the cost after commission is more than the float, whatever the number, and lets the rest through", () => {
    const { ledger } = memoryLedger();
    const decide = (phone: string) =>
      decidePay(
        {
          headers: POST_KEYS,
          body: airtime(phone),
          now_ms: NOW_MS,
          transaction_id: newTransactionId(NOW_MS),
        },
        ledger,
      );
    // mtn: N100 with 3% commission costs N97.
    for (const phone of ["08011111111", "201000000000", "300000000000", "08031234567"]) {
      expect(codeOf(checkFloat(decide(phone), 96_99)), phone).toBe("018");
      expect(checkFloat(decide(phone), 96_99).record, phone).toBeNull();
      expect(checkFloat(decide(phone), 97_00).record?.phone, phone).toBe(phone);
    }
    expect(checkFloat(decide("08011111111"), 0)).toMatchObject({
      kind: "answer",
      body: { code: "018", response_description: "LOW WALLET BALANCE" },
    });
    // A refusal stores nothing, so it costs nothing: it passes unchanged.
    const refused = decidePay(
      { headers: GET_KEYS, body: airtime("08011111111"), now_ms: NOW_MS, transaction_id: "t" },
      ledger,
    );
    expect(checkFloat(refused, 0)).toBe(refused);
  });

  it("takes the cost after commission for delivered and pending purchases, nothing for failed or reversed ones", () => {
    const record = memoryLedger().pay(airtime("08011111111")).record!;
    expect(floatDebitMinor(record)).toBe(97_00);
    expect(floatDebitMinor({ ...record, status: "pending" })).toBe(97_00);
    expect(floatDebitMinor({ ...record, status: "failed" })).toBe(0);
    expect(floatDebitMinor({ ...record, status: "reversed" })).toBe(0);
  });
});

describe("catalogue", () => {
  it("lists airtime with min 50 and max 50,000 (9mobile's narrower, 100 to 20,000), data with its own bounds", () => {
    const airtimeList = renderServices("airtime") as { content: Record<string, Json>[] };
    expect(
      airtimeList.content.map((s) => [s.serviceID, s.minimium_amount, s.maximum_amount]),
    ).toEqual([
      ["mtn", "50", 50000],
      ["airtel", "50", 50000],
      ["glo", "50", 50000],
      ["etisalat", "100", 20000],
    ]);
    const data = renderServices("data") as { content: Record<string, Json>[] };
    expect(data.content.find((s) => s.serviceID === "glo-data")?.maximum_amount).toBe(200000);
    expect(renderServices("tv")).toEqual({ response_description: "000", content: [] });
  });

  it("lists a handful of fixed-price plans per network, MTN under the misspelt key", () => {
    for (const service of SANDBOX_SERVICES.filter((s) => s.identifier === "data")) {
      const answer = renderVariations(service.serviceID) as { content: Record<string, Json> };
      const plans = (answer.content.variations ?? answer.content.varations) as Record<
        string,
        Json
      >[];
      expect(plans.length, service.serviceID).toBeGreaterThanOrEqual(4);
      for (const plan of plans) {
        expect(plan.variation_amount).toMatch(/^\d+\.\d{2}$/);
        expect(plan.fixedPrice).toBe("Yes");
      }
    }
    expect(Object.keys((renderVariations("mtn-data") as { content: object }).content)).toContain(
      "varations",
    );
    expect(renderVariations("nope")).toMatchObject({ code: "012" });
  });

  it("reports a balance in naira", () => {
    expect(renderBalance(1_234_56)).toEqual({
      code: 1,
      contents: { number: "SANDBOX", balance: 1234.56, code: 1 },
    });
  });
});

// ---- The look-alike and our client agree ----------------------------------------------------

/** What the mounted look-alike will do over HTTP, as a fetch: no answer is a dropped connection, a timeout hangs. */
function modelFetch(sandbox: ReturnType<typeof memoryLedger>, now_ms: () => number) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : null;
    const json = (value: Json) =>
      new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
    if (url.pathname === "/api/requery")
      return json(
        decideRequery({ headers: request.headers, body, now_ms: now_ms() }, sandbox.ledger),
      );
    if (url.pathname === "/api/services")
      return json(
        decideRead(request.headers, () => renderServices(url.searchParams.get("identifier") ?? "")),
      );
    if (url.pathname === "/api/service-variations")
      return json(
        decideRead(request.headers, () =>
          renderVariations(url.searchParams.get("serviceID") ?? ""),
        ),
      );
    const decision = sandbox.pay(
      body as Record<string, unknown>,
      now_ms(),
      request.headers as Headers,
    );
    switch (decision.kind) {
      case "answer":
      case "unexpected":
        return json(decision.body);
      case "no_response":
        throw new TypeError("connection closed without a response");
      case "timeout":
        return new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason), {
            once: true,
          }),
        );
    }
  };
}

describe("our VTpass client against the look-alike", () => {
  const sandbox = memoryLedger();
  let now = Date.now();
  const vtpass = new VtpassClient({
    base_url: "https://sandbox.test",
    ...SANDBOX_VTPASS_KEYS,
    timeout_ms: 100,
    fetch: modelFetch(sandbox, () => now),
  });
  const buy = (phone: string) =>
    vtpass.pay({ request_id: newRequestId(now), serviceID: "airtel", amount_minor: 200_00, phone });

  it.each([
    [
      "08011111111",
      { ok: true, value: { outcome: "succeeded", amount_minor: 200_00 } },
      "succeeded",
    ],
    ["201000000000", { ok: true, value: { outcome: "pending" } }, "pending"],
    ["500000000000", { ok: false, kind: "unknown" }, "succeeded"],
    ["400000000000", { ok: false, kind: "unknown", reason: "network_error" }, "succeeded"],
    ["300000000000", { ok: false, kind: "unknown", reason: "timeout" }, "pending"],
    ["09031234567", { ok: true, value: { outcome: "failed" } }, "failed"],
  ])("%s: pay says %j, requery then says %s", async (phone, payResult, afterRequery) => {
    now += DUPLICATE_WINDOW_MS; // keep the duplicate rule out of this table
    const paid = await buy(phone);
    expect(paid).toMatchObject(payResult);
    const request_id = [...sandbox.rows.values()].at(-1)!.request_id;
    expect(await vtpass.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: afterRequery, request_id },
    });
  });

  it("reads the look-alike's catalogue into plans and bounds", async () => {
    const plans = await vtpass.variations("mtn-data");
    expect(plans).toMatchObject({
      ok: true,
      value: { service_id: "mtn-data", skipped: 0, truncated: false },
    });
    expect(plans.ok && plans.value.plans[0]).toEqual({
      code: "mtn-10mb-100",
      name: "MTN N100 100MB - 24 hrs",
      price_minor: 100_00,
      price: "100.00",
      fixed_price: true,
    });
    expect(await vtpass.services("airtime")).toMatchObject({
      ok: true,
      value: [{ service_id: "mtn", min_minor: 50_00, max_minor: 50_000_00 }, {}, {}, {}],
    });
    expect(await vtpass.variations("nope")).toMatchObject({ ok: false, kind: "not_found" });
  });

  it("sees a wrong key as an operator anomaly", async () => {
    const wrong = new VtpassClient({
      base_url: "https://sandbox.test",
      ...SANDBOX_VTPASS_KEYS,
      secret_key: "SK_wrong",
      timeout_ms: 100,
      fetch: modelFetch(sandbox, () => now),
    });
    expect(
      await wrong.pay({
        request_id: newRequestId(now),
        serviceID: "mtn",
        amount_minor: 100_00,
        phone: "08011111111",
      }),
    ).toMatchObject({
      ok: false,
      kind: "refused",
      code: "087",
      anomaly: "provider_credentials",
    });
  });
});
