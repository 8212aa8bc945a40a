/**
 * ProviderRefs: one Durable Object per provider reference that cannot be our
 * tx_ref, mapping it back to the transaction it belongs to. VTpass knows a
 * purchase only by the `request_id` we sent (it must begin with today's Lagos
 * date, so it cannot carry our tx_ref); its callbacks name that id, and the
 * consumer needs the wallet and tx_ref behind it. The mapping is stored before
 * the id is ever sent, and looked up, never parsed. Reached through a port's
 * ReferenceIndex (src/providers/references.ts), never by vendor name.
 *
 * Why one object per reference: the name is the key, so a lookup needs no
 * index and no two purchases ever contend for one object.
 *
 * Invariants
 * - A reference is bound to one tx_ref, once; binding it to another is
 *   refused (`conflict`), binding the same again is a no-op.
 * - A lookup of a name never bound writes nothing: no storage is created for
 *   references that do not exist (the key-value API with no schema to migrate,
 *   so reading an empty object persists nothing). Claiming a requery for such
 *   a name writes nothing either.
 * - Requeries asked for by callbacks (`claimRequery`) are at least the
 *   interval apart, and every callback is followed by a requery that starts
 *   no earlier than it arrived: the first at once, repeats folded into one
 *   at the end of the interval. `requery_at_ms` is the start of the latest
 *   requery asked for (a future one when a repeat was folded).
 */
import { DurableObject } from "cloudflare:workers";

const KEY = "tx_ref";
const REQUERY_AT_KEY = "requery_at_ms";

export type BindResult = "bound" | "conflict";

/**
 * What to do with a callback for this reference:
 * - `unknown`: never bound (an id we never sent): nothing to requery;
 * - `now`: requery at once;
 * - `later`: requery after `delay_s` (a repeat within the interval);
 * - `covered`: a requery that starts after this callback arrived is already
 *   asked for; nothing more to do.
 * `at_ms` and `previous_at_ms` let a caller that could not enqueue the
 * requery give its claim back (`releaseRequery`).
 */
export type RequeryClaim =
  | { claim: "unknown" }
  | { claim: "now"; at_ms: number; previous_at_ms: number | null }
  | { claim: "later"; at_ms: number; delay_s: number; previous_at_ms: number }
  | { claim: "covered"; at_ms: number };

/**
 * The object name for a provider's reference: the name of the port that made
 * it (a reference is unique only at its provider), then the reference. Purchase
 * references are named "vtpass:<request_id>", as they were before ports had
 * names, so references bound then are still found.
 */
export function providerRefName(port_name: string, reference: string): string {
  return `${port_name}:${reference}`;
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

  /**
   * Compare-and-set on `requery_at_ms` (the object's calls run one at a time,
   * and no other call is delivered between a storage read and the write that
   * follows it: the input gate).
   */
  async claimRequery(now_ms: number, interval_ms: number): Promise<RequeryClaim> {
    if ((await this.ctx.storage.get<string>(KEY)) === undefined) return { claim: "unknown" };
    const last_ms = (await this.ctx.storage.get<number>(REQUERY_AT_KEY)) ?? null;
    if (last_ms === null || now_ms >= last_ms + interval_ms) {
      await this.ctx.storage.put(REQUERY_AT_KEY, now_ms);
      return { claim: "now", at_ms: now_ms, previous_at_ms: last_ms };
    }
    if (last_ms >= now_ms) return { claim: "covered", at_ms: last_ms };
    const at_ms = last_ms + interval_ms;
    await this.ctx.storage.put(REQUERY_AT_KEY, at_ms);
    return {
      claim: "later",
      at_ms,
      delay_s: Math.ceil((at_ms - now_ms) / 1000),
      previous_at_ms: last_ms,
    };
  }

  /** Give back a claim whose requery could not be enqueued, unless a later claim replaced it. */
  async releaseRequery(at_ms: number, previous_at_ms: number | null): Promise<void> {
    if ((await this.ctx.storage.get<number>(REQUERY_AT_KEY)) !== at_ms) return;
    if (previous_at_ms === null) await this.ctx.storage.delete(REQUERY_AT_KEY);
    else await this.ctx.storage.put(REQUERY_AT_KEY, previous_at_ms);
  }
}
