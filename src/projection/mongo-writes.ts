/**
 * The MongoDB projection of the ledger: document shapes, indexes, and the one
 * function that applies a batch of changes.
 *
 * Invariants
 * - A document never moves backwards. Each change carries the version of the
 *   ledger row it was taken from, and is written as a guarded upsert:
 *     updateOne({ <key>: key, version: { $not: { $gte: version } } },
 *               { $set: { ...snapshot, version } }, { upsert: true })
 *   A replayed, duplicated or reordered batch therefore changes nothing that a
 *   newer or equal version already wrote. (`$not: { $gte }` rather than `$lt`
 *   so that a document written without a version, by hand or by the old
 *   service, is taken over instead of blocking the key for ever.)
 * - A change is a full snapshot: every field of the shape is present (nullable
 *   ones as null), so `$set` leaves no field from an older version behind.
 * - Uniqueness is MongoDB's: each collection has a unique index on its key, so
 *   two projectors racing to insert the same key cannot both succeed. The loser
 *   gets E11000 (duplicate key). That does not by itself mean "stale": the
 *   loser may hold the newer version. It is settled by a second, non-upsert
 *   guarded update, which now finds the document: it matches (applied) or it
 *   does not (a newer or equal version is there: stale).
 * - A change refused for another reason (E11000 on a different unique index,
 *   such as an email another user's document holds) is reported as rejected,
 *   with the index name and never the value, and does not block the batch.
 *
 * MongoDB vocabulary stays in this folder; callers see ProjectionChange and
 * ProjectionReport.
 */
import { z } from "zod";
import type { Collection, Db, Filter, IndexDescription } from "mongodb";
import { formatMinor } from "../domain/money";
import { TX_STATUSES, TX_TYPES } from "../domain/transactions";
import { USER_ID_PATTERN, TX_REF_MAX_CHARS, txRefOwner } from "../lib/ids";
import { MongoMisconfigured, WriteConcernNotMet } from "./mongo-client";
import { BILL_TOKEN_MAX_CHARS, NARRATION_MAX_CHARS } from "../domain/limits";
import { EMAIL_MAX_CHARS, FULL_NAME_MAX_CHARS } from "../lib/limits";
import { ACT_TEXT_MAX_CHARS } from "../durable/wallet/limits";
import { MONGO_BATCH_MAX } from "./limits";

// ---- Shapes ---------------------------------------------------------------------------

export const PROJECTION_COLLECTIONS = ["users", "wallets", "transactions"] as const;
export type ProjectionCollection = (typeof PROJECTION_COLLECTIONS)[number];

/** The field that names a document: users and wallets by user id, transactions by tx_ref. */
export const KEY_FIELD = {
  users: "user_id",
  wallets: "user_id",
  transactions: "tx_ref",
} as const satisfies Record<ProjectionCollection, string>;

const int = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const time_ms = int;
const currency = z.string().regex(/^[A-Z]{3}$/);

/** What a change carries for each collection (the key and version are added by the projector). */
const UserSnapshot = z.strictObject({
  email: z.string().min(3).max(EMAIL_MAX_CHARS),
  full_name: z.string().max(FULL_NAME_MAX_CHARS).nullable(),
  created_at_ms: time_ms,
});
const WalletSnapshot = z.strictObject({
  currency,
  balance_minor: int,
  available_minor: int,
  is_active: z.boolean(),
  /** An operator's freeze (src/durable/wallet/freeze.ts): its mode and the reason the user is told. */
  frozen_mode: z.enum(["no_debit", "full"]).nullable(),
  frozen_reason: z.string().max(ACT_TEXT_MAX_CHARS).nullable(),
  /** The KYC tier (src/domain/tiers.ts), so reports can group wallets by it. */
  tier: z.number().int().min(0).max(3),
  /** The tier's limits when that version was written (KYC_TIERS); max_balance_minor null: no cap. */
  daily_limit_minor: int.optional(),
  max_balance_minor: int.nullable().optional(),
  created_at_ms: time_ms,
  updated_at_ms: time_ms,
});
const TransactionSnapshot = z.strictObject({
  user_id: z.string().regex(USER_ID_PATTERN),
  type: z.enum(TX_TYPES),
  status: z.enum(TX_STATUSES),
  stage: z.string().min(1).max(64),
  amount_minor: int.min(1),
  fee_minor: int,
  currency,
  provider_ref: z.string().max(128).nullable(),
  failure_reason: z
    .string()
    .max(NARRATION_MAX_CHARS * 4)
    .nullable(),
  created_at_ms: time_ms,
  updated_at_ms: time_ms,
  settled_at_ms: time_ms.nullable(),
  token: z.string().min(1).max(BILL_TOKEN_MAX_CHARS).optional(),
  units: z.string().max(BILL_TOKEN_MAX_CHARS).nullable().optional(),
});

export type UserDocument = z.infer<typeof UserSnapshot> & { user_id: string; version: number };
export type WalletDocument = z.infer<typeof WalletSnapshot> & {
  user_id: string;
  balance: string;
  version: number;
};
/** `reference` repeats tx_ref: the old service's field name, which its readers query. Decimal strings beside kobo for the old readers. */
export type TransactionDocument = z.infer<typeof TransactionSnapshot> & {
  tx_ref: string;
  reference: string;
  amount: string;
  fee: string;
  version: number;
};
export type ProjectionDocument = UserDocument | WalletDocument | TransactionDocument;

const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const user_key = z.string().regex(USER_ID_PATTERN);
const tx_key = z
  .string()
  .max(TX_REF_MAX_CHARS)
  .refine((tx_ref) => txRefOwner(tx_ref) !== null, "not one of our transaction references");

const Change = z.discriminatedUnion("collection", [
  z.strictObject({ collection: z.literal("users"), key: user_key, version, doc: UserSnapshot }),
  z.strictObject({ collection: z.literal("wallets"), key: user_key, version, doc: WalletSnapshot }),
  z
    .strictObject({
      collection: z.literal("transactions"),
      key: tx_key,
      version,
      doc: TransactionSnapshot,
    })
    .refine(
      (change) => txRefOwner(change.key) === change.doc.user_id,
      "a transaction's user_id must be the owner named in its tx_ref",
    ),
]);
const Batch = z.array(Change).max(MONGO_BATCH_MAX);

/**
 * One change, as the ledger's change feed hands it over. `doc` is validated
 * against the collection's snapshot shape; a change that does not fit is a bug
 * in the producer, so `applyChanges` throws (it is not an outage to wait out).
 */
export type ProjectionChange = {
  collection: ProjectionCollection;
  key: string;
  version: number;
  doc: Record<string, string | number | boolean | null>;
};

export type Rejection = {
  collection: ProjectionCollection;
  key: string;
  code: number | string;
  index?: string;
};
export type ProjectionReport = { applied: number; stale: number; rejected: Rejection[] };

// ---- Indexes ----------------------------------------------------------------------------

/** Unique keys guard the upserts; the others serve readers (the old service's lookups). */
export const INDEXES: Record<ProjectionCollection, IndexDescription[]> = {
  users: [
    { key: { user_id: 1 }, name: "user_id_1", unique: true },
    { key: { email: 1 }, name: "email_1", unique: true },
  ],
  wallets: [{ key: { user_id: 1 }, name: "user_id_1", unique: true }],
  transactions: [
    { key: { tx_ref: 1 }, name: "tx_ref_1", unique: true },
    { key: { reference: 1 }, name: "reference_1" },
    { key: { user_id: 1, created_at_ms: -1 }, name: "user_id_1_created_at_ms_-1" },
  ],
};

/**
 * Creates the indexes if they are missing. Idempotent: asking for an index
 * that exists with the same name, keys and options is a no-op on the server.
 * A conflicting existing index (same name, other keys or options) fails with
 * IndexOptionsConflict / IndexKeySpecsConflict: an operator's problem.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const collection of PROJECTION_COLLECTIONS) {
    try {
      await db.collection(collection).createIndexes(INDEXES[collection]);
    } catch (error) {
      // A conflicting index, or data that already breaks a unique key: the
      // target database is not one this projection can own as it stands.
      const code = serverErrorCode(error);
      if (code === 85 || code === 86 || isDuplicateKey(code))
        throw new MongoMisconfigured(`indexes of ${collection} cannot be created (code ${code})`);
      throw error;
    }
  }
}

// ---- Applying changes -----------------------------------------------------------------------

type Parsed = z.infer<typeof Change>;
type Op = { change: Parsed; filter: Filter<ProjectionDocument>; set: Record<string, unknown> };

function toOp(change: Parsed): Op {
  const key_field = KEY_FIELD[change.collection];
  const set: Record<string, unknown> = {
    ...change.doc,
    [key_field]: change.key,
    version: change.version,
    ...derivedFields(change),
  };
  const newer = { version: { $not: { $gte: change.version } } };
  // A wallet document written before the tiers (schema step 9) has no `tier`,
  // and one written before the limits reached the feed none of them, at the
  // ledger's version: the same version fills in what it lacks (a
  // reprojection or the rebuild), since that version is the same wallet
  // (before the tiers: tier 0). A snapshot fills in only a field it carries,
  // and every later snapshot carries both, so this never takes a document back.
  const lacking =
    change.collection !== "wallets"
      ? null
      : change.doc.daily_limit_minor === undefined
        ? "tier"
        : "daily_limit_minor";
  const filter = (
    lacking
      ? {
          [key_field]: change.key,
          $or: [newer, { version: change.version, [lacking]: { $exists: false } }],
        }
      : { [key_field]: change.key, ...newer }
  ) as Filter<ProjectionDocument>;
  return { change, filter, set };
}

/**
 * Fields the old service's readers know, derived from the snapshot: the
 * transaction's `reference` (the same tx_ref) and amounts as decimal naira
 * strings ("1500.50": exact, never a float) beside the kobo integers.
 */
function derivedFields(change: Parsed): Record<string, string> {
  switch (change.collection) {
    case "users":
      return {};
    case "wallets":
      return { balance: formatMinor(change.doc.balance_minor) };
    case "transactions":
      return {
        reference: change.key,
        amount: formatMinor(change.doc.amount_minor),
        fee: formatMinor(change.doc.fee_minor),
      };
    default: {
      const unknown: never = change;
      throw new Error(
        `no derived fields for ${String((unknown as { collection: string }).collection)}`,
      );
    }
  }
}

const isDuplicateKey = (code: unknown) => code === 11000;

/**
 * The numeric code of an error the server answered with (MongoServerError),
 * read by shape so this module needs the driver's types only: the driver
 * itself is loaded on first use (client.ts, loadMongoDriver).
 */
function serverErrorCode(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== "MongoServerError") return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** A batch that passed `parseBatch`: the only input `applyChanges` takes. */
export type ParsedBatch = { readonly changes: readonly Parsed[] };

/**
 * Validates a batch (at most MONGO_BATCH_MAX changes, each fitting its
 * collection's shape). A batch that does not fit is a bug in its producer,
 * not an outage to wait out: this throws. The message names paths and zod
 * codes only, never values (they may be personal data).
 */
export function parseBatch(changes: ProjectionChange[]): ParsedBatch {
  const parsed = Batch.safeParse(changes);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`).join("; ");
    throw new TypeError(`invalid projection batch: ${where}`);
  }
  return { changes: parsed.data };
}

/**
 * Applies a batch and reports what happened to each change: applied, stale
 * (a newer or equal version was already there), or rejected. Driver errors
 * that are not about one change (network, timeouts, no primary, auth) are
 * thrown for the caller to classify; the whole batch can then be retried,
 * since every write in it is guarded by version.
 */
export async function applyChanges(db: Db, batch: ParsedBatch): Promise<ProjectionReport> {
  const report: ProjectionReport = { applied: 0, stale: 0, rejected: [] };
  for (const collection of PROJECTION_COLLECTIONS) {
    const ops = batch.changes.filter((c) => c.collection === collection).map(toOp);
    if (ops.length > 0) await applyToCollection(db, collection, ops, report);
  }
  return report;
}

/** The raw reply of the `update` command (MongoDB's "update" command reference). */
type UpdateReply = {
  n: number;
  writeErrors?: { index: number; code: number; keyPattern?: Record<string, number> }[];
  writeConcernError?: { code?: number; codeName?: string };
};

async function applyToCollection(
  db: Db,
  collection: ProjectionCollection,
  ops: Op[],
  report: ProjectionReport,
): Promise<void> {
  // One `update` command for the collection's share of the batch: one round
  // trip, unordered so one change's duplicate key does not stop the others.
  // The command is sent as is, not through bulkWrite(): bulkWrite wraps a
  // network failure in a MongoBulkWriteError that no longer says it was one,
  // and drops the index name (keyPattern) from each write error.
  const reply = (await db.command({
    update: collection,
    updates: ops.map((op) => ({ q: op.filter, u: { $set: op.set }, upsert: true, multi: false })),
    ordered: false,
    writeConcern: { w: "majority" },
  })) as UpdateReply;
  if (reply.writeConcernError)
    throw new WriteConcernNotMet(reply.writeConcernError.code, reply.writeConcernError.codeName);
  // `n` counts matched plus upserted statements: each is a change applied.
  report.applied += reply.n;
  for (const failure of reply.writeErrors ?? []) {
    const op = ops[failure.index];
    if (!isDuplicateKey(failure.code)) {
      report.rejected.push({ collection, key: op.change.key, code: failure.code });
    } else if (failure.keyPattern && !isKeyIndex(collection, failure.keyPattern)) {
      // Another unique index (users.email) refused the snapshot: no retry changes that.
      report.rejected.push({
        collection,
        key: op.change.key,
        code: failure.code,
        index: indexName(failure.keyPattern),
      });
    } else {
      await settleDuplicate(db.collection<ProjectionDocument>(collection), collection, op, report);
    }
  }
}

/**
 * The upsert lost an insert race or found a newer version: the document with
 * this key may now exist. Retry the guarded update without upsert (one round
 * trip per such change, which only happens on replays and races).
 */
async function settleDuplicate(
  coll: Collection<ProjectionDocument>,
  collection: ProjectionCollection,
  op: Op,
  report: ProjectionReport,
): Promise<void> {
  const key_field = KEY_FIELD[collection];
  try {
    const result = await coll.updateOne(op.filter, { $set: op.set });
    if (result.matchedCount === 1) {
      report.applied += 1;
      return;
    }
  } catch (error) {
    // The key's document exists at an older version, but the new snapshot
    // collides with another document on a different unique index.
    if (isDuplicateKey(serverErrorCode(error))) {
      const pattern = (error as { keyPattern?: Record<string, number> }).keyPattern;
      report.rejected.push({
        collection,
        key: op.change.key,
        code: 11000,
        ...(pattern ? { index: indexName(pattern) } : {}),
      });
      return;
    }
    throw error;
  }
  // Not matched: either a newer or equal version holds the key (stale), or no
  // document has the key and the insert collided on another unique index.
  const existing = await coll.findOne(
    { [key_field]: op.change.key },
    { projection: { _id: 0, version: 1 } },
  );
  if (existing) report.stale += 1;
  else report.rejected.push({ collection, key: op.change.key, code: 11000 });
}

/** The default name of the index an E11000 names, from keyPattern (never keyValue: it holds the data). */
function indexName(pattern: Record<string, number>): string {
  return Object.entries(pattern)
    .map(([field, dir]) => `${field}_${dir}`)
    .join("_");
}

function isKeyIndex(collection: ProjectionCollection, pattern: Record<string, number>): boolean {
  const fields = Object.keys(pattern);
  return fields.length === 1 && fields[0] === KEY_FIELD[collection];
}

// ---- Reading back -----------------------------------------------------------------------------

/** The documents for these keys (at most MONGO_BATCH_MAX), without MongoDB's `_id`, in key order; missing keys are absent. */
export async function readDocuments(
  db: Db,
  collection: ProjectionCollection,
  keys: string[],
): Promise<ProjectionDocument[]> {
  if (keys.length > MONGO_BATCH_MAX)
    throw new RangeError(`at most ${MONGO_BATCH_MAX} keys per read`);
  if (keys.length === 0) return [];
  const key_field = KEY_FIELD[collection];
  const found = await db
    .collection<ProjectionDocument>(collection)
    .find({ [key_field]: { $in: keys } } as Filter<ProjectionDocument>, {
      projection: { _id: 0 },
      batchSize: MONGO_BATCH_MAX,
    })
    .limit(keys.length)
    .toArray();
  const by_key = new Map(
    found.map((doc) => [
      String((doc as Record<string, unknown>)[key_field]),
      doc as ProjectionDocument,
    ]),
  );
  return keys.flatMap((key) => (by_key.has(key) ? [by_key.get(key)!] : []));
}
