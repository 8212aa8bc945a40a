/**
 * The IdentityClaims object's bounds (object.ts beside this file).
 */

/**
 * How many IdentityClaims objects hold the "one number, one user" index: a
 * number's keyed hash chooses its shard. A few warm objects instead of one
 * per number (as ProviderRefs does, src/durable/provider-refs/limits.ts).
 *
 * A code constant, NOT configuration: changing it moves hashes to other
 * shards, and a number claimed before would no longer be found, so a second
 * user could claim it. Change it only with a migration that moves the rows.
 */
export const IDENTITY_CLAIMS_SHARDS = 64;
