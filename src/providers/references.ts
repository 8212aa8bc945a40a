/**
 * The ReferenceIndex of a port whose provider knows our transactions only by
 * a reference we chose (src/providers/port.ts): each reference is a row in
 * the ProviderRefs shard its port's name and the reference hash to, so two
 * providers' references never meet and no adapter names the object itself.
 *
 * References bound before the shards live in one object each, named the old
 * way: a lookup that misses in the shard reads that object (a read only),
 * and a requery claim carries what it finds into the shard.
 *
 * The object is reached through the `PROVIDER_REFS` binding; nothing here
 * knows a vendor.
 */
import { CALLBACK_REQUERY_INTERVAL_MS } from "../durable/provider-refs/limits";
import { providerRefName, providerRefsShardName } from "../durable/provider-refs/object";
import type { ReferenceIndex } from "./port";

export function referenceIndex(env: Pick<Env, "PROVIDER_REFS">, port_name: string): ReferenceIndex {
  const shard = (reference: string) =>
    env.PROVIDER_REFS.getByName(providerRefsShardName(port_name, reference));
  const legacy = (reference: string) =>
    env.PROVIDER_REFS.getByName(providerRefName(port_name, reference)).legacyBinding();
  return {
    bind: (reference, tx_ref) => shard(reference).bind(port_name, reference, tx_ref),
    transactionFor: async (reference) =>
      (await shard(reference).txRef(port_name, reference)) ??
      (await legacy(reference))?.tx_ref ??
      null,
    claimRequery: async (reference, now_ms) => {
      const claim = await shard(reference).claimRequery(
        port_name,
        reference,
        now_ms,
        CALLBACK_REQUERY_INTERVAL_MS,
      );
      if (claim.claim !== "unknown") return claim;
      const carried = await legacy(reference);
      if (carried === null) return claim;
      return shard(reference).claimRequery(
        port_name,
        reference,
        now_ms,
        CALLBACK_REQUERY_INTERVAL_MS,
        carried,
      );
    },
    releaseRequery: (reference, at_ms, previous_at_ms) =>
      shard(reference).releaseRequery(port_name, reference, at_ms, previous_at_ms),
  };
}
