/**
 * Schema step 4 rebuilds the Wallet's `changes` table so anomalies can enter
 * the feed. Readers' positions are seqs, so the rebuilt table must go on
 * numbering after the last seq ever handed out, even when every change had
 * already been pruned; kept changes keep their seqs.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/durable/wallet/schema";
import { migrate } from "../../../src/lib/sqlite";
import { eventually, newWallet } from "../../support/helpers";

/**
 * Undo the steps that a test which sets the schema version back replays and
 * that cannot run twice: step 7 (operators' acts) and step 9's tier column
 * (step 8's and 9's tables are created IF NOT EXISTS).
 */
function dropStep7(sql: SqlStorage): void {
  for (const table of ["wallet_freeze", "proposals", "audit_log"]) sql.exec(`DROP TABLE ${table}`);
  sql.exec("ALTER TABLE wallet DROP COLUMN tier");
}

/** Put the object back to schema 3: the old table (no 'anomaly'), holding `rows`, readers at `position`. */
function backToSchema3(
  sql: SqlStorage,
  position: number,
  rows: { seq: number; entity_key: string }[],
): void {
  dropStep7(sql);
  sql.exec("DROP TABLE changes");
  sql.exec(`CREATE TABLE changes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction')),
     entity_key TEXT NOT NULL,
     version INTEGER NOT NULL CHECK (version > 0),
     body TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     UNIQUE (entity, entity_key, version)
   )`);
  for (const row of rows)
    sql.exec(
      "INSERT INTO changes (seq, entity, entity_key, version, body, created_at_ms) VALUES (?, 'wallet', ?, 1, '{}', 1)",
      row.seq,
      row.entity_key,
    );
  sql.exec("UPDATE feed_readers SET position = ?", position);
  sql.exec("UPDATE _schema SET version = 3");
}

describe("wallet schema step 4: the change feed rebuilt for anomalies", () => {
  it("numbers new changes after every reader's position when all history was pruned", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_i, state) => {
      backToSchema3(state.storage.sql, 500, []);
      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      const tables = state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'changes%'",
        )
        .toArray();
      expect(tables.map((t) => t.name)).toEqual(["changes"]);
    });
    await stub.toggleActive();
    const changes = await stub.changes(500);
    expect(changes.map((c) => [c.seq, c.entity])).toEqual([[501, "wallet"]]);
    // Rooms and the operator index are delivered before the write answers; the
    // projection drains in the background, so it gets there a moment later.
    await eventually(() =>
      runInDurableObject(stub, (_i, state) => {
        const positions = state.storage.sql
          .exec<{ reader: string; position: number }>(
            "SELECT reader, position FROM feed_readers ORDER BY reader",
          )
          .toArray();
        expect(positions.length).toBeGreaterThanOrEqual(2);
        expect(positions.filter((p) => p.position !== 501)).toEqual([]);
      }),
    );
  });

  it("keeps the changes it holds with their seqs, and accepts anomalies afterwards", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_i, state) => {
      backToSchema3(state.storage.sql, 7, [
        { seq: 8, entity_key: "a" },
        { seq: 9, entity_key: "b" },
      ]);
      migrate(state.storage, MIGRATIONS);
      expect(
        state.storage.sql
          .exec<{ seq: number }>("SELECT seq FROM changes ORDER BY seq")
          .toArray()
          .map((r) => r.seq),
      ).toEqual([8, 9]);
      state.storage.sql.exec(
        "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES ('anomaly', 'tx/overpaid', 1, '{}', 1)",
      );
      expect(
        state.storage.sql.exec<{ seq: number }>("SELECT MAX(seq) AS seq FROM changes").one().seq,
      ).toBe(10);
    });
  });
});

/** Put the anomalies table back to schema 4: no `ref`, one row per (tx_ref, kind). */
function anomaliesBackToSchema4(sql: SqlStorage, rows: { tx_ref: string; kind: string }[]): void {
  sql.exec("DROP TABLE anomalies");
  sql.exec(`CREATE TABLE anomalies (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     tx_ref TEXT NOT NULL,
     kind TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     UNIQUE (tx_ref, kind)
   )`);
  for (const row of rows)
    sql.exec(
      "INSERT INTO anomalies (tx_ref, kind, detail, created_at_ms) VALUES (?, ?, 'old', 1)",
      row.tx_ref,
      row.kind,
    );
  dropStep7(sql);
  sql.exec("UPDATE _schema SET version = 4");
}

describe("wallet schema step 5: anomalies name the provider charge they are about", () => {
  it("keeps every anomaly with an empty ref, and then keys them by (tx_ref, kind, ref)", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      anomaliesBackToSchema4(sql, [
        { tx_ref: "fnd_a", kind: "refund_due" },
        { tx_ref: "fnd_a", kind: "overpaid" },
        { tx_ref: "wdr_b", kind: "escalated" },
      ]);
      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      const rows = sql
        .exec<{ tx_ref: string; kind: string; ref: string; detail: string }>(
          "SELECT tx_ref, kind, ref, detail FROM anomalies ORDER BY id",
        )
        .toArray();
      expect(rows).toEqual([
        { tx_ref: "fnd_a", kind: "refund_due", ref: "", detail: "old" },
        { tx_ref: "fnd_a", kind: "overpaid", ref: "", detail: "old" },
        { tx_ref: "wdr_b", kind: "escalated", ref: "", detail: "old" },
      ]);
      // A second charge's anomaly of the same kind is its own row; the same charge's is refused.
      sql.exec(
        "INSERT INTO anomalies (tx_ref, kind, ref, detail, created_at_ms) VALUES ('fnd_a', 'refund_due', '77', 'new', 2)",
      );
      expect(() =>
        sql.exec(
          "INSERT INTO anomalies (tx_ref, kind, ref, detail, created_at_ms) VALUES ('fnd_a', 'refund_due', '77', 'again', 3)",
        ),
      ).toThrow(/UNIQUE/);
      expect(
        sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM anomalies WHERE tx_ref = 'fnd_a' AND kind = 'refund_due'",
          )
          .one().n,
      ).toBe(2);
    });
  });
});
