/**
 * The posting rules (src/domain/books.ts) against the flow tables
 * (src/domain/flows.ts): a random walk through any transaction type's
 * stages, with redeliveries, posts exactly the wallet money the journal
 * moves (src/durable/wallet/store.ts `enter`), in sets that sum to zero.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  earlierEventOf,
  identityOf,
  moneyEventOf,
  postingsOf,
  SYSTEM_ACCOUNTS,
  sumOf,
  walletAccount,
  zeroBalances,
  type MoneyEvent,
  type PostingSet,
  type SystemAccount,
} from "../../src/domain/books";
import { effectOf, flowOf, initialStage } from "../../src/domain/flows";
import { TX_TYPES, type TxType } from "../../src/domain/transactions";

const USER = "u_books";

/** The journal's money for one transaction, as store.ts moves it: balance and an open hold. */
function journal(type: TxType, stages: string[], amount: number, fee: number) {
  let balance = 0;
  let hold: "none" | "pending" | "posted" | "voided" = "none";
  let debited = 0;
  for (const stage of stages) {
    switch (effectOf(type, stage)) {
      case "place_hold":
        hold = "pending";
        break;
      case "post_hold":
        hold = "posted";
        debited = amount + fee;
        balance -= debited;
        break;
      case "void_hold":
        hold = "voided";
        break;
      case "credit":
        balance += amount;
        break;
      case "debit":
        balance -= amount;
        break;
      case "reverse":
        if (hold === "pending") hold = "voided";
        else balance += debited;
        break;
      case "none":
        break;
    }
  }
  return balance;
}

/** The books' side: each version in order (with repeats), one set per (tx_ref, event). */
function books(type: TxType, versions: string[], amount: number, fee: number) {
  const sets = new Map<MoneyEvent, PostingSet | null>();
  for (const stage of versions) {
    const tx = {
      tx_ref: "T1",
      owner_user_id: USER,
      type,
      stage,
      amount_minor: amount,
      fee_minor: fee,
    };
    const event = moneyEventOf(tx);
    if (!event || sets.has(event)) continue;
    const earlier_event = earlierEventOf(event);
    const earlier = earlier_event ? (sets.get(earlier_event) ?? null) : null;
    sets.set(event, postingsOf(tx, event, earlier));
  }
  return [...sets.values()].filter((s): s is PostingSet => s !== null);
}

/** A path through a flow from its initial stage, choosing among each stage's `next` by the picks. */
function walk(type: TxType, picks: number[]): string[] {
  const flow = flowOf(type);
  const path = [initialStage(type) as string];
  for (const pick of picks) {
    const here = path[path.length - 1];
    const next = flow[here].next;
    // A pending stage may also be written again (new facts at the same stage).
    const choices = flow[here].status === "PENDING" ? [here, ...next] : next;
    if (choices.length === 0) break;
    path.push(choices[pick % choices.length]);
  }
  return path;
}

describe("posting rules", () => {
  it("every walk of every flow posts the journal's wallet money, in balanced sets, once under redelivery", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TX_TYPES),
        fc.array(fc.nat(20), { maxLength: 8 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.nat(20), { maxLength: 4 }),
        (type, picks, amount, fee_raw, repeats) => {
          const fee = type === "WITHDRAW" ? fee_raw : 0;
          const path = walk(type, picks);
          // Redelivery: some versions come again after later ones (the feed's retry from a position).
          const delivered = [...path];
          for (const r of repeats) delivered.push(path[r % path.length]);
          const sets = books(type, delivered, amount, fee);
          for (const set of sets) expect(sumOf(set)).toBe(0);
          const wallet = sets
            .flatMap((s) => s.postings)
            .filter((p) => p.account === walletAccount(USER))
            .reduce((sum, p) => sum + p.amount_minor, 0);
          expect(wallet).toBe(journal(type, path, amount, fee));
          // Only named accounts: the user's wallet and the system accounts.
          for (const p of sets.flatMap((s) => s.postings))
            expect([walletAccount(USER), ...SYSTEM_ACCOUNTS]).toContain(p.account);
        },
      ),
      { seed: 24, numRuns: 2000 },
    );
  });

  it("routes each kind of money to its system account", () => {
    const base = { tx_ref: "T", owner_user_id: USER, amount_minor: 1000, fee_minor: 50 };
    const post = (type: TxType) => postingsOf({ ...base, type, stage: "settled" }, "post", null);
    expect(post("WITHDRAW")?.postings).toEqual([
      { account: walletAccount(USER), amount_minor: -1050 },
      { account: "flutterwave:payouts", amount_minor: 1000 },
      { account: "revenue:fees", amount_minor: 50 },
    ]);
    for (const type of ["AIRTIME", "DATA", "ELECTRICITY", "TV"] as const)
      expect(post(type)?.postings.map((p) => p.account)).toContain("vtpass:float");
    expect(
      postingsOf({ ...base, type: "FUND", stage: "settled" }, "credit", null)?.postings,
    ).toEqual([
      { account: walletAccount(USER), amount_minor: 1000 },
      { account: "flutterwave:collections", amount_minor: -1000 },
    ]);
    expect(
      postingsOf({ ...base, type: "ADJUSTMENT", stage: "debited" }, "debit", null)?.postings,
    ).toEqual([
      { account: walletAccount(USER), amount_minor: -1000 },
      { account: "adjustments", amount_minor: 1000 },
    ]);
    // A refund goes through refunds:payable: owed when requested, paid to the wallet when credited.
    const owed = postingsOf(
      { ...base, type: "REFUND", stage: "refund_requested" },
      "refund_owed",
      null,
    );
    expect(owed?.postings).toContainEqual({ account: "refunds:payable", amount_minor: 1000 });
    expect(
      postingsOf({ ...base, type: "REFUND", stage: "credited_to_wallet" }, "refund_credited", owed)
        ?.postings,
    ).toContainEqual({ account: "refunds:payable", amount_minor: -1000 });
    // A purchase reversed while its hold was still open moved no money.
    expect(postingsOf({ ...base, type: "AIRTIME", stage: "reversed" }, "reverse", null)).toBeNull();
  });

  it("the identity: what the system accounts say we owe equals the wallets exactly when every set balances", () => {
    const balances = zeroBalances();
    const add = (a: SystemAccount, v: number) => {
      balances[a] += v;
    };
    // Fund 10,000, withdraw 3,000 with a 100 fee, buy 2,000 of airtime, an adjustment credit of 500.
    add("flutterwave:collections", -10_000);
    add("flutterwave:payouts", 3_000);
    add("revenue:fees", 100);
    add("vtpass:float", 2_000);
    add("adjustments", -500);
    const wallets = 10_000 - 3_100 - 2_000 + 500;
    expect(identityOf(balances, wallets)).toMatchObject({
      collections_minor: 10_000,
      payouts_minor: 3_000,
      purchases_minor: 2_000,
      fees_minor: 100,
      adjustments_minor: 500,
      expected_wallets_minor: wallets,
      difference_minor: 0,
      holds: true,
    });
    const off = identityOf(balances, wallets + 1);
    expect(off.holds).toBe(false);
    expect(off.difference_minor).toBe(1);
  });
});
