/**
 * Guards of the Wallet object that a one-line bug could remove without any
 * other test noticing: the overpayment anomaly, the balance cap (balance plus
 * the credit, not the old balance), a held payment reported for another
 * amount, a payment still pending past its deadline, the reconciler's clamp
 * to the deadline, and the SQLite triggers that refuse changes to a terminal
 * transaction even if code tried one (proved from inside the object).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProviderFacts } from "../../../src/domain/transactions";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef } from "../../../src/lib/ids";
import {
  BALANCE_MAX_MINOR,
  FUND_PENDING_MAX_CEILING,
  IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
  PURCHASE_REQUERY_BACKOFF_S,
  RECONCILE_BACKOFF_S,
} from "../../../src/domain/limits";
import {
  expectLedgerConsistent,
  fundedWallet,
  newWallet,
  runReconciler,
  UNBOUNDED_TIERS,
} from "../../support/helpers";

type Stub = Awaited<ReturnType<typeof newWallet>>["stub"];
const HOUR = 3_600_000;

async function openFunding(stub: Stub, user_id: string, amount_minor: number): Promise<string> {
  const tx_ref = newTxRef("FUND", user_id);
  expect(
    (
      await stub.openFunding({
        tx_ref,
        amount_minor,
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + HOUR,
        // These guards are the ledger's own (the BALANCE_MAX_MINOR cap among them); the KYC tiers have their tests.
        tiers: UNBOUNDED_TIERS,
      })
    ).outcome,
  ).toBe("opened");
  return tx_ref;
}

const paid = (
  tx_ref: string,
  amount_minor: number,
  provider_ref = String(Date.now()),
): ProviderFacts => ({
  found: true,
  provider_ref,
  our_ref: tx_ref,
  outcome: "succeeded",
  amount_minor,
  currency: "NGN",
  message: null,
});

/** A withdrawal held, claimed and submitted with `provider_ref` (non-numeric: the transfer client answers "not found" without a call). */
async function submittedWithdrawal(
  stub: Stub,
  user_id: string,
  amount_minor: number,
  fee_minor = 0,
  provider_ref = `t-${Date.now()}`,
) {
  const tx_ref = newTxRef("WITHDRAW", user_id);
  expect(
    (
      await stub.openHeld({
        type: "WITHDRAW",
        tx_ref,
        amount_minor,
        fee_minor,
        currency: "NGN",
        details: {},
      })
    ).outcome,
  ).toBe("opened");
  expect(await stub.claimSubmission(tx_ref)).toBe(true);
  await stub.recordSubmitted(tx_ref, provider_ref);
  return { tx_ref, provider_ref };
}

const transfer = (
  tx_ref: string,
  provider_ref: string,
  outcome: "succeeded" | "failed" | "pending",
  amount_minor: number,
): ProviderFacts => ({
  found: true,
  provider_ref,
  our_ref: tx_ref,
  outcome,
  amount_minor,
  currency: "NGN",
  message: null,
});

async function setDeadline(stub: Stub, tx_ref: string, deadline_at_ms: number): Promise<void> {
  await runInDurableObject(stub, (_w: Wallet, state) => {
    state.storage.sql.exec(
      "UPDATE transactions SET deadline_at_ms = ? WHERE tx_ref = ?",
      deadline_at_ms,
      tx_ref,
    );
  });
}

describe("Wallet object: anomalies operators must see", () => {
  it("credits an overpayment's expected amount and records the excess to refund, once", async () => {
    const { stub, user_id } = await newWallet();
    const exact = await openFunding(stub, user_id, 150_000);
    expect(
      (await stub.applyProviderFacts(exact, paid(exact, 150_000), { via: "webhook" })).outcome,
    ).toBe("credited");
    expect(await stub.anomalies()).toEqual([]);

    const over = await openFunding(stub, user_id, 150_000);
    expect(
      (await stub.applyProviderFacts(over, paid(over, 180_000, "9001"), { via: "webhook" }))
        .outcome,
    ).toBe("credited");
    await stub.applyProviderFacts(over, paid(over, 180_000, "9001"), { via: "reconciler" });
    expect((await stub.summary())?.balance_minor).toBe(300_000);
    const anomalies = await stub.anomalies();
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ tx_ref: over, kind: "overpaid" });
    expect(anomalies[0].detail).toContain("30000");
    await expectLedgerConsistent(stub);
  });

  it("records a transfer success reported after its hold was voided, without debiting", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, provider_ref } = await submittedWithdrawal(stub, user_id, 100_000);
    expect(
      (
        await stub.applyProviderFacts(tx_ref, transfer(tx_ref, provider_ref, "failed", 100_000), {
          via: "webhook",
        })
      ).outcome,
    ).toBe("failed");
    expect(
      (
        await stub.applyProviderFacts(
          tx_ref,
          transfer(tx_ref, provider_ref, "succeeded", 100_000),
          { via: "webhook" },
        )
      ).outcome,
    ).toBe("unchanged");
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 0 });
    expect((await stub.anomalies()).filter((a) => a.tx_ref === tx_ref).map((a) => a.kind)).toEqual([
      "paid_after_void",
    ]);
  });
});

describe("Wallet object: the balance cap", () => {
  it("credits up to exactly the cap and refuses (refund due) one kobo past it, judging balance plus the credit", async () => {
    const { stub, user_id } = await newWallet();
    const base = await openFunding(stub, user_id, BALANCE_MAX_MINOR - 100);
    expect(
      (await stub.applyProviderFacts(base, paid(base, BALANCE_MAX_MINOR - 100), { via: "webhook" }))
        .outcome,
    ).toBe("credited");

    // 101 kobo would pass a check of the old balance alone; balance + credit is over the cap.
    const over = await openFunding(stub, user_id, 101);
    expect((await stub.applyProviderFacts(over, paid(over, 101), { via: "webhook" })).outcome).toBe(
      "failed",
    );
    expect(await stub.getTransaction(over)).toMatchObject({
      status: "FAILED",
      failure_reason: expect.stringMatching(/limit/),
    });
    expect((await stub.summary())?.balance_minor).toBe(BALANCE_MAX_MINOR - 100);
    expect((await stub.anomalies()).filter((a) => a.tx_ref === over).map((a) => a.kind)).toEqual([
      "refund_due",
    ]);

    const fits = await openFunding(stub, user_id, 100);
    expect((await stub.applyProviderFacts(fits, paid(fits, 100), { via: "webhook" })).outcome).toBe(
      "credited",
    );
    expect((await stub.summary())?.balance_minor).toBe(BALANCE_MAX_MINOR);
    await expectLedgerConsistent(stub);
  });
});

describe("Wallet object: held payments the provider answers oddly", () => {
  it("never posts (or voids) a transfer reported for another amount: the hold stays and operators are told", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, provider_ref } = await submittedWithdrawal(stub, user_id, 100_000, 500);
    for (const amount_minor of [100_500, 99_999, 100_001]) {
      expect(
        (
          await stub.applyProviderFacts(
            tx_ref,
            transfer(tx_ref, provider_ref, "succeeded", amount_minor),
            { via: "webhook" },
          )
        ).outcome,
      ).toBe("unchanged");
    }
    expect(
      (
        await stub.applyProviderFacts(tx_ref, transfer(tx_ref, provider_ref, "failed", 1), {
          via: "webhook",
        })
      ).outcome,
    ).toBe("unchanged");
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      escalated_at_ms: expect.any(Number),
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 100_500 });
    expect((await stub.anomalies()).filter((a) => a.tx_ref === tx_ref).map((a) => a.kind)).toEqual([
      "escalated",
    ]);
    // The right answer still settles it: amount 100,000 (the fee is ours), debited with its fee.
    expect(
      (
        await stub.applyProviderFacts(
          tx_ref,
          transfer(tx_ref, provider_ref, "succeeded", 100_000),
          { via: "webhook" },
        )
      ).outcome,
    ).toBe("debited");
    expect(await stub.summary()).toMatchObject({ balance_minor: 399_500, held_minor: 0 });
    await expectLedgerConsistent(stub);
  });

  it("escalates, once, a transfer the provider still reports pending after the deadline, and keeps its hold", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, provider_ref } = await submittedWithdrawal(stub, user_id, 100_000);
    await stub.applyProviderFacts(tx_ref, transfer(tx_ref, provider_ref, "pending", 100_000), {
      via: "webhook",
    });
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      escalated_at_ms: null,
    });
    await setDeadline(stub, tx_ref, Date.now() - 1);
    await stub.applyProviderFacts(tx_ref, transfer(tx_ref, provider_ref, "pending", 100_000), {
      via: "reconciler",
    });
    const escalated = (await stub.getTransaction(tx_ref))!;
    expect(escalated).toMatchObject({ status: "PENDING", escalated_at_ms: expect.any(Number) });
    await stub.applyProviderFacts(tx_ref, transfer(tx_ref, provider_ref, "pending", 100_000), {
      via: "reconciler",
    });
    expect((await stub.getTransaction(tx_ref))?.escalated_at_ms).toBe(escalated.escalated_at_ms);
    expect((await stub.anomalies()).filter((a) => a.tx_ref === tx_ref).map((a) => a.kind)).toEqual([
      "escalated",
    ]);
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 100_000 });
  });
});

describe("Wallet object: purchases and the claim", () => {
  const purchase = async (stub: Stub, user_id: string, amount_minor: number) => {
    const tx_ref = newTxRef("AIRTIME", user_id);
    const provider_ref = `2026112701${String(Date.now() % 1_000_000).padStart(6, "0")}`;
    expect(
      (
        await stub.openHeld({
          type: "AIRTIME",
          tx_ref,
          amount_minor,
          fee_minor: 0,
          currency: "NGN",
          details: {},
          provider_ref,
        })
      ).outcome,
    ).toBe("opened");
    expect(await stub.claimSubmission(tx_ref)).toBe(true);
    await stub.recordSubmitted(tx_ref, provider_ref);
    const facts = (
      outcome: "succeeded" | "reversed",
      our_ref: string | null = tx_ref,
    ): ProviderFacts => ({
      found: true,
      provider_ref,
      our_ref,
      outcome,
      amount_minor: null,
      currency: "NGN",
      message: null,
    });
    return { tx_ref, facts };
  };

  it("gives a delivered purchase back once when the provider reverses it, and ignores another reference's reversal", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, facts } = await purchase(stub, user_id, 20_000);
    expect(
      (await stub.applyProviderFacts(tx_ref, facts("succeeded"), { via: "callback" })).outcome,
    ).toBe("debited");
    expect(
      (
        await stub.applyProviderFacts(tx_ref, facts("reversed", "air_someone_else"), {
          via: "callback",
        })
      ).outcome,
    ).toBe("unchanged");
    expect((await stub.summary())?.balance_minor).toBe(480_000);
    for (let i = 0; i < 3; i++)
      await stub.applyProviderFacts(tx_ref, facts("reversed"), { via: "callback" });
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      stage: "reversed",
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 0 });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(3);
  });

  it("releases a pending purchase's hold when the provider reverses it before delivery, without a journal row", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, facts } = await purchase(stub, user_id, 20_000);
    expect((await stub.summary())?.held_minor).toBe(20_000);
    expect(
      (await stub.applyProviderFacts(tx_ref, facts("reversed"), { via: "callback" })).outcome,
    ).toBe("reversed");
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 0 });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("abandons an unclaimed hold only once the request that placed it can no longer claim it", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    expect(
      (
        await stub.openHeld({
          type: "WITHDRAW",
          tx_ref,
          amount_minor: 1_000,
          fee_minor: 0,
          currency: "NGN",
          details: {},
        })
      ).outcome,
    ).toBe("opened");
    // Just placed: the request may be about to claim and submit it, so voiding now could pay twice.
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "hold_placed",
    });
    expect((await stub.summary())?.held_minor).toBe(1_000);
    await runInDurableObject(stub, (_w: Wallet, state) => {
      state.storage.sql.exec(
        "UPDATE transactions SET created_at_ms = ? WHERE tx_ref = ?",
        Date.now() - IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
        tx_ref,
      );
    });
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      stage: "abandoned",
    });
    expect(await stub.claimSubmission(tx_ref)).toBe(false);
    expect((await stub.summary())?.held_minor).toBe(0);
  });

  it("lets exactly one of many concurrent callers claim a submission", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    expect(
      (
        await stub.openHeld({
          type: "WITHDRAW",
          tx_ref,
          amount_minor: 1_000,
          fee_minor: 0,
          currency: "NGN",
          details: {},
        })
      ).outcome,
    ).toBe("opened");
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => stub.claimSubmission(tx_ref)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await stub.claimSubmission(tx_ref)).toBe(false);
  });
});

describe("Wallet object: the reconciler's schedule", () => {
  it("checks a transaction at its deadline when the backoff would overshoot it, and escalates it then", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref } = await submittedWithdrawal(stub, user_id, 100_000);
    const deadline_at_ms = Date.now() + 10 * 60_000;
    // Six checks so far: the next backoff step is an hour, the deadline ten minutes away.
    await runInDurableObject(stub, (_w: Wallet, state) => {
      state.storage.sql.exec(
        "UPDATE transactions SET deadline_at_ms = ?, check_attempts = 5 WHERE tx_ref = ?",
        deadline_at_ms,
        tx_ref,
      );
    });
    expect(RECONCILE_BACKOFF_S[6] * 1000).toBeGreaterThan(10 * 60_000);
    await runReconciler(stub);
    const checked = (await stub.getTransaction(tx_ref))!;
    expect(checked).toMatchObject({ status: "PENDING", check_attempts: 6, escalated_at_ms: null });
    expect(checked.next_check_at_ms).toBe(deadline_at_ms);
    // The alarm is armed for it too: when that check comes (the deadline reached), it escalates.
    await runInDurableObject(stub, async (_w: Wallet, state) => {
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(deadline_at_ms);
      state.storage.sql.exec(
        "UPDATE transactions SET deadline_at_ms = ?, next_check_at_ms = ? WHERE tx_ref = ?",
        Date.now() - 1,
        Date.now() - 1,
        tx_ref,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      escalated_at_ms: expect.any(Number),
    });
    expect((await stub.summary())?.held_minor).toBe(100_000);
  });

  it("re-asks about a purchase on the purchase schedule (10 s, then 30 s), not the funding one", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const tx_ref = newTxRef("AIRTIME", user_id);
    const provider_ref = `202611270000${Date.now() % 1_000_000}`;
    const opened = await stub.openHeld({
      type: "AIRTIME",
      tx_ref,
      amount_minor: 10_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
      provider_ref,
    });
    if (opened.outcome !== "opened") throw new Error(opened.outcome);
    expect(opened.tx.next_check_at_ms! - opened.tx.created_at_ms).toBe(
      PURCHASE_REQUERY_BACKOFF_S[0] * 1000,
    );
    expect(await stub.claimSubmission(tx_ref)).toBe(true);
    const before_ms = Date.now();
    const unknown = (await stub.markSubmitUnknown(tx_ref))!;
    expect(unknown.next_check_at_ms!).toBeGreaterThanOrEqual(
      before_ms + PURCHASE_REQUERY_BACKOFF_S[0] * 1000,
    );
    expect(unknown.next_check_at_ms!).toBeLessThanOrEqual(
      Date.now() + PURCHASE_REQUERY_BACKOFF_S[0] * 1000,
    );
    const reconciled_from_ms = Date.now();
    await runReconciler(stub);
    const checked = (await stub.getTransaction(tx_ref))!;
    expect(checked).toMatchObject({ status: "PENDING", check_attempts: 1 });
    expect(checked.next_check_at_ms!).toBeGreaterThanOrEqual(
      reconciled_from_ms + PURCHASE_REQUERY_BACKOFF_S[1] * 1000,
    );
    expect(checked.next_check_at_ms!).toBeLessThanOrEqual(
      Date.now() + PURCHASE_REQUERY_BACKOFF_S[1] * 1000,
    );
  });
});

describe("Wallet object: storage refuses what the code must never do", () => {
  it("refuses, in SQL, any change to a settled transaction and a second resolution of its hold", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const { tx_ref, provider_ref } = await submittedWithdrawal(stub, user_id, 100_000);
    expect(
      (
        await stub.applyProviderFacts(
          tx_ref,
          transfer(tx_ref, provider_ref, "succeeded", 100_000),
          { via: "webhook" },
        )
      ).outcome,
    ).toBe("debited");
    await runInDurableObject(stub, (_w: Wallet, state) => {
      const sql = state.storage.sql;
      // The same stage, other fields: a settled row is frozen.
      expect(() =>
        sql.exec("UPDATE transactions SET failure_reason = 'x' WHERE tx_ref = ?", tx_ref),
      ).toThrow(/transaction_already_terminal/);
      expect(() =>
        sql.exec("UPDATE transactions SET status = 'PENDING' WHERE tx_ref = ?", tx_ref),
      ).toThrow(/transition_not_allowed|transaction_already_terminal/);
      // Another stage: settled -> failed is no transition of the flow.
      expect(() =>
        sql.exec(
          "UPDATE transactions SET stage = 'failed', status = 'FAILED' WHERE tx_ref = ?",
          tx_ref,
        ),
      ).toThrow(/transition_not_allowed/);
      // The posted hold cannot be voided (nor posted again).
      expect(() => sql.exec("UPDATE holds SET status = 'voided' WHERE tx_ref = ?", tx_ref)).toThrow(
        /hold_already_resolved/,
      );
      // A transaction is created only in its flow's initial stage.
      expect(() =>
        sql.exec(
          `INSERT INTO transactions (tx_ref, type, status, stage, version, amount_minor, fee_minor, currency, details_json, created_at_ms, updated_at_ms, deadline_at_ms, check_attempts)
           VALUES (?, 'WITHDRAW', 'SUCCESS', 'settled', 1, 1, 0, 'NGN', '{}', 0, 0, 0, 0)`,
          newTxRef("WITHDRAW", user_id),
        ),
      ).toThrow(/transition_not_allowed/);
    });
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "SUCCESS",
      stage: "settled",
      failure_reason: null,
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: 400_000, held_minor: 0 });
  });
});
