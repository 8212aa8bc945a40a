import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import type { ProviderFacts } from "../../../src/domain/transactions";
import { newTxRef } from "../../../src/lib/ids";
import { env, expectLedgerConsistent, newWallet } from "../../support/helpers";

const HOUR = 3600_000;

async function openFunding(
  stub: Awaited<ReturnType<typeof newWallet>>["stub"],
  user_id: string,
  amount_minor = 150000,
  deadline_at_ms = Date.now() + HOUR,
) {
  const tx_ref = newTxRef("FUND", user_id);
  const opened = await stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms,
  });
  expect(opened.outcome).toBe("opened");
  return tx_ref;
}

const success = (tx_ref: string, amount_minor = 150000, provider_ref = "101"): ProviderFacts => ({
  found: true,
  provider_ref,
  our_ref: tx_ref,
  outcome: "succeeded",
  amount_minor,
  currency: "NGN",
  message: null,
});

describe("Wallet object: funding settlement", () => {
  it("starts empty and active after init, and init is idempotent", async () => {
    const { stub, user_id, email } = await newWallet();
    expect(await stub.init({ user_id, email, full_name: null, currency: "NGN" })).toMatchObject({
      user_id,
    });
    expect(await stub.summary()).toMatchObject({
      balance_minor: 0,
      available_minor: 0,
      held_minor: 0,
      is_active: true,
      currency: "NGN",
    });
    expect(
      await stub.init({ user_id: "usr000000000000000q", email, full_name: null, currency: "NGN" }),
    ).toBeNull();
  });

  it("credits a verified payment once even when the same facts arrive 50 times at once", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = await openFunding(stub, user_id);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        stub.applyProviderFacts(tx_ref, success(tx_ref), { via: "webhook", event_key: "e1" }),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === "credited")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "unchanged")).toHaveLength(49);
    expect(await stub.summary()).toMatchObject({ balance_minor: 150000, available_minor: 150000 });
    const audit = await expectLedgerConsistent(stub);
    expect(audit.journal_rows).toBe(1);
  });

  it("credits once when a failed attempt arrives before, between and after the success", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = await openFunding(stub, user_id);
    const failed: ProviderFacts = {
      found: true,
      provider_ref: "201",
      our_ref: tx_ref,
      outcome: "failed",
      amount_minor: 150000,
      currency: "NGN",
      message: null,
    };
    expect((await stub.applyProviderFacts(tx_ref, failed, { via: "webhook" })).outcome).toBe(
      "unchanged",
    );
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    expect(
      (await stub.applyProviderFacts(tx_ref, success(tx_ref, 150000, "202"), { via: "webhook" }))
        .outcome,
    ).toBe("credited");
    expect((await stub.applyProviderFacts(tx_ref, failed, { via: "webhook" })).outcome).toBe(
      "unchanged",
    );
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
    expect((await stub.summary())?.balance_minor).toBe(150000);
    await expectLedgerConsistent(stub);
  });

  it("never credits an underpayment, a wrong currency or another reference's payment; owes the first two back and keeps their checkouts open", async () => {
    const { stub, user_id } = await newWallet();
    const under = await openFunding(stub, user_id);
    expect(
      await stub.applyProviderFacts(under, success(under, 149_999), { via: "webhook" }),
    ).toMatchObject({ outcome: "unchanged", reason: "payment_mismatch" });
    const wrongCurrency = await openFunding(stub, user_id);
    expect(
      await stub.applyProviderFacts(
        wrongCurrency,
        { ...success(wrongCurrency), currency: "USD" } as ProviderFacts,
        { via: "webhook" },
      ),
    ).toMatchObject({
      outcome: "unchanged",
      reason: "payment_mismatch",
    });
    for (const tx_ref of [under, wrongCurrency])
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "payment_mismatch",
      });
    const other = await openFunding(stub, user_id);
    expect((await stub.applyProviderFacts(other, success(under), { via: "webhook" })).outcome).toBe(
      "unchanged",
    );
    expect((await stub.getTransaction(other))?.status).toBe("PENDING");
    expect((await stub.summary())?.balance_minor).toBe(0);
    await expectLedgerConsistent(stub);
    const anomalies = await stub.anomalies();
    expect(
      anomalies
        .filter((a) => a.kind === "refund_due")
        .map((a) => a.tx_ref)
        .sort(),
    ).toEqual([under, wrongCurrency].sort());
  });

  it("records a success that arrives after the funding already failed, without crediting it", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = await openFunding(stub, user_id, 150000, Date.now() - 1);
    expect(
      (await stub.applyProviderFacts(tx_ref, { found: false }, { via: "reconciler" })).outcome,
    ).toBe("failed");
    expect(
      (await stub.applyProviderFacts(tx_ref, success(tx_ref), { via: "webhook" })).outcome,
    ).toBe("unchanged");
    expect((await stub.summary())?.balance_minor).toBe(0);
    expect((await stub.anomalies()).map((a) => a.kind)).toContain("paid_after_terminal");
  });

  it("refuses facts for a reference it does not hold", async () => {
    const { stub } = await newWallet();
    expect(
      (await stub.applyProviderFacts("fnd_unknown", success("fnd_unknown"), { via: "webhook" }))
        .outcome,
    ).toBe("unknown_tx");
  });

  it("records each provider event key once", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = await openFunding(stub, user_id);
    await stub.applyProviderFacts(tx_ref, success(tx_ref), { via: "webhook", event_key: "k1" });
    await stub.applyProviderFacts(tx_ref, success(tx_ref), { via: "webhook", event_key: "k1" });
    const { runInDurableObject } = await import("cloudflare:test");
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("SELECT * FROM provider_events").toArray(),
    );
    expect(rows).toHaveLength(1);
  });

  it("refuses a new funding while the wallet is inactive, and allows it again after reactivation", async () => {
    const { stub, user_id } = await newWallet();
    expect((await stub.toggleActive())?.is_active).toBe(false);
    const refused = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
    });
    expect(refused.outcome).toBe("inactive");
    expect(
      (await stub.listTransactions({ limit: 10 })).ok &&
        (await stub.listTransactions({ limit: 10 })),
    ).toMatchObject({ data: [] });
    expect((await stub.toggleActive())?.is_active).toBe(true);
    await openFunding(stub, user_id);
  });

  it("pages transactions newest first with a cursor and filters", async () => {
    const { stub, user_id } = await newWallet();
    const refs: string[] = [];
    for (let i = 0; i < 5; i++) {
      refs.push(await openFunding(stub, user_id, 10000 + i));
      await new Promise((r) => setTimeout(r, 2));
    }
    await stub.applyProviderFacts(refs[1], success(refs[1], 10001), { via: "webhook" });
    const first = await stub.listTransactions({ limit: 2 });
    if (!first.ok) throw new Error("list failed");
    expect(first.data.map((t) => t.tx_ref)).toEqual([refs[4], refs[3]]);
    expect(first.has_more).toBe(true);
    const second = await stub.listTransactions({ limit: 2, starting_after: refs[3] });
    if (!second.ok) throw new Error("list failed");
    expect(second.data.map((t) => t.tx_ref)).toEqual([refs[2], refs[1]]);
    const third = await stub.listTransactions({ limit: 2, starting_after: refs[1] });
    expect(third).toMatchObject({ ok: true, has_more: false });
    const succeeded = await stub.listTransactions({ limit: 10, status: "SUCCESS" });
    expect(succeeded.ok && succeeded.data.map((t) => t.tx_ref)).toEqual([refs[1]]);
    expect(await stub.listTransactions({ limit: 10, starting_after: "fnd_nope" })).toEqual({
      ok: false,
      reason: "bad_cursor",
    });
  });
});

describe("Wallet object: idempotency keys", () => {
  const key = (k: string, fingerprint = "f1") => ({ key: k, fingerprint });

  it("replays the stored answer, refuses another body, and reports a live in-flight key", async () => {
    const { stub, user_id } = await newWallet();
    const first = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("k"),
    });
    expect(first.outcome).toBe("opened");
    const concurrent = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("k"),
    });
    expect(concurrent.outcome).toBe("in_flight");
    const changed = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 2000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("k", "f2"),
    });
    expect(changed.outcome).toBe("key_mismatch");
    await stub.completeIdempotency("k", { status_code: 201, body: { hello: "world" } });
    const replay = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("k"),
    });
    expect(replay).toEqual({
      outcome: "replay",
      answer: { status_code: 201, body: { hello: "world" } },
    });
    const list = await stub.listTransactions({ limit: 10 });
    expect(list.ok && list.data).toHaveLength(1);
  });

  it("lets a retry resume the same transaction once the holder released or lost the key", async () => {
    const { stub, user_id } = await newWallet();
    const first = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("r"),
    });
    if (first.outcome !== "opened") throw new Error("not opened");
    await stub.releaseIdempotency("r");
    const resumed = await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("r"),
    });
    expect(resumed).toMatchObject({ outcome: "resume", tx: { tx_ref: first.tx.tx_ref } });
  });

  it("keeps keys for 24 hours and purges them after", async () => {
    const { stub, user_id } = await newWallet();
    await stub.openFunding({
      tx_ref: newTxRef("FUND", user_id),
      amount_minor: 1000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + HOUR,
      idempotency: key("old"),
    });
    await stub.completeIdempotency("old", { status_code: 201, body: {} });
    const { runInDurableObject, runDurableObjectAlarm } = await import("cloudflare:test");
    const count = () =>
      runInDurableObject(
        stub,
        (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM idempotency").one().n,
      );
    // 23 hours old: kept.
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("UPDATE idempotency SET created_at_ms = ?", Date.now() - 23 * HOUR),
    );
    await runDurableObjectAlarm(stub);
    expect(await count()).toBe(1);
    // 24 hours old: gone.
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec(
        "UPDATE idempotency SET created_at_ms = ?",
        Date.now() - 24 * HOUR - 1,
      );
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await count()).toBe(0);
  });
});

describe("Room snapshot", () => {
  it("is armed when a funding opens and follows it to its terminal state", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = await openFunding(stub, user_id);
    expect(await env.ROOM.getByName(tx_ref).snapshot()).toMatchObject({
      tx_ref,
      owner_user_id: user_id,
      status: "PENDING",
    });
    await stub.applyProviderFacts(tx_ref, success(tx_ref), { via: "webhook" });
    expect(await env.ROOM.getByName(tx_ref).snapshot()).toMatchObject({ status: "SUCCESS" });
  });
});
