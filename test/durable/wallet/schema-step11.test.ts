/**
 * Schema step 11 rebuilds the change feed's table so it takes beneficiaries,
 * schedules and bulk batches. A wallet written at step 10 must keep every
 * change with its seq, continue the sequence after a feed that was pruned
 * empty (readers' positions are seqs), and still refuse an unknown entity
 * and a second version of the same entity.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/durable/wallet/schema";
import { migrate } from "../../../src/lib/sqlite";
import { newWallet } from "../../support/helpers";

const STEP_10_CHANGES = `CREATE TABLE changes (
   seq INTEGER PRIMARY KEY AUTOINCREMENT,
   entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction', 'anomaly', 'audit', 'proposal')),
   entity_key TEXT NOT NULL,
   version INTEGER NOT NULL CHECK (version > 0),
   body TEXT NOT NULL,
   created_at_ms INTEGER NOT NULL,
   UNIQUE (entity, entity_key, version)
 )`;

const add = (sql: SqlStorage, entity: string, key: string, version = 1) =>
  sql.exec(
    "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES (?, ?, ?, '{}', 1)",
    entity,
    key,
    version,
  );

const seqs = (sql: SqlStorage) =>
  sql
    .exec<{ seq: number; entity: string }>("SELECT seq, entity FROM changes ORDER BY seq")
    .toArray()
    .map((r) => [r.seq, r.entity]);

describe("wallet schema step 11: the feed takes beneficiaries, schedules and batches", () => {
  it("keeps step 10's changes with their seqs and then takes the new entities, refusing unknown ones", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_w, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE changes");
      sql.exec(STEP_10_CHANGES);
      sql.exec("DELETE FROM feed_readers");
      add(sql, "wallet", "w");
      add(sql, "proposal", "prp_1");
      expect(() => add(sql, "schedule", "sch_early")).toThrow(/CHECK/);
      sql.exec("UPDATE _schema SET version = 10");

      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(seqs(sql)).toEqual([
        [1, "wallet"],
        [2, "proposal"],
      ]);
      add(sql, "beneficiary", "ben_1");
      add(sql, "schedule", "sch_1");
      add(sql, "batch", "bat_1");
      expect(seqs(sql).map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5]);
      expect(() => add(sql, "schedule", "sch_1")).toThrow(/UNIQUE/);
      expect(() => add(sql, "somethingelse", "x")).toThrow(/CHECK/);
    });
  });

  it("continues after the last seq a reader holds when the feed was pruned empty", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_w, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE changes");
      sql.exec(STEP_10_CHANGES);
      sql.exec("DELETE FROM feed_readers");
      sql.exec("INSERT INTO feed_readers (reader, position) VALUES ('rooms', 41)");
      sql.exec("UPDATE _schema SET version = 10");

      migrate(state.storage, MIGRATIONS);
      expect(seqs(sql)).toEqual([]);
      add(sql, "schedule", "sch_1");
      expect(seqs(sql)).toEqual([[42, "schedule"]]);
    });
  });
});
