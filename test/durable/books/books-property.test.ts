/**
 * Property (fast-check, seeded) of the books against real wallets: random
 * money flows over two wallets, through the Wallet's own methods (the ones
 * the routes and the queue consumer call): fundings credited by provider
 * facts, withdrawals with a fee and purchases of every product that succeed,
 * fail, stay pending, or are reversed before or after delivery, operators'
 * adjustments both ways, and redeliveries of a wallet's whole feed to the
 * books. After the feeds reach the books:
 *   - every posting set of these transactions sums to zero;
 *   - each wallet's account in the books (its postings summed over every
 *     shard) equals its real balance (summary());
 *   - the system accounts' side of these transactions is exactly what we owe
 *     these users: the identity over them equals the sum of their balances;
 *   - GET /admin/accounts's identity holds over every shard.
 * Nothing of ours is replaced: the Wallets, the feed, the reader and the
 * Books shards are the real ones.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  identityOf,
  isWalletAccount,
  SYSTEM_ACCOUNTS,
  sumOf,
  zeroBalances,
  type SystemAccount,
} from "../../../src/domain/books";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef } from "../../../src/lib/ids";
import { accountsView, entriesOf, walletAccountsOf } from "../../../src/services/books";
import { booksCaughtUp, redeliverToBooks } from "../../support/books";
import { env, newWallet, UNBOUNDED_TIERS } from "../../support/helpers";

const SEED = 20261224;
const RUNS = 15;
const operator = { id: "books@ops.test", role: "operator" as const };
const approver = { id: "books-approver@ops.test", role: "approver" as const };
const note = { reason_code: "goodwill" as const, reason: "books test", user_note: "Adjusted" };

const Outcome = fc.constantFrom("succeeded", "failed", "pending", "reversed", "reversed_after");
const Step = fc.oneof(
  fc.record({
    op: fc.constant("fund" as const),
    w: fc.nat(1),
    amount: fc.integer({ min: 100, max: 2_000_000 }),
  }),
  fc.record({
    op: fc.constant("withdraw" as const),
    w: fc.nat(1),
    share: fc.double({ min: 0.01, max: 0.9, noNaN: true }),
    fee: fc.integer({ min: 0, max: 5_000 }),
    outcome: Outcome,
  }),
  fc.record({
    op: fc.constant("purchase" as const),
    w: fc.nat(1),
    type: fc.constantFrom("AIRTIME", "DATA", "ELECTRICITY", "TV"),
    share: fc.double({ min: 0.01, max: 0.9, noNaN: true }),
    outcome: Outcome,
  }),
  fc.record({
    op: fc.constant("adjust" as const),
    w: fc.nat(1),
    direction: fc.constantFrom("credit", "debit"),
    amount: fc.integer({ min: 1, max: 500_000 }),
  }),
  fc.record({ op: fc.constant("redeliver" as const), w: fc.nat(1) }),
);

let provider_ids = 0;
const facts = (tx_ref: string, amount_minor: number, outcome: string) => ({
  found: true as const,
  provider_ref: `${Date.now()}${provider_ids++}`,
  our_ref: tx_ref,
  outcome: outcome as "succeeded" | "failed" | "pending" | "reversed",
  amount_minor,
  currency: "NGN",
  message: null,
});

async function fund(stub: DurableObjectStub<Wallet>, user_id: string, amount: number) {
  const tx_ref = newTxRef("FUND", user_id);
  await stub.openFunding({
    tx_ref,
    amount_minor: amount,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
    tiers: UNBOUNDED_TIERS,
  });
  const done = await stub.applyProviderFacts(tx_ref, facts(tx_ref, amount, "succeeded"), {
    via: "webhook",
  });
  expect(done.outcome).toBe("credited");
  return tx_ref;
}

/** A held payment opened, claimed and submitted, then the provider's outcome (if any). */
async function held(
  stub: DurableObjectStub<Wallet>,
  user_id: string,
  type: "WITHDRAW" | "AIRTIME" | "DATA" | "ELECTRICITY" | "TV",
  share: number,
  fee: number,
  outcome: string,
): Promise<string | null> {
  const available = (await stub.summary())?.available_minor ?? 0;
  const amount = Math.floor((available - fee) * share);
  if (amount < 1) return null;
  const tx_ref = newTxRef(type, user_id);
  const opened = await stub.openHeld({
    tx_ref,
    type,
    amount_minor: amount,
    fee_minor: fee,
    currency: "NGN",
    details: {},
    tiers: UNBOUNDED_TIERS,
  });
  expect(opened.outcome).toBe("opened");
  expect(await stub.claimSubmission(tx_ref)).toBe(true);
  await stub.recordSubmitted(tx_ref, `p${provider_ids++}`);
  const say = (o: string) =>
    stub.applyProviderFacts(tx_ref, facts(tx_ref, amount, o), { via: "webhook" });
  if (outcome === "succeeded" || outcome === "failed") await say(outcome);
  // A purchase reversed while its hold is open, or after its delivery; a withdrawal has no `reversed` stage.
  if (outcome === "reversed" && type !== "WITHDRAW") await say("reversed");
  if (outcome === "reversed_after") {
    await say("succeeded");
    if (type !== "WITHDRAW") await say("reversed");
  }
  return tx_ref;
}

describe("the books against real wallets (property)", () => {
  it("every posting set balances, each wallet account equals its balance, and the system accounts equal what we owe", async () => {
    const reached = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 3, maxLength: 10 }), async (steps) => {
        const wallets = [await newWallet(), await newWallet()];
        const tx_refs: string[] = [];
        // Each wallet starts with money, so debits have something to move.
        for (const w of wallets) tx_refs.push(await fund(w.stub, w.user_id, 1_000_000));
        for (const step of steps) {
          reached.add("outcome" in step ? `${step.op}:${step.outcome}` : step.op);
          const { stub, user_id } = wallets[step.w];
          switch (step.op) {
            case "fund":
              tx_refs.push(await fund(stub, user_id, step.amount));
              break;
            case "withdraw": {
              const t = await held(stub, user_id, "WITHDRAW", step.share, step.fee, step.outcome);
              if (t) tx_refs.push(t);
              break;
            }
            case "purchase": {
              const t = await held(stub, user_id, step.type, step.share, 0, step.outcome);
              if (t) tx_refs.push(t);
              break;
            }
            case "adjust": {
              const available = (await stub.summary())?.available_minor ?? 0;
              if (step.direction === "debit" && available < step.amount) break;
              const done = await stub.adjust(operator, {
                ...note,
                direction: step.direction,
                amount_minor: step.amount,
              });
              if (done.outcome === "executed") {
                tx_refs.push(done.tx.tx_ref);
                break;
              }
              // A debit (or a large credit) needs a second pair of eyes: an approver executes it.
              expect(done.outcome).toBe("proposed");
              if (done.outcome !== "proposed") break;
              const approved = await stub.approveProposal(approver, done.proposal.id, "checked");
              expect(approved.outcome).toBe("executed");
              if (approved.outcome === "executed" && approved.tx) tx_refs.push(approved.tx.tx_ref);
              break;
            }
            case "redeliver":
              await booksCaughtUp([stub]);
              await redeliverToBooks(stub);
              break;
          }
        }
        const stubs = wallets.map((w) => w.stub);
        await booksCaughtUp(stubs);

        const sets = await entriesOf(env, tx_refs);
        for (const set of sets) expect(sumOf(set), `${set.tx_ref} ${set.event}`).toBe(0);
        // At most one set per (tx_ref, event), whatever was delivered again.
        const keys = sets.map((s) => `${s.tx_ref}/${s.event}`);
        expect(new Set(keys).size).toBe(keys.length);

        const balances = await Promise.all(
          stubs.map(async (s) => (await s.summary())!.balance_minor),
        );
        const accounts = await walletAccountsOf(
          env,
          wallets.map((w) => w.user_id),
        );
        for (const [i, w] of wallets.entries())
          expect(accounts[w.user_id], w.user_id).toBe(balances[i]);

        const system = zeroBalances();
        for (const p of sets.flatMap((s) => s.postings)) {
          if (isWalletAccount(p.account)) continue;
          expect(SYSTEM_ACCOUNTS).toContain(p.account);
          system[p.account as SystemAccount] += p.amount_minor;
        }
        const owed = balances.reduce((a, b) => a + b, 0);
        const identity = identityOf(system, owed);
        expect(identity.expected_wallets_minor).toBe(owed);
        expect(identity.holds).toBe(true);

        const view = await accountsView(env);
        expect(view.identity.holds).toBe(true);
        expect(view.anomaly).toBeNull();
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The seed reaches the paths that matter: a reversal after delivery, a failure, a redelivery.
    for (const path of ["purchase:reversed_after", "withdraw:succeeded", "redeliver", "adjust"])
      expect([...reached]).toContain(path);
  }, 180_000);
});
