/**
 * The VTpass look-alike through the real Worker: VTpass's request rules by
 * hand (keys, request_id, duplicates), then every test number through our
 * real VtpassClient, so the client is proven against the look-alike it will
 * meet in development. Settling, callbacks, the float and faults are in
 * vtpass-control.test.ts.
 */
import { describe, expect, it } from "vitest";
import { lagosDateTimePrefix } from "../../src/providers/vtpass/request-id";
import {
  airtime,
  client,
  deliveriesFor,
  GET_KEYS,
  ORIGIN,
  POST_KEYS,
  purchase,
  requestCount,
  requestId,
  runAlarmUntil,
  uniqueAmountMinor,
  vt,
  vtJson,
} from "../support/vtpass-sandbox";

const CALLBACK_URL = `${ORIGIN}/api/v1/wallet/vtpass/callback/development-only-vtpass-callback-secret-0001`;

async function requeryCode(request_id: string): Promise<string> {
  return (await vtJson<{ code: string }>(await vt("/requery", { body: { request_id } }))).code;
}

// ---- VTpass's request rules -------------------------------------------------------------------

describe("keys", () => {
  it("answers 087 with HTTP 200 to a GET without api-key + public-key, whatever else it carries", async () => {
    const refused: Record<string, string>[] = [
      {},
      POST_KEYS,
      { ...GET_KEYS, "public-key": "PK_wrong" },
      { "public-key": GET_KEYS["public-key"] },
    ];
    for (const headers of refused) {
      for (const path of [
        "/services?identifier=airtime",
        "/service-variations?serviceID=mtn-data",
        "/balance",
      ]) {
        expect(await vtJson(await vt(path, { headers }))).toMatchObject({
          code: "087",
          response_description: "INVALID CREDENTIALS",
        });
      }
    }
  });

  it("answers 087 to a POST without api-key + secret-key, and stores nothing", async () => {
    const body = airtime("08011111111");
    const refused: Record<string, string>[] = [
      GET_KEYS,
      { ...POST_KEYS, "secret-key": "SK_wrong" },
      { "content-type": "application/json" },
    ];
    for (const headers of refused) {
      expect(await vtJson(await vt("/pay", { body, headers }))).toMatchObject({ code: "087" });
      expect(
        await vtJson(await vt("/requery", { body: { request_id: body.request_id }, headers })),
      ).toMatchObject({ code: "087" });
    }
    expect(await requeryCode(body.request_id)).toBe("015");
  });

  it("is refused by our client as a credentials anomaly on reads and on pay", async () => {
    const wrong = client({ secret_key: "SK_wrong", public_key: "PK_wrong" });
    expect(await wrong.balance()).toMatchObject({
      ok: false,
      kind: "refused",
      code: "087",
      anomaly: "provider_credentials",
    });
    const request_id = requestId();
    expect(
      await wrong.pay({
        request_id,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "08011111111",
      }),
    ).toMatchObject({
      ok: false,
      kind: "refused",
      code: "087",
      anomaly: "provider_credentials",
    });
    expect(await requeryCode(request_id)).toBe("015");
  });
});

describe("request_id", () => {
  it("answers 085 to a request_id whose date is not today in Lagos, or that is not letters and digits", async () => {
    const yesterday = lagosDateTimePrefix(Date.now() - 24 * 60 * 60 * 1000);
    for (const request_id of [
      `${yesterday}abcdef`,
      `${lagosDateTimePrefix(Date.now())}abc-def`,
      "abcdefghijklmnop",
      "20261127",
    ]) {
      expect(
        await vtJson(await vt("/pay", { body: airtime("08011111111", { request_id }) })),
      ).toMatchObject({ code: "085" });
    }
  });

  it("answers 014 to a reused request_id, even with another amount, and keeps the first purchase", async () => {
    const first = airtime("08011111111");
    expect(await vtJson(await vt("/pay", { body: first }))).toMatchObject({
      code: "000",
      content: { transactions: { status: "delivered" } },
    });
    expect(
      await vtJson(await vt("/pay", { body: { ...first, amount: first.amount + 1 } })),
    ).toMatchObject({ code: "014", response_description: "REQUEST ID ALREADY EXIST" });
    expect((await purchase(first.request_id)).amount_minor).toBe(Math.round(first.amount * 100));
    // Our client reads 014 as "that purchase got there": unknown, requery.
    expect(
      await client().pay({
        request_id: first.request_id,
        serviceID: "mtn",
        amount_minor: 5_000,
        phone: "08011111111",
      }),
    ).toMatchObject({
      ok: false,
      kind: "unknown",
      code: "014",
    });
  });

  it("answers 019 to the same service, number and amount within 30 s under a new request_id, and stores nothing", async () => {
    const first = airtime("08031234567");
    expect(await vtJson(await vt("/pay", { body: first }))).toMatchObject({ code: "016" });
    const again = { ...first, request_id: requestId() };
    expect(await vtJson(await vt("/pay", { body: again }))).toMatchObject({
      code: "019",
      response_description: "LIKELY DUPLICATE TRANSACTION",
    });
    expect(await requeryCode(again.request_id)).toBe("015");
    // Another amount is another purchase.
    expect(
      await vtJson(await vt("/pay", { body: { ...again, amount: first.amount + 1 } })),
    ).toMatchObject({ code: "016" });
  });

  it("answers 011 to a body that is not JSON or lacks fields, and 012 to an unknown service", async () => {
    expect(await vtJson(await vt("/pay", { body: "not json" }))).toMatchObject({ code: "011" });
    expect(
      await vtJson(await vt("/pay", { body: { request_id: requestId(), serviceID: "mtn" } })),
    ).toMatchObject({ code: "011" });
    expect(
      await vtJson(await vt("/pay", { body: airtime("08011111111", { serviceID: "nope" }) })),
    ).toMatchObject({ code: "012" });
    expect(await vtJson(await vt("/requery", { body: {} }))).toMatchObject({ code: "011" });
  });
});

// ---- The catalogue and the balance, through our client ------------------------------------------

describe("catalogue and balance through our client", () => {
  it("reads services, plans (under the misspelt key too) and the float", async () => {
    const vtpass = client();
    const services = await vtpass.services("airtime");
    expect(services.ok && services.value.map((s) => s.service_id).sort()).toEqual([
      "airtel",
      "etisalat",
      "glo",
      "mtn",
    ]);
    expect(services.ok && services.value.find((s) => s.service_id === "mtn")).toMatchObject({
      min_minor: 50_00,
      max_minor: 50_000_00,
    });
    const plans = await vtpass.variations("mtn-data");
    expect(plans.ok && plans.value.plans.find((p) => p.code === "mtn-10mb-100")).toMatchObject({
      price_minor: 100_00,
      fixed_price: true,
    });
    expect(await vtpass.variations("nope-data")).toMatchObject({ ok: false, kind: "not_found" });
    const balance = await vtpass.balance();
    expect(balance.ok && Number.isSafeInteger(balance.value.balance_minor)).toBe(true);
  });
});

// ---- The test numbers, through our client -------------------------------------------------------

describe("test numbers through our client", () => {
  it("08011111111 is delivered at once, charged its cost after commission, and found by requery", async () => {
    const request_id = requestId();
    const amount_minor = uniqueAmountMinor();
    const vtpass = client();
    const paid = await vtpass.pay({
      request_id,
      serviceID: "mtn",
      amount_minor,
      phone: "08011111111",
    });
    expect(paid).toMatchObject({
      ok: true,
      value: {
        outcome: "succeeded",
        request_id,
        amount_minor,
        phone: "08011111111",
        provider_ref: expect.stringMatching(/^\d{26}$/),
      },
    });
    const commission_minor = Math.floor((amount_minor * 300) / 10_000);
    expect(paid.ok && paid.value.charged_minor).toBe(amount_minor - commission_minor);
    expect(await purchase(request_id)).toMatchObject({
      status: "delivered",
      debited_minor: amount_minor - commission_minor,
      callback: { state: "none" },
    });
    const again = await vtpass.requery(request_id);
    expect(again).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", provider_ref: paid.ok ? paid.value.provider_ref : null },
    });
    expect(await requestCount("pay", request_id)).toBe(1);
  });

  it("a data plan to 08011111111 is delivered at the plan's price, whatever amount was sent", async () => {
    const request_id = requestId();
    const paid = await client().pay({
      request_id,
      serviceID: "glo-data",
      amount_minor: 1,
      phone: "08099999999",
      billersCode: "08011111111",
      variation_code: "glo1000",
    });
    expect(paid).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: 1000_00, phone: "08011111111" },
    });
  });

  it("any other number fails and is not charged", async () => {
    const request_id = requestId();
    const paid = await client().pay({
      request_id,
      serviceID: "airtel",
      amount_minor: uniqueAmountMinor(),
      phone: "08031234567",
    });
    expect(paid).toMatchObject({ ok: true, value: { outcome: "failed" } });
    expect(await purchase(request_id)).toMatchObject({ status: "failed", debited_minor: 0 });
    expect(await client().requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "failed" },
    });
  });

  it("201000000000 is pending, then delivered by the alarm: requery says so and the callback announces it", async () => {
    const request_id = requestId();
    const vtpass = client();
    expect(
      await vtpass.pay({
        request_id,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "201000000000",
      }),
    ).toMatchObject({
      ok: true,
      value: { outcome: "pending" },
    });
    expect(await vtpass.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "pending" },
    });

    await runAlarmUntil(async () => (await purchase(request_id)).status === "delivered");
    expect(await vtpass.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
    await runAlarmUntil(async () => (await deliveriesFor(request_id)).length > 0);
    const [first] = await deliveriesFor(request_id);
    // Our callback route acknowledges it with {"response":"success"}: accepted, no retry.
    expect(first).toMatchObject({
      event: "transaction-update",
      ref: request_id,
      url: CALLBACK_URL,
      status_code: 200,
      error: null,
      verif_hash: "absent",
    });
    expect((await purchase(request_id)).callback).toMatchObject({ state: "accepted", attempts: 1 });
    expect(first.body).toMatchObject({
      type: "transaction-update",
      data: {
        code: "000",
        requestId: request_id,
        content: { transactions: { status: "delivered" } },
      },
    });
  });

  it("500000000000 answers 000 without a transaction: unknown, then delivered on requery", async () => {
    const request_id = requestId();
    const vtpass = client();
    expect(
      await vtpass.pay({
        request_id,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "500000000000",
      }),
    ).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: "000 without a transaction status",
    });
    expect(await vtpass.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
    expect(await requestCount("pay", request_id)).toBe(1);
  });

  it("400000000000 is processed but answered with nothing: unknown, then delivered on requery", async () => {
    const request_id = requestId();
    const raw = await vt("/pay", { body: airtime("400000000000", { request_id }) });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe("");
    expect(await client().requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });

    const through_client = requestId();
    const vtpass = client();
    expect(
      await vtpass.pay({
        request_id: through_client,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "400000000000",
      }),
    ).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: "unparsable body (http 200)",
    });
    expect(await vtpass.requery(through_client)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
  });

  it("300000000000 holds the answer past the client's timeout: unknown, no second purchase, pending until the alarm delivers it", async () => {
    const request_id = requestId();
    const vtpass = client({ timeout_ms: 300 });
    const started_ms = Date.now();
    expect(
      await vtpass.pay({
        request_id,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "300000000000",
      }),
    ).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: "timeout",
    });
    expect(Date.now() - started_ms).toBeLessThan(5_000);
    expect(await requestCount("pay", request_id)).toBe(1);
    const patient = client();
    expect(await patient.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "pending" },
    });
    await runAlarmUntil(async () => (await purchase(request_id)).status === "delivered");
    expect(await patient.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
    expect(await requestCount("pay", request_id)).toBe(1);
  });
});
