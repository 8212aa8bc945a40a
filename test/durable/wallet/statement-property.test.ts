/**
 * A statement is the journal, exactly (property): over random flows on a real
 * Wallet object (fundings credited, withdrawals with fees and purchases
 * settled, failed, left pending or reversed after delivery), every statement
 * for every window [a, b) of the journal's own instants
 *   - lists exactly the journal rows stamped in the window, in order;
 *   - opens at the balance after the last row before it (0 when none) and
 *     closes at the balance after its last row;
 *   - has closing - opening = credits - debits, to the kobo;
 *   - splits at any instant m into [a, m) and [m, b) whose closing and
 *     opening meet and whose entries, end to end, are the whole;
 * and the statement that reaches past now closes at the wallet's balance.
 * Also: past the entry bound the wallet refuses the statement, never cuts it.
 */
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { statementTotals } from "../../../src/domain/statements";
import type { ProviderFacts } from "../../../src/domain/transactions";
import { readStatement } from "../../../src/durable/wallet/statement";
import { newTxRef } from "../../../src/lib/ids";
import { SOAK } from "../../support/faults";
import { newWallet, UNBOUNDED_TIERS } from "../../support/helpers";

const RUNS = SOAK ? 200 : 12;

type Step =
  | { kind: "fund"; amount_minor: number }
  | {
      kind: "pay";
      type: "WITHDRAW" | "AIRTIME";
      share: number;
      fee_minor: number;
      outcome: "succeeded" | "failed" | "pending";
    }
  | { kind: "settle"; i: number; outcome: "succeeded" | "failed" }
  | { kind: "reverse"; i: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("fund" as const),
    amount_minor: fc.integer({ min: 1, max: 5_000_000 }),
  }),
  fc.record({
    kind: fc.constant("pay" as const),
    type: fc.constantFrom("WITHDRAW" as const, "AIRTIME" as const),
    share: fc.double({ min: 0, max: 1.2, noNaN: true }),
    fee_minor: fc.integer({ min: 0, max: 10_000 }),
    outcome: fc.constantFrom("succeeded" as const, "failed" as const, "pending" as const),
  }),
  fc.record({
    kind: fc.constant("settle" as const),
    i: fc.nat(),
    outcome: fc.constantFrom("succeeded" as const, "failed" as const),
  }),
  fc.record({ kind: fc.constant("reverse" as const), i: fc.nat() }),
);

type JournalRow = {
  seq: number;
  entry: "credit" | "debit";
  amount_minor: number;
  balance_after_minor: number;
  created_at_ms: number;
};

const facts = (
  tx_ref: string,
  provider_ref: string,
  outcome: "succeeded" | "failed" | "pending" | "reversed",
  amount_minor: number,
): Extract<ProviderFacts, { found: true }> => ({
  found: true,
  provider_ref,
  our_ref: tx_ref,
  outcome,
  amount_minor,
  currency: "NGN",
  message: null,
});

async function drive(steps: Step[]) {
  const { stub, user_id } = await newWallet();
  const pending: { tx_ref: string; provider_ref: string; amount_minor: number }[] = [];
  const delivered: { tx_ref: string; provider_ref: string; amount_minor: number }[] = [];
  let n = 0;
  for (const s of steps) {
    n += 1;
    if (s.kind === "fund") {
      const tx_ref = newTxRef("FUND", user_id);
      await stub.openFunding({
        tx_ref,
        amount_minor: s.amount_minor,
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + 3_600_000,
        tiers: UNBOUNDED_TIERS,
      });
      await stub.applyProviderFacts(tx_ref, facts(tx_ref, `f${n}`, "succeeded", s.amount_minor), {
        via: "webhook",
      });
    } else if (s.kind === "pay") {
      const available = (await stub.summary())?.available_minor ?? 0;
      const amount_minor = Math.max(1, Math.floor(available * s.share));
      const tx_ref = newTxRef(s.type, user_id);
      const provider_ref = `p${n}`;
      const opened = await stub.openHeld({
        type: s.type,
        tx_ref,
        amount_minor,
        fee_minor: s.type === "WITHDRAW" ? s.fee_minor : 0,
        currency: "NGN",
        details:
          s.type === "WITHDRAW"
            ? { bank_name: "Access Bank", account_number: "******0031" }
            : { network: "mtn", phone: "08011111111" },
        tiers: UNBOUNDED_TIERS,
        provider_ref,
        claim: true,
      });
      if (opened.outcome !== "opened") continue;
      await stub.recordAnswer(tx_ref, facts(tx_ref, provider_ref, s.outcome, amount_minor));
      const record = { tx_ref, provider_ref, amount_minor };
      if (s.outcome === "pending") pending.push(record);
      if (s.outcome === "succeeded" && s.type === "AIRTIME") delivered.push(record);
    } else if (s.kind === "settle" && pending.length > 0) {
      const [p] = pending.splice(s.i % pending.length, 1);
      await stub.applyProviderFacts(
        p.tx_ref,
        facts(p.tx_ref, p.provider_ref, s.outcome, p.amount_minor),
        { via: "reconciler" },
      );
    } else if (s.kind === "reverse" && delivered.length > 0) {
      const [d] = delivered.splice(s.i % delivered.length, 1);
      await stub.applyProviderFacts(
        d.tx_ref,
        facts(d.tx_ref, d.provider_ref, "reversed", d.amount_minor),
        { via: "webhook" },
      );
    }
  }
  const journal = await runInDurableObject(stub, (_i, state) =>
    state.storage.sql
      .exec<JournalRow>(
        "SELECT seq, entry, amount_minor, balance_after_minor, created_at_ms FROM journal ORDER BY seq",
      )
      .toArray(),
  );
  return { stub, journal };
}

describe("a statement is the journal, to the kobo (property)", () => {
  it("lists the window's rows, opens and closes at the journal's balances, and adds up, for every window and split", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 14 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
        async (steps, windows) => {
          const { stub, journal } = await drive(steps);
          // The wallet stamps its rows in order; the cut by seq rests on it.
          for (let k = 1; k < journal.length; k++)
            expect(journal[k].created_at_ms).toBeGreaterThanOrEqual(journal[k - 1].created_at_ms);
          const instants = [
            ...new Set([
              0,
              Number.MAX_SAFE_INTEGER,
              ...journal.flatMap((r) => [
                r.created_at_ms - 1,
                r.created_at_ms,
                r.created_at_ms + 1,
              ]),
            ]),
          ].sort((x, y) => x - y);
          const balanceBefore = (at: number) =>
            journal.filter((r) => r.created_at_ms < at).at(-1)?.balance_after_minor ?? 0;
          const read = async (start_ms: number, end_ms: number) => {
            const s = await stub.statement({ start_ms, end_ms });
            if (s.outcome !== "ok") throw new Error(`statement refused: ${s.outcome}`);
            return s;
          };
          for (const [x, y, z] of windows) {
            const [a, m, b] = [x, y, z]
              .map((i) => instants[i % instants.length])
              .sort((p, q) => p - q);
            const whole = await read(a, b);
            const expected = journal.filter((r) => r.created_at_ms >= a && r.created_at_ms < b);
            expect(whole.entries.map((e) => e.seq)).toEqual(expected.map((r) => r.seq));
            expect(
              whole.entries.map(({ entry, amount_minor, balance_after_minor }) => ({
                entry,
                amount_minor,
                balance_after_minor,
              })),
            ).toEqual(
              expected.map(({ entry, amount_minor, balance_after_minor }) => ({
                entry,
                amount_minor,
                balance_after_minor,
              })),
            );
            expect(whole.opening_balance_minor).toBe(balanceBefore(a));
            expect(whole.closing_balance_minor).toBe(balanceBefore(b));
            const { credits_minor, debits_minor } = statementTotals(whole.entries);
            expect(whole.closing_balance_minor - whole.opening_balance_minor).toBe(
              credits_minor - debits_minor,
            );
            const [left, right] = [await read(a, m), await read(m, b)];
            expect(left.closing_balance_minor).toBe(right.opening_balance_minor);
            expect(left.opening_balance_minor).toBe(whole.opening_balance_minor);
            expect(right.closing_balance_minor).toBe(whole.closing_balance_minor);
            expect([...left.entries, ...right.entries]).toEqual(whole.entries);
          }
          const all = await read(0, Number.MAX_SAFE_INTEGER);
          expect(all.closing_balance_minor).toBe((await stub.summary())?.balance_minor);
          expect(all.entries).toHaveLength(journal.length);
        },
      ),
      { numRuns: RUNS },
    );
  }, 240_000);

  it("refuses a period with more entries than the bound instead of cutting it", async () => {
    const { stub } = await drive([
      { kind: "fund", amount_minor: 10_000 },
      { kind: "fund", amount_minor: 20_000 },
      { kind: "pay", type: "WITHDRAW", share: 0.5, fee_minor: 100, outcome: "succeeded" },
    ]);
    const whole = { start_ms: 0, end_ms: Number.MAX_SAFE_INTEGER };
    const at = (max: number) =>
      runInDurableObject(stub, (_i, state) => readStatement(state.storage.sql, whole, max));
    expect(await at(2)).toEqual({ outcome: "too_long", max_entries: 2 });
    const exact = await at(3);
    expect(exact.outcome === "ok" && exact.entries.map((e) => e.entry)).toEqual([
      "credit",
      "credit",
      "debit",
    ]);
    expect(exact.outcome === "ok" && exact.entries[2].description).toBe(
      "Withdrawal to Access Bank ******0031, fee NGN 1.00 included",
    );
    expect(exact.outcome === "ok" && exact.closing_balance_minor).toBe(30_000 - 15_000 - 100);
  });
});
