/**
 * One order, any product the wallet sells: airtime, data, electricity or TV.
 * Scheduled top-ups and bulk lines hold an order and place it through here,
 * so each of their runs is the same held payment a route makes
 * (./purchases.ts, ./bills.ts): priced by us, held, claimed once, requeried,
 * reversed or escalated, counted against the tier's day and the wallet's
 * failure bound.
 */
import type { AppContext } from "../lib/http";
import { payBill, type BillOrder } from "./bills";
import type { HeldAnswer } from "./held-payment-runner";
import { buy, type PurchaseInput } from "./purchases";

export type Order =
  | { kind: "airtime"; input: Extract<PurchaseInput, { kind: "airtime" }> }
  | { kind: "data"; input: Extract<PurchaseInput, { kind: "data" }> }
  | BillOrder;

/** Place an order under an Idempotency-Key: a repeat with the same key answers the first result and pays nothing twice. */
export function placeOrder(
  c: AppContext,
  user_id: string,
  order: Order,
  idempotency_key: string,
): Promise<HeldAnswer> {
  if (order.kind === "airtime" || order.kind === "data")
    return buy(c, user_id, order.input, idempotency_key);
  return payBill(c, user_id, order, idempotency_key);
}
