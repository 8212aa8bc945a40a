/**
 * Airtime and data purchases through the real routes, against the VTpass
 * look-alike: every test number's path, money held first and settled once,
 * nothing re-sent, nothing refunded on a guess.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { providerRefsShardName } from "../../../src/durable/provider-refs/object";
import {
  AIRTIME_MAX_MINOR,
  AIRTIME_MIN_MINOR,
  IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
} from "../../../src/domain/limits";
import { VTPASS_REQUEST_ID_SUFFIX_CHARS } from "../../../src/providers/vtpass/limits";
import {
  api,
  env,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  form,
  fundedWallet,
  runReconciler,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";
import {
  buyAirtime,
  buyData,
  payCount,
  uniqueMtnNumber,
  uniqueNaira,
  vtpassSettles,
  type Purchase,
} from "../../support/purchases";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

async function purchased(res: Response): Promise<Purchase> {
  const text = await res.text();
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
  return JSON.parse(text) as Purchase;
}

describe("POST /wallet/airtime through the VTpass look-alike's test numbers", () => {
  it("delivers to 08011111111 at once: debited once, the hold closed, one pay at VTpass", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const p = await purchased(
      await buyAirtime(auth, { phone: "0801 111 1111", amount, network: "mtn" }),
    );
    expect(p).toMatchObject({
      type: "AIRTIME",
      status: "SUCCESS",
      stage: "settled",
      network: "mtn",
      phone: "08011111111",
      plan: null,
      amount: `${amount}.00`,
    });
    expect(p.watch?.websocket_url).toMatch(/\/ws\/wallet\?tx_ref=/);
    const tx = (await stub.getTransaction(p.tx_ref))!;
    expect(tx.provider_ref).toMatch(/^\d{12}[0-9a-z]+$/);
    expect(tx.details).toMatchObject({ network: "mtn", phone: "08011111111", service_id: "mtn" });
    expect(await payCount(tx.provider_ref!)).toBe(1);
    const audit = await expectLedgerConsistent(stub);
    expect(audit).toMatchObject({
      balance_minor: 100_000_00 - Number(amount) * 100,
      held_minor: 0,
    });
  });

  it("holds 201000000000 while VTpass says pending, then delivers it by requery, never by guess", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const p = await purchased(
      await buyAirtime(auth, { phone: "201000000000", amount, network: "mtn" }),
    );
    expect(p).toMatchObject({ status: "PENDING", stage: "submitted" });
    await runReconciler(stub);
    expect((await stub.getTransaction(p.tx_ref))?.status).toBe("PENDING");
    expect((await stub.summary())?.held_minor).toBe(Number(amount) * 100);
    const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
    await vtpassSettles(request_id, "delivered");
    await runReconciler(stub);
    expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
      status: "SUCCESS",
      stage: "settled",
    });
    expect(await payCount(request_id)).toBe(1);
    await expectLedgerConsistent(stub);
  });

  it("treats 500000000000's unexpected answer as unknown: held, then delivered by requery, one pay", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const p = await purchased(
      await buyAirtime(auth, { phone: "500000000000", amount: uniqueNaira(), network: "mtn" }),
    );
    expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    await runReconciler(stub);
    const tx = (await stub.getTransaction(p.tx_ref))!;
    expect(tx).toMatchObject({ status: "SUCCESS", stage: "settled" });
    expect(await payCount(tx.provider_ref!)).toBe(1);
  });

  it("treats 400000000000's missing answer as unknown: held, then delivered by requery, one pay", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const p = await purchased(
      await buyAirtime(auth, { phone: "400000000000", amount: uniqueNaira(), network: "mtn" }),
    );
    expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    await runReconciler(stub);
    const tx = (await stub.getTransaction(p.tx_ref))!;
    expect(tx.status).toBe("SUCCESS");
    expect(await payCount(tx.provider_ref!)).toBe(1);
  });

  it("keeps 300000000000's timed-out purchase held, requeries it, and never sends a second pay", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const p = await purchased(
      await buyAirtime(auth, { phone: "300000000000", amount, network: "mtn" }),
    );
    expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
    await runReconciler(stub); // VTpass still processing: nothing moves
    expect((await stub.getTransaction(p.tx_ref))?.status).toBe("PENDING");
    await vtpassSettles(request_id, "delivered");
    await runReconciler(stub);
    expect((await stub.getTransaction(p.tx_ref))?.status).toBe("SUCCESS");
    expect(await payCount(request_id)).toBe(1);
    expect((await stub.summary())?.balance_minor).toBe(100_000_00 - Number(amount) * 100);
  });

  it("escalates, never posts, a purchase VTpass reports delivered for another amount than the one held", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = Number(uniqueNaira());
    const p = await purchased(
      await buyAirtime(auth, { phone: "201000000000", amount: String(amount), network: "mtn" }),
    );
    expect(p).toMatchObject({ status: "PENDING", stage: "submitted" });
    const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
    // VTpass delivers, but its answers (the callback, every requery) name another face value.
    const settled = await controlData<{ purchase: { amount_minor: number } }>(
      await vtControl(`/purchases/${request_id}/settle`, {
        body: { status: "delivered", amount: amount + 1 },
      }),
    );
    expect(settled.purchase.amount_minor).toBe((amount + 1) * 100);
    // Its callback goes through the queue; the reconciler requeries too. Neither may post the hold.
    await runReconciler(stub);
    const tx = (await stub.getTransaction(p.tx_ref))!;
    expect(tx).toMatchObject({ status: "PENDING", stage: "submitted" });
    expect(tx.escalated_at_ms).not.toBeNull();
    const escalation = (await stub.anomalies()).find(
      (a) => a.tx_ref === p.tx_ref && a.kind === "escalated",
    );
    expect(escalation?.detail).toMatch(/does not match/);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00,
      held_minor: amount * 100,
      journal_rows: 1,
    });
  });

  it("fails any other number and releases the hold at once", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const p = await purchased(
      await buyAirtime(auth, { phone: "+234 803 555 0101", amount: uniqueNaira() }),
    );
    expect(p).toMatchObject({
      status: "FAILED",
      stage: "failed",
      network: "mtn",
      phone: "08035550101",
    });
    expect(p.failure_reason).toMatch(/airtime purchase failed/i);
    expect(await stub.summary()).toMatchObject({ balance_minor: 100_000_00, held_minor: 0 });
  });
});

describe("purchases: refusals, and the money rules under load", () => {
  it("refuses with the provider's reason when VTpass refuses (nothing charged, hold released)", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", { body: { operation: "pay", match: phone, mode: "refuse" } }),
    );
    const problem = await expectProblem(
      await buyAirtime(auth, { phone, amount: uniqueNaira() }),
      422,
    );
    expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
    expect(problem.detail).toBe(
      "The airtime purchase was refused: The network cannot be reached right now; try again later. Nothing was taken from your wallet.",
    );
    expect(JSON.stringify(problem)).not.toMatch(/\.\./);
    expect(await stub.summary()).toMatchObject({ balance_minor: 100_000_00, held_minor: 0 });
  });

  it("refuses a repeat of the same number and amount within 30 s (019), with VTpass's reason in one stop-joined sentence", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    expect(
      (await purchased(await buyAirtime(auth, { phone: "08011111111", amount, network: "mtn" })))
        .status,
    ).toBe("SUCCESS");
    const problem = await expectProblem(
      await buyAirtime(auth, { phone: "08011111111", amount, network: "mtn" }),
      422,
    );
    // VTpass's sentence ends with its own stop; joined to ours it reads with one, not "it.. Nothing".
    expect(problem.detail).toBe(
      "The airtime purchase was refused: The same purchase was just made for this number; wait 30 seconds before repeating it. Nothing was taken from your wallet.",
    );
    expect(JSON.stringify(problem)).not.toMatch(/\.\./);
    const tx = await stub.getTransaction((problem as unknown as { tx_ref: string }).tx_ref);
    expect(tx?.failure_reason).toBe(
      "The airtime purchase was refused: The same purchase was just made for this number; wait 30 seconds before repeating it.",
    );
  });

  it(
    "never sends a purchase whose request_id is already bound to another purchase, and moves none of its money",
    async () => {
      const first = await fundedWallet(100_000_00);
      const second = await fundedWallet(100_000_00);
      // request_ids are a Lagos minute and 100 random bits. The randomness is the outside world:
      // pinned here, the two purchases draw the same id, as a broken random source would make them.
      const real = crypto.getRandomValues.bind(crypto);
      const suffix = real(new Uint8Array(VTPASS_REQUEST_ID_SUFFIX_CHARS));
      await withinOneRateWindow(15_000); // both inside one minute, so the ids' date prefixes agree too
      const pinned = vi.spyOn(crypto, "getRandomValues").mockImplementation(((
        array: Uint8Array,
      ) => {
        if (array instanceof Uint8Array && array.length === suffix.length) array.set(suffix);
        else real(array);
        return array;
      }) as typeof crypto.getRandomValues);
      const second_naira = Number(uniqueNaira());
      let bought: Purchase;
      let refused: Response;
      try {
        bought = await purchased(
          await buyAirtime(first.auth, {
            phone: "08011111111",
            amount: uniqueNaira(),
            network: "mtn",
          }),
        );
        refused = await buyAirtime(second.auth, {
          phone: "08011111111",
          amount: String(second_naira),
          network: "mtn",
        });
      } finally {
        pinned.mockRestore();
      }
      const request_id = (await first.stub.getTransaction(bought.tx_ref))!.provider_ref!;
      expect(bought.status).toBe("SUCCESS");
      // The second purchase was held under the same request_id, which the index keeps for the first.
      const listed = await second.stub.listTransactions({ limit: 10 });
      const held = (listed.ok ? listed.data : []).find((t) => t.type === "AIRTIME")!;
      expect(held.provider_ref).toBe(request_id);
      expect(
        await env.PROVIDER_REFS.getByName(providerRefsShardName("vtpass", request_id)).txRef(
          "vtpass",
          request_id,
        ),
      ).toBe(bought.tx_ref);
      // VTpass saw one pay for that id (the first purchase's), never the second.
      expect(await payCount(request_id)).toBe(1);
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(await second.stub.getTransaction(held.tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "hold_placed",
      });
      expect(await second.stub.summary()).toMatchObject({
        balance_minor: 100_000_00,
        held_minor: second_naira * 100,
      });
      // Never claimed, so the reconciler voids the hold once the in-flight window has passed.
      await runInDurableObject(second.stub, (_i, state) =>
        state.storage.sql.exec(
          "UPDATE transactions SET created_at_ms = ? WHERE tx_ref = ?",
          Date.now() - IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
          held.tx_ref,
        ),
      );
      await runReconciler(second.stub);
      expect(await second.stub.getTransaction(held.tx_ref)).toMatchObject({
        status: "FAILED",
        stage: "abandoned",
      });
      expect(await expectLedgerConsistent(second.stub)).toMatchObject({
        balance_minor: 100_000_00,
        held_minor: 0,
        journal_rows: 1,
      });
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );

  it("keeps a purchase whose answer was lost (5xx) pending, and never refunds it on a guess", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", { body: { operation: "pay", match: phone, mode: "http_500" } }),
    );
    const amount = uniqueNaira();
    const p = await purchased(await buyAirtime(auth, { phone, amount }));
    expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    // VTpass never saw it (015 on requery): still held, never released on a guess.
    await runReconciler(stub);
    expect((await stub.getTransaction(p.tx_ref))?.status).toBe("PENDING");
    expect((await stub.summary())?.held_minor).toBe(Number(amount) * 100);
  });

  it(
    "with 5,000 available, 25 concurrent purchases of 1,000: 10 pass the per-user limit, of which exactly 5 are held and 5 refused",
    async () => {
      const { auth, stub } = await fundedWallet(5_000_00);
      const phone = uniqueMtnNumber();
      // The purchases stay pending (VTpass gives no answer), so every accepted one keeps its hold.
      await controlData(
        await vtControl("/faults", {
          body: { operation: "pay", match: phone, mode: "http_500", times: 25 },
        }),
      );
      // All 25 in one window of PURCHASE_USER_LIMITER (10 a minute): the 15 past it never reach the wallet.
      await withinOneRateWindow(15_000);
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => buyAirtime(auth, { phone, amount: "1000" })),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
      expect(statuses.filter((s) => s === 422)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      for (const r of answers.filter((a) => a.status === 422))
        expect((await expectProblem(r, 422)).code).toBe("insufficient_funds");
      expect(await expectLedgerConsistent(stub)).toMatchObject({
        balance_minor: 5_000_00,
        held_minor: 5_000_00,
        available_minor: 0,
      });
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );

  it(
    "mixes purchases and withdrawals on one balance without ever going below zero",
    async () => {
      const { auth, stub } = await fundedWallet(10_000_00);
      const phone = uniqueMtnNumber();
      await controlData(
        await vtControl("/faults", {
          body: { operation: "pay", match: phone, mode: "http_500", times: 12 },
        }),
      );
      await withinOneRateWindow(15_000);
      const purchases = Array.from({ length: 12 }, () =>
        buyAirtime(auth, { phone, amount: "500" }),
      );
      const withdrawals = Array.from({ length: 12 }, () =>
        api("/wallet/withdraw", {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body: JSON.stringify({
            amount: "500",
            account_number: "0690000031",
            account_bank: "044",
          }),
        }),
      );
      const answers = await Promise.all([...purchases, ...withdrawals]);
      // 2 purchases past PURCHASE_USER_LIMITER's 10 a minute; 22 reach the wallet, 20 fit.
      expect(answers.filter((r) => r.status === 429)).toHaveLength(2);
      expect(answers.filter((r) => r.status === 202)).toHaveLength(20);
      expect(answers.filter((r) => r.status === 422)).toHaveLength(2);
      const audit = await expectLedgerConsistent(stub);
      expect(audit.available_minor).toBe(0);
      expect(audit.held_minor).toBe(10_000_00);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );

  it("answers an inactive wallet 422 and a number that is not Nigerian 422, holding nothing", async () => {
    const { auth, stub } = await fundedWallet(10_000_00);
    expect(
      (
        await expectProblem(
          await buyAirtime(auth, { phone: "+44 7700 900123", amount: "100" }),
          422,
        )
      ).errors?.[0],
    ).toMatchObject({ path: "phone" });
    expect(
      (await expectProblem(await buyAirtime(auth, { phone: "0803 123 45", amount: "100" }), 422))
        .errors?.[0],
    ).toMatchObject({ path: "phone" });
    expect(
      (await expectProblem(await buyAirtime(auth, { phone: "08031234567", amount: "100.50" }), 422))
        .errors?.[0],
    ).toMatchObject({ path: "amount", code: "whole_naira" });
    expect(
      (await expectProblem(await buyAirtime(auth, { phone: "08031234567", amount: "20" }), 422))
        .code,
    ).toBe("validation_failed");
    await stub.toggleActive();
    expect(
      (await expectProblem(await buyAirtime(auth, { phone: "08031234567", amount: "100" }), 422))
        .code,
    ).toBe("wallet_inactive");
    expect((await stub.summary())?.held_minor).toBe(0);
  });

  it("sells airtime at exactly the published minimum and maximum, and refuses a naira beyond either, holding nothing", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const networks = (await (await api("/catalog/networks", { headers: auth })).json()) as {
      data: {
        network: string;
        airtime: { min_minor: number; max_minor: number; source: string };
      }[];
    };
    const bounds = networks.data.find((n) => n.network === "9mobile")!.airtime;
    // VTpass publishes a narrower range for 9mobile than ours and the request schema's, so
    // at these edges nothing but the purchase's own pricing check stands.
    expect(bounds.source).toBe("vtpass_and_ours");
    expect(bounds.min_minor).toBeGreaterThan(AIRTIME_MIN_MINOR);
    expect(bounds.max_minor).toBeLessThan(AIRTIME_MAX_MINOR);
    const buy = (minor: number) =>
      buyAirtime(auth, { phone: "08011111111", amount: String(minor / 100), network: "9mobile" });
    for (const minor of [bounds.min_minor - 1_00, bounds.max_minor + 1_00]) {
      const problem = await expectProblem(await buy(minor), 422);
      expect(problem, String(minor)).toMatchObject({
        code: "amount_out_of_range",
        min_minor: bounds.min_minor,
        max_minor: bounds.max_minor,
      });
    }
    expect(await stub.summary()).toMatchObject({ balance_minor: 100_000_00, held_minor: 0 });
    const none = await stub.listTransactions({ limit: 10 });
    expect((none.ok ? none.data : []).filter((t) => t.type === "AIRTIME")).toEqual([]);
    for (const minor of [bounds.min_minor, bounds.max_minor]) {
      expect(await purchased(await buy(minor))).toMatchObject({
        status: "SUCCESS",
        network: "9mobile",
        amount_minor: minor,
      });
    }
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00 - bounds.min_minor - bounds.max_minor,
      held_minor: 0,
    });
  });

  it("buys on the network asked for when it differs from the prefix's, and says so", async () => {
    const { auth } = await fundedWallet(100_000_00);
    const p = await purchased(
      await buyAirtime(auth, { phone: "08031234567", amount: uniqueNaira(), network: "glo" }),
    );
    expect(p.network).toBe("glo");
    expect(p.network_note).toMatch(/suggests mtn; buying on glo/);
  });
});

describe("purchases: Idempotency-Key, data plans and the browser form", () => {
  it("replays the first answer for the same key and body, refuses a changed body, and pays once", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const first = await purchased(
      await buyAirtime(
        auth,
        { phone: "08011111111", amount, network: "mtn" },
        { "idempotency-key": "air-1" },
      ),
    );
    const again = await buyAirtime(
      auth,
      { phone: "08011111111", amount, network: "mtn" },
      { "idempotency-key": "air-1" },
    );
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const replay = (await again.json()) as Purchase;
    expect(replay.tx_ref).toBe(first.tx_ref);
    expect(replay.watch?.ticket).toBe(first.watch?.ticket);
    expect(
      (
        await expectProblem(
          await buyAirtime(
            auth,
            { phone: "08011111111", amount: "150", network: "mtn" },
            { "idempotency-key": "air-1" },
          ),
          422,
        )
      ).code,
    ).toBe("idempotency_key_reused");
    expect(await payCount((await stub.getTransaction(first.tx_ref))!.provider_ref!)).toBe(1);
    expect((await stub.summary())?.balance_minor).toBe(100_000_00 - Number(amount) * 100);
  });

  it("buys a data plan at the catalogue's price, and refuses a plan the network does not have", async () => {
    const { auth, stub } = await fundedWallet(10_000_00);
    const plans = (await (
      await api("/catalog/data-plans?network=mtn", { headers: auth })
    ).json()) as { data: { code: string; price_minor: number; name: string }[] };
    const plan = plans.data[0];
    const p = await purchased(await buyData(auth, { phone: "08011111111", plan: plan.code }));
    expect(p).toMatchObject({
      type: "DATA",
      status: "SUCCESS",
      plan: plan.code,
      amount_minor: plan.price_minor,
      network: "mtn",
    });
    expect((await stub.summary())?.balance_minor).toBe(10_000_00 - plan.price_minor);
    expect(
      (
        await expectProblem(
          await buyData(auth, { phone: "08011111111", plan: "no-such-plan" }),
          422,
        )
      ).code,
    ).toBe("plan_unknown");
  });

  it("redirects a browser's form post to the purchase's live page, which only the ticket opens", async () => {
    const { auth } = await fundedWallet(100_000_00);
    const res = await api("/wallet/airtime", {
      ...form({ phone: "08011111111", amount: uniqueNaira(), network: "mtn" }, auth),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toMatch(/^\/api\/v1\/wallet\/purchases\/air_/);
    const page = await (
      await api(location.pathname.replace("/api/v1", "") + location.search)
    ).text();
    expect(page).toContain("Delivered");
    const bare = await (await api(location.pathname.replace("/api/v1", ""))).text();
    expect(bare).not.toContain("Delivered");
  });
});

describe("purchases: reversals", () => {
  it("gives back a delivered purchase that VTpass reverses, once, whatever the number of callbacks", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    const p = await purchased(
      await buyAirtime(auth, { phone: "08011111111", amount, network: "mtn" }),
    );
    expect(p.status).toBe("SUCCESS");
    const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
    await vtpassSettles(request_id, "reversed");
    // The callback goes through the queue; the reconciler may get there first. Either way, once.
    await eventually(async () =>
      expect((await stub.getTransaction(p.tx_ref))?.stage).toBe("reversed"),
    );
    await controlData(await vtControl(`/purchases/${request_id}/callback`, { body: {} }));
    await runReconciler(stub).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const tx = (await stub.getTransaction(p.tx_ref))!;
    expect(tx).toMatchObject({ status: "FAILED", stage: "reversed" });
    expect(tx.failure_reason).toMatch(/reversed; the money is back/i);
    const audit = await expectLedgerConsistent(stub);
    expect(audit.balance_minor).toBe(100_000_00);
    expect(audit.journal_rows).toBe(3); // the funding, the purchase's debit, its reversal credit
  });

  it("releases the hold of a pending purchase that VTpass reverses before delivery", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const p = await purchased(
      await buyAirtime(auth, { phone: "201000000000", amount: uniqueNaira(), network: "mtn" }),
    );
    const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
    await vtpassSettles(request_id, "reversed");
    await runReconciler(stub);
    expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
      status: "FAILED",
      stage: "reversed",
    });
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00,
      held_minor: 0,
      journal_rows: 1,
    });
  });
});
