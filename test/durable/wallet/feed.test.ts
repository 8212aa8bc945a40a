/**
 * The Wallet's one write path and its change feed:
 * - every stage of a funding and of a withdrawal reaches a watcher, once, in
 *   order (versions 1, 2, 3, ...);
 * - a crash between the write and the delivery loses nothing: the alarm
 *   delivers what was written; a redelivery (the reader's position lost) is
 *   dropped by the Room by version, so watchers hear nothing twice;
 * - a write that breaks the flow table is refused inside the transaction, by
 *   the write path (a named result) and by the SQL triggers (a rollback of
 *   everything the transaction did).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { describe, expect, it } from "vitest";
import type { Wallet } from "../../../src/durable/wallet/object";
import type { ChangeFeed } from "../../../src/durable/wallet/feed";
import { OPERATIONS_READER } from "../../../src/durable/wallet/operator-reader";
import { newTxRef } from "../../../src/lib/ids";
import {
  bearerFor,
  env,
  eventually,
  expectLedgerConsistent,
  fundedWallet,
  newWallet,
} from "../../support/helpers";
import { paid, watch, type Frame, type Watcher } from "../../support/realtime";

type WalletStub = DurableObjectStub<Wallet>;

/** The status frames a watcher has received so far, as (version, stage, status). */
function statusFrames(w: Watcher): { version: number; stage: string; status: string }[] {
  return w.frames
    .filter((f): f is Frame => typeof f === "object" && f.type === "status")
    .map((f) => ({
      version: f.version as number,
      stage: f.stage as string,
      status: f.status as string,
    }));
}

async function watcherOf(user_id: string, tx_ref: string): Promise<Watcher> {
  const w = await watch({ tx_ref }, await bearerFor(user_id));
  await w.waitFor((f) => typeof f === "object" && f.type === "status");
  return w;
}

async function waitForVersion(w: Watcher, version: number): Promise<void> {
  await w.waitFor((f) => typeof f === "object" && f.type === "status" && f.version === version);
}

/** Force the alarm to run now (it runs the feed's retries, the key purge and the reconciler). */
async function runAlarmNow(stub: WalletStub): Promise<void> {
  await runInDurableObject(stub, async (_i, state) => {
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("change feed: every stage reaches the watchers, in order", () => {
  it("delivers each stage of a funding: link requested, awaiting payment, a failed attempt, credited", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = newTxRef("FUND", user_id);
    await stub.openFunding({
      tx_ref,
      amount_minor: 150_000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + 3_600_000,
    });
    const w = await watcherOf(user_id, tx_ref);
    await stub.attachPaymentLink(tx_ref, "http://wallet.test/pay/1");
    await stub.applyProviderFacts(
      tx_ref,
      { ...paid(tx_ref, 150_000), outcome: "failed" },
      { via: "webhook" },
    );
    await stub.applyProviderFacts(tx_ref, paid(tx_ref, 150_000), { via: "webhook" });
    await waitForVersion(w, 4);
    expect(statusFrames(w)).toEqual([
      { version: 1, stage: "link_requested", status: "PENDING" },
      { version: 2, stage: "awaiting_payment", status: "PENDING" },
      { version: 3, stage: "attempt_failed", status: "PENDING" },
      { version: 4, stage: "settled", status: "SUCCESS" },
    ]);
    w.close();
  });

  it("delivers each stage of a withdrawal: held, sending, sent, completed", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    expect(
      (
        await stub.openHeld({
          type: "WITHDRAW",
          tx_ref,
          amount_minor: 100_000,
          fee_minor: 0,
          currency: "NGN",
          details: {},
        })
      ).outcome,
    ).toBe("opened");
    const w = await watcherOf(user_id, tx_ref);
    expect(await stub.claimSubmission(tx_ref)).toBe(true);
    await stub.recordSubmitted(tx_ref, "777");
    const facts = {
      found: true,
      provider_ref: "777",
      our_ref: tx_ref,
      outcome: "succeeded",
      amount_minor: 100_000,
      currency: "NGN",
      message: null,
    } as const;
    await stub.applyProviderFacts(tx_ref, facts, { via: "webhook" });
    await stub.applyProviderFacts(tx_ref, facts, { via: "webhook" }); // a duplicate changes nothing and sends nothing
    await waitForVersion(w, 4);
    await new Promise((r) => setTimeout(r, 200));
    expect(statusFrames(w)).toEqual([
      { version: 1, stage: "hold_placed", status: "PENDING" },
      { version: 2, stage: "submitting", status: "PENDING" },
      { version: 3, stage: "submitted", status: "PENDING" },
      { version: 4, stage: "settled", status: "SUCCESS" },
    ]);
    await expectLedgerConsistent(stub);
    w.close();
  });

  it("records every version of the transaction and of the wallet in the feed, in order", async () => {
    const { stub, user_id } = await fundedWallet(300_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      type: "WITHDRAW",
      tx_ref,
      amount_minor: 100_000,
      fee_minor: 500,
      currency: "NGN",
      details: {},
    });
    await stub.claimSubmission(tx_ref);
    await stub.refuse(tx_ref, "The bank transfer was refused: test");
    const changes = await stub.changes(0, 100);
    const versions = changes
      .filter((c) => c.entity === "transaction" && c.entity_key === tx_ref)
      .map((c) => c.version);
    expect(versions).toEqual([1, 2, 3]);
    // The wallet's versions: created, credited, held, released. Each balance change is one version.
    const wallet = changes
      .filter((c) => c.entity === "wallet")
      .map((c) => c.body as { version: number; held_minor: number; balance_minor: number });
    expect(wallet.map((b) => b.version)).toEqual(wallet.map((_, i) => i + 1));
    expect(wallet.at(-1)).toMatchObject({ balance_minor: 300_000, held_minor: 0 });
    expect(wallet.some((b) => b.held_minor === 100_500)).toBe(true);
    expect(changes.map((c) => c.seq)).toEqual([...changes.map((c) => c.seq)].sort((a, b) => a - b));
  });
});

describe("change feed: a crash between the write and the delivery", () => {
  it("delivers a committed change that no drain ever sent, when the alarm runs", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = newTxRef("FUND", user_id);
    await stub.openFunding({
      tx_ref,
      amount_minor: 150_000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + 3_600_000,
    });
    const w = await watcherOf(user_id, tx_ref);
    // The operator index hears of changes in the background and may arm an
    // early alarm to retry; that alarm would drain the rooms too. Let it
    // catch up first, so the only drain below is the alarm this test runs.
    await eventually(() =>
      runInDurableObject(stub, (instance: Wallet) => {
        const feed = (instance as unknown as { feed: ChangeFeed }).feed;
        expect(feed.state(OPERATIONS_READER).backlog).toBe(0);
      }),
    );
    // The write commits, then the object "dies" before its drain: written
    // through the store directly, inside the object, with no drain after it.
    await runInDurableObject(stub, async (instance: Wallet, state) => {
      await state.storage.setAlarm(Date.now() + 3_600_000);
      const core = (
        instance as unknown as {
          core: { store: { write: (...args: unknown[]) => { ok: boolean; refusal?: string } } };
        }
      ).core;
      state.storage.transactionSync(() =>
        core.store.write(
          tx_ref,
          { stage: "awaiting_payment", set: { payment_link: "http://wallet.test/pay/2" } },
          Date.now(),
        ),
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(statusFrames(w).map((f) => f.version)).toEqual([1]);
    expect(await env.ROOM.getByName(tx_ref).snapshot()).toMatchObject({ version: 1 });
    await runAlarmNow(stub);
    await waitForVersion(w, 2);
    expect(statusFrames(w)).toEqual([
      { version: 1, stage: "link_requested", status: "PENDING" },
      { version: 2, stage: "awaiting_payment", status: "PENDING" },
    ]);
    w.close();
  });

  it("redelivers everything after the reader's position is lost, and the Room drops every duplicate by version", async () => {
    const { stub, user_id } = await newWallet();
    const tx_ref = newTxRef("FUND", user_id);
    await stub.openFunding({
      tx_ref,
      amount_minor: 150_000,
      currency: "NGN",
      pending_max: FUND_PENDING_MAX_CEILING,
      deadline_at_ms: Date.now() + 3_600_000,
    });
    const w = await watcherOf(user_id, tx_ref);
    await stub.attachPaymentLink(tx_ref, "http://wallet.test/pay/3");
    await stub.applyProviderFacts(tx_ref, paid(tx_ref, 150_000), { via: "webhook" });
    await waitForVersion(w, 3);
    // The position was acknowledged... then lost, as if the crash came after
    // delivery but before the acknowledgement was stored.
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("UPDATE feed_readers SET position = 0"),
    );
    await runAlarmNow(stub);
    const position = await runInDurableObject(
      stub,
      (_i, state) =>
        state.storage.sql
          .exec<{ position: number }>("SELECT position FROM feed_readers WHERE reader = 'rooms'")
          .one().position,
    );
    const last = (await stub.changes(0, 100)).at(-1)!.seq;
    expect(position).toBe(last);
    await new Promise((r) => setTimeout(r, 300));
    expect(statusFrames(w).map((f) => f.version)).toEqual([1, 2, 3]);
    expect(await env.ROOM.getByName(tx_ref).snapshot()).toMatchObject({
      version: 3,
      status: "SUCCESS",
    });
    w.close();
  });
});

describe("the one write path refuses what the flow table does not allow", () => {
  it("answers a refused transition by name and writes nothing", async () => {
    const { stub, user_id } = await fundedWallet(200_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      type: "WITHDRAW",
      tx_ref,
      amount_minor: 50_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    const results = await runInDurableObject(stub, (instance: Wallet, state) => {
      const store = (
        instance as unknown as {
          core: { store: { write: (...args: unknown[]) => { ok: boolean; refusal?: string } } };
        }
      ).core.store;
      return state.storage.transactionSync(() => [
        // hold_placed -> settled skips the claim and the submission.
        store.write(tx_ref, { stage: "settled" }, Date.now()),
        // A funding stage in a withdrawal's flow.
        store.write(tx_ref, { stage: "awaiting_payment" }, Date.now()),
        // The compare-and-set of a claim, from the wrong stage.
        store.write(tx_ref, { expect_stage: "submitting", stage: "submitted" }, Date.now()),
      ]);
    });
    expect(results.map((r: { ok: boolean; refusal?: string }) => r.refusal)).toEqual([
      "transition_not_allowed",
      "transition_not_allowed",
      "stage_mismatch",
    ]);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      stage: "hold_placed",
      status: "PENDING",
      version: 1,
    });
    expect((await stub.summary())?.held_minor).toBe(50_000);
    // After a terminal stage nothing moves again.
    await stub.claimSubmission(tx_ref);
    await stub.refuse(tx_ref, "refused in a test");
    const again = await runInDurableObject(stub, (instance: Wallet, state) =>
      state.storage.transactionSync(() =>
        (
          instance as unknown as {
            core: { store: { write: (...args: unknown[]) => { ok: boolean; refusal?: string } } };
          }
        ).core.store.write(tx_ref, { stage: "settled" }, Date.now()),
      ),
    );
    expect(again).toMatchObject({ ok: false, refusal: "transaction_already_terminal" });
    await expectLedgerConsistent(stub);
  });

  it("rolls the whole storage transaction back when SQL skips the flow, whatever ran before it", async () => {
    const { stub, user_id } = await fundedWallet(200_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      type: "WITHDRAW",
      tx_ref,
      amount_minor: 50_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    const before = await stub.audit();
    const attempts = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const tries: Record<string, string> = {};
      const attempt = (name: string, statements: () => void) => {
        try {
          state.storage.transactionSync(statements);
          tries[name] = "committed";
        } catch (error) {
          tries[name] = (error as Error).message;
        }
      };
      // A debit and the skipped stage in one transaction: the trigger aborts both.
      attempt("skip_to_settled", () => {
        sql.exec(
          "INSERT INTO journal (tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) VALUES (?, 'debit', 50000, 150000, 0)",
          tx_ref,
        );
        sql.exec(
          "UPDATE transactions SET stage = 'settled', status = 'SUCCESS' WHERE tx_ref = ?",
          tx_ref,
        );
      });
      attempt("status_without_stage", () =>
        sql.exec("UPDATE transactions SET status = 'SUCCESS' WHERE tx_ref = ?", tx_ref),
      );
      attempt("created_mid_flow", () =>
        sql.exec(
          `INSERT INTO transactions (tx_ref, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms)
           VALUES (?, 'WITHDRAW', 'PENDING', 'submitted', 100, 'NGN', 0, 0, 0)`,
          newTxRef("WITHDRAW", user_id),
        ),
      );
      attempt("change_type", () =>
        sql.exec("UPDATE transactions SET type = 'FUND' WHERE tx_ref = ?", tx_ref),
      );
      return tries;
    });
    expect(attempts).toEqual({
      skip_to_settled: expect.stringContaining("transition_not_allowed"),
      status_without_stage: expect.stringContaining("transition_not_allowed"),
      created_mid_flow: expect.stringContaining("transition_not_allowed"),
      change_type: expect.stringContaining("transition_not_allowed"),
    });
    expect(await stub.audit()).toEqual(before);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      stage: "hold_placed",
      status: "PENDING",
    });
  });

  it("refuses to touch a terminal row or to resolve a hold twice, in SQL too", async () => {
    const { stub, user_id } = await fundedWallet(200_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      type: "WITHDRAW",
      tx_ref,
      amount_minor: 50_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    await stub.claimSubmission(tx_ref);
    await stub.refuse(tx_ref, "refused in a test");
    const errors = await runInDurableObject(stub, (_i, state) => {
      const out: string[] = [];
      for (const statement of [
        "UPDATE transactions SET failure_reason = 'edited' WHERE tx_ref = ?",
        "UPDATE holds SET status = 'posted' WHERE tx_ref = ?",
      ]) {
        try {
          state.storage.transactionSync(() => state.storage.sql.exec(statement, tx_ref));
          out.push("committed");
        } catch (error) {
          out.push((error as Error).message);
        }
      }
      return out;
    });
    expect(errors[0]).toContain("transaction_already_terminal");
    expect(errors[1]).toContain("hold_already_resolved");
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      failure_reason: "refused in a test",
    });
  });
});
