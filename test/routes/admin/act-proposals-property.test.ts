/**
 * Random interleavings of provider events (the Flutterwave look-alike settles
 * or fails a transfer without telling us), reconciler runs, and operators'
 * proposals and approvals through the real routes, over one wallet with an
 * escalated withdrawal and one with an overpaid funding.
 *
 * Proves, whatever the order: journal == balances; a REFUND exists only as an
 * approved proposal's execution (its audit entry, approved by another
 * operator than the proposer), sent at most once at the look-alike; the
 * excess is refunded or credited, never both; and an operator's decision is
 * never applied once the provider had a definite answer, which stands.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AMOUNT_MINOR,
  escalatedWithdrawal,
  flutterwaveSays,
  START_MINOR,
} from "../../support/decisions";
import {
  api,
  expectLedgerConsistent,
  loadMongoDriverFirst,
  runReconciler,
} from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";
import { paidFunding, sandboxRefunds } from "../../support/refunds";

loadMongoDriverFirst();

type Who = "alice" | "bob" | "olga";
type Step =
  | { op: "provider"; status: "SUCCESSFUL" | "FAILED" }
  | { op: "reconcile" }
  | { op: "decide"; decision: "post" | "void"; by: Who }
  | { op: "settle"; action: "refund" | "credit"; by: Who }
  | { op: "approve"; pick: number; by: Who };

const who = fc.constantFrom<Who>("alice", "bob", "olga");
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("provider" as const),
    status: fc.constantFrom("SUCCESSFUL" as const, "FAILED" as const),
  }),
  fc.record({ op: fc.constant("reconcile" as const) }),
  fc.record({
    op: fc.constant("decide" as const),
    decision: fc.constantFrom("post" as const, "void" as const),
    by: who,
  }),
  fc.record({
    op: fc.constant("settle" as const),
    action: fc.constantFrom("refund" as const, "credit" as const),
    by: who,
  }),
  fc.record({ op: fc.constant("approve" as const), pick: fc.nat(10), by: who }),
);

async function post(path: string, headers: Record<string, string>, body: unknown = {}) {
  const res = await api(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  // Never a server error, whatever the order.
  expect(res.status, text).toBeLessThan(500);
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

describe("operators' acts and the provider, interleaved (property)", () => {
  it("never create or destroy money, never send a refund twice, never override a definite provider answer", async () => {
    const heads: Record<Who, Record<string, string>> = {
      alice: await operatorHeaders(`alice-${crypto.randomUUID().slice(0, 8)}@ops.test`, "approver"),
      bob: await operatorHeaders(`bob-${crypto.randomUUID().slice(0, 8)}@ops.test`, "approver"),
      olga: await operatorHeaders(`olga-${crypto.randomUUID().slice(0, 8)}@ops.test`, "operator"),
    };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 10 }), async (steps) => {
        const held = await escalatedWithdrawal();
        const funded = await paidFunding(150_000, 2000);
        const fundedStart = (await expectLedgerConsistent(funded.stub)).balance_minor;
        const proposals: { user_id: string; id: string; kind: string }[] = [];
        let providerSaid: "SUCCESSFUL" | "FAILED" | null = null;
        let decidedOverProvider = false;
        let refundsExecuted = 0;
        let creditsExecuted = 0;

        for (const s of steps) {
          if (s.op === "provider") {
            // A transfer's definite answer is given once.
            if (providerSaid === null) {
              providerSaid = s.status;
              await flutterwaveSays(held.tx_ref, s.status);
            }
          } else if (s.op === "reconcile") {
            await runReconciler(held.stub);
            await runReconciler(funded.stub);
          } else if (s.op === "decide") {
            const out = await post(
              `/admin/wallets/${held.user_id}/transactions/${held.tx_ref}/decision`,
              heads[s.by],
              { decision: s.decision, evidence: `evidence for ${s.decision}` },
            );
            if (out.status === 202)
              proposals.push({ user_id: held.user_id, id: String(out.body.id), kind: "decide" });
          } else if (s.op === "settle") {
            const a = funded.anomaly;
            const out = await post(
              `/admin/wallets/${funded.user_id}/anomalies/${a.tx_ref}/${a.kind}/settlement`,
              heads[s.by],
              { action: s.action, ref: a.ref },
            );
            if (out.status === 202)
              proposals.push({
                user_id: funded.user_id,
                id: String(out.body.id),
                kind: String(out.body.kind),
              });
          } else {
            if (proposals.length === 0) continue;
            const p = proposals[s.pick % proposals.length]!;
            const out = await post(
              `/admin/wallets/${p.user_id}/proposals/${p.id}/approve`,
              heads[s.by],
            );
            if (out.status === 200 && out.body.status === "executed") {
              if (p.kind === "decide" && providerSaid !== null) decidedOverProvider = true;
              if (p.kind === "refund") refundsExecuted += 1;
              if (p.kind === "credit_excess") creditsExecuted += 1;
            }
          }
        }

        // Never over a definite provider answer, and the answer stands.
        expect(decidedOverProvider).toBe(false);
        const tx = (await held.stub.getTransaction(held.tx_ref))!;
        const byOperator = tx.stage === "posted_by_operator" || tx.stage === "voided_by_operator";
        if (!byOperator && tx.status !== "PENDING" && providerSaid !== null)
          expect(tx.status).toBe(providerSaid === "SUCCESSFUL" ? "SUCCESS" : "FAILED");
        const heldLedger = await expectLedgerConsistent(held.stub);
        if (tx.status === "SUCCESS")
          expect(heldLedger).toMatchObject({
            balance_minor: START_MINOR - AMOUNT_MINOR,
            held_minor: 0,
          });
        if (tx.status === "FAILED")
          expect(heldLedger).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });

        // Refunded or credited, never both; a refund sent at most once; a credit moves the excess once.
        expect(refundsExecuted + creditsExecuted).toBeLessThanOrEqual(1);
        expect((await sandboxRefunds(funded.charge_id)).length).toBe(refundsExecuted);
        expect((await expectLedgerConsistent(funded.stub)).balance_minor).toBe(
          fundedStart + creditsExecuted * 50_000,
        );

        // Every REFUND is an approved proposal's execution, audited, by two different operators.
        const refunds = await funded.stub.listTransactions({ limit: 20, type: "REFUND" });
        if (!refunds.ok) throw new Error("listing failed");
        expect(refunds.data.length).toBe(refundsExecuted + creditsExecuted);
        const log = (await funded.stub.auditLog({ limit: 200 }))?.data ?? [];
        for (const refund of refunds.data) {
          const executed = log.filter(
            (e) => e.action === "executed" && e.after.tx_ref === refund.tx_ref,
          );
          expect(executed).toHaveLength(1);
          const proposal = (await funded.stub.proposal(executed[0]!.proposal_id!))!;
          expect(proposal.status).toBe("executed");
          expect(proposal.decided_by).not.toBeNull();
          expect(proposal.decided_by).not.toBe(proposal.proposed_by);
          expect(log.some((e) => e.action === "approved" && e.proposal_id === proposal.id)).toBe(
            true,
          );
        }
      }),
      { numRuns: 8 },
    );
  });
});
