/**
 * Schema step 10 rebuilds `proposals` so it takes the tier act (kind `tier`,
 * amount 0). A wallet written at step 9 must keep its proposals, and the
 * rebuilt table must still refuse what step 7's did: a second decision, a
 * deletion, an unknown kind, an amount of 0 for a kind that moves money.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/durable/wallet/schema";
import { migrate } from "../../../src/lib/sqlite";
import { newWallet } from "../../support/helpers";

const STEP_9_PROPOSALS = `CREATE TABLE proposals (
   id TEXT PRIMARY KEY,
   kind TEXT NOT NULL CHECK (kind IN ('adjust_credit', 'adjust_debit', 'decide', 'refund', 'credit_excess')),
   payload_json TEXT NOT NULL,
   tx_ref TEXT,
   tx_version INTEGER,
   amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
   proposed_by TEXT NOT NULL,
   created_at_ms INTEGER NOT NULL,
   expires_at_ms INTEGER NOT NULL,
   status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
   decided_by TEXT,
   decided_at_ms INTEGER,
   result_json TEXT,
   version INTEGER NOT NULL CHECK (version > 0)
 )`;

const insert = (
  sql: SqlStorage,
  id: string,
  kind: string,
  amount_minor: number,
  status = "pending",
) =>
  sql.exec(
    `INSERT INTO proposals (id, kind, payload_json, tx_ref, tx_version, amount_minor, proposed_by, created_at_ms, expires_at_ms, status, version)
     VALUES (?, ?, '{"reason":"r"}', NULL, NULL, ?, 'op@ops.test', 1, 2, ?, 1)`,
    id,
    kind,
    amount_minor,
    status,
  );

describe("wallet schema step 10: proposals take the tier act", () => {
  it("keeps step 9's proposals and its refusals, and takes a tier proposal of amount 0", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, async (_w, state) => {
      const sql = state.storage.sql;
      // Back to step 9's table, holding one decided proposal.
      sql.exec("DROP TABLE proposals");
      sql.exec(STEP_9_PROPOSALS);
      insert(sql, "prp_old", "adjust_debit", 500, "executed");
      expect(() => insert(sql, "prp_tier_early", "tier", 0)).toThrow();
      sql.exec("UPDATE _schema SET version = 9");

      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(sql.exec("SELECT id, kind, amount_minor, status FROM proposals").toArray()).toEqual([
        { id: "prp_old", kind: "adjust_debit", amount_minor: 500, status: "executed" },
      ]);
      insert(sql, "prp_tier", "tier", 0);
      expect(() => insert(sql, "prp_zero", "adjust_debit", 0)).toThrow(/CHECK/);
      expect(() => insert(sql, "prp_odd", "unknown", 5)).toThrow(/CHECK/);
      expect(() =>
        sql.exec("UPDATE proposals SET status = 'pending' WHERE id = 'prp_old'"),
      ).toThrow(/proposal_already_decided/);
      expect(() => sql.exec("DELETE FROM proposals WHERE id = 'prp_tier'")).toThrow(
        /proposals_append_only/,
      );
      expect(
        sql
          .exec("SELECT name FROM sqlite_master WHERE tbl_name = 'proposals' AND type = 'index'")
          .toArray()
          .map((r) => r.name),
      ).toContain("proposals_by_time");
    });
  });
});
