/**
 * Operators' acts at the Wallet object: adjustments, four eyes, freezes and
 * the append-only audit log, each through the object's RPC (never mocked),
 * and a property: random sequences of acts never create or destroy money.
 */
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Actor } from "../../../src/domain/acts";
import { OPS_PROPOSAL_TTL_S_DEFAULT } from "../../../src/lib/limits";
import { adjust } from "../../../src/durable/wallet/adjustments";
import type { WalletCore } from "../../../src/durable/wallet/core";
import { expectLedgerConsistent, fundedWallet, newWallet } from "../../support/helpers";

const alice: Actor = { id: "alice@ops.test", role: "operator" };
const bob: Actor = { id: "bob@ops.test", role: "approver" };
const carol: Actor = { id: "carol@ops.test", role: "approver" };
const viewer: Actor = { id: "vic@ops.test", role: "viewer" };
const note = {
  reason_code: "goodwill" as const,
  reason: "ticket 42",
  user_note: "Sorry for the delay",
};
const THRESHOLD = 50_000_00;

describe("Wallet: adjustments under four eyes", () => {
  it("executes an operator's small credit at once as an ADJUSTMENT, on the feed and in the audit log", async () => {
    const { stub } = await newWallet();
    const done = await stub.adjust(alice, { ...note, direction: "credit", amount_minor: 1_000_00 });
    expect(done.outcome).toBe("executed");
    if (done.outcome !== "executed") return;
    expect(done.tx).toMatchObject({ type: "ADJUSTMENT", status: "SUCCESS", stage: "credited" });
    expect(done.tx.details).toEqual({ reason_code: "goodwill", note: "Sorry for the delay" });
    expect(await stub.summary()).toMatchObject({ balance_minor: 1_000_00 });
    const log = await stub.auditLog({ limit: 10 });
    expect(log?.data.map((e) => [e.action, e.operator_id, e.target])).toEqual([
      ["executed", alice.id, "adjust_credit"],
    ]);
    expect(log?.data[0].after).toMatchObject({ balance_minor: 1_000_00, tx_ref: done.tx.tx_ref });
    const entities = (await stub.changes(0, 100)).map((c) => c.entity);
    expect(entities).toContain("audit");
    expect(entities.filter((e) => e === "transaction")).toHaveLength(2);
    await expectLedgerConsistent(stub);
  });

  it("makes a credit above the threshold a proposal that another approver executes once", async () => {
    const { stub } = await newWallet();
    const proposed = await stub.adjust(alice, {
      ...note,
      direction: "credit",
      amount_minor: THRESHOLD + 1,
    });
    expect(proposed.outcome).toBe("proposed");
    if (proposed.outcome !== "proposed") return;
    expect(proposed.proposal.id).toMatch(/^prp_[0-9a-z]{24}$/);
    expect((await stub.summary())?.balance_minor).toBe(0);
    const approved = await stub.approveProposal(bob, proposed.proposal.id, "checked");
    expect(approved.outcome).toBe("executed");
    expect((await stub.summary())?.balance_minor).toBe(THRESHOLD + 1);
    // A replayed approval is refused by name and moves no money.
    const again = await stub.approveProposal(carol, proposed.proposal.id, "again");
    expect(again).toMatchObject({ outcome: "refused", refusal: "proposal_not_pending" });
    expect((await stub.summary())?.balance_minor).toBe(THRESHOLD + 1);
    const actions = (await stub.auditLog({ limit: 10 }))?.data.map((e) => e.action).reverse();
    expect(actions).toEqual(["proposed", "approved", "executed", "refused"]);
    await expectLedgerConsistent(stub);
  });

  it("refuses self-approval, a non-approver and a viewer, and records each refusal", async () => {
    const { stub } = await fundedWallet(10_000_00);
    const proposed = await stub.adjust(bob, { ...note, direction: "debit", amount_minor: 100 });
    if (proposed.outcome !== "proposed") throw new Error(proposed.outcome);
    expect(await stub.approveProposal(bob, proposed.proposal.id, "")).toMatchObject({
      refusal: "self_approval",
    });
    expect(await stub.approveProposal(alice, proposed.proposal.id, "")).toMatchObject({
      refusal: "role_required",
    });
    expect(await stub.adjust(viewer, { ...note, direction: "credit", amount_minor: 1 })).toEqual({
      outcome: "role_required",
    });
    expect(await stub.rejectProposal(alice, proposed.proposal.id, "")).toMatchObject({
      refusal: "role_required",
    });
    expect((await stub.summary())?.balance_minor).toBe(10_000_00);
    expect(await stub.rejectProposal(carol, proposed.proposal.id, "not needed")).toMatchObject({
      outcome: "rejected",
    });
    expect(await stub.approveProposal(carol, proposed.proposal.id, "")).toMatchObject({
      refusal: "proposal_not_pending",
    });
    const actions = (await stub.auditLog({ limit: 10 }))?.data.map((e) => e.action).reverse();
    expect(actions).toEqual(["proposed", "refused", "refused", "rejected", "refused"]);
  });

  it("never debits below what is available: refused when proposed, and again at approval", async () => {
    const { stub } = await fundedWallet(1_000_00);
    expect(
      await stub.adjust(alice, { ...note, direction: "debit", amount_minor: 1_000_01 }),
    ).toEqual({
      outcome: "insufficient_funds",
      available_minor: 1_000_00,
      required_minor: 1_000_01,
    });
    const proposed = await stub.adjust(alice, {
      ...note,
      direction: "debit",
      amount_minor: 800_00,
    });
    if (proposed.outcome !== "proposed") throw new Error(proposed.outcome);
    const other = await stub.adjust(alice, { ...note, direction: "debit", amount_minor: 800_00 });
    if (other.outcome !== "proposed") throw new Error(other.outcome);
    expect((await stub.approveProposal(bob, proposed.proposal.id, "")).outcome).toBe("executed");
    expect(await stub.approveProposal(bob, other.proposal.id, "")).toMatchObject({
      refusal: "insufficient_funds",
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: 200_00 });
    await expectLedgerConsistent(stub);
  });

  it("refuses an expired proposal and records it as expired", async () => {
    const { stub } = await fundedWallet(1_000_00);
    const created_ms = Date.now() - OPS_PROPOSAL_TTL_S_DEFAULT * 1000 - 1;
    // Proposed a TTL ago: the object's own code, at an earlier instant.
    const id = await runInDurableObject(stub, (instance) => {
      const core = (instance as unknown as { core: WalletCore }).core;
      const out = adjust(
        core,
        alice,
        { ...note, direction: "debit", amount_minor: 100 },
        { tx_ref: `adj_${"0".repeat(22)}_x`, proposal_id: "prp_expiredexpiredexpired00" },
        { threshold_minor: THRESHOLD, ttl_ms: OPS_PROPOSAL_TTL_S_DEFAULT * 1000 },
        created_ms,
      );
      if (out.outcome !== "proposed") throw new Error(out.outcome);
      return out.proposal.id;
    });
    expect(await stub.approveProposal(bob, id, "")).toMatchObject({ refusal: "proposal_expired" });
    expect(await stub.proposal(id)).toMatchObject({ status: "expired" });
    expect(await stub.approveProposal(bob, id, "")).toMatchObject({
      refusal: "proposal_not_pending",
    });
    expect((await stub.summary())?.balance_minor).toBe(1_000_00);
  });

  it("binds a proposal to its transaction's version: approval is refused once it changed", async () => {
    const { stub, user_id } = await fundedWallet(1_000_00);
    const { newTxRef } = await import("../../../src/lib/ids");
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      tx_ref,
      type: "WITHDRAW",
      amount_minor: 100_00,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    const proposed = await stub.proposeAct(alice, {
      kind: "decide",
      tx_ref,
      amount_minor: 100_00,
      payload: { decision: "fail" },
      reason: "held too long",
    });
    if (proposed.outcome !== "proposed") throw new Error(proposed.outcome);
    expect(proposed.proposal).toMatchObject({ tx_ref, tx_version: 1 });
    await stub.claimSubmission(tx_ref);
    expect(await stub.approveProposal(bob, proposed.proposal.id, "")).toMatchObject({
      refusal: "transaction_changed",
    });
  });

  it("the two-step shape: a provider kind is claimed once, then its result recorded", async () => {
    const { stub, user_id } = await fundedWallet(1_000_00);
    const { newTxRef } = await import("../../../src/lib/ids");
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      tx_ref,
      type: "WITHDRAW",
      amount_minor: 100_00,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    const proposed = await stub.proposeAct(alice, {
      kind: "decide",
      tx_ref,
      amount_minor: 100_00,
      payload: {},
      reason: "r",
    });
    if (proposed.outcome !== "proposed") throw new Error(proposed.outcome);
    const claimed = await stub.approveProposal(bob, proposed.proposal.id, "ok");
    expect(claimed).toMatchObject({
      outcome: "claimed",
      proposal: { status: "approved", decided_by: bob.id },
    });
    expect(await stub.approveProposal(carol, proposed.proposal.id, "")).toMatchObject({
      refusal: "proposal_not_pending",
    });
    const recorded = await stub.recordProposalResult(bob, proposed.proposal.id, {
      ok: false,
      reason: "provider said no",
    });
    expect(recorded).toMatchObject({
      outcome: "recorded",
      proposal: { status: "failed", result: { error: "provider said no" } },
    });
    expect(
      (await stub.recordProposalResult(bob, proposed.proposal.id, { ok: true, result: {} }))
        .outcome,
    ).toBe("refused");
  });
});

describe("Wallet: freezes", () => {
  it("no_debit refuses holds, full refuses fundings too; in-flight payments still settle", async () => {
    const { stub, user_id } = await fundedWallet(1_000_00);
    const { newTxRef } = await import("../../../src/lib/ids");
    const inflight = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      tx_ref: inflight,
      type: "WITHDRAW",
      amount_minor: 100_00,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    const frozen = await stub.freeze(alice, {
      mode: "no_debit",
      reason: "Under review",
      internal_reason: "fraud signal",
    });
    expect(frozen.outcome).toBe("frozen");
    expect((await stub.summary())?.frozen).toEqual({ mode: "no_debit", reason: "Under review" });
    const held = {
      type: "WITHDRAW" as const,
      amount_minor: 100,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    };
    expect(await stub.openHeld({ ...held, tx_ref: newTxRef("WITHDRAW", user_id) })).toEqual({
      outcome: "frozen",
      mode: "no_debit",
      reason: "Under review",
    });
    const funding = {
      amount_minor: 100,
      currency: "NGN",
      pending_max: 10,
      deadline_at_ms: Date.now() + 60_000,
    };
    expect(
      (await stub.openFunding({ ...funding, tx_ref: newTxRef("FUND", user_id) })).outcome,
    ).toBe("opened");
    await stub.freeze(alice, { mode: "full", reason: "Closed", internal_reason: "court order" });
    expect(
      (await stub.openFunding({ ...funding, tx_ref: newTxRef("FUND", user_id) })).outcome,
    ).toBe("frozen");
    // The withdrawal in flight still settles: nothing is lost.
    await stub.claimSubmission(inflight);
    const settled = await stub.applyProviderFacts(
      inflight,
      {
        found: true,
        provider_ref: "t1",
        our_ref: inflight,
        outcome: "succeeded",
        amount_minor: 100_00,
        currency: "NGN",
        message: null,
      },
      { via: "webhook" },
    );
    expect(settled.outcome).toBe("debited");
    expect(await stub.unfreeze(viewer, { reason: "x" })).toEqual({ outcome: "role_required" });
    expect((await stub.unfreeze(alice, { reason: "cleared" })).outcome).toBe("unfrozen");
    expect((await stub.summary())?.frozen).toBeNull();
    const actions = (await stub.auditLog({ limit: 10 }))?.data.map((e) => e.action).reverse();
    expect(actions).toEqual(["freeze", "freeze", "unfreeze"]);
    await expectLedgerConsistent(stub);
  });

  it("storage refuses editing or deleting the audit log and deciding a proposal twice", async () => {
    const { stub } = await newWallet();
    const proposed = await stub.adjust(alice, {
      ...note,
      direction: "credit",
      amount_minor: THRESHOLD + 1,
    });
    if (proposed.outcome !== "proposed") throw new Error(proposed.outcome);
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      expect(() => sql.exec("UPDATE audit_log SET reason = 'edited'")).toThrow(
        /audit_log_append_only/,
      );
      expect(() => sql.exec("DELETE FROM audit_log")).toThrow(/audit_log_append_only/);
      expect(() => sql.exec("UPDATE proposals SET amount_minor = 1")).toThrow(
        /proposal_already_decided/,
      );
      sql.exec("UPDATE proposals SET status = 'rejected'");
      expect(() => sql.exec("UPDATE proposals SET status = 'executed'")).toThrow(
        /proposal_already_decided/,
      );
    });
  });
});

describe("Wallet: acts never create or destroy money (property)", () => {
  type Step =
    | { op: "adjust"; direction: "credit" | "debit"; amount_minor: number; by: Actor }
    | { op: "approve" | "reject"; pick: number; by: Actor }
    | { op: "freeze"; mode: "no_debit" | "full" }
    | { op: "unfreeze" };
  const actor = fc.constantFrom(alice, bob, carol, viewer);
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      op: fc.constant("adjust" as const),
      direction: fc.constantFrom("credit" as const, "debit" as const),
      amount_minor: fc.oneof(
        fc.integer({ min: 1, max: 5_000_00 }),
        fc.integer({ min: THRESHOLD, max: THRESHOLD + 10 }),
      ),
      by: actor,
    }),
    fc.record({
      op: fc.constantFrom("approve" as const, "reject" as const),
      pick: fc.nat(20),
      by: actor,
    }),
    fc.record({
      op: fc.constant("freeze" as const),
      mode: fc.constantFrom("no_debit" as const, "full" as const),
    }),
    fc.record({ op: fc.constant("unfreeze" as const) }),
  );

  it("journal equals balance; every ADJUSTMENT has its audit entry, and its approval when it needed one", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const { stub } = await fundedWallet(20_000_00);
        const ids: string[] = [];
        let expected = 20_000_00;
        for (const s of steps) {
          if (s.op === "adjust") {
            const out = await stub.adjust(s.by, {
              ...note,
              direction: s.direction,
              amount_minor: s.amount_minor,
            });
            if (out.outcome === "proposed") ids.push(out.proposal.id);
            if (out.outcome === "executed")
              expected += s.direction === "credit" ? s.amount_minor : -s.amount_minor;
          } else if (s.op === "approve" || s.op === "reject") {
            if (ids.length === 0) continue;
            const id = ids[s.pick % ids.length];
            if (s.op === "reject") await stub.rejectProposal(s.by, id, "no");
            else {
              const out = await stub.approveProposal(s.by, id, "yes");
              if (out.outcome === "executed")
                expected +=
                  out.proposal.kind === "adjust_credit"
                    ? out.proposal.amount_minor
                    : -out.proposal.amount_minor;
            }
          } else if (s.op === "freeze")
            await stub.freeze(alice, { mode: s.mode, reason: "r", internal_reason: "i" });
          else await stub.unfreeze(alice, { reason: "r" });
        }
        const audit = await expectLedgerConsistent(stub);
        expect(audit.balance_minor).toBe(expected);
        const adjustments = await stub.listTransactions({ limit: 100, type: "ADJUSTMENT" });
        if (!adjustments.ok) throw new Error("list");
        const log = (await stub.auditLog({ limit: 200 }))?.data ?? [];
        for (const tx of adjustments.data) {
          const executed = log.filter(
            (e) => e.action === "executed" && e.after.tx_ref === tx.tx_ref,
          );
          expect(executed).toHaveLength(1);
          const proposal_id = executed[0].proposal_id;
          if (tx.amount_minor > THRESHOLD || tx.stage === "debited") {
            expect(proposal_id).not.toBeNull();
            const approval = log.find(
              (e) => e.action === "approved" && e.proposal_id === proposal_id,
            );
            const proposal = log.find(
              (e) => e.action === "proposed" && e.proposal_id === proposal_id,
            );
            expect(approval?.operator_role).toBe("approver");
            expect(approval?.operator_id).not.toBe(proposal?.operator_id);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
