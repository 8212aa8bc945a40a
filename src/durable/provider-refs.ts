/**
 * ProviderRefs: one Durable Object per provider reference that cannot be our
 * tx_ref, mapping it back to the transaction it belongs to. VTpass knows a
 * purchase only by the `request_id` we sent (it must begin with today's Lagos
 * date, so it cannot carry our tx_ref); its callbacks name that id, and the
 * consumer needs the wallet and tx_ref behind it. The mapping is stored before
 * the id is ever sent, and looked up, never parsed.
 *
 * Why one object per reference: the name is the key, so a lookup needs no
 * index and no two purchases ever contend for one object.
 *
 * Invariants
 * - A reference is bound to one tx_ref, once; binding it to another is
 *   refused (`conflict`), binding the same again is a no-op.
 * - A lookup of a name never bound writes nothing: no storage is created for
 *   references that do not exist (the key-value API with no schema to migrate,
 *   so reading an empty object persists nothing).
 */
import { DurableObject } from "cloudflare:workers";

const KEY = "tx_ref";

export type BindResult = "bound" | "conflict";

/** The object name for a provider's reference. */
export function providerRefName(provider: "vtpass", reference: string): string {
  return `${provider}:${reference}`;
}

export class ProviderRefs extends DurableObject<Env> {
  async bind(tx_ref: string): Promise<BindResult> {
    const existing = await this.ctx.storage.get<string>(KEY);
    if (existing !== undefined) return existing === tx_ref ? "bound" : "conflict";
    await this.ctx.storage.put(KEY, tx_ref);
    return "bound";
  }

  async txRef(): Promise<string | null> {
    return (await this.ctx.storage.get<string>(KEY)) ?? null;
  }
}
