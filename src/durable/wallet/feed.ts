/**
 * The change feed: every new version of the wallet's profile, its balance and
 * each transaction, appended to the `changes` table in the same storage
 * transaction as the change itself, then delivered to its readers.
 *
 * Why a feed instead of calling the readers from each write: a write cannot
 * call the network inside its storage transaction, and a call after it can be
 * lost (eviction, a crash, a reader that is down). The feed makes delivery
 * durable and ordered: each reader has a position, advanced only after the
 * reader acknowledged everything up to it; a failed delivery is retried from
 * the same position with backoff (the alarm), so a reader that is down only
 * delays, and a reader may see a change twice but never out of order (readers
 * drop what they have by version).
 *
 * Readers: `rooms` (each transaction's Room DO, so every stage reaches
 * watchers in order), `operations` (the operator index across all wallets,
 * ./operator-reader.ts; anomalies enter the feed too, entity `anomaly` keyed
 * `tx_ref/kind` (plus `/ref` when one names a provider charge), so the index learns of them in the same way), `books`
 * (the double-entry books' shards, ./books-reader.ts, in the background like `operations`) and, only when
 * MongoDB is configured, `projection` (src/projection/wallet-reader.ts). A reader that is not
 * registered has no say: its old position (if it was ever registered) neither
 * holds back pruning nor arms the alarm, so with the projection off nothing
 * accumulates for it.
 *
 * Each reader drains on its own (single-flight per reader), so a slow reader
 * never delays another: the Wallet awaits `rooms` and `operations` after each
 * write (a watcher hears a stage, and operators see it, before the write's
 * answer leaves) and lets `projection` run in the background, so a slow or
 * absent MongoDB never adds latency to money.
 *
 * Retries back off exponentially with jitter (so wallets that failed together
 * do not retry together), and never sooner than a reader asked
 * (`retry_after_ms`, the projector's own backoff).
 *
 * Bounds: FEED_BATCH_MAX changes per delivery call, FEED_DRAIN_BATCHES_MAX
 * batches per drain (the alarm carries on), FEED_PRUNE_BATCH_MAX rows pruned
 * per alarm, FEED_RETAIN_MS of history kept after every reader has it.
 */
import {
  FEED_BATCH_MAX,
  FEED_DRAIN_BATCHES_MAX,
  FEED_PRUNE_BATCH_MAX,
  FEED_RETAIN_MS,
  FEED_RETRY_BASE_MS,
  FEED_RETRY_MAX_MS,
} from "./limits";
import { log } from "../../lib/log";
import { one } from "../../lib/sqlite";
import {
  appendCount,
  type Change,
  type ChangeRow,
  type Delivery,
  type FeedReader,
  toChange,
} from "./changes";

export {
  appendChange,
  type Change,
  type ChangeEntity,
  type Delivery,
  type FeedReader,
  requeueChange,
} from "./changes";

/**
 * The wait before retry number `failures`: exponential up to FEED_RETRY_MAX_MS,
 * "equal jitter" (half fixed, half random) so the delay still grows with each
 * failure but wallets that failed at the same moment spread out; never less
 * than what the reader asked for (itself capped at FEED_RETRY_MAX_MS).
 */
export function retryDelayMs(
  failures: number,
  retry_after_ms = 0,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(FEED_RETRY_MAX_MS, FEED_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * random());
  return Math.max(jittered, Math.min(Math.max(0, retry_after_ms), FEED_RETRY_MAX_MS));
}

/** A reader's state in the feed, for health reporting. */
export type ReaderState = {
  position: number;
  failures: number;
  retry_at_ms: number | null;
  backlog: number;
  oldest_at_ms: number | null;
};

type ReaderRow = { position: number; failures: number; retry_at_ms: number | null };

export class ChangeFeed {
  /** Per reader: the drain in progress, and whether it must go round once more. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /**
   * The last page read, handed to any reader at the same position while no
   * change was appended since (`appends`): readers drained together read and
   * parse each change once, not once each.
   */
  private last_page: { after: number; appends: number; changes: Change[] } | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly readers: Readonly<Record<string, FeedReader>>,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Changes after `position`, oldest first (at most `limit`). */
  since(position: number, limit: number = FEED_BATCH_MAX): Change[] {
    return this.sql
      .exec<ChangeRow>(
        "SELECT seq, entity, entity_key, version, body, created_at_ms FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
        position,
        limit,
      )
      .toArray()
      .map(toChange);
  }

  /** One delivery batch after `position`, reusing the last page read when it is still current. */
  private page(position: number): Change[] {
    const memo = this.last_page;
    if (memo && memo.after === position && memo.appends === appendCount()) return memo.changes;
    const changes = this.since(position);
    this.last_page = { after: position, appends: appendCount(), changes };
    return changes;
  }

  private lastSeq(): number {
    return (
      one(this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM changes"))?.seq ?? 0
    );
  }

  /**
   * Every reader's stored state, in one read. Always read from storage, never
   * kept in memory: a position is only as good as the acknowledgement stored
   * for it (it is what survives a crash, and what an operator may reset).
   */
  private rows(): Map<string, ReaderRow> {
    const rows = this.sql
      .exec<ReaderRow & { reader: string }>(
        "SELECT reader, position, failures, retry_at_ms FROM feed_readers",
      )
      .toArray();
    return new Map(rows.map((r) => [r.reader, r]));
  }

  private row(reader: string): ReaderRow {
    return (
      one(
        this.sql.exec<ReaderRow>(
          "SELECT position, failures, retry_at_ms FROM feed_readers WHERE reader = ?",
          reader,
        ),
      ) ?? { position: 0, failures: 0, retry_at_ms: null }
    );
  }

  position(reader: string): number {
    return (
      one(
        this.sql.exec<{ position: number }>(
          "SELECT position FROM feed_readers WHERE reader = ?",
          reader,
        ),
      )?.position ?? 0
    );
  }

  /** Changes a reader has not acknowledged yet. */
  backlog(reader: string): number {
    return (
      one(
        this.sql.exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM changes WHERE seq > ?",
          this.position(reader),
        ),
      )?.n ?? 0
    );
  }

  /** Names of the registered readers. */
  readerNames(): string[] {
    return Object.keys(this.readers);
  }

  /** Position, failures, retry time, backlog and the oldest waiting change of a reader. */
  state(reader: string): ReaderState {
    const row = one(
      this.sql.exec<{ position: number; failures: number; retry_at_ms: number | null }>(
        "SELECT position, failures, retry_at_ms FROM feed_readers WHERE reader = ?",
        reader,
      ),
    );
    const position = row?.position ?? 0;
    const waiting = one(
      this.sql.exec<{ n: number; oldest: number | null }>(
        "SELECT COUNT(*) AS n, MIN(created_at_ms) AS oldest FROM changes WHERE seq > ?",
        position,
      ),
    );
    return {
      position,
      failures: row?.failures ?? 0,
      retry_at_ms: row?.retry_at_ms ?? null,
      backlog: waiting?.n ?? 0,
      oldest_at_ms: waiting?.oldest ?? null,
    };
  }

  /**
   * Deliver what these readers (default: all registered) have not
   * acknowledged. Single-flight per reader: a call while that reader's drain
   * runs makes the drain go round once more and waits for it, so a caller's
   * own change is delivered (or scheduled for retry) when this resolves, and
   * two drains never deliver to one reader concurrently (which could reorder
   * its changes). Never throws: failures are recorded and the alarm retries them.
   */
  drain(names: readonly string[] = this.readerNames()): Promise<void> {
    return Promise.all(names.filter((n) => n in this.readers).map((n) => this.drainOne(n))).then(
      () => undefined,
    );
  }

  private drainOne(name: string): Promise<void> {
    this.again.add(name);
    let running = this.running.get(name);
    if (!running) {
      running = this.loop(name).finally(() => {
        this.running.delete(name);
      });
      this.running.set(name, running);
    }
    return running;
  }

  private async loop(name: string): Promise<void> {
    while (this.again.has(name)) {
      this.again.delete(name);
      await this.drainReader(name);
    }
  }

  /**
   * Deliver a reader's backlog in bounded batches, unless it is backing off
   * after a failure. A batch shorter than FEED_BATCH_MAX was the whole
   * backlog when it was read; a change appended while it was being delivered
   * came with its own drain call, which sends this loop round again, so no
   * empty page is read to find that out.
   */
  private async drainReader(name: string): Promise<void> {
    const stored = this.row(name);
    if (stored.retry_at_ms && stored.retry_at_ms > Date.now()) return;
    let { position, failures } = stored;
    for (let batch = 0; batch < FEED_DRAIN_BATCHES_MAX; batch++) {
      const changes = this.page(position);
      if (changes.length === 0) return;
      let delivery: Delivery;
      try {
        delivery = await this.readers[name](changes);
      } catch (error) {
        delivery = { through_seq: position, error };
      }
      // A reader that got nowhere reports 0; positions never move backwards.
      position = Math.max(position, delivery.through_seq);
      failures = delivery.error === undefined ? 0 : failures + 1;
      this.acknowledge(name, position, failures, delivery);
      if (delivery.error !== undefined || changes.length < FEED_BATCH_MAX) return;
    }
  }

  /**
   * Store how far a reader got, in one statement (no read first). The
   * failure count is the loop's own: only this reader's single-flight loop
   * writes its row.
   */
  private acknowledge(name: string, through: number, failures: number, delivery: Delivery): void {
    const failed = delivery.error !== undefined;
    const retry_at_ms = failed
      ? Date.now() + retryDelayMs(failures, delivery.retry_after_ms)
      : null;
    // MAX(): a position never moves backwards, whatever order acknowledgements arrive in.
    // Every write of the Wallet goes through transactionSync, even a single statement.
    this.storage.transactionSync(() =>
      this.sql.exec(
        `INSERT INTO feed_readers (reader, position, failures, retry_at_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (reader) DO UPDATE SET position = MAX(position, excluded.position), failures = excluded.failures, retry_at_ms = excluded.retry_at_ms`,
        name,
        through,
        failures,
        retry_at_ms,
      ),
    );
    if (failed)
      log.warn("change feed delivery failed; will retry", {
        reader: name,
        position: through,
        failures,
        error: delivery.error,
      });
  }

  /**
   * When the alarm should next run for the feed (the earlier of a reader's
   * retry and the next prune), from one read of the readers and one of the
   * feed.
   */
  wakeAt(): number | null {
    const rows = this.rows();
    const feed = one(
      this.sql.exec<{ last: number | null; oldest: number | null }>(
        "SELECT (SELECT MAX(seq) FROM changes) AS last, (SELECT MIN(created_at_ms) FROM changes WHERE seq <= ?) AS oldest",
        this.floor(rows),
      ),
    );
    const prune_at =
      feed?.oldest === null || feed?.oldest === undefined ? null : feed.oldest + FEED_RETAIN_MS;
    const times = [this.retryAt(rows, feed?.last ?? 0), prune_at].filter(
      (t): t is number => t !== null,
    );
    return times.length === 0 ? null : Math.min(...times);
  }

  /** When the alarm should next run for the feed: a reader with a backlog and a retry time. */
  nextRetryAt(): number | null {
    return this.retryAt(this.rows(), this.lastSeq());
  }

  private retryAt(rows: Map<string, ReaderRow>, last: number): number | null {
    let at: number | null = null;
    for (const name of Object.keys(this.readers)) {
      // A drain in progress re-arms the alarm itself when it ends (the Wallet does).
      if (this.running.has(name)) continue;
      const row = rows.get(name);
      if ((row?.position ?? 0) >= last) continue;
      const when = row?.retry_at_ms ?? Date.now();
      at = at === null ? when : Math.min(at, when);
    }
    return at;
  }

  /** When the oldest change every reader has acknowledged may be pruned, or null. */
  nextPruneAt(): number | null {
    return this.pruneAt(this.rows());
  }

  private pruneAt(rows: Map<string, ReaderRow>): number | null {
    const oldest = one(
      this.sql.exec<{ at: number | null }>(
        "SELECT MIN(created_at_ms) AS at FROM changes WHERE seq <= ?",
        this.floor(rows),
      ),
    )?.at;
    return oldest === null || oldest === undefined ? null : oldest + FEED_RETAIN_MS;
  }

  /** The highest seq every reader has acknowledged (with no reader, every seq). */
  private floor(rows: Map<string, ReaderRow> = this.rows()): number {
    const names = Object.keys(this.readers);
    return names.length === 0
      ? Number.MAX_SAFE_INTEGER
      : Math.min(...names.map((n) => rows.get(n)?.position ?? 0));
  }

  /**
   * Forget changes every reader has acknowledged and that are older than
   * FEED_RETAIN_MS (bounded per call). The retention keeps a window of history
   * for audits and for replaying a reader that is reset.
   */
  prune(now_ms: number): number {
    const cursor = this.sql.exec(
      "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE seq <= ? AND created_at_ms <= ? ORDER BY seq LIMIT ?)",
      this.floor(),
      now_ms - FEED_RETAIN_MS,
      FEED_PRUNE_BATCH_MAX,
    );
    return cursor.rowsWritten;
  }
}
