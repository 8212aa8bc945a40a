/**
 * Property (fast-check, seeded) of refunds and credits over one wallet with
 * two anomalies naming charges (an overpayment, a mismatched payment): random
 * sequences of refunds (any amount, sometimes more than owed; by the same or
 * a new proposal), credits, provider behaviours (complete, pending, fail, the
 * answer lost) and reconciler runs. After every step:
 *   - the balance moved only by what was credited to it (never by a refund);
 *   - the look-alike never holds, per charge, more refunded (not failed) than
 *     owed, nor more refunds than REFUND transactions made for that charge;
 *   - an anomaly never has both a completed refund and a credit;
 *   - the ledger is consistent (balance = journal).
 * The outside world is the look-alike; the Wallet and the service are real.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TransactionRecord } from "../../../src/domain/records";
import { creditExcess, type SettleAnswer, startRefund } from "../../../src/services/refunds";
import { arm } from "../../support/faults";
import {
  expectLedgerConsistent,
  loadMongoDriverFirst,
  runReconciler,
  UNBOUNDED_TIERS,
} from "../../support/helpers";
import { control } from "../../support/sandbox";
import {
  paidFunding,
  refundMode,
  request,
  sandboxCharge,
  sandboxRefunds,
} from "../../support/refunds";

loadMongoDriverFirst();

const SEED = 20261206;
const RUNS = 12;

const Step = fc.oneof(
  fc.record({
    op: fc.constant("refund" as const),
    which: fc.nat(1),
    amount: fc.option(fc.integer({ min: 1, max: 80_000 }), { nil: undefined }),
    mode: fc.constantFrom("complete", "pending", "fail", "lost"),
    same_proposal: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("credit" as const),
    which: fc.nat(1),
    amount: fc.option(fc.integer({ min: 1, max: 80_000 }), { nil: undefined }),
  }),
  fc.record({
    op: fc.constant("settle_pending" as const),
    which: fc.nat(1),
    complete: fc.boolean(),
  }),
  fc.record({ op: fc.constant("reconcile" as const) }),
);

describe("refund property", () => {
  it("balance moves only by credits; no charge refunded past what it owes; never both", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 2, maxLength: 6 }), async (steps) => {
        const over = await paidFunding(100_000, 1300); // owes 30_000
        const stub = over.stub;
        // A second anomaly in the same wallet: an underpaying charge of another funding.
        const { newTxRef } = await import("../../../src/lib/ids");
        const { FUND_PENDING_MAX_CEILING } = await import("../../../src/domain/limits");
        const { checkoutPort } = await import("../../../src/providers");
        const { requireConfig } = await import("../../../src/lib/config");
        const under_ref = newTxRef("FUND", over.user_id);
        await stub.openFunding({
          tx_ref: under_ref,
          amount_minor: 100_000,
          currency: "NGN",
          pending_max: FUND_PENDING_MAX_CEILING,
          tiers: UNBOUNDED_TIERS,
          deadline_at_ms: Date.now() + 3_600_000,
        });
        const under_charge = await sandboxCharge(under_ref, 450); // owes 45_000
        const facts = await checkoutPort({
          env,
          ctx: createExecutionContext(),
          config: requireConfig(env),
        }).lookupById(under_charge);
        if (!facts.ok) throw new Error("charge not found");
        await stub.applyProviderFacts(under_ref, facts.value, { via: "webhook" });
        const targets = [
          { ...over, owed: 30_000 },
          {
            ...over,
            tx_ref: under_ref,
            charge_id: under_charge,
            anomaly: { tx_ref: under_ref, kind: "refund_due", ref: under_charge },
            owed: 45_000,
          },
        ];
        const start = (await stub.summary())?.balance_minor ?? 0;
        const proposals: ({ id: string; amount: number | undefined } | null)[] = targets.map(
          () => null,
        );
        const made: Map<string, Set<string>> = new Map(
          targets.map((t) => [t.charge_id, new Set()]),
        );
        for (const step of steps) {
          if (step.op === "reconcile") {
            await runReconciler(stub);
          } else if (step.op === "settle_pending") {
            const t = targets[step.which];
            for (const r of await sandboxRefunds(t.charge_id))
              if (r.status === "pending")
                await control(`/refunds/${r.id}/settle`, {
                  body: { status: step.complete ? "completed" : "failed" },
                });
          } else {
            const t = targets[step.which];
            // A proposal is approved once with its values: asked again, it asks the same.
            const again = step.op === "refund" && step.same_proposal ? proposals[step.which] : null;
            const proposal_id = again?.id ?? `prop_${Math.random().toString(36).slice(2)}`;
            const amount = again ? again.amount : step.amount;
            proposals[step.which] = { id: proposal_id, amount };
            const req = { ...request(t, { proposal_id }), amount_minor: amount };
            let answer: SettleAnswer;
            if (step.op === "refund") {
              if (step.mode === "lost")
                await arm(
                  "flutterwave",
                  "refunds.create",
                  `/${t.charge_id}/refund`,
                  "commit_then_500",
                );
              else await refundMode(t.charge_id, step.mode);
              answer = await startRefund(env, createExecutionContext(), req);
            } else {
              answer = await creditExcess(env, createExecutionContext(), req);
            }
            if (answer.ok) made.get(t.charge_id)?.add(answer.tx.tx_ref);
            if (amount !== undefined && amount > t.owed)
              // amount_too_large, or already_refunded when another settlement stands first.
              expect(answer).toMatchObject({ ok: false });
            // An unused armed fault must not leak into the next step.
            if (step.op === "refund" && step.mode === "lost")
              await control(`/faults?match=${encodeURIComponent(`/${t.charge_id}/refund`)}`, {
                method: "DELETE",
              });
          }
          // The invariants, after every step.
          const txs: TransactionRecord[] = [];
          for (const t of targets)
            for (const ref of made.get(t.charge_id) ?? []) {
              const tx = await stub.getTransaction(ref);
              if (tx) txs.push(tx);
            }
          const credited = txs
            .filter((tx) => tx.stage === "credited_to_wallet")
            .reduce((sum, tx) => sum + tx.amount_minor, 0);
          const audit = await expectLedgerConsistent(stub);
          expect(audit.balance_minor).toBe(start + credited);
          for (const t of targets) {
            const refunds = await sandboxRefunds(t.charge_id);
            const live = refunds
              .filter((r) => r.status !== "failed")
              .reduce((sum, r) => sum + Math.round(r.amount_refunded * 100), 0);
            expect(live).toBeLessThanOrEqual(t.owed);
            const mine = txs.filter((tx) => tx.details.charge_ref === t.charge_id);
            expect(refunds.length).toBeLessThanOrEqual(
              mine.filter((tx) => tx.details.how === "refund").length,
            );
            const ended = mine.filter((tx) => tx.status === "SUCCESS");
            expect(ended.length).toBeLessThanOrEqual(1);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 300_000);
});
