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
 *
 * KYC tiers (issue 21): each slot has a tier it is put back to on every
 * restore (its identities, override and the day's totals and attempts with
 * it): tier 3 (the money rules at full size; half the slots), tier 0 (an unverified wallet:
 * tier 1's limits while KYC_REQUIRED is false), tier 1 (a BVN of the
 * look-alike's test person, so a NIN of the same person verifies to tier 2),
 * and tier 1 holding most of its balance cap (so a funding meets the cap).
 * The opening funding is made at tier 3 and is not counted against any day:
 * the totals are emptied after it.
 */
import { runInDurableObject } from "cloudflare:test";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef } from "../../../src/lib/ids";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { CBN_TIER_TABLE } from "../../../src/domain/tiers";
import { bearerFor, newWallet, verifyForAmount } from "../../support/helpers";

export type PooledWallet = {
  user_id: string;
  email: string;
  auth: Record<string, string>;
  opening_minor: number;
  tier: PooledTier;
};

export type PooledTier = 0 | 1 | 3;
/**
 * Slot i's tier is SLOT_TIERS[i % 6] (the pool's size is a multiple of 6); the last one holds
 * NEAR_CAP_OPENING_MINOR. Half are tier 3, so the money paths keep their share of full-size
 * sequences (the seeded run must still reach every outcome of the money rules).
 */
const SLOT_TIERS: PooledTier[] = [3, 0, 3, 1, 3, 1];
/** Tier 1's cap (NGN 300,000) less NGN 15,000: a funding past that is refused as tier_balance_cap. */
export const NEAR_CAP_OPENING_MINOR = CBN_TIER_TABLE["1"].max_balance_minor! - 15_000_00;
/** The look-alike's test person, as a pooled tier 1 wallet's BVN recorded them (a NIN of theirs matches). */
export const TEST_PERSON = {
  first_name: "Chidinma",
  middle_name: "Adaeze",
  last_name: "Okafor",
  date_of_birth: "1992-03-14",
} as const;

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
  // The KYC tier's day totals and verification attempts (./commands-kyc.ts models them from zero).
  "tier_usage",
  "tier_counted",
  "kyc_attempts",
  // Saved recipients and schedules (./commands-schedules.ts makes its own each time).
  "schedule_runs",
  "schedules",
  "beneficiaries",
];

/** Put a slot's identities, override and tier column back to its tier (inside the restore's transaction). */
function restoreTier(sql: SqlStorage, user_id: string, tier: PooledTier): void {
  sql.exec("DELETE FROM wallet_identities");
  sql.exec("DELETE FROM tier_override");
  const kinds = tier === 3 ? ["bvn", "nin"] : tier === 1 ? ["bvn"] : [];
  for (const kind of kinds)
    sql.exec(
      `INSERT INTO wallet_identities (kind, hash, last4, verified_name, verified_dob, provider, verified_at_ms)
       VALUES (?, ?, '0000', ?, ?, 'sandbox', ?)`,
      kind,
      `pool-${kind}-${user_id}`,
      `${TEST_PERSON.first_name} ${TEST_PERSON.middle_name} ${TEST_PERSON.last_name}`,
      TEST_PERSON.date_of_birth,
      Date.now(),
    );
  if (tier === 3)
    sql.exec(
      "INSERT INTO tier_override (id, tier, reason, operator, at_ms) VALUES (1, 3, 'model pool', 'op-test-approver', ?)",
      Date.now(),
    );
  sql.exec("UPDATE wallet SET tier = ? WHERE id = 1", tier);
}

export function modelPool(size: number): (opening_minor: number) => Promise<PooledWallet> {
  const slots: Slot[] = [];
  let next = 0;
  return async (opening_minor) => {
    const index = next++ % size;
    let slot = slots[index];
    const tier = SLOT_TIERS[index % SLOT_TIERS.length];
    if (index % SLOT_TIERS.length === SLOT_TIERS.length - 1) opening_minor = NEAR_CAP_OPENING_MINOR;
    if (!slot) {
      const w = await newWallet();
      // Opened at tier 3 (so the opening fits any day); the restore below sets the slot's tier.
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
      slot = {
        user_id: w.user_id,
        email: w.email,
        stub: w.stub,
        opening_ref,
        opening_minor,
        tier,
        auth: await bearerFor(w.user_id),
      };
      slots[index] = slot;
    }
    const restored = slot;
    await runInDurableObject(restored.stub, async (_wallet: Wallet, state) => {
      state.storage.transactionSync(() => {
        for (const table of EMPTIED) state.storage.sql.exec(`DELETE FROM ${table}`);
        state.storage.sql.exec("DELETE FROM journal WHERE tx_ref != ?", restored.opening_ref);
        state.storage.sql.exec("DELETE FROM transactions WHERE tx_ref != ?", restored.opening_ref);
        state.storage.sql.exec(
          "UPDATE wallet SET balance_minor = ?, is_active = 1",
          restored.opening_minor,
        );
        restoreTier(state.storage.sql, restored.user_id, restored.tier);
      });
      await state.storage.deleteAlarm();
    });
    return restored;
  };
}
