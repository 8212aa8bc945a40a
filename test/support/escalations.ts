/**
 * Money that waits for a person, made through the real routes and objects:
 * a withdrawal stuck at the provider past its deadline (escalated by the
 * reconciler), and an overpaid funding (its excess an anomaly). Shared by the
 * operator view's tests and the console's.
 */
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { FUND_PENDING_MAX_CEILING, WITHDRAW_ESCALATE_AFTER_MS } from "../../src/domain/limits";
import { newTxRef, randomBase32 } from "../../src/lib/ids";
import { loadMongoDriver } from "../../src/projection/mongo-client";
import { api, authedJson, fundedWallet, newWallet, runReconciler } from "./helpers";
import { control, envelope } from "./sandbox";

/** A withdrawal whose transfer hangs at the provider, past its deadline, escalated by the reconciler. */
export async function stuckWithdrawal() {
  // Often a file's first wallet, followed at once by a timed call (the account check): the
  // driver's first load would run beside it on the same isolate (loadMongoDriverFirst says why),
  // and once made the check outlast the provider timeout (503 instead of 202).
  await loadMongoDriver();
  const w = await fundedWallet(500_000);
  const note = `stuck-${randomBase32(10)}`;
  await envelope(
    await control("/faults", {
      body: { operation: "transfers.create", match: note, mode: "hang", times: 1 },
    }),
  );
  const res = await api(
    "/wallet/withdraw",
    authedJson(w.auth, {
      account_bank: "044",
      account_number: "0690000031",
      amount: "1000",
      narration: note,
    }),
  );
  expect(res.status).toBe(202);
  const { tx_ref } = (await res.json()) as { tx_ref: string };
  const created_at_ms = Date.now() - WITHDRAW_ESCALATE_AFTER_MS - 60_000;
  await runInDurableObject(w.stub, (_i, state) =>
    state.storage.sql.exec(
      "UPDATE transactions SET created_at_ms = ?, deadline_at_ms = ? WHERE tx_ref = ?",
      created_at_ms,
      created_at_ms + WITHDRAW_ESCALATE_AFTER_MS,
      tx_ref,
    ),
  );
  await runReconciler(w.stub);
  expect(await w.stub.getTransaction(tx_ref)).toMatchObject({
    status: "PENDING",
    escalated_at_ms: expect.any(Number),
  });
  return { ...w, tx_ref };
}

/** A funding of 1,500 naira paid with 2,000: credited as expected, the excess recorded as `overpaid`. */
export async function overpaidFunding() {
  const w = await newWallet();
  const tx_ref = newTxRef("FUND", w.user_id);
  await w.stub.openFunding({
    tx_ref,
    amount_minor: 150_000,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
  });
  const facts = {
    found: true,
    provider_ref: String(Date.now()),
    our_ref: tx_ref,
    outcome: "succeeded",
    amount_minor: 200_000,
    currency: "NGN",
    message: null,
  } as const;
  expect((await w.stub.applyProviderFacts(tx_ref, facts, { via: "webhook" })).outcome).toBe(
    "credited",
  );
  return { ...w, tx_ref };
}
