/**
 * Which adapter serves which port: the one place that names the vendors.
 *
 * - by capability: checkoutPort (fundings), transferPort (withdrawals),
 *   purchasePort (airtime and data), banksPort (bank list, account names),
 *   refundPort (money owed back on a funding's charge);
 * - by transaction type: lookupsFor(type), for the queue consumer and the
 *   Wallet's reconciler, which verify any transaction without knowing whose;
 * - by event source: eventPortFor(source), for the queue consumer, which
 *   parses a queued webhook or callback body without knowing its format.
 *
 * Adding a provider means an adapter folder beside this file and a case here,
 * not touching the ledger, the consumer or the routes.
 */
import type { FoundFacts, TxType } from "../domain/transactions";
import type { Config } from "../lib/config";
import {
  clearBankCache,
  FLUTTERWAVE,
  flutterwaveBanks,
  flutterwaveCheckout,
  flutterwaveClient,
  flutterwaveRefunds,
  flutterwaveTransfers,
  flutterwaveWebhooks,
} from "./flutterwave";
import type { Outcome } from "./outcome";
import type {
  BanksPort,
  CheckoutPort,
  EventPort,
  PurchasePort,
  RefundPort,
  TransferPort,
  TxLookup,
  TxRef,
} from "./port";
import { referenceIndex } from "./references";

// BVN/NIN verification: its own port and factory (identity/), re-exported so callers stay off the vendor folders.
export { identityPort, type IdentityLookup, type IdentityPort } from "./identity";
import { clearCatalogueCache, VTPASS, vtpassClient, vtpassPurchases } from "./vtpass";

export type ProviderDeps = {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  request_id?: string;
  /** The public origin of the current request, when there is one (the sandbox builds links from it). */
  origin?: string;
};

// ---- By capability ----------------------------------------------------------------------------

export function checkoutPort(deps: ProviderDeps): CheckoutPort {
  return flutterwaveCheckout(flutterwaveClient(deps.env, deps.ctx, deps.config, deps));
}

export function transferPort(deps: ProviderDeps): TransferPort {
  return flutterwaveTransfers(flutterwaveClient(deps.env, deps.ctx, deps.config, deps));
}

/** Airtime and data; null when no purchase provider is configured (VTpass's keys absent). */
export function purchasePort(deps: ProviderDeps): PurchasePort | null {
  const client = vtpassClient(deps.env, deps.ctx, deps.config, deps);
  if (!client) return null;
  return vtpassPurchases(client, {
    references: referenceIndex(deps.env, VTPASS),
    request_id: deps.request_id,
    keep_alive: (work) => deps.ctx.waitUntil(work),
  });
}

export function banksPort(deps: ProviderDeps): BanksPort {
  return flutterwaveBanks(
    flutterwaveClient(deps.env, deps.ctx, deps.config, deps),
    deps.request_id,
  );
}

/** Refunds go back through the provider that took the charge: fundings' checkout provider. */
export function refundPort(deps: ProviderDeps): RefundPort {
  return flutterwaveRefunds(flutterwaveClient(deps.env, deps.ctx, deps.config, deps));
}

/** How long a meter's or smartcard's verification is kept (the purchases adapter's cache), for the API's words. */
export { VTPASS_VERIFY_TTL_S as VERIFY_CACHE_TTL_S } from "./vtpass/limits";

/** For tests: the adapters' cached lists, forgotten one kind at a time. */
export { clearBankCache, clearCatalogueCache };

// ---- By transaction type ----------------------------------------------------------------------

/** The lookups for a transaction type, or null when no provider serves it (purchases not configured). */
export function lookupsFor(type: TxType, deps: ProviderDeps): TxLookup | null {
  switch (type) {
    case "FUND":
      return checkoutPort(deps);
    case "WITHDRAW":
      return transferPort(deps);
    case "AIRTIME":
    case "DATA":
    case "ELECTRICITY":
    case "TV":
      return purchasePort(deps);
    case "REFUND":
      return refundPort(deps);
    case "ADJUSTMENT":
      // An operator's adjustment is the wallet's own: no provider holds it.
      return null;
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

// ---- By event source --------------------------------------------------------------------------

/** Where a queued event came from: an adapter's name (src/queue/messages.ts maps message kinds to these). */
export const EVENT_SOURCES = [FLUTTERWAVE, VTPASS] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * The port that reads a source's events, or null when that provider is not
 * configured. Flutterwave sends one webhook for checkout and transfers, read
 * by one parser (its events carry our tx_ref); VTpass's callbacks are the
 * purchase port's, whose references say which purchase they name.
 */
export function eventPortFor(source: EventSource, deps: ProviderDeps): EventPort | null {
  switch (source) {
    case FLUTTERWAVE:
      return flutterwaveWebhooks();
    case VTPASS:
      return purchasePort(deps);
    default: {
      const unreachable: never = source;
      throw new Error(`unknown event source ${String(unreachable)}`);
    }
  }
}

// ---- Reconciliation ---------------------------------------------------------------------------
export { reconciliationPort, type ReconciliationPort } from "./reconciliation";
