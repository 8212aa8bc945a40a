/**
 * Cable TV through the real routes against the VTpass look-alike: the
 * services, their bouquets, smartcard verification, renew and change (with
 * months), each priced by VTpass and never by the client, and each VTpass
 * code class on the held payment.
 */
import { describe, expect, it, vi } from "vitest";
import { VTPASS_CATALOGUE_TTL_S } from "../../../src/providers/vtpass/limits";
import {
  api,
  authedJson,
  bearerFor,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  loadMongoDriverFirst,
  runReconciler,
} from "../../support/helpers";
import { payCount, uniqueMtnNumber, vtpassSettles } from "../../support/purchases";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

loadMongoDriverFirst();

const SMARTCARD = "1212121212";

type Bill = {
  tx_ref: string;
  type: string;
  status: string;
  stage: string;
  amount_minor: number;
  customer_name: string | null;
  token: string | null;
  details: Record<string, unknown>;
};

const get = (auth: Record<string, string>, path: string) => api(path, { headers: auth });
const payTv = (auth: Record<string, string>, body: Record<string, unknown>) =>
  api("/wallet/tv", authedJson(auth, body));

async function accepted(res: Response): Promise<Bill> {
  const text = await res.text();
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
  return JSON.parse(text) as Bill;
}

describe("the TV catalogue and smartcard verification", () => {
  it("lists the four services and their bouquets (under either spelling of VTpass's key), and keeps them cached", async () => {
    const { auth } = await fundedWallet(1_00);
    const services = (await (await get(auth, "/catalog/tv")).json()) as {
      data: { provider: string; renew: boolean; verify: boolean }[];
    };
    expect(services.data.map((s) => s.provider)).toEqual(["dstv", "gotv", "startimes", "showmax"]);
    expect(services.data.find((s) => s.provider === "showmax")).toMatchObject({
      renew: false,
      verify: false,
    });
    const dstv = (await (await get(auth, "/catalog/tv/dstv/bouquets")).json()) as {
      stale: boolean;
      data: { code: string; price: string; price_minor: number }[];
    };
    expect(dstv.stale).toBe(false);
    expect(dstv.data.find((b) => b.code === "dstv-padi")).toMatchObject({
      price: "1850.00",
      price_minor: 1_850_00,
    });
    // GOtv's list comes under the misspelt `varations` only.
    const gotv = (await (await get(auth, "/catalog/tv/gotv/bouquets")).json()) as {
      data: { code: string }[];
    };
    expect(gotv.data.map((b) => b.code)).toContain("gotv-max");
    // While VTpass would fail, the cached list is served without asking it.
    await controlData(
      await vtControl("/faults", {
        body: { operation: "variations", match: "", mode: "http_500", times: 1 },
      }),
    );
    expect((await get(auth, "/catalog/tv/dstv/bouquets")).status).toBe(200);
    await expectProblem(await get(auth, "/catalog/tv/netflix/bouquets"), 422);
  });

  it("serves a stale copy of the bouquets past their cache time while VTpass is down, and says so", async () => {
    const { auth, user_id } = await fundedWallet(1_00);
    const fresh = (await (await get(auth, "/catalog/tv/startimes/bouquets")).json()) as {
      stale: boolean;
      data: { code: string }[];
    };
    expect(fresh.stale).toBe(false);
    await controlData(
      await vtControl("/faults", {
        body: { operation: "variations", match: "", mode: "http_500", times: 10 },
      }),
    );
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + (VTPASS_CATALOGUE_TTL_S + 60) * 1000);
      const res = await get(await bearerFor(user_id), "/catalog/tv/startimes/bouquets");
      expect(res.status).toBe(200);
      const stale = (await res.json()) as { stale: boolean; data: { code: string }[] };
      expect(stale.stale).toBe(true);
      expect(stale.data).toEqual(fresh.data);
    } finally {
      vi.useRealTimers();
      // Whatever the fault has left must not reach the tests after this one.
      await controlData(await vtControl("/faults", { method: "DELETE" }));
    }
  });

  it("verifies the test smartcard on each service with VTpass's fields, and answers 422 for a wrong card or Showmax", async () => {
    const { auth } = await fundedWallet(1_00);
    const dstv = (await (
      await get(auth, `/catalog/tv/verify?provider=dstv&smartcard=${SMARTCARD}`)
    ).json()) as Record<string, unknown>;
    expect(dstv).toMatchObject({
      customer_name: "TEST METER",
      status: "ACTIVE",
      current_bouquet_code: "dstv-padi",
      renewal_amount: "1850.00",
      due_date: "2025-02-06T00:00:00",
    });
    const gotv = (await (
      await get(auth, `/catalog/tv/verify?provider=gotv&smartcard=${SMARTCARD}`)
    ).json()) as Record<string, unknown>;
    expect(gotv).toMatchObject({ due_date: "02-FEB-25", current_bouquet_code: "gotv-lite" });
    const startimes = (await (
      await get(auth, `/catalog/tv/verify?provider=startimes&smartcard=${SMARTCARD}`)
    ).json()) as Record<string, unknown>;
    expect(startimes).toMatchObject({ customer_name: "TestMan Decoder", renewal_amount: null });
    expect(
      (
        await expectProblem(
          await get(auth, "/catalog/tv/verify?provider=dstv&smartcard=7777777777"),
          422,
        )
      ).code,
    ).toBe("smartcard_invalid");
    expect(
      (
        await expectProblem(
          await get(auth, "/catalog/tv/verify?provider=showmax&smartcard=08011111111"),
          422,
        )
      ).code,
    ).toBe("verify_unsupported");
  });
});

describe("POST /wallet/tv", () => {
  it("changes a DStv bouquet for two months at the catalogue's price, and renews GOtv at VTpass's renewal amount", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const change = await accepted(
      await payTv(auth, {
        provider: "dstv",
        smartcard: SMARTCARD,
        action: "change",
        bouquet: "dstv79",
        quantity: 2,
        phone: uniqueMtnNumber(),
      }),
    );
    expect(change).toMatchObject({
      type: "TV",
      status: "SUCCESS",
      amount_minor: 2 * 7_900_00,
      customer_name: "TEST METER",
      token: null,
    });
    expect(change.details).toMatchObject({ plan_code: "dstv79", quantity: 2, action: "change" });
    const renew = await accepted(
      await payTv(auth, {
        provider: "gotv",
        smartcard: SMARTCARD,
        action: "renew",
        phone: uniqueMtnNumber(),
      }),
    );
    expect(renew).toMatchObject({ status: "SUCCESS", amount_minor: 410_00 });
    expect(renew.details).toMatchObject({ action: "renew", plan_code: "gotv-lite" });
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00 - 2 * 7_900_00 - 410_00,
      held_minor: 0,
    });
  });

  it("pays StarTimes by bouquet, gives Showmax's voucher as the token, and refuses what a service does not support", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const phone = uniqueMtnNumber();
    const startimes = await accepted(
      await payTv(auth, {
        provider: "startimes",
        smartcard: SMARTCARD,
        action: "change",
        bouquet: "basic",
        phone,
      }),
    );
    expect(startimes).toMatchObject({ status: "SUCCESS", amount_minor: 1_700_00 });
    const showmax = await accepted(
      await payTv(auth, {
        provider: "showmax",
        smartcard: "08011111111",
        action: "change",
        bouquet: "full_3",
        phone,
      }),
    );
    expect(showmax).toMatchObject({ status: "SUCCESS", amount_minor: 8_400_00 });
    expect(showmax.token).toMatch(/^SHMV[0-9A-Za-z]+$/);
    const refusals: [Record<string, unknown>, string][] = [
      [{ provider: "startimes", action: "renew" }, "renew_unsupported"],
      [
        { provider: "startimes", action: "change", bouquet: "basic", quantity: 3 },
        "quantity_unsupported",
      ],
      [{ provider: "dstv", action: "change", bouquet: "dstv-nothing" }, "bouquet_unknown"],
      [
        { provider: "dstv", action: "change", smartcard: "7777777777", bouquet: "dstv-padi" },
        "smartcard_invalid",
      ],
    ];
    for (const [body, code] of refusals)
      expect(
        (await expectProblem(await payTv(auth, { smartcard: SMARTCARD, phone, ...body }), 422))
          .code,
        code,
      ).toBe(code);
    // The price is never the client's: a body naming an amount is refused, as is a change without a bouquet.
    for (const body of [
      { provider: "dstv", action: "change", bouquet: "dstv-padi", amount: "1" },
      { provider: "dstv", action: "change" },
    ])
      await expectProblem(await payTv(auth, { smartcard: SMARTCARD, phone, ...body }), 422);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00 - 1_700_00 - 8_400_00,
      held_minor: 0,
    });
  });

  it("holds a pending subscription until VTpass fails it, then releases the hold", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const bill = await accepted(
      await payTv(auth, {
        provider: "dstv",
        smartcard: "201000000000",
        action: "change",
        bouquet: "dstv-yanga",
        phone: uniqueMtnNumber(),
      }),
    );
    expect(bill).toMatchObject({ status: "PENDING", stage: "submitted" });
    expect((await stub.summary())?.held_minor).toBe(2_565_00);
    await vtpassSettles((await stub.getTransaction(bill.tx_ref))!.provider_ref!, "failed");
    await runReconciler(stub).catch(() => undefined);
    const tx = (await stub.getTransaction(bill.tx_ref))!;
    expect(tx).toMatchObject({ status: "FAILED", stage: "failed" });
    expect(tx.failure_reason).toMatch(/TV subscription failed/);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00,
      held_minor: 0,
    });
  });

  it("treats 500000000000's answer as unknown and delivers it by requery; refuses with VTpass's reason when it refuses", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const bill = await accepted(
      await payTv(auth, {
        provider: "dstv",
        smartcard: "500000000000",
        action: "change",
        bouquet: "dstv-confam",
        phone: uniqueMtnNumber(),
      }),
    );
    expect(bill).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    await runReconciler(stub);
    const tx = (await stub.getTransaction(bill.tx_ref))!;
    expect(tx).toMatchObject({ status: "SUCCESS", stage: "settled" });
    expect(await payCount(tx.provider_ref!)).toBe(1);

    const phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", { body: { operation: "pay", match: phone, mode: "refuse" } }),
    );
    const problem = await expectProblem(
      await payTv(auth, {
        provider: "dstv",
        smartcard: SMARTCARD,
        action: "change",
        bouquet: "dstv3",
        phone,
      }),
      422,
    );
    expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
    expect(problem.detail).toMatch(/^The TV subscription was refused: /);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00 - 4_615_00,
      held_minor: 0,
    });
  });
});
