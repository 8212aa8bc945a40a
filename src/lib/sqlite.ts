/**
 * Versioned schema migrations for Durable Object SQLite storage.
 *
 * Each object runs `migrate` in its constructor inside `blockConcurrencyWhile`,
 * so no request sees a half-migrated schema. (An object whose names may not
 * exist, such as Credentials, migrates only once it has something to store:
 * `hasStoredTables`.) Migrations are append-only: a
 * deployed step is never edited, only followed by a new one.
 */

export type Migration = { version: number; statements: string[] };

export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  const sql = storage.sql;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS _schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
  );
  const row = sql
    .exec<{ version: number }>("SELECT version FROM _schema WHERE id = 1")
    .toArray()[0];
  let version = row?.version ?? 0;
  for (const step of migrations) {
    if (step.version <= version) continue;
    if (step.version !== version + 1)
      throw new Error(`migration gap: at ${version}, next is ${step.version}`);
    storage.transactionSync(() => {
      for (const statement of step.statements) sql.exec(statement);
      sql.exec(
        "INSERT INTO _schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        step.version,
      );
    });
    version = step.version;
  }
  return version;
}

/**
 * True when this object's SQLite storage holds any table, i.e. it was written
 * before. Reading `sqlite_master` writes nothing, so an object that only asks
 * stays without storage (see Credentials: a login for an unknown email must not
 * leave a stored object behind).
 */
export function hasStoredTables(storage: DurableObjectStorage): boolean {
  return (
    storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").toArray().length >
    0
  );
}

/**
 * The schema of an object whose name anyone can make up (an email nobody
 * registered, a tx_ref nobody published, an address or user with no socket):
 * it is created at the first write only, so an object that is merely asked
 * leaves nothing stored, and it can be forgotten again once the object has
 * deleted everything it held.
 */
export class SchemaOnFirstWrite {
  private present = false;

  private constructor(
    private readonly storage: DurableObjectStorage,
    private readonly migrations: readonly Migration[],
  ) {}

  /**
   * For the object's constructor: before any request runs, bring a stored
   * schema up to date, and leave a never-written object empty.
   */
  static open(ctx: DurableObjectState, migrations: readonly Migration[]): SchemaOnFirstWrite {
    const schema = new SchemaOnFirstWrite(ctx.storage, migrations);
    void ctx.blockConcurrencyWhile(async () => {
      if (hasStoredTables(ctx.storage)) schema.ensure();
    });
    return schema;
  }

  /** Whether the schema (and so possibly something stored) exists. */
  get exists(): boolean {
    return this.present;
  }

  /** Before the first write: create the schema if it is not there yet. */
  ensure(): void {
    if (this.present) return;
    migrate(this.storage, this.migrations);
    this.present = true;
  }

  /** After the object has deleted all of its storage. */
  forget(): void {
    this.present = false;
  }
}

/** The first row of a query, or null. */
export function one<T extends Record<string, SqlStorageValue>>(
  cursor: SqlStorageCursor<T>,
): T | null {
  const rows = cursor.toArray();
  return rows.length > 0 ? rows[0] : null;
}
