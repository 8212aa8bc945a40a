/**
 * Refund tests' setting: a funding paid by one look-alike charge (an anomaly
 * names it), the service's request for it, and the look-alike's refunds.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { FUND_PENDING_MAX_CEILING } from "../../src/domain/limits";
import { requireConfig } from "../../src/lib/config";
import { newTxRef, randomBase32 } from "../../src/lib/ids";
import { checkoutPort } from "../../src/providers";
import type { SettleRequest } from "../../src/services/refunds";
import { newWallet } from "./helpers";
import { control, envelope } from "./sandbox";

export const ctx = () => createExecutionContext();

export async function sandboxCharge(tx_ref: string, amount_major: number): Promise<string> {
  return String(
    (
      await envelope<{ id: number }>(
        await control("/transactions", {
          body: { tx_ref, amount: amount_major, status: "successful" },
        }),
      )
    ).data.id,
  );
}

/** A funding of `asked_minor` paid `paid_major` by one charge, applied as its webhook would: an anomaly names the charge. */
export async function paidFunding(asked_minor: number, paid_major: number) {
  const w = await newWallet();
  const tx_ref = newTxRef("FUND", w.user_id);
  await w.stub.openFunding({
    tx_ref,
    amount_minor: asked_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms: Date.now() + 3_600_000,
  });
  const charge_id = await sandboxCharge(tx_ref, paid_major);
  const facts = await checkoutPort({ env, ctx: ctx(), config: requireConfig(env) }).lookupById(
    charge_id,
  );
  if (!facts.ok) throw new Error(`charge not found: ${JSON.stringify(facts)}`);
  await w.stub.applyProviderFacts(tx_ref, facts.value, { via: "webhook" });
  const kind = paid_major * 100 > asked_minor ? "overpaid" : "refund_due";
  const anomaly = { tx_ref, kind, ref: charge_id };
  expect(await w.stub.anomalies()).toContainEqual(expect.objectContaining(anomaly));
  return { ...w, tx_ref, charge_id, anomaly };
}

export const request = (
  w: Awaited<ReturnType<typeof paidFunding>>,
  extra: Partial<SettleRequest> = {},
): SettleRequest => ({
  user_id: w.user_id,
  anomaly: w.anomaly,
  operator_id: "op_alice",
  proposal_id: `prop_${randomBase32(12)}`,
  ...extra,
});

export const refundMode = (charge_id: string, mode: "complete" | "pending" | "fail") =>
  control("/refunds/mode", { body: { mode, transaction_id: Number(charge_id) } });

export async function sandboxRefunds(charge_id: string) {
  return (
    await envelope<{ id: number; amount_refunded: number; status: string }[]>(
      await control(`/transactions/${charge_id}/refunds`),
    )
  ).data;
}
