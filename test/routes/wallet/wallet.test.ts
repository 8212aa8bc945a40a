import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { newTxRef } from "../../../src/lib/ids";
import { api, bearerFor, expectProblem, newWallet } from "../../support/helpers";

describe("GET /wallet/", () => {
  it("shows balance, available, currency and is_active as decimal strings and kobo", async () => {
    const { user_id } = await newWallet();
    const res = await api("/wallet/", { headers: await bearerFor(user_id) });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      user_id,
      currency: "NGN",
      balance: "0.00",
      balance_minor: 0,
      available: "0.00",
      available_minor: 0,
      held: "0.00",
      held_minor: 0,
      is_active: true,
      frozen: null,
    });
  });

  it("answers without the trailing slash too, and needs a token", async () => {
    const { user_id } = await newWallet();
    expect((await api("/wallet", { headers: await bearerFor(user_id) })).status).toBe(200);
    await expectProblem(await api("/wallet/"), 401);
  });
});

describe("POST /wallet/toggle-activity", () => {
  it("flips is_active back and forth", async () => {
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const off = await api("/wallet/toggle-activity", { method: "POST", headers: auth });
    expect(((await off.json()) as { is_active: boolean }).is_active).toBe(false);
    const on = await api("/wallet/toggle-activity", { method: "POST", headers: auth });
    expect(((await on.json()) as { is_active: boolean }).is_active).toBe(true);
  });
});

describe("GET /wallet/transactions", () => {
  async function walletWithFundings(n: number) {
    const w = await newWallet();
    const refs: string[] = [];
    for (let i = 0; i < n; i++) {
      const tx_ref = newTxRef("FUND", w.user_id);
      await w.stub.openFunding({
        tx_ref,
        amount_minor: 10000 * (i + 1),
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + 3600_000,
      });
      refs.push(tx_ref);
      await new Promise((r) => setTimeout(r, 2));
    }
    return { ...w, refs, auth: await bearerFor(w.user_id) };
  }

  it("pages newest first with limit, starting_after and has_more", async () => {
    const { refs, auth } = await walletWithFundings(3);
    const page1 = (await (await api("/wallet/transactions?limit=2", { headers: auth })).json()) as {
      data: { tx_ref: string; amount: string; status: string }[];
      has_more: boolean;
    };
    expect(page1.data.map((t) => t.tx_ref)).toEqual([refs[2], refs[1]]);
    expect(page1.data[0]).toMatchObject({ amount: "300.00", status: "PENDING" });
    expect(page1.has_more).toBe(true);
    const page2 = (await (
      await api(`/wallet/transactions?limit=2&starting_after=${refs[1]}`, { headers: auth })
    ).json()) as { data: { tx_ref: string }[]; has_more: boolean };
    expect(page2.data.map((t) => t.tx_ref)).toEqual([refs[0]]);
    expect(page2.has_more).toBe(false);
  });

  it("filters by type, status and creation time", async () => {
    const { auth } = await walletWithFundings(2);
    const pending = (await (
      await api("/wallet/transactions?type=FUND&status=PENDING", { headers: auth })
    ).json()) as { data: unknown[] };
    expect(pending.data).toHaveLength(2);
    const none = (await (
      await api("/wallet/transactions?status=SUCCESS", { headers: auth })
    ).json()) as { data: unknown[] };
    expect(none.data).toHaveLength(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    const later = (await (
      await api(`/wallet/transactions?created_gte=${encodeURIComponent(future)}`, { headers: auth })
    ).json()) as { data: unknown[] };
    expect(later.data).toHaveLength(0);
  });

  it("refuses bad queries with 422", async () => {
    const { auth } = await walletWithFundings(1);
    for (const query of [
      "limit=0",
      "limit=101",
      "limit=abc",
      "type=GIFT",
      "status=DONE",
      "created_gte=yesterday",
      "starting_after=fnd_unknown",
      "color=blue",
    ]) {
      await expectProblem(await api(`/wallet/transactions?${query}`, { headers: auth }), 422);
    }
  });
});

describe("GET /wallet/transactions/{tx_ref}", () => {
  it("shows the owner's transaction and answers 404 for anyone else's", async () => {
    const owner = await newWallet();
    const other = await newWallet();
    const tx_ref = newTxRef("FUND", owner.user_id);
    await owner.stub.openFunding({
      tx_ref,
      amount_minor: 5000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + 3600_000,
    });
    const mine = await api(`/wallet/transactions/${tx_ref}`, {
      headers: await bearerFor(owner.user_id),
    });
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({
      tx_ref,
      type: "FUND",
      status: "PENDING",
      amount: "50.00",
      amount_minor: 5000,
    });
    await expectProblem(
      await api(`/wallet/transactions/${tx_ref}`, { headers: await bearerFor(other.user_id) }),
      404,
    );
    await expectProblem(
      await api(`/wallet/transactions/fnd_nope`, { headers: await bearerFor(owner.user_id) }),
      404,
    );
  });
});
