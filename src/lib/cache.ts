/**
 * A per-isolate read-through cache for provider lists that change rarely (the
 * bank list, VTpass's catalogue): fresh for `ttl_s`, then refreshed; when the
 * provider fails, a stale copy is served for up to `stale_s` more, so a
 * provider outage does not take the lists down with it.
 *
 * Bounded: each cache holds at most `max_entries` keys (the oldest is evicted).
 * Per isolate only: a cold isolate asks the provider once.
 */
import { log } from "./log";

export type CacheRead<T> = { ok: true; value: T; cached: boolean; stale: boolean } | { ok: false; error: unknown };

export class ReadThroughCache<T> {
  private readonly entries = new Map<string, { value: T; fetched_at_ms: number }>();

  constructor(
    private readonly name: string,
    private readonly ttl_s: number,
    private readonly stale_s: number,
    private readonly max_entries: number,
  ) {}

  /** `fetch` returns the value, or throws (the error is handed back when no stale copy may be served). */
  async read(key: string, fetch: () => Promise<T>, request_id?: string): Promise<CacheRead<T>> {
    const now_ms = Date.now();
    const entry = this.entries.get(key);
    if (entry && now_ms - entry.fetched_at_ms < this.ttl_s * 1000) return { ok: true, value: entry.value, cached: true, stale: false };
    try {
      const value = await fetch();
      this.entries.delete(key);
      this.entries.set(key, { value, fetched_at_ms: now_ms });
      while (this.entries.size > this.max_entries) this.entries.delete(this.entries.keys().next().value as string);
      return { ok: true, value, cached: false, stale: false };
    } catch (error) {
      if (entry && now_ms - entry.fetched_at_ms < (this.ttl_s + this.stale_s) * 1000) {
        log.warn("serving a stale copy", { request_id, cache: this.name, key });
        return { ok: true, value: entry.value, cached: true, stale: true };
      }
      return { ok: false, error };
    }
  }

  /** For tests: forget everything. */
  clear(): void {
    this.entries.clear();
  }
}
