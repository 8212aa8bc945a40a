/**
 * The ProviderRefs object's bounds (object.ts beside this file).
 */

/**
 * Callbacks that name a provider reference (a VTpass transaction-update) are
 * unsigned hints to requery. Per reference, a requery is started at most once
 * per this interval (ProviderRefs.claimRequery): the first callback is
 * requeried at once; repeats within the interval are folded into one more
 * requery at its end (so a real change announced meanwhile is still seen),
 * and nothing else.
 */
export const CALLBACK_REQUERY_INTERVAL_MS = 10_000;
