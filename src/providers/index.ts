/**
 * Which provider serves which transaction type. The consumer and the Wallet's
 * reconciler look transactions up through `lookupsFor(type)`; the routes start
 * operations through a flow's own port. Adding a provider means adding a case
 * here and a folder beside this file, not touching the ledger.
 */
import type { FoundFacts, TxType } from "../domain/transactions";
import type { Config } from "../lib/config";
import { flutterwaveCheckout, flutterwaveClient, flutterwaveTransfers, type TransferStart } from "./flutterwave";
import type { Outcome } from "./outcome";
import type { CheckoutPort, HeldPaymentPort, TxLookup, TxRef } from "./port";
import { vtpassClient, vtpassPurchases, type PurchaseStart } from "./vtpass";

export type ProviderDeps = {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  request_id?: string;
  /** The public origin of the current request, when there is one (the sandbox builds links from it). */
  origin?: string;
};

export function checkoutPort(deps: ProviderDeps): CheckoutPort {
  return flutterwaveCheckout(flutterwaveClient(deps.env, deps.ctx, deps.config, deps));
}

export function transferPort(deps: ProviderDeps): HeldPaymentPort<TransferStart> {
  return flutterwaveTransfers(flutterwaveClient(deps.env, deps.ctx, deps.config, deps));
}

/** Airtime and data through VTpass; null when VTpass is not configured. */
export function purchasePort(deps: ProviderDeps): HeldPaymentPort<PurchaseStart> | null {
  const client = vtpassClient(deps.env, deps.ctx, deps.config, deps);
  return client ? vtpassPurchases(client) : null;
}

/** The lookups for a transaction type, or null when no provider serves it (VTpass not configured). */
export function lookupsFor(type: TxType, deps: ProviderDeps): TxLookup | null {
  switch (type) {
    case "FUND":
      return checkoutPort(deps);
    case "WITHDRAW":
      return transferPort(deps);
    case "AIRTIME":
    case "DATA":
      return purchasePort(deps);
    default: {
      const unreachable: never = type;
      throw new Error(`unknown transaction type ${String(unreachable)}`);
    }
  }
}

/**
 * What the provider says now about one of our transactions: every payment it
 * holds for the reference where it can hold several (lookupAll), else its one
 * answer. The reconciler and the consumer both ask this way, so neither can
 * miss a payment in full that sits beside a smaller one.
 */
export async function lookupNow(lookups: TxLookup, ref: TxRef): Promise<Outcome<FoundFacts[]>> {
  if (lookups.lookupAll) return lookups.lookupAll(ref);
  const one = await lookups.lookup(ref);
  return one.ok ? { ok: true, value: [one.value] } : one;
}
