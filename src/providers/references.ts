/**
 * The ReferenceIndex of a port whose provider knows our transactions only by
 * a reference we chose (src/providers/port.ts): one ProviderRefs object per
 * reference, named by the port's name and the reference, so two providers'
 * references never meet and no adapter names the object itself.
 *
 * The object is reached through the `PROVIDER_REFS` binding; nothing here
 * knows a vendor.
 */
import { CALLBACK_REQUERY_INTERVAL_MS } from "../durable/provider-refs/limits";
import { providerRefName } from "../durable/provider-refs/object";
import type { ReferenceIndex } from "./port";

export function referenceIndex(env: Pick<Env, "PROVIDER_REFS">, port_name: string): ReferenceIndex {
  const refs = (provider_ref: string) =>
    env.PROVIDER_REFS.getByName(providerRefName(port_name, provider_ref));
  return {
    bind: (provider_ref, tx_ref) => refs(provider_ref).bind(tx_ref),
    transactionFor: (provider_ref) => refs(provider_ref).txRef(),
    claimRequery: (provider_ref, now_ms) =>
      refs(provider_ref).claimRequery(now_ms, CALLBACK_REQUERY_INTERVAL_MS),
    releaseRequery: (provider_ref, at_ms, previous_at_ms) =>
      refs(provider_ref).releaseRequery(at_ms, previous_at_ms),
  };
}
