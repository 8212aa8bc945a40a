/**
 * Flutterwave's official Node SDK (`flutterwave-node-v3`) against the sandbox
 * served by `wrangler dev`: if Flutterwave's own client can talk to the
 * look-alike, the look-alike's paths, bodies and envelopes are the real ones.
 *
 * The SDK's constructor starts telemetry to Flutterwave's hosts
 * (utils/logger.js: `init` resolves the merchant through api.ravepay.co and
 * posts `app.created` to a SigNoz service; every request posts `request.sent`,
 * over node:https). Before the SDK is loaded, that module is replaced in
 * require's cache by no-op functions, so nothing leaves the machine. The test
 * also fails if anything reaches node:https or fetches another origin.
 */
import https from "node:https";
import Module, { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { E2E_FLUTTERWAVE_SECRET_KEY } from "./global-setup";

const origin = inject("origin");
const SANDBOX_BASE = `${origin}/__sandbox/flutterwave/`;
const PUBLIC_KEY = "FLWPUBK_TEST-e2e0000000000000000000000000000000-X";

// ---- Silence the SDK's telemetry before it loads ------------------------------------

const require = createRequire(import.meta.url);
const loggerPath = require.resolve("flutterwave-node-v3/utils/logger.js");
const telemetryCalls: string[] = [];
const fakeLogger = new Module(loggerPath);
fakeLogger.filename = loggerPath;
fakeLogger.loaded = true;
fakeLogger.exports = {
  init: () => {
    telemetryCalls.push("init");
    return Promise.resolve();
  },
  logRequest: async () => void telemetryCalls.push("logRequest"),
  logError: async () => void telemetryCalls.push("logError"),
  logTransaction: async () => void telemetryCalls.push("logTransaction"),
};
require.cache[loggerPath] = fakeLogger;

type SdkResponse<T = any> = { status: string; message: string; data: T; meta?: unknown };
type Sdk = {
  Bank: { country(input: { country: string }): Promise<SdkResponse> };
  Misc: {
    verify_Account(input: { account_number: string; account_bank: string }): Promise<SdkResponse>;
  };
  Transfer: {
    initiate(input: Record<string, unknown>): Promise<SdkResponse>;
    get_a_transfer(input: { id: number }): Promise<SdkResponse>;
    fetch(input: Record<string, string>): Promise<SdkResponse>;
    fee(input: { amount: string; currency: string }): Promise<SdkResponse>;
  };
  Transaction: {
    verify(input: { id: number }): Promise<SdkResponse>;
    verify_by_tx(input: { tx_ref: string }): Promise<SdkResponse>;
    resend_hooks(input: { id: number }): Promise<SdkResponse>;
  };
};
const Flutterwave = require("flutterwave-node-v3") as new (
  public_key: string,
  secret_key: string,
  base_url: string,
) => Sdk;

// ---- Nothing may leave the machine ---------------------------------------------------

const httpsRequest = vi.spyOn(https, "request");
const realFetch = globalThis.fetch;
const foreignFetches: string[] = [];
beforeAll(() => {
  vi.stubGlobal("fetch", (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(origin)) {
      foreignFetches.push(url);
      return Promise.reject(new Error(`blocked fetch to ${url}`));
    }
    return realFetch(input, init);
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

function uniqueRef(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

async function control(path: string, body?: unknown): Promise<SdkResponse> {
  const res = await realFetch(`${SANDBOX_BASE}__control${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as SdkResponse;
}

const flw = new Flutterwave(PUBLIC_KEY, E2E_FLUTTERWAVE_SECRET_KEY, SANDBOX_BASE);

describe("Flutterwave's Node SDK against the sandbox", () => {
  it("loaded our no-op telemetry instead of its own", () => {
    expect(require.cache[loggerPath]?.exports).toBe(fakeLogger.exports);
    expect(telemetryCalls).toContain("init");
  });

  it("lists Nigerian banks (Bank.country)", async () => {
    const response = await flw.Bank.country({ country: "NG" });
    expect(response.status).toBe("success");
    expect(response.message).toBe("Banks fetched successfully");
    expect(response.data).toEqual(
      expect.arrayContaining([{ id: expect.any(Number), code: "044", name: "Access Bank" }]),
    );
  });

  it("resolves a test account (Misc.verify_Account)", async () => {
    const response = await flw.Misc.verify_Account({
      account_number: "0690000031",
      account_bank: "044",
    });
    expect(response).toEqual({
      status: "success",
      message: "Account details fetched",
      data: { account_number: "0690000031", account_name: "Adaeze Okafor" },
    });
    const refused = await flw.Misc.verify_Account({
      account_number: "0690000099",
      account_bank: "044",
    });
    expect(refused).toEqual({
      status: "error",
      message: "Sorry, that account number is invalid, please check and try again",
      data: null,
    });
  });

  it("initiates a transfer, fetches it, finds it by reference and sees it settle (Transfer.*)", async () => {
    const reference = uniqueRef("sdk-trf");
    const created = await flw.Transfer.initiate({
      account_bank: "044",
      account_number: "0690000040",
      amount: 5500,
      narration: "SDK e2e withdrawal",
      currency: "NGN",
      reference,
      debit_currency: "NGN",
    });
    expect(created).toMatchObject({
      status: "success",
      message: "Transfer Queued Successfully",
      data: {
        reference,
        status: "NEW",
        amount: 5500,
        fee: 26.88,
        full_name: "Jide Akande",
        bank_name: "ACCESS BANK NIGERIA",
      },
    });

    // get_a_transfer requests `<base>//v3/transfers/:id` (a doubled slash).
    const fetched = await flw.Transfer.get_a_transfer({ id: created.data.id });
    expect(fetched).toMatchObject({
      status: "success",
      message: "Transfer fetched",
      data: { id: created.data.id, reference },
    });

    const listed = await flw.Transfer.fetch({ reference });
    expect(listed.status).toBe("success");
    expect(listed.data).toEqual([expect.objectContaining({ id: created.data.id, reference })]);

    // SANDBOX_TRANSFER_DELAY_S is 1 for the e2e server: the object's alarm settles it.
    await expect
      .poll(async () => (await flw.Transfer.get_a_transfer({ id: created.data.id })).data.status, {
        timeout: 15_000,
        interval: 250,
      })
      .toBe("SUCCESSFUL");
    const deliveries = await control(`/deliveries?match=${reference}`);
    expect(deliveries.data).toEqual([
      expect.objectContaining({
        event: "transfer.completed",
        ref: reference,
        verif_hash: "configured",
      }),
    ]);
  });

  it("quotes a transfer fee (Transfer.fee)", async () => {
    const response = await flw.Transfer.fee({ amount: "12500", currency: "NGN" });
    expect(response).toEqual({
      status: "success",
      message: "Transfer fee fetched",
      data: [{ currency: "NGN", fee_type: "value", fee: 26.88 }],
    });
  });

  it("verifies a transaction created through the control API (Transaction.verify, verify_by_tx)", async () => {
    const tx_ref = uniqueRef("sdk-tx");
    const created = await control("/transactions", {
      tx_ref,
      amount: "2500.00",
      currency: "NGN",
      status: "successful",
      customer_email: "sdk@example.com",
    });
    const verified = await flw.Transaction.verify({ id: created.data.id });
    expect(verified).toMatchObject({
      status: "success",
      message: "Transaction fetched successfully",
      data: {
        id: created.data.id,
        tx_ref,
        amount: 2500,
        currency: "NGN",
        status: "successful",
        customer: { email: "sdk@example.com" },
      },
    });
    const byReference = await flw.Transaction.verify_by_tx({ tx_ref });
    expect(byReference.data.id).toBe(created.data.id);
    const resent = await flw.Transaction.resend_hooks({ id: created.data.id });
    expect(resent).toMatchObject({ status: "success", message: "hook sent" });
  });

  it("is refused with Flutterwave's 401 envelope when the key is wrong", async () => {
    const stranger = new Flutterwave(
      PUBLIC_KEY,
      "FLWSECK_TEST-wrong0000000000000000000000000000000-X",
      SANDBOX_BASE,
    );
    expect(await stranger.Bank.country({ country: "NG" })).toEqual({
      status: "error",
      message: "Authorization required",
      data: null,
    });
  });

  it("sent nothing anywhere but the local dev server", () => {
    expect(httpsRequest).not.toHaveBeenCalled();
    expect(foreignFetches).toEqual([]);
  });
});
