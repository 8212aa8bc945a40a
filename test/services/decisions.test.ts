/**
 * Operator decisions on held payments, through the real service, the real
 * Wallet object, the real routes that made the payments, and the provider
 * look-alikes (Flutterwave transfers, VTpass purchases) as the outside world.
 *
 * A withdrawal stays pending at the Flutterwave look-alike (tests settle its
 * transfers after an hour); a purchase to 201000000000 stays pending at the
 * VTpass look-alike (its delivery time moved an hour ahead here). "The
 * provider knows the answer but has not told us" is written into the
 * look-alike's own storage, without its webhook or callback: what a requery
 * then finds is that answer.
 */
import {
  createExecutionContext,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Wallet } from "../../src/durable/wallet/object";
import { randomBase32 } from "../../src/lib/ids";
import { SANDBOX_OBJECT_NAME } from "../../src/sandbox/flutterwave/paths";
import { VTPASS_OBJECT_NAME } from "../../src/sandbox/vtpass/paths";
import { decideHeldPayment, type DecideHeldPaymentInput } from "../../src/services/decisions";
import { flutterwaveControl, passDeadline, served } from "../support/faults";
import {
  api,
  authedJson,
  eventually,
  expectLedgerConsistent,
  fundedWallet,
  loadMongoDriverFirst,
  runReconciler,
} from "../support/helpers";
import { buyAirtime, uniqueNaira, vtpassSettles, type Purchase } from "../support/purchases";
import { ticketFor, watch } from "../support/realtime";

const START_MINOR = 500_000;
const AMOUNT_MINOR = 100_000;
/** Enough for any amount uniqueNaira picks. */
const PURCHASE_START_MINOR = 5_000_000;
/** Pending at the VTpass look-alike until settled. */
const PENDING_AT_FIRST = "201000000000";

type Stub = DurableObjectStub<Wallet>;

// The first test makes timed provider calls right after its first wallet (helpers.ts says why).
loadMongoDriverFirst();

async function accepted<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`expected 202, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function decide(input: DecideHeldPaymentInput) {
  const ctx = createExecutionContext();
  const result = await decideHeldPayment(env, ctx, input);
  await waitOnExecutionContext(ctx);
  return result;
}

/** A withdrawal sent to the Flutterwave look-alike, still pending there, escalated past its deadline. */
async function escalatedWithdrawal() {
  const w = await fundedWallet(START_MINOR);
  const narration = `decide-${randomBase32(12)}`;
  const tx = await accepted<{ tx_ref: string; stage: string }>(
    await api(
      "/wallet/withdraw",
      authedJson(w.auth, {
        account_bank: "044",
        account_number: "0690000031",
        amount: String(AMOUNT_MINOR / 100),
        narration,
      }),
    ),
  );
  expect(tx.stage).toBe("submitted");
  await passDeadline(w.stub, tx.tx_ref);
  await runReconciler(w.stub); // the look-alike still says NEW: escalated
  const escalated = (await w.stub.getTransaction(tx.tx_ref))!;
  expect(escalated).toMatchObject({ status: "PENDING", escalated_at_ms: expect.any(Number) });
  return { ...w, tx: escalated, narration };
}

/** A purchase pending at the VTpass look-alike (delivery an hour away), escalated past its deadline. */
async function escalatedPurchase() {
  const w = await fundedWallet(PURCHASE_START_MINOR);
  const naira = uniqueNaira();
  const p = await accepted<Purchase>(
    await buyAirtime(w.auth, { phone: PENDING_AT_FIRST, amount: naira, network: "mtn" }),
  );
  expect(p).toMatchObject({ status: "PENDING", stage: "submitted" });
  const request_id = (await w.stub.getTransaction(p.tx_ref))!.provider_ref!;
  await vtpassSays(request_id, "pending");
  await passDeadline(w.stub, p.tx_ref);
  await runReconciler(w.stub);
  const escalated = (await w.stub.getTransaction(p.tx_ref))!;
  expect(escalated).toMatchObject({ status: "PENDING", escalated_at_ms: expect.any(Number) });
  return { ...w, tx: escalated, request_id, amount_minor: Number(naira) * 100 };
}

/** What Flutterwave's records say about a transfer, without its webhook (yet). */
async function flutterwaveSays(tx_ref: string, status: "SUCCESSFUL" | "FAILED"): Promise<void> {
  await runInDurableObject(env.FLUTTERWAVE_SANDBOX!.getByName(SANDBOX_OBJECT_NAME), (_o, state) => {
    state.storage.sql.exec(
      "UPDATE transfers SET status = ?, settled_at_ms = ? WHERE reference = ?",
      status,
      Date.now(),
      tx_ref,
    );
  });
}

/** What VTpass's records say about a purchase, without its callback (yet); `pending` keeps it pending for an hour. */
async function vtpassSays(
  request_id: string,
  status: "pending" | "delivered" | "failed",
): Promise<void> {
  await runInDurableObject(env.VTPASS_SANDBOX!.getByName(VTPASS_OBJECT_NAME), (_o, state) => {
    state.storage.sql.exec(
      "UPDATE purchases SET status = ?, deliver_at_ms = ?, settled_at_ms = ? WHERE request_id = ?",
      status,
      status === "pending" ? Date.now() + 3_600_000 : null,
      status === "pending" ? null : Date.now(),
      request_id,
    );
  });
}

/** Balance, holds and journal as they stand: compared before and after a refusal. */
async function ledgerOf(stub: Stub) {
  const audit = await expectLedgerConsistent(stub);
  return {
    balance_minor: audit.balance_minor,
    held_minor: audit.held_minor,
    journal_rows: audit.journal_rows,
  };
}

describe("an operator decides an escalated withdrawal the bank cannot answer for", () => {
  it("voids it: the hold is released, FAILED in voided_by_operator with the evidence, and the watcher hears it", async () => {
    const { stub, user_id, tx } = await escalatedWithdrawal();
    const watcher = await watch({ tx_ref: tx.tx_ref, ticket: await ticketFor(user_id, tx.tx_ref) });
    await watcher.status("PENDING");
    const feed_before = (await stub.changes(0)).length;

    const result = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "void",
      evidence: "Bank statement: transfer never credited (ticket 4411)",
      operator_id: "op-ada",
      expected_version: tx.version,
    });

    expect(result).toMatchObject({
      outcome: "decided",
      tx: { status: "FAILED", stage: "voided_by_operator", version: tx.version + 1 },
    });
    const after = (await stub.getTransaction(tx.tx_ref))!;
    expect(after.details).toMatchObject({
      operator_decision: "void",
      operator_id: "op-ada",
      operator_evidence: "Bank statement: transfer never credited (ticket 4411)",
    });
    expect(after.failure_reason).toMatch(/our team/);
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: START_MINOR,
      held_minor: 0,
      journal_rows: 1,
    });
    // On the feed (the one write path), and so to the Room and its watcher.
    const changes = await stub.changes(0);
    expect(changes.length).toBeGreaterThan(feed_before);
    expect(JSON.stringify(changes.slice(feed_before))).toContain("voided_by_operator");
    const frame = await watcher.status("FAILED");
    expect(frame).toMatchObject({ stage: "voided_by_operator", version: tx.version + 1 });
    expect(await env.ROOM.getByName(tx.tx_ref).snapshot()).toMatchObject({
      status: "FAILED",
      stage: "voided_by_operator",
    });
    watcher.close();
    // The requery found the transfer still pending at Flutterwave before deciding.
    expect((await served("flutterwave", "transfers.get", tx.provider_ref!)).count).toBeGreaterThan(
      0,
    );
  });

  it("after the void the bank says it paid: recorded as paid_after_void, nothing debited", async () => {
    const { stub, user_id, tx } = await escalatedWithdrawal();
    const voided = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "void",
      evidence: "Flutterwave support: failed",
      operator_id: "op-ada",
      expected_version: tx.version,
    });
    expect(voided.outcome).toBe("decided");
    // The real webhook, through the queue consumer, which verifies with the look-alike.
    await flutterwaveControl(`/transfers/${tx.provider_ref}/settle`, {
      body: { status: "SUCCESSFUL" },
    });
    await eventually(async () =>
      expect(await stub.anomalies()).toContainEqual(
        expect.objectContaining({ tx_ref: tx.tx_ref, kind: "paid_after_void" }),
      ),
    );
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
      status: "FAILED",
      stage: "voided_by_operator",
    });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: START_MINOR,
      held_minor: 0,
      journal_rows: 1,
    });
  });

  it("after a post the bank says it failed: recorded as failed_after_post, no second movement", async () => {
    const { stub, user_id, tx } = await escalatedWithdrawal();
    const posted = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "post",
      evidence: "Bank confirms credit, session id 0000123",
      operator_id: "op-bola",
      expected_version: tx.version,
      reference: tx.provider_ref!,
    });
    expect(posted).toMatchObject({
      outcome: "decided",
      tx: { status: "SUCCESS", stage: "posted_by_operator" },
    });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: START_MINOR - AMOUNT_MINOR,
      held_minor: 0,
      journal_rows: 2,
    });
    await flutterwaveControl(`/transfers/${tx.provider_ref}/settle`, {
      body: { status: "FAILED" },
    });
    await eventually(async () =>
      expect(await stub.anomalies()).toContainEqual(
        expect.objectContaining({ tx_ref: tx.tx_ref, kind: "failed_after_post" }),
      ),
    );
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
      status: "SUCCESS",
      stage: "posted_by_operator",
    });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: START_MINOR - AMOUNT_MINOR,
      held_minor: 0,
      journal_rows: 2,
    });
  });

  it("refuses with provider_answered when the bank has paid by the requery, and posts the bank's answer instead", async () => {
    const { stub, user_id, tx } = await escalatedWithdrawal();
    await flutterwaveSays(tx.tx_ref, "SUCCESSFUL");
    const result = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "void",
      evidence: "customer says nothing arrived",
      operator_id: "op-ada",
      expected_version: tx.version,
    });
    expect(result).toMatchObject({
      outcome: "provider_answered",
      tx: { status: "SUCCESS", stage: "settled" },
    });
    expect((await stub.getTransaction(tx.tx_ref))!.details).not.toHaveProperty("operator_decision");
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: START_MINOR - AMOUNT_MINOR,
      held_minor: 0,
      journal_rows: 2,
    });
  });
});

describe("an operator decides an escalated purchase the network cannot answer for", () => {
  it("posts it: debited once, SUCCESS in posted_by_operator", async () => {
    const { stub, user_id, tx, amount_minor } = await escalatedPurchase();
    const result = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "post",
      evidence: "MTN confirms the top-up reached the number",
      operator_id: "op-chi",
      expected_version: tx.version,
    });
    expect(result).toMatchObject({
      outcome: "decided",
      tx: { status: "SUCCESS", stage: "posted_by_operator" },
    });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: PURCHASE_START_MINOR - amount_minor,
      held_minor: 0,
      journal_rows: 2,
    });
    // Asking again changes nothing: it is final.
    const again = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "post",
      evidence: "MTN confirms the top-up reached the number",
      operator_id: "op-chi",
      expected_version: result.outcome === "decided" ? result.tx.version : 0,
    });
    expect(again).toEqual({ outcome: "refused", reason: "not_pending" });
    expect((await ledgerOf(stub)).journal_rows).toBe(2);
  });

  it("after a post VTpass says it failed: failed_after_post, no second movement", async () => {
    const { stub, user_id, tx, request_id, amount_minor } = await escalatedPurchase();
    const posted = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "post",
      evidence: "network confirms delivery",
      operator_id: "op-chi",
      expected_version: tx.version,
    });
    expect(posted.outcome).toBe("decided");
    await vtpassSettles(request_id, "failed"); // the real callback, verified by requery
    await eventually(async () =>
      expect(await stub.anomalies()).toContainEqual(
        expect.objectContaining({ tx_ref: tx.tx_ref, kind: "failed_after_post" }),
      ),
    );
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({ stage: "posted_by_operator" });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: PURCHASE_START_MINOR - amount_minor,
      held_minor: 0,
      journal_rows: 2,
    });
  });

  it("after a void VTpass says delivered: paid_after_void, nothing debited", async () => {
    const { stub, user_id, tx, request_id } = await escalatedPurchase();
    const voided = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "void",
      evidence: "network says never delivered",
      operator_id: "op-chi",
      expected_version: tx.version,
    });
    expect(voided.outcome).toBe("decided");
    await vtpassSettles(request_id, "delivered");
    await eventually(async () =>
      expect(await stub.anomalies()).toContainEqual(
        expect.objectContaining({ tx_ref: tx.tx_ref, kind: "paid_after_void" }),
      ),
    );
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({ stage: "voided_by_operator" });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: PURCHASE_START_MINOR,
      held_minor: 0,
      journal_rows: 1,
    });
  });

  it("refuses with provider_answered when VTpass has failed it by the requery, and releases the money as VTpass said", async () => {
    const { stub, user_id, tx, request_id } = await escalatedPurchase();
    await vtpassSays(request_id, "failed");
    const result = await decide({
      user_id,
      tx_ref: tx.tx_ref,
      decision: "post",
      evidence: "customer says it arrived",
      operator_id: "op-chi",
      expected_version: tx.version,
    });
    expect(result).toMatchObject({
      outcome: "provider_answered",
      tx: { status: "FAILED", stage: "failed" },
    });
    expect(await ledgerOf(stub)).toEqual({
      balance_minor: PURCHASE_START_MINOR,
      held_minor: 0,
      journal_rows: 1,
    });
  });
});

describe("refused decisions change nothing", () => {
  it("version_changed, not_found and not_decidable leave balance, holds and journal alone", async () => {
    const { stub, user_id, tx, auth } = await escalatedWithdrawal();
    const before = await ledgerOf(stub);
    const base = {
      user_id,
      tx_ref: tx.tx_ref,
      decision: "void" as const,
      evidence: "bank says failed",
      operator_id: "op-ada",
    };
    const gets_before = (await served("flutterwave", "transfers.get", tx.provider_ref!)).count;
    expect(await decide({ ...base, expected_version: tx.version - 1 })).toEqual({
      outcome: "refused",
      reason: "version_changed",
    });
    expect(await decide({ ...base, tx_ref: `${tx.tx_ref}x`, expected_version: 1 })).toEqual({
      outcome: "refused",
      reason: "not_found",
    });
    // Refused before asking the provider.
    expect((await served("flutterwave", "transfers.get", tx.provider_ref!)).count).toBe(
      gets_before,
    );
    expect(await stub.getTransaction(tx.tx_ref)).toEqual(tx);
    expect(await ledgerOf(stub)).toEqual(before);

    // A withdrawal neither escalated nor overdue: the provider still has time.
    const fresh = await accepted<{ tx_ref: string }>(
      await api(
        "/wallet/withdraw",
        authedJson(auth, {
          account_bank: "044",
          account_number: "0690000031",
          amount: "1000",
          narration: `fresh-${randomBase32(12)}`,
        }),
      ),
    );
    const fresh_tx = (await stub.getTransaction(fresh.tx_ref))!;
    const with_fresh = await ledgerOf(stub);
    expect(
      await decide({ ...base, tx_ref: fresh.tx_ref, expected_version: fresh_tx.version }),
    ).toEqual({ outcome: "refused", reason: "not_decidable" });
    // The Wallet refuses it too, on its own, whoever calls it.
    expect(
      await stub.decideHeld({
        tx_ref: fresh.tx_ref,
        decision: "post",
        evidence: "x",
        operator_id: "op",
        expected_version: fresh_tx.version,
      }),
    ).toMatchObject({ outcome: "refused", reason: "not_decidable" });
    expect(await stub.getTransaction(fresh.tx_ref)).toEqual(fresh_tx);
    expect(await ledgerOf(stub)).toEqual(with_fresh);
  });
});
