/**
 * The Wallet object's operator decisions (decideHeld, src/durable/wallet/decisions.ts), at the
 * object: the race the version check closes, the refusals that need a state
 * the routes cannot make, and a property (fast-check, seeded) over random
 * interleavings of provider answers (as the queue consumer applies them),
 * operator decisions and reconciler runs (the real alarm, asking the
 * look-alikes, which know none of these payments): money is never created or
 * destroyed, a hold is resolved once, and a definite provider answer is never
 * overridden.
 */
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FoundFacts } from "../../../src/domain/transactions";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef, randomBase32 } from "../../../src/lib/ids";
import { newRequestId } from "../../../src/providers/vtpass/request-id";
import { passDeadline } from "../../support/faults";
import { expectLedgerConsistent, fundedWallet, runReconciler } from "../../support/helpers";

type Stub = DurableObjectStub<Wallet>;
type HeldType = "WITHDRAW" | "AIRTIME";
const START_MINOR = 1_000_000;

/** A held payment submitted to its provider, past its deadline (so an operator may decide it). */
async function submittedHeld(
  stub: Stub,
  user_id: string,
  type: HeldType,
  amount_minor: number,
  overdue = true,
) {
  const tx_ref = newTxRef(type, user_id);
  const opened = await stub.openHeld({
    tx_ref,
    type,
    amount_minor,
    fee_minor: 0,
    currency: "NGN",
    details: {},
    claim: true,
  });
  expect(opened.outcome).toBe("opened");
  // A reference the provider does not know: its look-alike answers "not found".
  const provider_ref =
    type === "AIRTIME" ? newRequestId(Date.now()) : `9${Math.floor(Math.random() * 1e9)}`;
  await stub.recordSubmitted(tx_ref, provider_ref);
  if (overdue) await passDeadline(stub, tx_ref);
  return { tx_ref, provider_ref, amount_minor, type };
}

function says(
  tx: { tx_ref: string; provider_ref: string; amount_minor: number },
  outcome: FoundFacts["outcome"],
): FoundFacts {
  return {
    found: true,
    provider_ref: tx.provider_ref,
    our_ref: tx.tx_ref,
    outcome,
    amount_minor: tx.amount_minor,
    currency: "NGN",
    message: null,
  };
}

describe("Wallet.decideHeld", () => {
  it("refuses a decision once a provider answer settled it (not_pending) or anything changed since it was seen (version_changed)", async () => {
    const { stub, user_id } = await fundedWallet(START_MINOR);
    const tx = await submittedHeld(stub, user_id, "WITHDRAW", 50_000);
    const seen = (await stub.getTransaction(tx.tx_ref))!;
    // The webhook lands after the operator's requery found nothing, before the decision.
    expect(
      (await stub.applyProviderFacts(tx.tx_ref, says(tx, "succeeded"), { via: "webhook" })).outcome,
    ).toBe("debited");
    const audit_before = await expectLedgerConsistent(stub);
    const result = await stub.decideHeld({
      tx_ref: tx.tx_ref,
      decision: "void",
      evidence: "bank says it failed",
      operator_id: "op-ada",
      expected_version: seen.version,
    });
    expect(result).toMatchObject({ outcome: "refused", reason: "not_pending" });
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
      stage: "settled",
      status: "SUCCESS",
    });
    expect(await expectLedgerConsistent(stub)).toEqual(audit_before);

    // Still pending but changed since (an escalation, a reference): version_changed.
    const other = await submittedHeld(stub, user_id, "AIRTIME", 20_000);
    const before = (await stub.getTransaction(other.tx_ref))!;
    await runReconciler(stub); // not found past the deadline: escalated, a new version
    const escalated = (await stub.getTransaction(other.tx_ref))!;
    expect(escalated.version).toBeGreaterThan(before.version);
    const stale = await stub.decideHeld({
      tx_ref: other.tx_ref,
      decision: "post",
      evidence: "network confirms",
      operator_id: "op-ada",
      expected_version: before.version,
    });
    expect(stale).toMatchObject({ outcome: "refused", reason: "version_changed" });
    expect(await stub.getTransaction(other.tx_ref)).toEqual(escalated);
    expect(await expectLedgerConsistent(stub)).toMatchObject({ held_minor: 20_000 });
  });

  it("refuses a payment never submitted (hold_placed) and a decision without evidence, writing nothing", async () => {
    const { stub, user_id } = await fundedWallet(START_MINOR);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    await stub.openHeld({
      tx_ref,
      type: "WITHDRAW",
      amount_minor: 30_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    await passDeadline(stub, tx_ref);
    await runInDurableObject(stub, (_w, state) => {
      state.storage.sql.exec(
        "UPDATE transactions SET escalated_at_ms = ? WHERE tx_ref = ?",
        Date.now(),
        tx_ref,
      );
    });
    const held = (await stub.getTransaction(tx_ref))!;
    const audit = await expectLedgerConsistent(stub);
    const input = {
      tx_ref,
      decision: "post" as const,
      evidence: "bank ref 123",
      operator_id: "op-ada",
      expected_version: held.version,
    };
    expect(await stub.decideHeld(input)).toMatchObject({
      outcome: "refused",
      reason: "not_decidable",
    });

    const sent = await submittedHeld(stub, user_id, "WITHDRAW", 10_000);
    const sent_tx = (await stub.getTransaction(sent.tx_ref))!;
    for (const bad of [{ evidence: "   " }, { operator_id: "" }, { evidence: "x".repeat(501) }])
      expect(
        await stub.decideHeld({
          ...input,
          tx_ref: sent.tx_ref,
          expected_version: sent_tx.version,
          ...bad,
        }),
      ).toMatchObject({ outcome: "refused", reason: "invalid_input" });
    expect(await stub.getTransaction(tx_ref)).toEqual(held);
    expect(await stub.getTransaction(sent.tx_ref)).toEqual(sent_tx);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: audit.balance_minor,
      journal_rows: audit.journal_rows,
      held_minor: 40_000,
    });
  });
});

// ---- The property ---------------------------------------------------------------------------

const ANSWERS = ["succeeded", "failed", "pending", "reversed", "lost"] as const;
const Step = fc.oneof(
  fc.record({
    kind: fc.constant("answer" as const),
    i: fc.nat(2),
    answer: fc.constantFrom(...ANSWERS),
  }),
  fc.record({
    kind: fc.constant("decide" as const),
    i: fc.nat(2),
    decision: fc.constantFrom("post" as const, "void" as const),
    stale: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("reconcile" as const) }),
);
const Scenario = fc.record({
  txs: fc.array(
    fc.record({
      type: fc.constantFrom<HeldType>("WITHDRAW", "AIRTIME"),
      amount_minor: fc.integer({ min: 100, max: 200_000 }),
    }),
    { minLength: 3, maxLength: 3 },
  ),
  steps: fc.array(Step, { minLength: 1, maxLength: 8 }),
});

type ModelTx = {
  tx_ref: string;
  provider_ref: string;
  amount_minor: number;
  type: HeldType;
  stage: string;
  /** Debits and reversal credits the journal must hold for it. */
  journal_rows: number;
  /** The provider's first definite answer while it was PENDING: the stage it must end in. */
  provider_stage: string | null;
  anomalies: Set<string>;
};

const STATUS: Record<string, "PENDING" | "SUCCESS" | "FAILED"> = {
  submitted: "PENDING",
  settled: "SUCCESS",
  posted_by_operator: "SUCCESS",
  failed: "FAILED",
  reversed: "FAILED",
  voided_by_operator: "FAILED",
};

/** What the rules say an answer does to a held payment (src/domain/held-payment-rule.ts, the flow tables). */
function modelAnswer(m: ModelTx, answer: (typeof ANSWERS)[number]): void {
  if (answer === "lost" || answer === "pending") return;
  const status = STATUS[m.stage];
  if (status === "PENDING") {
    const to =
      answer === "succeeded"
        ? "settled"
        : answer === "failed"
          ? "failed"
          : m.type === "AIRTIME"
            ? "reversed"
            : null; // a withdrawal's flow has no reversal: the hold stays
    if (!to) return;
    if (to === "settled") m.journal_rows += 1;
    m.stage = to;
    m.provider_stage ??= to;
    return;
  }
  if (status === "SUCCESS" && answer === "reversed" && m.type === "AIRTIME") {
    m.stage = "reversed";
    m.journal_rows += 1;
    return;
  }
  if (m.stage === "posted_by_operator" && (answer === "failed" || answer === "reversed"))
    m.anomalies.add("failed_after_post");
  if (status === "FAILED" && answer === "succeeded") m.anomalies.add("paid_after_void");
}

describe("property: provider answers, operator decisions and the reconciler, interleaved", () => {
  it("never create or destroy money, resolve each hold once, and never override a definite provider answer", async () => {
    await fc.assert(
      fc.asyncProperty(Scenario, async ({ txs, steps }) => {
        const { stub, user_id } = await fundedWallet(START_MINOR);
        const model: ModelTx[] = [];
        for (const t of txs) {
          const made = await submittedHeld(stub, user_id, t.type, t.amount_minor);
          model.push({
            ...made,
            stage: "submitted",
            journal_rows: 0,
            provider_stage: null,
            anomalies: new Set(),
          });
        }
        for (const step of steps) {
          if (step.kind === "reconcile") {
            await runReconciler(stub);
          } else if (step.kind === "answer") {
            const m = model[step.i];
            if (step.answer !== "lost")
              await stub.applyProviderFacts(m.tx_ref, says(m, step.answer), { via: "webhook" });
            modelAnswer(m, step.answer);
          } else {
            const m = model[step.i];
            const current = (await stub.getTransaction(m.tx_ref))!;
            const result = await stub.decideHeld({
              tx_ref: m.tx_ref,
              decision: step.decision,
              evidence: `evidence ${randomBase32(6)}`,
              operator_id: "op-prop",
              expected_version: current.version - (step.stale ? 1 : 0),
            });
            if (STATUS[m.stage] !== "PENDING")
              expect(result).toMatchObject({ outcome: "refused", reason: "not_pending" });
            else if (step.stale)
              expect(result).toMatchObject({ outcome: "refused", reason: "version_changed" });
            else {
              expect(result.outcome).toBe("decided");
              m.stage = step.decision === "post" ? "posted_by_operator" : "voided_by_operator";
              if (step.decision === "post") m.journal_rows += 1;
            }
          }
          // After every step: each transaction where the rules put it, the money accounted for.
          let balance = START_MINOR;
          let held = 0;
          let rows = 1; // the funding's credit
          for (const m of model) {
            const tx = (await stub.getTransaction(m.tx_ref))!;
            expect(tx.stage).toBe(m.stage);
            if (m.provider_stage) expect(tx.stage).not.toMatch(/_by_operator$/);
            if (STATUS[m.stage] === "PENDING") held += m.amount_minor;
            if (STATUS[m.stage] === "SUCCESS") balance -= m.amount_minor;
            rows += m.journal_rows;
          }
          const audit = await expectLedgerConsistent(stub);
          expect(audit).toMatchObject({
            balance_minor: balance,
            held_minor: held,
            journal_rows: rows,
          });
        }
        const anomalies = await stub.anomalies();
        for (const m of model)
          for (const kind of ["paid_after_void", "failed_after_post"])
            expect(
              anomalies.some((a) => a.tx_ref === m.tx_ref && a.kind === kind),
              `${kind} for ${m.tx_ref}`,
            ).toBe(m.anomalies.has(kind));
      }),
      { seed: 20261206, numRuns: 12, endOnFailure: true },
    );
  }, 120_000);
});
