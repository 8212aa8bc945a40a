/**
 * How much of a funding's charge is owed back, from the charge as the
 * provider holds it now (never from an anomaly's free-text detail):
 *
 * - `overpaid`: the charge credited the funding's amount; the rest is owed
 *   (paid - asked, same currency);
 * - `refund_due`, `paid_twice`, `paid_after_terminal`: nothing of the charge
 *   was credited; all of it is owed.
 *
 * Null when nothing is owed: the charge did not succeed, names another of our
 * transactions, has no stated amount, or the anomaly is not about money.
 */
import type { FoundFacts } from "./transactions";

/** The anomaly kinds that name money a charge took and the wallet did not credit. */
export const REFUNDABLE_ANOMALIES = [
  "overpaid",
  "refund_due",
  "paid_twice",
  "paid_after_terminal",
] as const;
export type RefundableAnomaly = (typeof REFUNDABLE_ANOMALIES)[number];

export function isRefundable(kind: string): kind is RefundableAnomaly {
  return (REFUNDABLE_ANOMALIES as readonly string[]).includes(kind);
}

export type Owed = { amount_minor: number; currency: string };

export function owedOnCharge(
  kind: string,
  funding: { tx_ref: string; amount_minor: number; currency: string },
  charge: FoundFacts,
): Owed | null {
  if (!isRefundable(kind)) return null;
  if (charge.outcome !== "succeeded" || charge.our_ref !== funding.tx_ref) return null;
  if (charge.amount_minor === null || charge.amount_minor <= 0) return null;
  if (kind !== "overpaid") return { amount_minor: charge.amount_minor, currency: charge.currency };
  if (charge.currency !== funding.currency) return null;
  const excess = charge.amount_minor - funding.amount_minor;
  return excess > 0 ? { amount_minor: excess, currency: charge.currency } : null;
}
