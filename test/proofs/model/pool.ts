/**
 * Wallets for the model's sequences, from a small pool. Each pooled wallet is
 * funded once through the Wallet's own funding path (as test/support/helpers.ts
 * fundedWallet does); before each later sequence it is put back to that state:
 * every table a sequence writes is emptied except the opening funding and its
 * journal row, and the balance is set back to it (so balance = journal still
 * holds, which every sequence's audit checks). Fresh objects per sequence
 * would create thousands of wallet objects in a soak run, and crediting each
 * one costs a settlement (the most expensive write there is); a restore is one
 * storage transaction.
 */
import { runInDurableObject } from "cloudflare:test";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef } from "../../../src/lib/ids";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { bearerFor, newWallet, verifyForAmount } from "../../support/helpers";

export type PooledWallet = {
  user_id: string;
  email: string;
  auth: Record<string, string>;
  opening_minor: number;
};

type Slot = PooledWallet & { stub: DurableObjectStub<Wallet>; opening_ref: string };

/** Tables a sequence writes, emptied on restore (the opening's rows in transactions and journal are kept). */
const EMPTIED = [
  "holds",
  "provider_events",
  "anomalies",
  "idempotency",
  "changes",
  "feed_readers",
  "callback_verifies",
  // The KYC tier's day totals (the model does not model tiers: its wallets are tier 3).
  "tier_usage",
  "tier_counted",
];

export function modelPool(size: number): (opening_minor: number) => Promise<PooledWallet> {
  const slots: Slot[] = [];
  let next = 0;
  return async (opening_minor) => {
    const index = next++ % size;
    const slot = slots[index];
    if (!slot) {
      const w = await newWallet();
      // A tier 3 wallet (verified, an approver's upgrade): the model is about the money rules, and
      // its sequences move more than tier 1's day; the tiers have their own proofs.
      await verifyForAmount(w.stub, w.user_id, Number.MAX_SAFE_INTEGER);
      const opening_ref = newTxRef("FUND", w.user_id);
      await w.stub.openFunding({
        tx_ref: opening_ref,
        amount_minor: opening_minor,
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + 3_600_000,
      });
      const facts = {
        found: true,
        provider_ref: `opening-${opening_ref}`,
        our_ref: opening_ref,
        outcome: "succeeded",
        amount_minor: opening_minor,
        currency: "NGN",
        message: null,
      } as const;
      const credited = await w.stub.applyProviderFacts(opening_ref, facts, { via: "webhook" });
      if (credited.outcome !== "credited")
        throw new Error(`opening funding did not credit: ${credited.outcome}`);
      slots[index] = {
        user_id: w.user_id,
        email: w.email,
        stub: w.stub,
        opening_ref,
        opening_minor,
        auth: await bearerFor(w.user_id),
      };
      return slots[index];
    }
    await runInDurableObject(slot.stub, async (_wallet: Wallet, state) => {
      state.storage.transactionSync(() => {
        for (const table of EMPTIED) state.storage.sql.exec(`DELETE FROM ${table}`);
        state.storage.sql.exec("DELETE FROM journal WHERE tx_ref != ?", slot.opening_ref);
        state.storage.sql.exec("DELETE FROM transactions WHERE tx_ref != ?", slot.opening_ref);
        state.storage.sql.exec(
          "UPDATE wallet SET balance_minor = ?, is_active = 1",
          slot.opening_minor,
        );
      });
      await state.storage.deleteAlarm();
    });
    return slot;
  };
}
