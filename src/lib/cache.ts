/**
 * A per-isolate read-through cache for provider lists that change rarely (the
 * bank list, VTpass's catalogue): fresh for `ttl_s`, then refreshed; when the
 * provider fails, a stale copy is served for up to `stale_s` more, so a
 * provider outage does not take the lists down with it.
 *
 * One call per key at a time: reads of a key that arrive while its fetch is
 * running wait for that fetch instead of starting their own. With
 * `failure_ttl_s`, a failed fetch is remembered that long: reads meanwhile
 * get the stale copy (when one may be served) or the failure, without a call.
 * So while a provider is failing, each key costs it at most one fetch per
 * `failure_ttl_s` per isolate, however many requests ask.
 *
 * The shared fetch runs in the request that started it. A request's pending
 * work is cancelled when it ends, and a waiter on a cancelled promise would
 * never wake, so the starter passes `keep_alive` (its `ctx.waitUntil`) to keep
 * the fetch running to its end even if its own client goes away.
 *
 * Bounded: each cache holds at most `max_entries` keys, values and remembered
 * failures alike (the oldest is evicted); fetches in flight are at most one
 * per key. Per isolate only: a cold isolate asks the provider once.
 */
import { log } from "./log";

export type CacheRead<T> =
  | { ok: true; value: T; cached: boolean; stale: boolean }
  | { ok: false; error: unknown };

export type CacheOptions = { failure_ttl_s?: number };

export class ReadThroughCache<T> {
  private readonly entries = new Map<string, { value: T; fetched_at_ms: number }>();
  private readonly failures = new Map<string, { error: unknown; failed_at_ms: number }>();
  private readonly inflight = new Map<string, Promise<CacheRead<T>>>();

  constructor(
    private readonly name: string,
    private readonly ttl_s: number,
    private readonly stale_s: number,
    private readonly max_entries: number,
    private readonly options: CacheOptions = {},
  ) {}

  /**
   * `fetch` returns the value, or throws (the error is handed back when no
   * stale copy may be served). `keep_alive` receives the fetch when this read
   * starts one (pass the request's `ctx.waitUntil`).
   */
  async read(
    key: string,
    fetch: () => Promise<T>,
    request_id?: string,
    keep_alive?: (work: Promise<unknown>) => void,
  ): Promise<CacheRead<T>> {
    const now_ms = Date.now();
    const entry = this.entries.get(key);
    if (entry && now_ms - entry.fetched_at_ms < this.ttl_s * 1000)
      return { ok: true, value: entry.value, cached: true, stale: false };
    const failed = this.failures.get(key);
    if (failed && now_ms - failed.failed_at_ms < (this.options.failure_ttl_s ?? 0) * 1000)
      return this.staleOr(key, now_ms, failed.error, request_id);
    const running = this.inflight.get(key);
    if (running) return running;
    const started: Promise<CacheRead<T>> = this.refresh(key, fetch, now_ms, request_id).finally(
      () => {
        if (this.inflight.get(key) === started) this.inflight.delete(key);
      },
    );
    this.inflight.set(key, started);
    keep_alive?.(started);
    return started;
  }

  private async refresh(
    key: string,
    fetch: () => Promise<T>,
    now_ms: number,
    request_id?: string,
  ): Promise<CacheRead<T>> {
    try {
      const value = await fetch();
      this.failures.delete(key);
      this.entries.delete(key);
      this.entries.set(key, { value, fetched_at_ms: now_ms });
      this.bound(this.entries);
      return { ok: true, value, cached: false, stale: false };
    } catch (error) {
      if (this.options.failure_ttl_s) {
        this.failures.delete(key);
        this.failures.set(key, { error, failed_at_ms: Date.now() });
        this.bound(this.failures);
      }
      return this.staleOr(key, now_ms, error, request_id);
    }
  }

  /** The stale copy when it is young enough to serve, else the failure. */
  private staleOr(key: string, now_ms: number, error: unknown, request_id?: string): CacheRead<T> {
    const entry = this.entries.get(key);
    if (entry && now_ms - entry.fetched_at_ms < (this.ttl_s + this.stale_s) * 1000) {
      log.warn("serving a stale copy", { request_id, cache: this.name, key });
      return { ok: true, value: entry.value, cached: true, stale: true };
    }
    return { ok: false, error };
  }

  private bound(map: Map<string, unknown>): void {
    while (map.size > this.max_entries) map.delete(map.keys().next().value as string);
  }

  /** For tests: forget everything (a fetch in flight still ends, and stores its answer). */
  clear(): void {
    this.entries.clear();
    this.failures.clear();
    this.inflight.clear();
  }
}
