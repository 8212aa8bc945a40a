/**
 * Held payments that wait for an operator's decision, made through the real
 * routes: a withdrawal pending at the Flutterwave look-alike, escalated by the
 * reconciler; and the look-alike's own records changed without its webhook
 * ("the provider knows but has not told us").
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { randomBase32 } from "../../src/lib/ids";
import { SANDBOX_OBJECT_NAME } from "../../src/sandbox/flutterwave/paths";
import { passDeadline } from "./faults";
import { api, authedJson, fundedWallet, runReconciler } from "./helpers";

export const START_MINOR = 500_000;
export const AMOUNT_MINOR = 100_000;

/** A withdrawal pending at the Flutterwave look-alike, escalated past its deadline. */
export async function escalatedWithdrawal() {
  const w = await fundedWallet(START_MINOR);
  const res = await api(
    "/wallet/withdraw",
    authedJson(w.auth, {
      account_bank: "044",
      account_number: "0690000031",
      amount: String(AMOUNT_MINOR / 100),
      narration: `decide-${randomBase32(12)}`,
    }),
  );
  expect(res.status).toBe(202);
  const { tx_ref } = (await res.json()) as { tx_ref: string };
  await passDeadline(w.stub, tx_ref);
  await runReconciler(w.stub);
  expect(await w.stub.getTransaction(tx_ref)).toMatchObject({
    status: "PENDING",
    escalated_at_ms: expect.any(Number),
  });
  return { ...w, tx_ref };
}

/** What Flutterwave's records say about a transfer, without its webhook (yet). */
export async function flutterwaveSays(tx_ref: string, status: "SUCCESSFUL" | "FAILED") {
  await runInDurableObject(env.FLUTTERWAVE_SANDBOX!.getByName(SANDBOX_OBJECT_NAME), (_o, state) => {
    state.storage.sql.exec(
      "UPDATE transfers SET status = ?, settled_at_ms = ? WHERE reference = ?",
      status,
      Date.now(),
      tx_ref,
    );
  });
}
