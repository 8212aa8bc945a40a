/**
 * ProviderRefs: the index from a provider reference that cannot be our tx_ref
 * back to the transaction it belongs to. VTpass knows a purchase only by the
 * `request_id` we sent (it must begin with today's Lagos date, so it cannot
 * carry our tx_ref); its callbacks name that id, and the consumer needs the
 * wallet and tx_ref behind it. The mapping is stored before the id is ever
 * sent, and looked up, never parsed. Reached through a port's ReferenceIndex
 * (src/providers/references.ts), never by vendor name.
 *
 * Why shards: the index is held by PROVIDER_REFS_SHARDS objects (limits.ts),
 * a reference in the one its (port, reference) hashes to, one SQLite row
 * each. It used to be one object per reference, which made every purchase
 * create a brand-new object, the costliest single step of a purchase; a
 * shard stays warm, and its calls are a primary-key read or insert, so 64 of
 * them do not make purchases contend.
 *
 * Objects named the old way ("<port>:<reference>", key-value storage) still
 * hold the references bound before the shards: a lookup that misses in its
 * shard reads the old object (`legacyBinding`, which writes nothing), and a
 * requery claim carries a binding found there into the shard, so the old
 * object is never written again.
 *
 * Invariants
 * - A reference is bound to one tx_ref, once; binding it to another is
 *   refused (`conflict`), binding the same again is a no-op.
 * - A lookup of a reference never bound writes nothing: a shard's schema is
 *   created at its first bind only, a lookup in a shard is a read, and so is
 *   the fallback to the old object (reading an empty object's key-value
 *   storage persists nothing). Claiming a requery for such a reference writes
 *   nothing either.
 * - Requeries asked for by callbacks (`claimRequery`) are at least the
 *   interval apart, and every callback is followed by a requery that starts
 *   no earlier than it arrived: the first at once, repeats folded into one
 *   at the end of the interval. `requery_at_ms` is the start of the latest
 *   requery asked for (a future one when a repeat was folded).
 * - Every method of a shard runs synchronously (SQLite calls, no await), so
 *   each one is atomic: no other call is delivered in the middle of it.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate, one } from "../../lib/sqlite";
import { PROVIDER_REFS_SHARDS } from "./limits";
import { MIGRATIONS } from "./schema";

/** The key-value keys of an object named the old way (one per reference). */
const LEGACY_KEY = "tx_ref";
const LEGACY_REQUERY_AT_KEY = "requery_at_ms";

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

/** What an object named the old way holds for its one reference. */
export type LegacyBinding = { tx_ref: string; requery_at_ms: number | null };

/**
 * The shard a reference lives in: FNV-1a (32 bit) of the port's name and the
 * reference, modulo PROVIDER_REFS_SHARDS. The hash must never change, for the
 * same reason as the count (limits.ts): references bound before would be
 * looked for in the wrong shard.
 */
export function providerRefsShard(port_name: string, reference: string): number {
  const key = `${port_name}:${reference}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PROVIDER_REFS_SHARDS;
}

/**
 * The name of the shard object holding a reference. It has no ":", so it is
 * never the name of an object of the old naming (which always has one).
 */
export function providerRefsShardName(port_name: string, reference: string): string {
  return `shard/${providerRefsShard(port_name, reference)}`;
}

/**
 * The object name a reference had before the shards: the name of the port
 * that made it (a reference is unique only at its provider), then the
 * reference ("vtpass:<request_id>"). Only read, for references bound then.
 */
export function providerRefName(port_name: string, reference: string): string {
  return `${port_name}:${reference}`;
}

type Row = { tx_ref: string; requery_at_ms: number | null };

export class ProviderRefs extends DurableObject<Env> {
  /** Whether this object has the shard schema (false: never bound anything here). */
  private schema_present = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // `_schema` only exists once a shard was written; an object of the old
    // naming (key-value only) or a shard never bound into is left untouched.
    void ctx.blockConcurrencyWhile(async () => {
      const stored = ctx.storage.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_schema'")
        .toArray();
      if (stored.length > 0) this.ensureSchema();
    });
  }

  private ensureSchema(): void {
    if (this.schema_present) return;
    migrate(this.ctx.storage, MIGRATIONS);
    this.schema_present = true;
  }

  private row(port: string, reference: string): Row | null {
    if (!this.schema_present) return null;
    return one(
      this.ctx.storage.sql.exec<Row>(
        "SELECT tx_ref, requery_at_ms FROM refs WHERE port = ? AND reference = ?",
        port,
        reference,
      ),
    );
  }

  private setRequeryAt(port: string, reference: string, at_ms: number | null): void {
    this.ctx.storage.sql.exec(
      "UPDATE refs SET requery_at_ms = ? WHERE port = ? AND reference = ?",
      at_ms,
      port,
      reference,
    );
  }

  bind(port: string, reference: string, tx_ref: string): BindResult {
    const existing = this.row(port, reference);
    if (existing !== null) return existing.tx_ref === tx_ref ? "bound" : "conflict";
    this.ensureSchema();
    this.ctx.storage.sql.exec(
      "INSERT INTO refs (port, reference, tx_ref, requery_at_ms) VALUES (?, ?, ?, NULL)",
      port,
      reference,
      tx_ref,
    );
    return "bound";
  }

  txRef(port: string, reference: string): string | null {
    return this.row(port, reference)?.tx_ref ?? null;
  }

  /**
   * Compare-and-set on `requery_at_ms`. `carried`: the binding the caller
   * found in the object of the old naming after this shard answered
   * `unknown`; it is stored here first (unless the reference was bound here
   * meanwhile), so the claim, its release and every later claim meet here.
   */
  claimRequery(
    port: string,
    reference: string,
    now_ms: number,
    interval_ms: number,
    carried: LegacyBinding | null = null,
  ): RequeryClaim {
    let row = this.row(port, reference);
    if (row === null && carried !== null) {
      this.ensureSchema();
      this.ctx.storage.sql.exec(
        "INSERT INTO refs (port, reference, tx_ref, requery_at_ms) VALUES (?, ?, ?, ?)",
        port,
        reference,
        carried.tx_ref,
        carried.requery_at_ms,
      );
      row = carried;
    }
    if (row === null) return { claim: "unknown" };
    const last_ms = row.requery_at_ms;
    if (last_ms === null || now_ms >= last_ms + interval_ms) {
      this.setRequeryAt(port, reference, now_ms);
      return { claim: "now", at_ms: now_ms, previous_at_ms: last_ms };
    }
    if (last_ms >= now_ms) return { claim: "covered", at_ms: last_ms };
    const at_ms = last_ms + interval_ms;
    this.setRequeryAt(port, reference, at_ms);
    return {
      claim: "later",
      at_ms,
      delay_s: Math.ceil((at_ms - now_ms) / 1000),
      previous_at_ms: last_ms,
    };
  }

  /** Give back a claim whose requery could not be enqueued, unless a later claim replaced it. */
  releaseRequery(
    port: string,
    reference: string,
    at_ms: number,
    previous_at_ms: number | null,
  ): void {
    if (this.row(port, reference)?.requery_at_ms !== at_ms) return;
    this.setRequeryAt(port, reference, previous_at_ms);
  }

  /**
   * An object of the old naming: what it holds for its reference, or null
   * (never bound). A read only: an object never written stays without storage.
   */
  async legacyBinding(): Promise<LegacyBinding | null> {
    const tx_ref = await this.ctx.storage.get<string>(LEGACY_KEY);
    if (tx_ref === undefined) return null;
    const requery_at_ms = (await this.ctx.storage.get<number>(LEGACY_REQUERY_AT_KEY)) ?? null;
    return { tx_ref, requery_at_ms };
  }
}
