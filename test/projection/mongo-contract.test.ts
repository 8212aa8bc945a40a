/**
 * Contract of the MongoDB projection, run through the real `mongodb` driver
 * inside workerd (inside MongoProjector objects) over TCP.
 *
 * By default the server is the MongoDB-wire test double the global setup
 * starts on loopback (test/support/mongo-double). With MONGODB_TEST_URI set,
 * the same tests run unchanged against that real server; the outage tests,
 * which need to stop or hang the server, then skip.
 *
 * Each test writes to a database of its own (the projector's name carries
 * it), so tests stand alone and can run in any order; the databases are
 * dropped at the end.
 */
import { env } from "cloudflare:workers";
import * as mongodb from "mongodb";
import { MongoServerError, type Db } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { projectorName, type ProjectResult } from "../../src/projection/object";
import { newTxRef, newUserId, randomBase32 } from "../../src/lib/ids";
import { MONGO_BATCH_MAX, MONGO_UNAVAILABLE_RETRY_AFTER_MS } from "../../src/projection/limits";
import { createMongoClient, projectorAppName } from "../../src/projection/mongo-client";
import {
  INDEXES,
  PROJECTION_COLLECTIONS,
  ensureIndexes,
  type ProjectionChange,
} from "../../src/projection/mongo-writes";
import { eventually } from "../support/helpers";
import { mongoDouble, mongoUri, usingDouble } from "../support/mongo-double/control";

/** The timeouts vitest.config.ts binds for the projector (MONGO_*_TIMEOUT_MS). */
const SERVER_SELECTION_TIMEOUT_MS = 1_500;
const BATCH_TIMEOUT_MS = 4_000;

// ---- Helpers ---------------------------------------------------------------------------

const databases: string[] = [];

function uniqueDb(): string {
  const db = `contract_${randomBase32(12)}`;
  databases.push(db);
  return db;
}

const projector = (db: string, lane = "0") =>
  env.MONGO_PROJECTOR.getByName(projectorName(db, lane));

/** The driver, from the test itself, to look at the server directly (never to write the projection). */
async function withDriver<T>(db: string, work: (db: Db) => Promise<T>): Promise<T> {
  const client = createMongoClient(mongodb, { uri: mongoUri, server_selection_timeout_ms: 5_000 });
  try {
    return await work(client.db(db));
  } finally {
    await client.close();
  }
}

afterAll(async () => {
  for (const db of databases) await withDriver(db, (d) => d.dropDatabase());
});

const CREATED_AT_MS = 1_760_000_000_000;

function userChange(key: string, version: number, email = `${key}@example.com`): ProjectionChange {
  return {
    collection: "users",
    key,
    version,
    doc: { email, full_name: `User v${version}`, created_at_ms: CREATED_AT_MS },
  };
}

function walletChange(key: string, version: number, balance_minor: number): ProjectionChange {
  return {
    collection: "wallets",
    key,
    version,
    doc: {
      currency: "NGN",
      balance_minor,
      available_minor: balance_minor,
      is_active: true,
      frozen_mode: null,
      frozen_reason: null,
      tier: 0,
      created_at_ms: CREATED_AT_MS,
      updated_at_ms: CREATED_AT_MS + version,
    },
  };
}

function transactionChange(
  user_id: string,
  tx_ref: string,
  version: number,
  status: "PENDING" | "SUCCESS",
): ProjectionChange {
  return {
    collection: "transactions",
    key: tx_ref,
    version,
    doc: {
      user_id,
      type: "FUND",
      status,
      stage: status === "PENDING" ? "awaiting_payment" : "credited",
      amount_minor: 500_00,
      fee_minor: 0,
      currency: "NGN",
      provider_ref: status === "PENDING" ? null : "FLW-12345",
      failure_reason: null,
      created_at_ms: CREATED_AT_MS,
      updated_at_ms: CREATED_AT_MS + version,
      settled_at_ms: status === "PENDING" ? null : CREATED_AT_MS + version,
    },
  };
}

function expectApplied(result: ProjectResult) {
  if (!result.ok)
    throw new Error(`expected the batch to be projected, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * The message a refused RPC call rejects with. (Not `expect(...).rejects`:
 * an RPC promise pipelines property reads into further calls, and the matcher's
 * reads would leave those rejecting unobserved.)
 */
async function refusal(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "not refused",
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

/** The double's connection counts for one projector object (its handshake names it). */
async function connectionsOf(db: string, lane = "0"): Promise<{ open: number; total: number }> {
  return (
    (await mongoDouble.stats()).apps[projectorAppName(projectorName(db, lane))] ?? {
      open: 0,
      total: 0,
    }
  );
}

async function documentOf(db: string, collection: ProjectionChange["collection"], key: string) {
  const read = await projector(db).documents(collection, [key]);
  if (!read.ok) throw new Error(`documents: ${JSON.stringify(read)}`);
  return read.documents[0] as Record<string, unknown> | undefined;
}

// ---- Indexes -------------------------------------------------------------------------------

describe("indexes", () => {
  it("are created on a projector's first write, and creating them again changes nothing", async () => {
    const db = uniqueDb();
    expectApplied(await projector(db).project([userChange(newUserId(), 1)]));

    const listAll = (d: Db) =>
      Promise.all(
        PROJECTION_COLLECTIONS.map(
          async (c) =>
            [
              c,
              (await d.collection(c).indexes()).map((i) => ({
                name: i.name,
                unique: i.unique === true,
              })),
            ] as const,
        ),
      );
    const before = await withDriver(db, listAll);
    for (const [collection, indexes] of before) {
      for (const wanted of INDEXES[collection])
        expect(indexes).toContainEqual({ name: wanted.name, unique: wanted.unique === true });
    }

    await withDriver(db, async (d) => {
      await ensureIndexes(d);
      await ensureIndexes(d);
    });
    // A second projector on the same database creates them again on its first write.
    expectApplied(await projector(db, "1").project([userChange(newUserId(), 1)]));
    expect(await withDriver(db, listAll)).toEqual(before);
  });

  it("refuse a second document with the same unique key, with MongoDB's E11000 duplicate key error", async () => {
    const db = uniqueDb();
    const error = await withDriver(db, async (d) => {
      await ensureIndexes(d);
      await d
        .collection("users")
        .insertOne({ user_id: newUserId(), email: "taken@example.com", version: 1 });
      return d
        .collection("users")
        .insertOne({ user_id: newUserId(), email: "taken@example.com", version: 1 })
        .then(
          () => null,
          (e: unknown) => e,
        );
    });
    expect(error).toBeInstanceOf(MongoServerError);
    const server_error = error as MongoServerError;
    expect(server_error.code).toBe(11000);
    expect(server_error.keyPattern).toEqual({ email: 1 });
    expect(server_error.message).toMatch(
      /^E11000 duplicate key error collection: \S+\.users index: email_1 dup key/,
    );
  });
});

// ---- The version guard ----------------------------------------------------------------------

describe("the version guard", () => {
  it("applies a newer version and ignores an older or an equal one as stale", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const key = newUserId();

    expect(await p.project([userChange(key, 1)])).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [],
    });
    expect(await p.project([userChange(key, 3)])).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [],
    });
    expect(await p.project([userChange(key, 2)])).toEqual({
      ok: true,
      applied: 0,
      stale: 1,
      rejected: [],
    });
    expect(await p.project([userChange(key, 3)])).toEqual({
      ok: true,
      applied: 0,
      stale: 1,
      rejected: [],
    });

    expect(await documentOf(db, "users", key)).toEqual({
      user_id: key,
      email: `${key}@example.com`,
      full_name: "User v3",
      created_at_ms: CREATED_AT_MS,
      version: 3,
    });
  });

  it("projects users, wallets and transactions in one batch, with reference equal to tx_ref", async () => {
    const db = uniqueDb();
    const user_id = newUserId();
    const tx_ref = newTxRef("FUND", user_id);
    const batch = [
      userChange(user_id, 1),
      walletChange(user_id, 2, 500_00),
      transactionChange(user_id, tx_ref, 1, "PENDING"),
      transactionChange(user_id, tx_ref, 2, "SUCCESS"),
    ];

    expect(await projector(db).project(batch)).toEqual({
      ok: true,
      applied: 4,
      stale: 0,
      rejected: [],
    });
    // The same batch again, as a retry after a lost answer would send it: nothing moves.
    expect(await projector(db).project(batch)).toEqual({
      ok: true,
      applied: 0,
      stale: 4,
      rejected: [],
    });

    expect(await documentOf(db, "wallets", user_id)).toMatchObject({
      user_id,
      balance_minor: 500_00,
      balance: "500.00",
      version: 2,
    });
    expect(await documentOf(db, "transactions", tx_ref)).toMatchObject({
      tx_ref,
      reference: tx_ref,
      user_id,
      status: "SUCCESS",
      amount: "500.00",
      fee: "0.00",
      settled_at_ms: CREATED_AT_MS + 2,
      version: 2,
    });
  });

  it("takes over a document that carries no version, as one written by hand or by the old service would", async () => {
    const db = uniqueDb();
    const key = newUserId();
    await withDriver(db, async (d) => {
      await ensureIndexes(d);
      await d
        .collection("users")
        .insertOne({ user_id: key, email: `${key}@example.com`, hashed_password: "legacy" });
    });
    expect(await projector(db).project([userChange(key, 1)])).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [],
    });
    expect(await documentOf(db, "users", key)).toMatchObject({ version: 1, full_name: "User v1" });
  });

  it("fills in a wallet document written before the tiers (no `tier`) at the same version, once; a document with a tier stays stale at that version", async () => {
    const db = uniqueDb();
    const key = newUserId();
    await withDriver(db, async (d) => {
      await ensureIndexes(d);
      const { tier: _none, ...before_tiers } = walletChange(key, 2, 500_00).doc;
      await d
        .collection("wallets")
        .insertOne({ user_id: key, ...before_tiers, balance: "500.00", version: 2 });
    });
    expect(await documentOf(db, "wallets", key)).not.toHaveProperty("tier");
    expect(await projector(db).project([walletChange(key, 2, 500_00)])).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [],
    });
    expect(await documentOf(db, "wallets", key)).toMatchObject({ version: 2, tier: 0 });
    // Now it has its tier: the same version again, or an older one, changes nothing.
    for (const version of [2, 1])
      expect(await projector(db).project([walletChange(key, version, 1_00)])).toEqual({
        ok: true,
        applied: 0,
        stale: 1,
        rejected: [],
      });
    expect(await documentOf(db, "wallets", key)).toMatchObject({
      balance_minor: 500_00,
      version: 2,
    });
  });

  it("reports a snapshot that another unique index refuses as rejected, and applies the rest of its batch", async () => {
    const db = uniqueDb();
    const first = newUserId();
    const second = newUserId();
    expectApplied(await projector(db).project([userChange(first, 1, "shared@example.com")]));

    const result = await projector(db).project([
      userChange(second, 1, "shared@example.com"),
      walletChange(first, 1, 0),
    ]);
    expect(result).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [{ collection: "users", key: second, code: 11000, index: "email_1" }],
    });
    expect(await documentOf(db, "users", second)).toBeUndefined();
    expect(await documentOf(db, "wallets", first)).toMatchObject({ version: 1 });
  });

  it("ends at version 3 when two projectors race versions 2 and 3 of one key, in either order", async () => {
    const db = uniqueDb();
    const a = projector(db, "a");
    const b = projector(db, "b");
    // Both warm (connected, indexes in place), so the race is between the two writes alone.
    expectApplied(await a.project([userChange(newUserId(), 1)]));
    expectApplied(await b.project([userChange(newUserId(), 1)]));

    // On the double, open the gap a server has between an upsert's "no
    // match" and its insert, so both upserts decide to insert and one of them
    // gets E11000 whatever the order. A real server gets there by itself, at
    // times; the outcome must be the same either way.
    const duplicates_before = usingDouble ? (await mongoDouble.stats()).duplicate_key_errors : 0;
    if (usingDouble) await mongoDouble.setUpsertRaceWindow(300);
    try {
      for (const [version_a, version_b] of [
        [2, 3],
        [3, 2],
      ]) {
        const key = newUserId();
        const [result_a, result_b] = await Promise.all([
          a.project([userChange(key, version_a)]),
          b.project([userChange(key, version_b)]),
        ]);
        const ra = expectApplied(result_a);
        const rb = expectApplied(result_b);
        // Each change is accounted for exactly once: applied or stale.
        expect(ra.applied + ra.stale + rb.applied + rb.stale).toBe(2);
        expect(ra.rejected.concat(rb.rejected)).toEqual([]);
        expect(await documentOf(db, "users", key)).toMatchObject({
          version: 3,
          full_name: "User v3",
        });
      }
    } finally {
      if (usingDouble) await mongoDouble.setUpsertRaceWindow(0);
    }
    // One insert lost per order: the race did happen, and E11000 did not end it at version 2.
    if (usingDouble)
      expect(
        (await mongoDouble.stats()).duplicate_key_errors - duplicates_before,
      ).toBeGreaterThanOrEqual(2);
  });
});

// ---- Write concern (the double only: a real server does not say what it was asked) ----------------

describe.skipIf(!usingDouble)("write concern", () => {
  it("is majority on every projection write: the batch's update commands and the driver's own retry of a stale one", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const key = newUserId();
    expect(await p.project([userChange(key, 1), walletChange(key, 1, 0)])).toEqual({
      ok: true,
      applied: 2,
      stale: 0,
      rejected: [],
    });
    expect(await p.project([userChange(key, 3)])).toEqual({
      ok: true,
      applied: 1,
      stale: 0,
      rejected: [],
    });
    // An older version finds the key taken (E11000 on the upsert) and is settled by a guarded updateOne.
    expect(await p.project([userChange(key, 2)])).toEqual({
      ok: true,
      applied: 0,
      stale: 1,
      rejected: [],
    });

    const writes = (await mongoDouble.writes(db)).filter((w) => w.command !== "createIndexes");
    // Three batches of the update command (users twice, wallets, users), then the retry's update.
    expect(writes.map((w) => `${w.command} ${w.collection}`)).toEqual([
      "update users",
      "update wallets",
      "update users",
      "update users",
      "update users",
    ]);
    for (const write of writes)
      expect(write.write_concern, `${write.command} ${write.collection}`).toMatchObject({
        w: "majority",
      });
  });
});

// ---- Outages (the double only: a real server cannot be stopped from here) -----------------------

describe.skipIf(!usingDouble)("outages", () => {
  it("answer unavailable while the server is down, and the projector reconnects once it is back", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const key = newUserId();
    expectApplied(await p.project([userChange(key, 1)]));

    await mongoDouble.stop();
    try {
      expect(await p.project([userChange(key, 2)])).toEqual({
        ok: false,
        reason: "unavailable",
        retry_after_ms: expect.any(Number),
      });
      expect(await p.ping()).toMatchObject({ ok: false, reason: "unavailable" });
    } finally {
      await mongoDouble.start();
    }

    const result = await eventually(
      async () => expectApplied(await p.project([userChange(key, 2)])),
      10_000,
      250,
    );
    expect(result).toEqual({ ok: true, applied: 1, stale: 0, rejected: [] });
    expect(await documentOf(db, "users", key)).toMatchObject({ version: 2 });
  });

  it("answer unavailable at the batch timeout when a frozen server leaves a write unanswered, and close that client's sockets", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const key = newUserId();
    expectApplied(await p.project([userChange(key, 1)]));

    await mongoDouble.pause();
    try {
      const started_ms = Date.now();
      expect(await p.project([userChange(key, 2)])).toMatchObject({
        ok: false,
        reason: "unavailable",
      });
      const elapsed_ms = Date.now() - started_ms;
      // The batch timer ends it: the driver's socket timers are off (MONGO_SOCKET_TIMEOUT_MS).
      expect(elapsed_ms).toBeGreaterThanOrEqual(BATCH_TIMEOUT_MS - 100);
      expect(elapsed_ms).toBeLessThan(BATCH_TIMEOUT_MS + 1_000);
      // The hung client is dropped without waiting for the server: none of its sockets stays open.
      await eventually(async () => expect((await connectionsOf(db)).open).toBe(0), 3_000, 100);
    } finally {
      await mongoDouble.resume();
    }

    expect(
      await eventually(
        async () => expectApplied(await p.project([userChange(key, 2)])),
        10_000,
        250,
      ),
    ).toMatchObject({ applied: 1 });
    expect(await documentOf(db, "users", key)).toMatchObject({ version: 2 });
  });

  it("answer unavailable at the server selection timeout when a frozen server never completes a handshake, asking for longer waits each time", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const key = newUserId();

    await mongoDouble.pause();
    try {
      const retry_after: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const started_ms = Date.now();
        const result = await p.project([userChange(key, 1)]);
        const elapsed_ms = Date.now() - started_ms;
        if (result.ok) throw new Error("projected to a frozen server");
        expect(result.reason).toBe("unavailable");
        expect(elapsed_ms).toBeGreaterThanOrEqual(SERVER_SELECTION_TIMEOUT_MS - 100);
        expect(elapsed_ms).toBeLessThan(BATCH_TIMEOUT_MS);
        retry_after.push(result.retry_after_ms);
      }
      expect(retry_after).toEqual([
        MONGO_UNAVAILABLE_RETRY_AFTER_MS,
        2 * MONGO_UNAVAILABLE_RETRY_AFTER_MS,
        4 * MONGO_UNAVAILABLE_RETRY_AFTER_MS,
      ]);
    } finally {
      await mongoDouble.resume();
    }

    // Thawed, the projector carries on and the backoff starts again.
    expect(
      await eventually(
        async () => expectApplied(await p.project([userChange(key, 1)])),
        10_000,
        250,
      ),
    ).toMatchObject({ applied: 1 });
    await mongoDouble.stop();
    try {
      expect(await p.project([userChange(key, 2)])).toMatchObject({
        ok: false,
        retry_after_ms: MONGO_UNAVAILABLE_RETRY_AFTER_MS,
      });
    } finally {
      await mongoDouble.start();
    }
    // The handshakes the abandoned clients left waiting were answered on thaw,
    // and those sockets closed: nothing stays open but what the live client holds.
    await eventually(
      async () => expect((await connectionsOf(db)).open).toBeLessThanOrEqual(2),
      5_000,
      100,
    );
  });

  it("answer unavailable at the batch timeout when every answer comes, but too slowly, and a retry then applies the batch", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const user_id = newUserId();
    const batch = [
      userChange(user_id, 1),
      walletChange(user_id, 1, 0),
      transactionChange(user_id, newTxRef("FUND", user_id), 1, "PENDING"),
    ];

    // Every answer comes, after a second; a first write takes six round trips
    // (three createIndexes, three updates): past the batch timeout.
    await mongoDouble.setAnswerDelay(1_000);
    let elapsed_ms: number;
    try {
      const started_ms = Date.now();
      expect(await p.project(batch)).toMatchObject({ ok: false, reason: "unavailable" });
      elapsed_ms = Date.now() - started_ms;
    } finally {
      await mongoDouble.setAnswerDelay(0);
    }
    expect(elapsed_ms).toBeGreaterThanOrEqual(BATCH_TIMEOUT_MS - 100);
    expect(elapsed_ms).toBeLessThan(BATCH_TIMEOUT_MS + 1_000);

    // Some of the batch may have landed before the timer fired; the retry
    // accounts for every change once, as applied or as stale.
    const retried = await eventually(
      async () => expectApplied(await p.project(batch)),
      10_000,
      250,
    );
    expect(retried.applied + retried.stale).toBe(3);
    expect(await documentOf(db, "wallets", user_id)).toMatchObject({ version: 1 });
  });

  it("keep to one pooled connection per projector, however many calls arrive at once, and keep it between calls", async () => {
    const db = uniqueDb();
    const p = projector(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => p.project([userChange(newUserId(), 1)])),
    );
    for (const result of results) expect(result).toMatchObject({ ok: true, applied: 1 });
    // One socket for commands and one for the driver's monitor, whatever the load.
    expect(await connectionsOf(db)).toEqual({ open: 2, total: 2 });

    // Calls spread over a few seconds reuse those sockets: none is dropped and
    // reopened in between (as the driver's socket timers do under workerd).
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(await p.project([userChange(newUserId(), 1)])).toMatchObject({ ok: true, applied: 1 });
    }
    expect(await connectionsOf(db)).toEqual({ open: 2, total: 2 });
  });
});

// ---- Misuse -------------------------------------------------------------------------------------

describe("misuse", () => {
  it("an object whose name does not say its database answers misconfigured and writes nothing", async () => {
    const stray = env.MONGO_PROJECTOR.getByName("not a projector name");
    expect(await stray.project([userChange(newUserId(), 1)])).toEqual({
      ok: false,
      reason: "misconfigured",
      retry_after_ms: expect.any(Number),
    });
    expect(await stray.ping()).toMatchObject({ ok: false, reason: "misconfigured" });
  });

  it("a malformed batch is refused with the field's path, never its value", async () => {
    const p = projector(uniqueDb());
    const user_id = newUserId();
    const bad_version = { ...userChange(user_id, 1, "private.person@example.com"), version: 0 };
    const message = await refusal(p.project([bad_version]));
    expect(message).toMatch(/^invalid projection batch: 0\.version: too_small$/);
    expect(message).not.toContain("private.person");

    const too_many = Array.from({ length: MONGO_BATCH_MAX + 1 }, (_, i) =>
      userChange(newUserId(), i + 1),
    );
    expect(await refusal(p.project(too_many))).toMatch(/^invalid projection batch: : too_big/);

    // A transaction must belong to the user its reference names.
    const foreign = transactionChange(newUserId(), newTxRef("FUND", user_id), 1, "PENDING");
    expect(await refusal(p.project([foreign]))).toMatch(/^invalid projection batch: 0: custom/);
  });
});
