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

/**
 * How many ProviderRefs objects hold the reference index: a reference lives
 * in the shard its (port, reference) hashes to. A fixed handful of objects
 * that stay warm, instead of a brand-new object per purchase (creating one
 * cost a purchase more than any other single step).
 *
 * A code constant, NOT configuration: changing it moves references to other
 * shards, and every reference bound under the old count would no longer be
 * found (a callback for such a purchase would be dropped as unknown). Change
 * it only together with a migration that moves the rows.
 */
export const PROVIDER_REFS_SHARDS = 64;
