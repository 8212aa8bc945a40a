/**
 * MongoProjector: writes the ledger's projection (users, wallets,
 * transactions) to MongoDB through the official driver, and reads it back for
 * the consistency checker.
 *
 * Why a Durable Object: the driver keeps a TCP (and TLS) connection, which a
 * plain Worker cannot reuse from one request to the next ("Cannot perform I/O
 * on behalf of a different request"), and a new connection per request costs
 * a TCP + TLS + auth handshake. An object keeps one client, and so one warm
 * socket, for its lifetime (Cloudflare's guidance for MongoDB: pool of one).
 * `MongoClient`, `Db` and `Collection` cannot cross RPC, so every database
 * operation happens in here; callers send plain changes and get plain results.
 *
 * Naming: an object is addressed as `<database>:<lane>` (`projectorName`).
 * The database is part of its identity, read back from `ctx.id.name`, so
 * pointing the projection at another database addresses other objects rather
 * than reusing a client bound to the old one, and tests can give each case a
 * database of its own. Lanes let a caller spread load over several objects;
 * the version guard keeps two lanes writing the same key safe.
 *
 * Invariants
 * - An outage never throws: `project`, `ping` and `documents` answer
 *   `{ ok: false, reason, retry_after_ms }` for "unavailable" (network,
 *   timeouts, no primary) and "misconfigured" (no URI, malformed URI or name,
 *   bad credentials, index conflicts). Only a malformed batch (a caller's
 *   bug) or a server answer we cannot classify throws.
 * - A batch may be retried whole, any number of times, in any order with
 *   other batches: every write is guarded by version (projection/mongo-writes.ts).
 * - Bounded: at most MONGO_BATCH_MAX changes per call, the whole call within
 *   the batch timeout, one pooled socket plus the driver's monitor.
 * - One call at a time (at most MONGO_PROJECTOR_CALLS_MAX running or waiting;
 *   past that "unavailable" at once). Many wallets share a lane: with calls
 *   overlapping, a call's timeout also counted the time it queued for the one
 *   socket, and dropping the client after a timeout failed every sibling in
 *   flight with a closed pool. In turn, a timeout measures the call alone and
 *   a drop never cuts another call short.
 * - After a connection failure or a batch timeout the client is dropped (and
 *   closed in the background); the next call builds a new one. Consecutive
 *   outages double the retry_after_ms asked of the caller, up to a bound.
 *   Nothing is kept in storage: the ledger's change feed is the durable side,
 *   and a socket does not survive eviction or hibernation anyway.
 * - Logs name hosts and the database only, never the URI (it may hold a password).
 */
import { DurableObject } from "cloudflare:workers";
import type { Db, MongoClient } from "mongodb";
import { configOf, type Config, type MongoSettings } from "../lib/config";
import {
  MONGO_BATCH_MAX,
  MONGO_BUSY_RETRY_AFTER_MS,
  MONGO_CLOSE_TIMEOUT_MS,
  MONGO_PROJECTOR_CALLS_MAX,
  MONGO_MISCONFIGURED_RETRY_AFTER_MS,
  MONGO_UNAVAILABLE_RETRY_AFTER_MAX_MS,
  MONGO_UNAVAILABLE_RETRY_AFTER_MS,
} from "./limits";
import { log } from "../lib/log";
import {
  classifyMongoError,
  closeNow,
  createMongoClient,
  describeMongoError,
  loadMongoDriver,
  mongoHosts,
  type MongoDriver,
} from "./mongo-client";
import {
  PROJECTION_COLLECTIONS,
  applyChanges,
  ensureIndexes,
  parseBatch,
  readDocuments,
  type ProjectionChange,
  type ProjectionCollection,
  type ProjectionDocument,
  type ProjectionReport,
} from "./mongo-writes";

// ---- Names ------------------------------------------------------------------------

/**
 * Database names we accept: MongoDB forbids `/\. "$` and NUL and allows 63
 * bytes; we keep to a portable subset so a name never needs escaping.
 */
const DB_NAME_PATTERN = /^[A-Za-z0-9_-]{1,63}$/;
const LANE_PATTERN = /^[a-z0-9-]{1,32}$/;

export function projectorName(db: string, lane = "0"): string {
  if (!DB_NAME_PATTERN.test(db) || !LANE_PATTERN.test(lane))
    throw new RangeError("projector name: invalid database name or lane");
  return `${db}:${lane}`;
}

/** The database an object writes to, from its name; null for a name `projectorName` would not make. */
export function projectorDatabase(name: string | undefined): string | null {
  if (name === undefined) return null;
  const [db, lane, ...rest] = name.split(":");
  if (
    rest.length > 0 ||
    lane === undefined ||
    !DB_NAME_PATTERN.test(db) ||
    !LANE_PATTERN.test(lane)
  )
    return null;
  return db;
}

/** The projector for a lane of the configured database, or null when the projection is switched off (no URI). */
export function mongoProjector(
  env: Env,
  config: Config,
  lane = "0",
): DurableObjectStub<MongoProjector> | null {
  if (!config.mongo) return null;
  return env.MONGO_PROJECTOR.getByName(projectorName(config.mongo.db, lane));
}

// ---- Results ----------------------------------------------------------------------

export type ProjectorFailure = {
  ok: false;
  reason: "unavailable" | "misconfigured";
  retry_after_ms: number;
};
export type ProjectResult = ({ ok: true } & ProjectionReport) | ProjectorFailure;
export type PingResult = { ok: true; round_trip_ms: number } | ProjectorFailure;
export type DocumentsResult = { ok: true; documents: ProjectionDocument[] } | ProjectorFailure;

const misconfigured = (): ProjectorFailure => ({
  ok: false,
  reason: "misconfigured",
  retry_after_ms: MONGO_MISCONFIGURED_RETRY_AFTER_MS,
});

type Target = { settings: MongoSettings; hosts: string[]; object_name: string };
type Session = { client: MongoClient; db: Db; indexes: Promise<void> | null };

const TIMED_OUT = Symbol("timed out");

// ---- The object ---------------------------------------------------------------------

export class MongoProjector extends DurableObject<Env> {
  private session: Session | null = null;
  /** Outages in a row since the last success; sets the backoff. In memory: an evicted object starts again at the base. */
  private failures = 0;
  /** The end of the line of calls (each runs after the one before it settles), and how many are in it. */
  private line: Promise<unknown> = Promise.resolve();
  private calls = 0;

  /**
   * Applies a batch of changes (at most MONGO_BATCH_MAX) with the version
   * guard. Throws only for a malformed batch; every outage is a result.
   */
  async project(changes: ProjectionChange[]): Promise<ProjectResult> {
    const batch = parseBatch(changes);
    if (batch.changes.length === 0) return { ok: true, applied: 0, stale: 0, rejected: [] };
    const outcome = await this.run("project", true, (db) => applyChanges(db, batch));
    if (!outcome.ok) return outcome;
    for (const rejection of outcome.value.rejected)
      log.warn("mongo projection change rejected", { ...rejection });
    return { ok: true, ...outcome.value };
  }

  /** One `ping` round trip: is the database reachable from here, and how fast. */
  async ping(): Promise<PingResult> {
    const started_ms = Date.now();
    const outcome = await this.run("ping", false, (db) => db.command({ ping: 1 }));
    return outcome.ok ? { ok: true, round_trip_ms: Date.now() - started_ms } : outcome;
  }

  /** The projected documents for these keys (at most MONGO_BATCH_MAX), for the consistency checker. */
  async documents(collection: ProjectionCollection, keys: string[]): Promise<DocumentsResult> {
    if (!PROJECTION_COLLECTIONS.includes(collection))
      throw new TypeError("documents: unknown collection");
    if (keys.length > MONGO_BATCH_MAX)
      throw new RangeError(`documents: at most ${MONGO_BATCH_MAX} keys`);
    const outcome = await this.run("documents", false, (db) => readDocuments(db, collection, keys));
    return outcome.ok ? { ok: true, documents: outcome.value } : outcome;
  }

  // ---- Inside --------------------------------------------------------------------

  /** Runs `work` when the calls before it are done (see the header), or answers "busy" when the line is full. */
  private async run<T>(
    op: string,
    needs_indexes: boolean,
    work: (db: Db) => Promise<T>,
  ): Promise<{ ok: true; value: T } | ProjectorFailure> {
    if (this.calls >= MONGO_PROJECTOR_CALLS_MAX)
      return { ok: false, reason: "unavailable", retry_after_ms: MONGO_BUSY_RETRY_AFTER_MS };
    this.calls += 1;
    const turn = this.line.then(() => this.runNow(op, needs_indexes, work));
    this.line = turn.catch(() => {}); // a call that throws must not stop the line
    try {
      return await turn;
    } finally {
      this.calls -= 1;
    }
  }

  /**
   * Runs `work` against this object's database within the batch timeout,
   * creating the client (and, for writes, the indexes) on first use, and turns
   * every outage into a result.
   */
  private async runNow<T>(
    op: string,
    needs_indexes: boolean,
    work: (db: Db) => Promise<T>,
  ): Promise<{ ok: true; value: T } | ProjectorFailure> {
    const target = this.target();
    if (!target) return misconfigured();
    const fields = { op, db: target.settings.db, hosts: target.hosts };
    const mongo = await loadMongoDriver();

    let session: Session;
    try {
      session = this.session ??= this.open(mongo, target);
    } catch (error) {
      log.error("mongo projection misconfigured", {
        ...fields,
        error: describeMongoError(error, target.settings.uri),
      });
      return misconfigured();
    }

    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), target.settings.batch_timeout_ms);
    });
    const attempt = (async () => {
      if (needs_indexes) await this.indexesOf(session);
      return work(session.db);
    })();
    attempt.catch(() => {}); // if the deadline wins, a late rejection is expected and already handled below
    try {
      const value = await Promise.race([attempt, deadline]);
      if (value === TIMED_OUT) {
        // Something hangs (a read, or a handshake): only a new client gets past it.
        log.warn("mongo projection unavailable", {
          ...fields,
          error: {
            name: "BatchTimeout",
            message: `no answer within ${target.settings.batch_timeout_ms} ms`,
          },
        });
        this.drop(session);
        return this.unavailable();
      }
      this.failures = 0;
      return { ok: true, value };
    } catch (error) {
      const kind = classifyMongoError(mongo, error);
      const described = describeMongoError(error, target.settings.uri);
      if (kind === "unknown") {
        log.error("mongo projection failed", { ...fields, error: described });
        // Thrown without the driver's message, which may quote document values.
        throw new Error(
          `mongo projection failed: ${described.name}${described.code !== undefined ? ` ${described.code}` : ""}`,
        );
      }
      log.warn(`mongo projection ${kind}`, { ...fields, error: described });
      if (kind === "misconfigured") return misconfigured();
      // The next call starts with a new client. (After a failed first
      // connection the driver has closed this one's topology anyway.)
      this.drop(session);
      return this.unavailable();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** An outage answer, with a retry delay that doubles per consecutive outage. */
  private unavailable(): ProjectorFailure {
    this.failures = Math.min(this.failures + 1, 32);
    const retry_after_ms = Math.min(
      MONGO_UNAVAILABLE_RETRY_AFTER_MS * 2 ** (this.failures - 1),
      MONGO_UNAVAILABLE_RETRY_AFTER_MAX_MS,
    );
    return { ok: false, reason: "unavailable", retry_after_ms };
  }

  /** Where this object writes, or null (logged) when that cannot be known. */
  private target(): Target | null {
    const config = configOf(this.env);
    if (!config.ok) {
      log.error("mongo projection misconfigured", { problem: "service configuration invalid" });
      return null;
    }
    if (!config.config.mongo) {
      log.warn("mongo projection misconfigured", { problem: "MONGODB_URI is not set" });
      return null;
    }
    const name = this.ctx.id.name;
    const db = projectorDatabase(name);
    if (db === null || name === undefined) {
      log.error("mongo projection misconfigured", {
        problem: "object name is not <database>:<lane>",
      });
      return null;
    }
    return {
      settings: { ...config.config.mongo, db },
      hosts: mongoHosts(config.config.mongo.uri),
      object_name: name,
    };
  }

  private open(mongo: MongoDriver, target: Target): Session {
    const client = createMongoClient(mongo, target.settings, target.object_name);
    return { client, db: client.db(target.settings.db), indexes: null };
  }

  /** Indexes once per client; a failed attempt is forgotten so the next call tries again. */
  private indexesOf(session: Session): Promise<void> {
    session.indexes ??= ensureIndexes(session.db).catch((error: unknown) => {
      session.indexes = null;
      throw error;
    });
    return session.indexes;
  }

  /**
   * Forgets a client after a connection failure or a timeout, so the next
   * call reconnects. Only the current one: a late failure of an older client
   * must not drop a fresh one. The close is not awaited by the caller (its
   * answer does not depend on it) and cannot hang on the server (closeNow).
   */
  private drop(session: Session): void {
    if (this.session === session) this.session = null;
    this.ctx.waitUntil(
      Promise.race([
        closeNow(session.client),
        new Promise((resolve) => setTimeout(resolve, MONGO_CLOSE_TIMEOUT_MS)),
      ]),
    );
  }
}
