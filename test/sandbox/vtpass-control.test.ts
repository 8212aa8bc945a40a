/**
 * The VTpass look-alike's control API and machinery: settling pending
 * purchases (and the float's refund), transaction-update callbacks and their
 * retries, the float and 018, faults in VTpass's shapes (commit_then_500
 * included), and the production gate. Every purchase goes through the real
 * Worker, most through our real VtpassClient.
 */
import { createExecutionContext, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/lib/config";
import { judgeCallbackAnswer } from "../../src/sandbox/vtpass/callbacks";
import { CALLBACK_ATTEMPTS_MAX, FLOAT_DEFAULT_MINOR } from "../../src/sandbox/vtpass/limits";
import { expectProblem } from "../support/helpers";
import { env } from "../support/sandbox";
import {
  airtime,
  client,
  controlData,
  deliveriesFor,
  ORIGIN,
  purchase,
  requestCount,
  requestId,
  runAlarmUntil,
  uniqueAmountMinor,
  vt,
  vtControl,
  vtJson,
  vtpassObject,
} from "../support/vtpass-sandbox";

const CALLBACK_URL = `${ORIGIN}/api/v1/wallet/vtpass/callback/development-only-vtpass-callback-secret-0001`;
/** A secret our route does not know: its callbacks are refused (404) and the look-alike tries again. */
const WRONG_SECRET = "not-our-callback-secret";
const WRONG_CALLBACK_URL = `${ORIGIN}/api/v1/wallet/vtpass/callback/${WRONG_SECRET}`;

/** Run `test` with the dashboard's callback URL pointing at a secret our route refuses, then restore it. */
async function withWrongCallbackUrl<T>(test: () => Promise<T>): Promise<T> {
  await controlData(await vtControl("/callback-url", { body: { secret: WRONG_SECRET } }));
  try {
    return await test();
  } finally {
    await controlData(await vtControl("/callback-url", { body: { secret: null } }));
  }
}

async function payPending(): Promise<{ request_id: string; amount_minor: number }> {
  const request_id = requestId();
  const amount_minor = uniqueAmountMinor();
  expect(
    await client().pay({ request_id, serviceID: "mtn", amount_minor, phone: "201000000000" }),
  ).toMatchObject({ ok: true, value: { outcome: "pending" } });
  return { request_id, amount_minor };
}

async function floatMinor(): Promise<number> {
  const balance = await client().balance();
  if (!balance.ok) throw new Error(`balance: ${JSON.stringify(balance)}`);
  return balance.value.balance_minor;
}

function settle(request_id: string, status: string): Promise<Response> {
  return vtControl(`/purchases/${request_id}/settle`, { body: { status } });
}

/** A try of `request_id`'s callback as the kit records one; the test sets how it was answered. */

function arm(fault: Record<string, unknown>): Promise<unknown> {
  return vtControl("/faults", { body: fault }).then((res) => controlData(res));
}

// ---- Settling ------------------------------------------------------------------------------------

describe("settling a pending purchase", () => {
  it.each([
    ["delivered", "000", "succeeded", false],
    ["failed", "016", "failed", true],
    ["reversed", "040", "reversed", true],
  ] as const)(
    "as %s: requery answers %s, the callback says so, and the float gets the cost back only when nothing was delivered",
    async (status, code, outcome, refunded) => {
      const before_minor = await floatMinor();
      const { request_id, amount_minor } = await payPending();
      const cost_minor = amount_minor - Math.floor((amount_minor * 300) / 10_000);
      expect(await floatMinor()).toBe(before_minor - cost_minor);

      const settled = await controlData(await settle(request_id, status));
      // Our callback route acknowledges at once with {"response":"success"}: one try, accepted.
      expect(settled.purchase).toMatchObject({
        request_id,
        status,
        current_status: status,
        callback: { state: "accepted", attempts: 1 },
      });
      expect(settled.delivery).toEqual({
        event: "transaction-update",
        ref: request_id,
        url: CALLBACK_URL,
        status_code: 200,
        error: null,
      });
      expect(await floatMinor()).toBe(refunded ? before_minor : before_minor - cost_minor);

      expect(await vtJson(await vt("/requery", { body: { request_id } }))).toMatchObject({
        code,
        content: { transactions: { status } },
      });
      expect(await client().requery(request_id)).toMatchObject({
        ok: true,
        value: { outcome, request_id },
      });
      const [callback] = await deliveriesFor(request_id);
      expect(callback.body).toMatchObject({
        type: "transaction-update",
        data: { code, requestId: request_id, content: { transactions: { status } } },
      });
      // A purchase reaches its final status once.
      expect((await settle(request_id, "delivered")).status).toBe(409);
    },
  );

  it("refuses an unknown purchase (404), a delivered one that is not being reversed or is reversed twice (409) and a status VTpass has no callback for (400)", async () => {
    expect((await settle(requestId(), "delivered")).status).toBe(404);
    expect((await vtControl(`/purchases/${requestId()}`)).status).toBe(404);
    const delivered = airtime("08011111111");
    await vtJson(await vt("/pay", { body: delivered }));
    expect((await settle(delivered.request_id, "failed")).status).toBe(409);
    // VTpass's staff may reverse a delivered purchase, once.
    expect((await settle(delivered.request_id, "reversed")).status).toBe(200);
    expect((await purchase(delivered.request_id)).status).toBe("reversed");
    expect((await settle(delivered.request_id, "reversed")).status).toBe(409);
    const { request_id } = await payPending();
    expect((await settle(request_id, "pending")).status).toBe(400);
    expect((await settle(request_id, "SUCCESSFUL")).status).toBe(400);
    expect((await purchase(request_id)).status).toBe("pending");
  });

  it("delivers with another amount when told, and its requery and callback report that amount; only for delivered", async () => {
    const { request_id, amount_minor } = await payPending();
    const refused = [
      { status: "failed", amount: 150 },
      { status: "reversed", amount: 150 },
      { status: "delivered", amount: 0 },
      { status: "delivered", amount: "1.234" },
    ];
    for (const body of refused)
      expect(
        (await vtControl(`/purchases/${request_id}/settle`, { body })).status,
        JSON.stringify(body),
      ).toBe(400);
    const reported_minor = amount_minor + 1_00;
    const settled = await controlData(
      await vtControl(`/purchases/${request_id}/settle`, {
        body: { status: "delivered", amount: reported_minor / 100 },
      }),
    );
    expect(settled.purchase).toMatchObject({
      request_id,
      current_status: "delivered",
      amount_minor: reported_minor,
    });
    expect(await client().requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: reported_minor },
    });
    const [callback] = await deliveriesFor(request_id);
    expect(callback.body).toMatchObject({
      data: {
        requestId: request_id,
        amount: reported_minor / 100,
        content: { transactions: { status: "delivered", amount: reported_minor / 100 } },
      },
    });
  });
});

// ---- Callbacks -------------------------------------------------------------------------------

describe("transaction-update callbacks", () => {
  it(`tries an unacknowledged callback ${CALLBACK_ATTEMPTS_MAX} times in all, each recorded, then gives up`, async () => {
    await withWrongCallbackUrl(async () => {
      const { request_id } = await payPending();
      await controlData(await settle(request_id, "delivered"));
      // Other tests' callbacks share the alarm: each run does the earliest work, so allow a few extra runs.
      await runAlarmUntil(
        async () => (await purchase(request_id)).callback.attempts >= CALLBACK_ATTEMPTS_MAX,
        30,
      );
      expect((await purchase(request_id)).callback).toEqual({
        state: "gave_up",
        attempts: CALLBACK_ATTEMPTS_MAX,
        next_at: null,
      });

      const tries = await deliveriesFor(request_id);
      expect(tries).toHaveLength(CALLBACK_ATTEMPTS_MAX);
      for (const attempt of tries) {
        expect(attempt).toMatchObject({
          event: "transaction-update",
          url: WRONG_CALLBACK_URL,
          status_code: 404,
          verif_hash: "absent",
        });
        expect(attempt.body).toEqual(tries[0].body);
      }
      // Nothing is left to send: another alarm run adds no try.
      await runDurableObjectAlarm(vtpassObject());
      expect(await deliveriesFor(request_id)).toHaveLength(CALLBACK_ATTEMPTS_MAX);
    });
  });

  it('stops trying once the answer is {"response":"success"}, and judges answers as VTpass does', async () => {
    const { request_id } = await withWrongCallbackUrl(async () => {
      const paid = await payPending();
      await controlData(await settle(paid.request_id, "delivered"));
      expect((await purchase(paid.request_id)).callback).toMatchObject({
        state: "scheduled",
        attempts: 1,
      });
      return paid;
    });
    // The dashboard points at our route again: the next try is acknowledged and the round ends.
    await runAlarmUntil(async () => (await purchase(request_id)).callback.state === "accepted", 30);
    expect((await purchase(request_id)).callback).toEqual({
      state: "accepted",
      attempts: 2,
      next_at: null,
    });
    const tries = await deliveriesFor(request_id);
    expect(tries.map((t) => t.status_code)).toEqual([200, 404]); // newest first

    expect(judgeCallbackAnswer(200, '{"response":"success"}')).toBeNull();
    expect(judgeCallbackAnswer(200, '{"response":"ok"}')).toMatch(/not \{"response":"success"\}/);
    expect(judgeCallbackAnswer(200, "success")).toMatch(/not \{"response":"success"\}/);
    expect(judgeCallbackAnswer(404, '{"response":"success"}')).toMatch(/HTTP 404/);
  });

  it("re-sends a final purchase's callback as a fresh round, and has none for a pending one", async () => {
    const delivered = airtime("08011111111");
    await vtJson(await vt("/pay", { body: delivered }));
    const sent = await controlData(
      await vtControl(`/purchases/${delivered.request_id}/callback`, { method: "POST" }),
    );
    expect(sent).toMatchObject({ ref: delivered.request_id, url: CALLBACK_URL, status_code: 200 });
    expect((await purchase(delivered.request_id)).callback).toMatchObject({
      state: "accepted",
      attempts: 1,
    });
    expect((await deliveriesFor(delivered.request_id))[0].body).toMatchObject({
      data: { code: "000", content: { transactions: { status: "delivered" } } },
    });

    const { request_id } = await payPending();
    expect((await vtControl(`/purchases/${request_id}/callback`, { method: "POST" })).status).toBe(
      409,
    );
    expect((await vtControl(`/purchases/${requestId()}/callback`, { method: "POST" })).status).toBe(
      404,
    );
  });
});

// ---- The float ---------------------------------------------------------------------------------

describe("the float", () => {
  it("is set by the control API, read by GET /api/balance, and refuses with 018 a purchase it cannot pay for", async () => {
    try {
      await controlData(await vtControl("/float", { body: { amount: "150.50" } }));
      expect(await vtJson(await vt("/balance"))).toEqual({
        code: 1,
        contents: { number: "SANDBOX", balance: 150.5, code: 1 },
      });
      expect(await floatMinor()).toBe(150_50);

      // N200 of mtn airtime costs N194 after commission: more than the float.
      const refused = requestId();
      expect(
        await client().pay({
          request_id: refused,
          serviceID: "mtn",
          amount_minor: 200_00,
          phone: "08011111111",
        }),
      ).toMatchObject({
        ok: false,
        kind: "refused",
        code: "018",
        anomaly: "provider_float_low",
      });
      expect(await vtJson(await vt("/requery", { body: { request_id: refused } }))).toMatchObject({
        code: "015",
      });
      // Even a number that would fail needs the float first.
      expect(
        await vtJson(await vt("/pay", { body: airtime("08031234567", { amount: 200 }) })),
      ).toMatchObject({ code: "018" });

      // N150 costs N145.50: paid, and the float keeps the rest.
      const paid = requestId();
      expect(
        await client().pay({
          request_id: paid,
          serviceID: "mtn",
          amount_minor: 150_00,
          phone: "08011111111",
        }),
      ).toMatchObject({ ok: true, value: { outcome: "succeeded" } });
      expect(await floatMinor()).toBe(150_50 - 145_50);
    } finally {
      await controlData(await vtControl("/float", { body: { amount: FLOAT_DEFAULT_MINOR / 100 } }));
    }
  });

  it("refuses a float that is negative, has more than two decimals or is not a number", async () => {
    for (const amount of [-1, "10.001", "ten", null])
      expect((await vtControl("/float", { body: { amount } })).status).toBe(400);
  });
});

// ---- Faults ------------------------------------------------------------------------------------

describe("faults in VTpass's shapes", () => {
  it("commit_then_500 on pay stores the purchase and loses the answer: unknown, then delivered on requery, one pay sent", async () => {
    const request_id = requestId();
    await arm({ operation: "pay", match: request_id, mode: "commit_then_500" });
    const vtpass = client();
    expect(
      await vtpass.pay({
        request_id,
        serviceID: "mtn",
        amount_minor: uniqueAmountMinor(),
        phone: "08011111111",
      }),
    ).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: "http 500",
    });
    expect(await purchase(request_id)).toMatchObject({ status: "delivered" });
    expect(await vtpass.requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", request_id },
    });
    expect(await requestCount("pay", request_id)).toBe(1);
  });

  it.each([
    ["http_500", 500, /^\{"message":"Server Error"\}$/, "unknown"],
    ["gateway_timeout", 504, /504 Gateway Time-out/, "unknown"],
    ["rate_limited", 429, /Too Many Attempts/, "unknown"],
    ["malformed", 200, /^\{"code":"000","content":\{"transac$/, "unknown"],
    [
      "wrong_shape",
      200,
      /^\{"code":"000","response_description":"000","content":"unexpected shape"\}$/,
      "unknown",
    ],
    ["refuse", 200, /"code":"030"/, "refused"],
  ] as const)(
    "%s on pay answers %i, does nothing, and our client reads it as %s",
    async (mode, status, body, kind) => {
      const raw = airtime("08011111111");
      await arm({ operation: "pay", match: raw.request_id, mode });
      const answer = await vt("/pay", { body: raw });
      expect(answer.status).toBe(status);
      expect(await answer.text()).toMatch(body);
      expect(
        await vtJson(await vt("/requery", { body: { request_id: raw.request_id } })),
      ).toMatchObject({ code: "015" });

      const request_id = requestId();
      await arm({ operation: "pay", match: request_id, mode });
      expect(
        await client().pay({
          request_id,
          serviceID: "mtn",
          amount_minor: uniqueAmountMinor(),
          phone: "08011111111",
        }),
      ).toMatchObject({ ok: false, kind });
      expect(await vtJson(await vt("/requery", { body: { request_id } }))).toMatchObject({
        code: "015",
      });
    },
  );

  it("a fault on a read is retried by our client; hang outlasts the client's read timeout", async () => {
    await arm({ operation: "services", match: "identifier=data", mode: "http_500" });
    expect(await client().services("data")).toMatchObject({ ok: true });
    expect(
      (
        await controlData(await vtControl("/requests?operation=services&match=identifier%3Ddata"))
      ).recent.slice(0, 2),
    ).toMatchObject([{ fault: null }, { fault: "http_500" }]);

    const { request_id } = await payPending();
    await arm({ operation: "requery", match: request_id, mode: "hang" });
    // The hang holds the first attempt past the read timeout; the retry must answer inside it,
    // so the timeout leaves room for a busy machine (two test files share two cores).
    expect(await client({ read_timeout_ms: 1500 }).requery(request_id)).toMatchObject({
      ok: true,
      value: { outcome: "pending" },
    });
    expect(await requestCount("requery", request_id)).toBe(2);
  });

  it("allows commit_then_* on pay only", async () => {
    for (const operation of ["requery", "services", "variations", "balance"]) {
      expect(
        (await vtControl("/faults", { body: { operation, mode: "commit_then_500" } })).status,
      ).toBe(400);
    }
    expect(
      (await vtControl("/faults", { body: { operation: "refund", mode: "http_500" } })).status,
    ).toBe(400);
  });
});

// ---- Where it exists ---------------------------------------------------------------------------

describe("where the VTpass look-alike exists, and the secret it calls back with", () => {
  const productionVars = () => ({
    ENVIRONMENT: "production",
    SANDBOX_ENABLED: "true",
    APP_ADDRESS: "https://wallet.example/api/v1",
    JWT_SECRET_KEY: crypto.randomUUID() + crypto.randomUUID(),
    FLUTTERWAVE_SECRET_KEY: `FLWSECK-${crypto.randomUUID().replaceAll("-", "")}-X`,
    FLUTTERWAVE_WEBHOOK_HASH: crypto.randomUUID(),
    ADMIN_API_TOKEN: crypto.randomUUID() + crypto.randomUUID(),
    IDENTITY_HASH_KEY: crypto.randomUUID() + crypto.randomUUID(),
  });

  it("is not mounted in production, even with SANDBOX_ENABLED=true", async () => {
    const production = { ...env, ...productionVars() } as unknown as Env;
    for (const path of [
      "/__sandbox/vtpass/api/balance",
      "/__sandbox/vtpass/__control/faults",
      "/__sandbox/vtpass/__control/purchases/x",
    ]) {
      const res = await createApp().fetch(
        new Request(`${ORIGIN}${path}`),
        production,
        createExecutionContext(),
      );
      expect((await expectProblem(res, 404)).code).toBe("not_found");
    }
  });

  it("defaults the callback secret in development; production without VTpass has none, with VTpass needs a strong one", () => {
    expect(parseConfig({ ENVIRONMENT: "development" })).toMatchObject({
      ok: true,
      config: { vtpass: { callback_secret: "development-only-vtpass-callback-secret-0001" } },
    });
    const without = parseConfig(productionVars());
    expect(without.ok && without.config.vtpass).toBeNull();
    const keys = {
      VTPASS_API_KEY: crypto.randomUUID(),
      VTPASS_PUBLIC_KEY: `PK_${crypto.randomUUID()}`,
      VTPASS_SECRET_KEY: `SK_${crypto.randomUUID()}`,
      VTPASS_SANDBOX_MODE: "false",
    };
    for (const [weak, problem] of [
      [undefined, "VTPASS_CALLBACK_SECRET: missing"],
      ["too-short", "VTPASS_CALLBACK_SECRET: too short (at least 32 characters)"],
      [
        "development-only-vtpass-callback-secret-0001",
        "VTPASS_CALLBACK_SECRET: a development default or placeholder",
      ],
    ] as const) {
      const parsed = parseConfig({
        ...productionVars(),
        ...keys,
        ...(weak === undefined ? {} : { VTPASS_CALLBACK_SECRET: weak }),
      });
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.problems).toContain(problem);
    }
    const strong = crypto.randomUUID() + crypto.randomUUID();
    expect(
      parseConfig({ ...productionVars(), ...keys, VTPASS_CALLBACK_SECRET: strong }),
    ).toMatchObject({ ok: true, config: { vtpass: { callback_secret: strong } } });
  });
});
