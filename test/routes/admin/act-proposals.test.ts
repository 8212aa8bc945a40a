/**
 * Deciding held payments and settling money owed, proposed and approved
 * through the real routes under four eyes: operators signed in through the
 * Access look-alike, the Flutterwave look-alike as the outside world.
 *
 * Proves: a void proposed by one operator is refused to its proposer, a
 * viewer and the script token, executed by an approver (FAILED, the hold
 * released, every step audited with its evidence) and never twice; what can
 * never be decided is refused at proposal time; a provider that answered
 * before approval wins (409 provider_answered or transaction_changed) and its
 * answer stands; an approved refund is sent once (the look-alike's count),
 * also when the approval is replayed; more than owed is refused before any
 * call; a credit instead credits the excess once and closes the anomaly, and
 * a refund after it is refused.
 */
import { describe, expect, it } from "vitest";
import { randomBase32 } from "../../../src/lib/ids";
import {
  escalatedWithdrawal,
  flutterwaveSays,
  START_MINOR,
  AMOUNT_MINOR,
} from "../../support/decisions";
import {
  api,
  authedJson,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  loadMongoDriverFirst,
  runReconciler,
} from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS, operatorHeaders } from "../../support/operators";
import { paidFunding, sandboxRefunds } from "../../support/refunds";

loadMongoDriverFirst();

const unique = (who: string) => `${who}-${crypto.randomUUID().slice(0, 8)}@ops.test`;

async function send(path: string, headers: Record<string, string>, body: unknown = {}) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

type ProposalAnswer = {
  id: string;
  kind: string;
  status: string;
  tx_version: number;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
};

async function proposed(res: Response): Promise<ProposalAnswer> {
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return JSON.parse(text) as ProposalAnswer;
}

const decisionPath = (user_id: string, tx_ref: string) =>
  `/admin/wallets/${user_id}/transactions/${tx_ref}/decision`;
const approvePath = (user_id: string, id: string) =>
  `/admin/wallets/${user_id}/proposals/${id}/approve`;
const settlementPath = (user_id: string, a: { tx_ref: string; kind: string }) =>
  `/admin/wallets/${user_id}/anomalies/${a.tx_ref}/${a.kind}/settlement`;

describe("deciding a held payment under four eyes", () => {
  it("a void proposed by A: refused to A, a viewer and the script token; approved by B, FAILED, the hold released, audited, never twice", async () => {
    const w = await escalatedWithdrawal();
    // A may approve others' proposals, never their own.
    const alice = await operatorHeaders(unique("alice"), "approver");
    const olga = await operatorHeaders(unique("olga"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");
    const viewer = await operatorHeaders(unique("vera"), "viewer");
    const evidence = "Flutterwave support: transfer never left";
    const proposal = await proposed(
      await send(decisionPath(w.user_id, w.tx_ref), alice, { decision: "void", evidence }),
    );
    expect(proposal).toMatchObject({
      kind: "decide",
      status: "pending",
      payload: { decision: "void", evidence },
    });
    // Nothing moved by a proposal.
    expect((await w.stub.getTransaction(w.tx_ref))!.status).toBe("PENDING");

    const path = approvePath(w.user_id, proposal.id);
    expect((await expectProblem(await send(path, alice), 403)).code).toBe("self_approval");
    await expectProblem(await send(path, olga), 403);
    await expectProblem(await send(path, viewer), 403);
    await expectProblem(await send(path, ADMIN_TOKEN_HEADERS), 403);
    await expectProblem(await send(path, {}), 401);
    expect((await w.stub.getTransaction(w.tx_ref))!.status).toBe("PENDING");

    const res = await send(path, bob, { reason: "checked with the bank" });
    const approved = (await res.json()) as ProposalAnswer;
    expect(res.status).toBe(200);
    expect(approved).toMatchObject({
      status: "executed",
      result: { tx_ref: w.tx_ref, status: "FAILED", stage: "voided_by_operator", decision: "void" },
    });
    const tx = (await w.stub.getTransaction(w.tx_ref))!;
    expect(tx).toMatchObject({ status: "FAILED", stage: "voided_by_operator" });
    const ledger = await expectLedgerConsistent(w.stub);
    expect(ledger).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });

    // A replayed approval decides nothing again.
    expect((await expectProblem(await send(path, bob), 409)).code).toBe("proposal_not_pending");
    expect(await expectLedgerConsistent(w.stub)).toMatchObject({ balance_minor: START_MINOR });

    const log = (await (
      await api(`/admin/wallets/${w.user_id}/audit-log`, { headers: viewer })
    ).json()) as {
      data: { action: string; proposal_id: string | null; evidence: string | null }[];
    };
    const mine = log.data.filter((e) => e.proposal_id === proposal.id).map((e) => e.action);
    expect(mine).toEqual(expect.arrayContaining(["proposed", "approved", "executed", "refused"]));
    expect(log.data.find((e) => e.action === "executed")?.evidence).toBe(evidence);

    // Final now: a new proposal is refused before anyone is asked.
    const again = await send(decisionPath(w.user_id, w.tx_ref), alice, {
      decision: "post",
      evidence: "ref",
    });
    expect((await expectProblem(again, 409)).code).toBe("not_pending");
  });

  it("refuses at proposal time what can never be decided: not a held payment, not overdue, unknown", async () => {
    const w = await fundedWallet(START_MINOR);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const res = await api(
      "/wallet/withdraw",
      authedJson(w.auth, {
        account_bank: "044",
        account_number: "0690000031",
        amount: "1000",
        narration: `fresh-${randomBase32(8)}`,
      }),
    );
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const body = { decision: "void", evidence: "the bank's word" };
    expect(
      (await expectProblem(await send(decisionPath(w.user_id, tx_ref), alice, body), 409)).code,
    ).toBe("not_decidable");
    const listed = await w.stub.listTransactions({ limit: 10, type: "FUND" });
    if (!listed.ok) throw new Error("listing failed");
    const funding = listed.data[0]!;
    await expectProblem(await send(decisionPath(w.user_id, funding.tx_ref), alice, body), 404);
    await expectProblem(await send(decisionPath(w.user_id, `${tx_ref}X`), alice, body), 404);
    await expectProblem(
      await send(decisionPath(w.user_id, tx_ref), alice, { decision: "void", evidence: " " }),
      422,
    );
    const viewer = await operatorHeaders(unique("vera"), "viewer");
    await expectProblem(await send(decisionPath(w.user_id, tx_ref), viewer, body), 403);
    await expectProblem(
      await send(decisionPath(w.user_id, tx_ref), ADMIN_TOKEN_HEADERS, body),
      403,
    );
    expect(await w.stub.proposals({ limit: 10 })).toEqual([]);
  });

  it("the provider answered before approval: its answer stands (provider_answered at the requery, transaction_changed once applied)", async () => {
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");

    // Paid at the bank, not told yet: the requery at approval finds it.
    const paid = await escalatedWithdrawal();
    const p1 = await proposed(
      await send(decisionPath(paid.user_id, paid.tx_ref), alice, {
        decision: "void",
        evidence: "customer says nothing arrived",
      }),
    );
    await flutterwaveSays(paid.tx_ref, "SUCCESSFUL");
    const answered = await expectProblem(await send(approvePath(paid.user_id, p1.id), bob), 409);
    expect(answered).toMatchObject({ code: "provider_answered", status: 409 });
    expect(answered).toMatchObject({
      transaction: { tx_ref: paid.tx_ref, status: "SUCCESS", stage: "settled" },
    });
    expect(await paid.stub.getTransaction(paid.tx_ref)).toMatchObject({ status: "SUCCESS" });
    expect(await expectLedgerConsistent(paid.stub)).toMatchObject({
      balance_minor: START_MINOR - AMOUNT_MINOR,
      held_minor: 0,
    });
    expect((await paid.stub.proposal(p1.id))!.status).toBe("failed");

    // Failed at the bank and applied by the reconciler: the version moved.
    const failed = await escalatedWithdrawal();
    const p2 = await proposed(
      await send(decisionPath(failed.user_id, failed.tx_ref), alice, {
        decision: "post",
        evidence: "FLW-REF-1",
      }),
    );
    await flutterwaveSays(failed.tx_ref, "FAILED");
    await runReconciler(failed.stub);
    const changed = await expectProblem(await send(approvePath(failed.user_id, p2.id), bob), 409);
    expect(changed.code).toBe("transaction_changed");
    const tx = (await failed.stub.getTransaction(failed.tx_ref))!;
    expect(tx.status).toBe("FAILED");
    expect(tx.stage).not.toBe("posted_by_operator");
    expect(await expectLedgerConsistent(failed.stub)).toMatchObject({
      balance_minor: START_MINOR,
      held_minor: 0,
    });
  });
});

describe("settling money owed under four eyes", () => {
  it("a refund of an overpayment's excess is sent once, also when the approval is replayed", async () => {
    const w = await paidFunding(150_000, 2000);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");
    const p = await proposed(
      await send(settlementPath(w.user_id, w.anomaly), alice, {
        action: "refund",
        ref: w.charge_id,
      }),
    );
    expect(p).toMatchObject({ kind: "refund", payload: { anomaly: w.anomaly } });
    expect(await sandboxRefunds(w.charge_id)).toHaveLength(0);
    const before = await expectLedgerConsistent(w.stub);

    const res = await send(approvePath(w.user_id, p.id), bob);
    expect(res.status).toBe(200);
    const approved = (await res.json()) as ProposalAnswer;
    expect(approved).toMatchObject({
      status: "executed",
      result: { type: "REFUND", amount_minor: 50_000 },
    });
    const refunds = await sandboxRefunds(w.charge_id);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount_refunded).toBe(500);

    expect((await expectProblem(await send(approvePath(w.user_id, p.id), bob), 409)).code).toBe(
      "proposal_not_pending",
    );
    expect(await sandboxRefunds(w.charge_id)).toHaveLength(1);
    // A refund of money never credited moves no wallet money.
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(before.balance_minor);
    // And a second proposal for the same anomaly is refused before anyone approves it.
    const second = await send(settlementPath(w.user_id, w.anomaly), alice, {
      action: "refund",
      ref: w.charge_id,
    });
    expect([404, 409]).toContain(second.status);
    await expectProblem(second, second.status);
  });

  it("refuses at proposal time more than owed and an anomaly that is not open; at approval, more than owed then", async () => {
    const w = await paidFunding(150_000, 2000);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");
    const tooMuch = await send(settlementPath(w.user_id, w.anomaly), alice, {
      action: "refund",
      ref: w.charge_id,
      amount: "1000",
    });
    expect(await expectProblem(tooMuch, 422)).toMatchObject({
      code: "amount_too_large",
      owed_minor: 50_000,
    });
    await expectProblem(
      await send(settlementPath(w.user_id, { ...w.anomaly, kind: "paid_twice" }), alice, {
        action: "refund",
        ref: w.charge_id,
      }),
      404,
    );
    await expectProblem(
      await send(settlementPath(w.user_id, w.anomaly), alice, { action: "refund", ref: "999999" }),
      404,
    );
    // A proposal for more than owed made past the route (as a stale console could): the
    // executor reads the charge again at approval and refuses before any refund is sent.
    const stale = await w.stub.proposeAct(
      { id: "op-stale", role: "operator" },
      {
        kind: "refund",
        tx_ref: w.anomaly.tx_ref,
        amount_minor: 100_000,
        payload: { anomaly: w.anomaly, amount_minor: 100_000 },
        reason: "stale",
      },
    );
    if (stale.outcome !== "proposed") throw new Error(stale.outcome);
    const problem = await expectProblem(
      await send(approvePath(w.user_id, stale.proposal.id), bob),
      422,
    );
    expect(problem).toMatchObject({ code: "amount_too_large", owed_minor: 50_000 });
    expect(await sandboxRefunds(w.charge_id)).toHaveLength(0);
    expect((await w.stub.proposal(stale.proposal.id))!.status).toBe("failed");
  });

  it("credits the excess to the wallet instead, once; a refund after it is refused", async () => {
    const w = await paidFunding(150_000, 2000);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");
    const before = await expectLedgerConsistent(w.stub);
    const p = await proposed(
      await send(settlementPath(w.user_id, w.anomaly), alice, {
        action: "credit",
        ref: w.charge_id,
      }),
    );
    expect(p.kind).toBe("credit_excess");
    const res = await send(approvePath(w.user_id, p.id), bob);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "executed",
      result: { type: "REFUND", status: "SUCCESS" },
    });
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(
      before.balance_minor + 50_000,
    );
    expect(await w.stub.anomalySettlement(w.anomaly)).toMatchObject({
      resolved_at_ms: expect.any(Number),
    });
    const refund = await send(settlementPath(w.user_id, w.anomaly), alice, {
      action: "refund",
      ref: w.charge_id,
    });
    expect([404, 409]).toContain(refund.status);
    await expectProblem(refund, refund.status);
    expect(await sandboxRefunds(w.charge_id)).toHaveLength(0);
    expect((await expectLedgerConsistent(w.stub)).balance_minor).toBe(
      before.balance_minor + 50_000,
    );
  });
});
