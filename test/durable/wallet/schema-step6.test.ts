/**
 * Schema step 6 rebuilds `transactions` (and the holds and journal that
 * reference it) without the CHECK on its type, and the change feed with two
 * more entities. A wallet written at step 5 must come out with the same rows,
 * the same seqs, the same guards (indexes, flow triggers, foreign keys) and
 * its counters going on where they were.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, syncFlows } from "../../../src/durable/wallet/schema";
import { migrate } from "../../../src/lib/sqlite";
import { newWallet } from "../../support/helpers";

type Row = Record<string, SqlStorageValue>;

const rows = (sql: SqlStorage, query: string): Row[] => sql.exec<Row>(query).toArray();

/** Every table of ours dropped (triggers and indexes go with them), then steps 1 to 5 run. */
function atStep5(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  const tables = rows(
    sql,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).map((r) => String(r.name));
  storage.transactionSync(() => {
    sql.exec("DELETE FROM sqlite_sequence");
    // Children before parents, so no foreign key is left dangling.
    for (const name of [
      "journal",
      "holds",
      ...tables.filter((t) => !["journal", "holds"].includes(t)),
    ])
      if (tables.includes(name)) sql.exec(`DROP TABLE ${name}`);
  });
  expect(migrate(storage, MIGRATIONS.slice(0, 5))).toBe(5);
  syncFlows(storage);
}

const TX = `INSERT INTO transactions (tx_ref, type, status, stage, amount_minor, fee_minor, currency,
  details_json, created_at_ms, updated_at_ms, deadline_at_ms, version) VALUES (?, ?, ?, ?, ?, 0, 'NGN', '{}', ?, ?, ?, 1)`;

/** A funding credited, a withdrawal held, and the journal and feed rows that go with them. */
function writeHistory(sql: SqlStorage): void {
  sql.exec(TX, "fund-1", "FUND", "PENDING", "link_requested", 500_000, 1, 1, 99);
  sql.exec("UPDATE transactions SET stage = 'settled', status = 'SUCCESS' WHERE tx_ref = 'fund-1'");
  sql.exec(
    "INSERT INTO journal (tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) VALUES ('fund-1', 'credit', 500000, 500000, 2)",
  );
  sql.exec(TX, "wd-1", "WITHDRAW", "PENDING", "hold_placed", 100_000, 3, 3, 99);
  sql.exec(
    "INSERT INTO holds (tx_ref, amount_minor, status, created_at_ms) VALUES ('wd-1', 100000, 'pending', 3)",
  );
  for (const seq of [41, 42])
    sql.exec(
      "INSERT INTO changes (seq, entity, entity_key, version, body, created_at_ms) VALUES (?, 'transaction', ?, 1, '{}', 4)",
      seq,
      `tx-${seq}`,
    );
}

/** Names of the indexes and triggers on the rebuilt tables, and the tables the children reference. */
function guards(sql: SqlStorage) {
  return {
    objects: rows(
      sql,
      "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN ('transactions', 'holds', 'journal', 'changes') AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
    ),
    references: ["holds", "journal"].map((t) =>
      rows(sql, `PRAGMA foreign_key_list(${t})`).map((r) => [t, r.table, r.from]),
    ),
  };
}

const snapshot = (sql: SqlStorage) => ({
  transactions: rows(sql, "SELECT * FROM transactions ORDER BY tx_ref"),
  holds: rows(sql, "SELECT * FROM holds ORDER BY tx_ref"),
  journal: rows(sql, "SELECT * FROM journal ORDER BY seq"),
  changes: rows(sql, "SELECT * FROM changes ORDER BY seq"),
});

describe("wallet schema step 6: types from the flow tables, two more feed entities", () => {
  it("keeps every row, guard and reference, and the counters go on", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      atStep5(state.storage);
      writeHistory(sql);
      const before = snapshot(sql);
      const guardsBefore = guards(sql);
      expect(guardsBefore.references).toEqual([
        [["holds", "transactions", "tx_ref"]],
        [["journal", "transactions", "tx_ref"]],
      ]);

      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);

      expect(snapshot(sql)).toEqual(before);
      expect(guards(sql)).toEqual(guardsBefore);
      expect(rows(sql, "PRAGMA foreign_key_check")).toEqual([]);
      expect(
        rows(sql, "SELECT name FROM sqlite_master WHERE name LIKE '%\\_new' ESCAPE '\\'"),
      ).toEqual([]);

      // The journal and the feed number on from their last seqs.
      sql.exec(
        "INSERT INTO journal (tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) VALUES ('wd-1', 'debit', 100000, 400000, 5)",
      );
      expect(rows(sql, "SELECT MAX(seq) AS seq FROM journal")[0].seq).toBe(2);
      sql.exec(
        "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES ('audit', 'a-1', 1, '{}', 6)",
      );
      sql.exec(
        "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES ('proposal', 'p-1', 1, '{}', 6)",
      );
      expect(rows(sql, "SELECT seq, entity FROM changes WHERE seq > 42 ORDER BY seq")).toEqual([
        { seq: 43, entity: "audit" },
        { seq: 44, entity: "proposal" },
      ]);
      expect(() =>
        sql.exec(
          "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES ('other', 'x', 1, '{}', 6)",
        ),
      ).toThrow(/CHECK/);
    });
  });

  it("takes a type only when the flow tables list it, and still guards its stages", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      // A type the flow tables do not list is refused by the flow trigger, as the CHECK did.
      expect(() => sql.exec(TX, "x-1", "LOTTERY", "PENDING", "open", 100, 1, 1, 9)).toThrow(
        /transition_not_allowed/,
      );
      // A type they list is taken, in its initial stage only, and moves only along its table.
      sql.exec(
        "INSERT INTO flow_stages (type, stage, status, initial) VALUES ('LOTTERY', 'open', 'PENDING', 1), ('LOTTERY', 'won', 'SUCCESS', 0)",
      );
      expect(() => sql.exec(TX, "x-2", "LOTTERY", "SUCCESS", "won", 100, 1, 1, 9)).toThrow(
        /transition_not_allowed/,
      );
      sql.exec(TX, "x-3", "LOTTERY", "PENDING", "open", 100, 1, 1, 9);
      expect(() =>
        sql.exec("UPDATE transactions SET stage = 'won', status = 'SUCCESS' WHERE tx_ref = 'x-3'"),
      ).toThrow(/transition_not_allowed/);
      sql.exec(
        "INSERT INTO flow_transitions (type, from_stage, to_stage) VALUES ('LOTTERY', 'open', 'won')",
      );
      sql.exec("UPDATE transactions SET stage = 'won', status = 'SUCCESS' WHERE tx_ref = 'x-3'");
      expect(() =>
        sql.exec("UPDATE transactions SET amount_minor = 5 WHERE tx_ref = 'x-3'"),
      ).toThrow(/transaction_already_terminal/);
    });
  });
});
