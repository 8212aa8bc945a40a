/**
 * The commands the test double answers, over documents held in memory per
 * database and collection. Filters, projections, sorts and update operators
 * are mingo's; what MongoDB itself adds on top (unique indexes, upserts, the
 * shapes of replies and errors) is written out here, following the server
 * manual's command reference.
 *
 * Answered: hello/isMaster, ping, buildInfo, createIndexes, listIndexes,
 * insert, update, delete, find, getMore, killCursors, endSessions,
 * dropDatabase. Anything else gets MongoDB's own "no such command" error
 * (code 59), so a driver feature we do not support fails loudly.
 */
import { EJSON, Long, ObjectId, deserialize, serialize } from "bson";
import { Query, update as applyUpdate } from "mingo";
import { MAX_MESSAGE_BYTES } from "./wire.mjs";

/** What the handshake advertises. 21 is MongoDB 7.0: drivers then send
 * insert/update/delete, not the 8.0-only `bulkWrite` command. */
export const MAX_WIRE_VERSION = 21;
const MAX_BSON_OBJECT_BYTES = 16 * 1024 * 1024;
const MAX_WRITE_BATCH = 100_000;
/** The server's default first batch when the client names none. */
const DEFAULT_FIRST_BATCH = 101;
/** Open cursors kept at once; a leak in a test shows up as an error, not as memory growth. */
const CURSORS_MAX = 1_000;

/**
 * @typedef {import("bson").Document} Document
 * @typedef {{ name: string; key: Document; unique: boolean; sparse: boolean; partialFilterExpression?: Document }} IndexSpec
 * @typedef {{ docs: Document[]; indexes: IndexSpec[] }} Collection
 * @typedef {{ ns: string; docs: Document[] }} Cursor
 * A write error in the shape MongoDB puts in `writeErrors[]`:
 * @typedef {{ index: number; code: number; errmsg: string; keyPattern?: Document; keyValue?: Document }} WriteError
 */

/** @type {IndexSpec} */
const ID_INDEX = { name: "_id_", key: { _id: 1 }, unique: true, sparse: false };

/** A command failure, answered as `{ ok: 0, errmsg, code, codeName }` or as a write error. */
class CommandError extends Error {
  /** @param {number} code @param {string} codeName @param {string} message @param {Document} [extra] */
  constructor(code, codeName, message, extra = {}) {
    super(message);
    this.code = code;
    this.codeName = codeName;
    this.extra = extra;
  }
}

/** Deep copy that keeps BSON types (structuredClone would turn ObjectId into a plain object). */
const clone = (/** @type {Document} */ doc) => deserialize(serialize(doc));
/** A canonical text for a value, used to compare index keys (key order matters, as in BSON). */
const canonical = (/** @type {unknown} */ value) =>
  EJSON.stringify({ v: value ?? null }, { relaxed: false });

/** @param {Document} doc @param {string} path */
function getPath(doc, path) {
  /** @type {unknown} */
  let value = doc;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = /** @type {Document} */ (value)[part];
  }
  return value;
}

export class Engine {
  /** @type {Map<string, Map<string, Collection>>} */
  dbs = new Map();
  /** @type {Map<number, Cursor>} */
  cursors = new Map();
  next_cursor_id = 1;
  /** E11000 answers given, so a race test can tell that the race really happened. */
  duplicate_key_errors = 0;
  /**
   * Fault for race tests, 0 when off: an upsert that matched nothing waits
   * this long before it inserts, while other connections' commands run. A
   * server has the same gap between "no document matches" and "insert"; a
   * concurrent insert of the same key in it makes the upsert fail with E11000.
   */
  upsert_race_window_ms = 0;

  reset() {
    this.dbs.clear();
    this.cursors.clear();
    this.duplicate_key_errors = 0;
    this.upsert_race_window_ms = 0;
  }

  /**
   * Copies of a collection's documents, in insertion order (empty if it does not exist).
   * @param {string} db @param {string} coll @returns {Document[]}
   */
  dump(db, coll) {
    return (this.dbs.get(db)?.get(coll)?.docs ?? []).map(clone);
  }

  /**
   * Answers one command. Never rejects: failures become `{ ok: 0, ... }` as a server answers them.
   * @param {Document} body @param {number} connection_id @returns {Promise<Document>}
   */
  async run(body, connection_id) {
    const name = Object.keys(body)[0] ?? "";
    const db = typeof body.$db === "string" ? body.$db : "admin";
    try {
      return await this.dispatch(name, db, body, connection_id);
    } catch (error) {
      if (error instanceof CommandError)
        return {
          ok: 0,
          errmsg: error.message,
          code: error.code,
          codeName: error.codeName,
          ...error.extra,
        };
      return {
        ok: 0,
        errmsg: `test double: ${/** @type {Error} */ (error).message}`,
        code: 1,
        codeName: "InternalError",
      };
    }
  }

  /** @param {string} name @param {string} db @param {Document} body @param {number} connection_id @returns {Document | Promise<Document>} */
  dispatch(name, db, body, connection_id) {
    switch (name) {
      case "hello":
      case "isMaster":
      case "ismaster":
        return this.hello(body, connection_id);
      case "ping":
      case "endSessions":
        return { ok: 1 };
      case "buildInfo":
      case "buildinfo":
        return {
          version: "7.0.0",
          versionArray: [7, 0, 0, 0],
          maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
          ok: 1,
        };
      case "createIndexes":
        return this.createIndexes(db, body);
      case "listIndexes":
        return this.listIndexes(db, body);
      case "insert":
        return this.insert(db, body);
      case "update":
        return this.update(db, body);
      case "delete":
        return this.delete(db, body);
      case "find":
        return this.find(db, body);
      case "getMore":
        return this.getMore(body);
      case "killCursors":
        return this.killCursors(body);
      case "dropDatabase":
        this.dbs.delete(db);
        return { dropped: db, ok: 1 };
      default:
        throw new CommandError(59, "CommandNotFound", `no such command: '${name}'`);
    }
  }

  // ---- Handshake ------------------------------------------------------------

  /** @param {Document} body @param {number} connection_id */
  hello(body, connection_id) {
    // No `topologyVersion`: drivers then poll instead of streaming (awaitable
    // hello with exhaust), which this double does not implement. No
    // `compression`: nothing is compressed. No `setName`: a standalone server,
    // so drivers send no transaction numbers.
    return {
      ...(body.helloOk ? { helloOk: true } : {}),
      isWritablePrimary: true,
      ismaster: true,
      maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      maxWriteBatchSize: MAX_WRITE_BATCH,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: connection_id,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
      ok: 1,
    };
  }

  // ---- Storage --------------------------------------------------------------

  /** @param {string} db @param {unknown} name @param {boolean} create @returns {Collection | undefined} */
  collection(db, name, create) {
    if (typeof name !== "string" || name === "")
      throw new CommandError(73, "InvalidNamespace", "collection name must be a non-empty string");
    let colls = this.dbs.get(db);
    if (!colls) {
      if (!create) return undefined;
      colls = new Map();
      this.dbs.set(db, colls);
    }
    let coll = colls.get(name);
    if (!coll && create) {
      coll = { docs: [], indexes: [ID_INDEX] };
      colls.set(name, coll);
    }
    return coll;
  }

  /** The index key of a document, or undefined when the index does not cover it (sparse / partial). */
  /** @param {IndexSpec} index @param {Document} doc @returns {{ text: string; value: Document } | undefined} */
  indexKey(index, doc) {
    const fields = Object.keys(index.key);
    /** @type {Document} */
    const value = {};
    let present = 0;
    for (const field of fields) {
      const v = getPath(doc, field);
      if (v !== undefined) present += 1;
      value[field] = v ?? null; // a missing field is indexed as null, as MongoDB does
    }
    if (index.sparse && present === 0) return undefined;
    if (index.partialFilterExpression && !new Query(index.partialFilterExpression, {}).test(doc))
      return undefined;
    return { text: canonical(fields.map((f) => value[f])), value };
  }

  /**
   * The unique index `doc` would violate among the other documents, as the
   * E11000 error MongoDB writes (message, keyPattern, keyValue).
   */
  /** @param {string} db @param {string} coll_name @param {Collection} coll @param {Document} doc @param {Document} [ignore] */
  duplicateOf(db, coll_name, coll, doc, ignore) {
    for (const index of coll.indexes) {
      if (!index.unique) continue;
      const key = this.indexKey(index, doc);
      if (!key) continue;
      for (const other of coll.docs) {
        if (other === ignore) continue;
        if (this.indexKey(index, other)?.text === key.text) {
          this.duplicate_key_errors += 1;
          return duplicateKeyError(db, coll_name, index, key.value);
        }
      }
    }
    return undefined;
  }

  // ---- Indexes --------------------------------------------------------------

  /** @param {string} db @param {Document} body */
  createIndexes(db, body) {
    const existed = this.collection(db, body.createIndexes, false) !== undefined;
    const coll = /** @type {Collection} */ (this.collection(db, body.createIndexes, true));
    const before = coll.indexes.length;
    if (!Array.isArray(body.indexes) || body.indexes.length === 0)
      throw new CommandError(2, "BadValue", "indexes must be a non-empty array");
    for (const raw of body.indexes) {
      /** @type {IndexSpec} */
      const spec = {
        name: String(raw.name),
        key: raw.key,
        unique: raw.unique === true,
        sparse: raw.sparse === true,
        ...(raw.partialFilterExpression
          ? { partialFilterExpression: raw.partialFilterExpression }
          : {}),
      };
      const same_name = coll.indexes.find((i) => i.name === spec.name);
      const same_key = coll.indexes.find((i) => canonical(i.key) === canonical(spec.key));
      if (same_name && canonical(same_name.key) !== canonical(spec.key))
        throw new CommandError(
          86,
          "IndexKeySpecsConflict",
          `An existing index has the same name as the requested index but a different key: ${spec.name}`,
        );
      if (
        same_key &&
        (same_key.name !== spec.name ||
          same_key.unique !== spec.unique ||
          same_key.sparse !== spec.sparse)
      )
        throw new CommandError(
          85,
          "IndexOptionsConflict",
          `An equivalent index already exists with a different name or options: ${same_key.name}`,
        );
      if (same_key) continue; // identical: creating it again is a no-op, as on a server
      if (spec.unique) {
        const seen = new Set();
        for (const doc of coll.docs) {
          const key = this.indexKey(spec, doc);
          if (!key) continue;
          if (seen.has(key.text)) {
            const dup = duplicateKeyError(db, String(body.createIndexes), spec, key.value);
            throw new CommandError(11000, "DuplicateKey", dup.errmsg, {
              keyPattern: dup.keyPattern,
              keyValue: dup.keyValue,
            });
          }
          seen.add(key.text);
        }
      }
      coll.indexes.push(spec);
    }
    const after = coll.indexes.length;
    return {
      createdCollectionAutomatically: !existed,
      numIndexesBefore: before,
      numIndexesAfter: after,
      ...(after === before ? { note: "all indexes already exist" } : {}),
      ok: 1,
    };
  }

  /** @param {string} db @param {Document} body */
  listIndexes(db, body) {
    const coll = this.collection(db, body.listIndexes, false);
    if (!coll)
      throw new CommandError(
        26,
        "NamespaceNotFound",
        `ns does not exist: ${db}.${String(body.listIndexes)}`,
      );
    const firstBatch = coll.indexes.map((i) => ({
      v: 2,
      key: i.key,
      name: i.name,
      ...(i.unique && i.name !== "_id_" ? { unique: true } : {}),
      ...(i.sparse ? { sparse: true } : {}),
      ...(i.partialFilterExpression ? { partialFilterExpression: i.partialFilterExpression } : {}),
    }));
    return {
      cursor: { id: Long.ZERO, ns: `${db}.${String(body.listIndexes)}`, firstBatch },
      ok: 1,
    };
  }

  // ---- Writes ---------------------------------------------------------------

  /** @param {string} db @param {Document} body */
  insert(db, body) {
    const coll = /** @type {Collection} */ (this.collection(db, body.insert, true));
    /** @type {Document[]} */
    const docs = body.documents ?? [];
    const ordered = body.ordered !== false;
    /** @type {WriteError[]} */
    const writeErrors = [];
    let n = 0;
    for (const [index, raw] of docs.entries()) {
      // Drivers add _id themselves; this covers those that do not. It goes first, as on a server.
      const doc = raw._id === undefined ? { _id: new ObjectId(), ...clone(raw) } : clone(raw);
      const dup = this.duplicateOf(db, String(body.insert), coll, doc);
      if (dup) {
        writeErrors.push({ index, ...dup });
        if (ordered) break;
        continue;
      }
      coll.docs.push(doc);
      n += 1;
    }
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  /** @param {string} db @param {Document} body */
  async update(db, body) {
    const coll_name = String(body.update);
    const coll = /** @type {Collection} */ (this.collection(db, body.update, true));
    /** @type {Document[]} */
    const specs = body.updates ?? [];
    const ordered = body.ordered !== false;
    /** @type {WriteError[]} */
    const writeErrors = [];
    /** @type {{ index: number; _id: unknown }[]} */
    const upserted = [];
    let n = 0;
    let nModified = 0;
    for (const [index, spec] of specs.entries()) {
      try {
        const result = await this.updateOne(db, coll_name, coll, spec);
        // `n` counts matched documents plus the upserted one, as the server reports it.
        n += result.matched + (result.upserted_id !== undefined ? 1 : 0);
        nModified += result.modified;
        if (result.upserted_id !== undefined) upserted.push({ index, _id: result.upserted_id });
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        writeErrors.push({ index, code: error.code, errmsg: error.message, ...error.extra });
        if (ordered) break;
      }
    }
    return {
      n,
      nModified,
      ...(upserted.length ? { upserted } : {}),
      ...(writeErrors.length ? { writeErrors } : {}),
      ok: 1,
    };
  }

  /**
   * One update statement `{ q, u, upsert, multi, arrayFilters }`.
   * @param {string} db @param {string} coll_name @param {Collection} coll @param {Document} spec
   * @returns {Promise<{ matched: number; modified: number; upserted_id?: unknown }>}
   */
  async updateOne(db, coll_name, coll, spec) {
    /** @type {Document} */
    const filter = spec.q ?? {};
    /** @type {Document | Document[]} */
    const u = spec.u;
    if (Array.isArray(u))
      throw new CommandError(
        2,
        "BadValue",
        "test double: pipeline-style updates are not supported",
      );
    const keys = Object.keys(u);
    const operators = keys.length > 0 && keys.every((k) => k.startsWith("$"));
    if (!operators && keys.some((k) => k.startsWith("$")))
      throw new CommandError(9, "FailedToParse", "update document mixes operators and fields");
    const query = new Query(filter, {});
    const matches = coll.docs.filter((doc) => query.test(doc));
    const targets = spec.multi ? matches : matches.slice(0, 1);

    if (targets.length === 0) {
      if (!spec.upsert) return { matched: 0, modified: 0 };
      const built = operators
        ? upsertFromOperators(filter, u)
        : { ...equalityFields(filter), ...clone(u) };
      const doc = built._id === undefined ? { _id: new ObjectId(), ...built } : built;
      if (this.upsert_race_window_ms > 0)
        await new Promise((resolve) => setTimeout(resolve, this.upsert_race_window_ms));
      const dup = this.duplicateOf(db, coll_name, coll, doc);
      if (dup)
        throw new CommandError(dup.code, "DuplicateKey", dup.errmsg, {
          keyPattern: dup.keyPattern,
          keyValue: dup.keyValue,
        });
      coll.docs.push(doc);
      return { matched: 0, modified: 0, upserted_id: doc._id };
    }

    let modified = 0;
    for (const target of targets) {
      /** @type {Document} */
      let next;
      if (operators) {
        next = clone(target);
        const { $setOnInsert: _only_on_insert, ...rest } = u; // $setOnInsert does nothing to an existing document
        applyOperators(next, rest, spec.arrayFilters);
      } else {
        next = { _id: target._id, ...clone(u) };
      }
      if (canonical(next._id) !== canonical(target._id))
        throw new CommandError(
          66,
          "ImmutableField",
          "Performing an update on the path '_id' would modify the immutable field '_id'",
        );
      const dup = this.duplicateOf(db, coll_name, coll, next, target);
      if (dup)
        throw new CommandError(dup.code, "DuplicateKey", dup.errmsg, {
          keyPattern: dup.keyPattern,
          keyValue: dup.keyValue,
        });
      if (canonical(next) !== canonical(target)) {
        coll.docs[coll.docs.indexOf(target)] = next;
        modified += 1;
      }
    }
    return { matched: targets.length, modified };
  }

  /** @param {string} db @param {Document} body */
  delete(db, body) {
    const coll = this.collection(db, body.delete, false);
    let n = 0;
    for (const spec of body.deletes ?? []) {
      if (!coll) continue;
      const query = new Query(spec.q ?? {}, {});
      const matches = coll.docs.filter((doc) => query.test(doc));
      const doomed = new Set(spec.limit === 1 ? matches.slice(0, 1) : matches);
      coll.docs = coll.docs.filter((doc) => !doomed.has(doc));
      n += doomed.size;
    }
    return { n, ok: 1 };
  }

  // ---- Reads ----------------------------------------------------------------

  /** @param {string} db @param {Document} body */
  find(db, body) {
    const ns = `${db}.${String(body.find)}`;
    const coll = this.collection(db, body.find, false);
    let cursor = new Query(body.filter ?? {}, {}).find(coll?.docs ?? [], body.projection);
    if (body.sort && Object.keys(body.sort).length > 0) cursor = cursor.sort(body.sort);
    if (typeof body.skip === "number" && body.skip > 0) cursor = cursor.skip(body.skip);
    // A negative limit is the legacy "one batch of at most |limit|".
    const limit = typeof body.limit === "number" ? Math.abs(body.limit) : 0;
    if (limit > 0) cursor = cursor.limit(limit);
    const docs = cursor.all().map((doc) => clone(/** @type {Document} */ (doc)));
    const single_batch =
      body.singleBatch === true || (typeof body.limit === "number" && body.limit < 0);
    const batch_size = typeof body.batchSize === "number" ? body.batchSize : DEFAULT_FIRST_BATCH;
    return {
      cursor: {
        firstBatch: docs.slice(0, batch_size),
        id: this.openCursor(ns, single_batch ? [] : docs.slice(batch_size)),
        ns,
      },
      ok: 1,
    };
  }

  /** @param {string} ns @param {Document[]} rest @returns {Long} */
  openCursor(ns, rest) {
    if (rest.length === 0) return Long.ZERO;
    if (this.cursors.size >= CURSORS_MAX)
      throw new CommandError(2, "BadValue", `test double: more than ${CURSORS_MAX} open cursors`);
    const id = this.next_cursor_id++;
    this.cursors.set(id, { ns, docs: rest });
    return Long.fromNumber(id);
  }

  /** @param {Document} body */
  getMore(body) {
    const id = Number(body.getMore);
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(43, "CursorNotFound", `cursor id ${id} not found`);
    const size =
      typeof body.batchSize === "number" && body.batchSize > 0
        ? body.batchSize
        : cursor.docs.length;
    const nextBatch = cursor.docs.splice(0, size);
    const done = cursor.docs.length === 0;
    if (done) this.cursors.delete(id);
    return {
      cursor: { nextBatch, id: done ? Long.ZERO : Long.fromNumber(id), ns: cursor.ns },
      ok: 1,
    };
  }

  /** @param {Document} body */
  killCursors(body) {
    /** @type {Long[]} */
    const killed = [];
    /** @type {Long[]} */
    const missing = [];
    for (const raw of body.cursors ?? []) {
      const id = Number(raw);
      (this.cursors.delete(id) ? killed : missing).push(Long.fromNumber(id));
    }
    return {
      cursorsKilled: killed,
      cursorsNotFound: missing,
      cursorsAlive: [],
      cursorsUnknown: [],
      ok: 1,
    };
  }
}

// ---- Helpers ------------------------------------------------------------------

/** @param {string} db @param {string} coll @param {IndexSpec} index @param {Document} keyValue @returns {Omit<WriteError, "index">} */
function duplicateKeyError(db, coll, index, keyValue) {
  // The server's wording: E11000 duplicate key error collection: db.coll index: name dup key: { field: value }
  const shown = Object.entries(keyValue)
    .map(([k, v]) => `${k}: ${EJSON.stringify(v ?? null)}`)
    .join(", ");
  return {
    code: 11000,
    errmsg: `E11000 duplicate key error collection: ${db}.${coll} index: ${index.name} dup key: { ${shown} }`,
    keyPattern: index.key,
    keyValue,
  };
}

/**
 * The equality conditions of a filter (`{a: 1}`, `{a: {$eq: 1}}`, inside `$and`),
 * which an upsert copies into the new document.
 * @param {Document} filter @returns {Document}
 */
function equalityFields(filter) {
  /** @type {Document} */
  const out = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const part of value) Object.assign(out, equalityFields(part));
    } else if (key.startsWith("$")) {
    } else if (isOperatorObject(value)) {
      if ("$eq" in value) out[key] = value.$eq;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** True for `{ $op: ... }` (a condition), false for a literal value such as a sub-document or an ObjectId. @param {unknown} value */
function isOperatorObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date)
    return false;
  if ("_bsontype" in value) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith("$"));
}

/** An upserted document: the filter's equality fields, then the update's operators, then $setOnInsert. */
/** @param {Document} filter @param {Document} u @returns {Document} */
function upsertFromOperators(filter, u) {
  /** @type {Document} */
  const doc = {};
  const seed = equalityFields(filter);
  if (Object.keys(seed).length > 0) applyOperators(doc, { $set: seed });
  const { $setOnInsert, ...rest } = u;
  applyOperators(doc, rest);
  if ($setOnInsert) applyOperators(doc, { $set: $setOnInsert });
  return doc;
}

/** mingo's update operators, with its errors answered as MongoDB's FailedToParse. @param {Document} doc @param {Document} operators @param {Document[]} [arrayFilters] */
function applyOperators(doc, operators, arrayFilters) {
  if (Object.keys(operators).length === 0) return;
  try {
    applyUpdate(doc, operators, arrayFilters);
  } catch (error) {
    throw new CommandError(
      9,
      "FailedToParse",
      `test double: ${/** @type {Error} */ (error).message}`,
    );
  }
}
