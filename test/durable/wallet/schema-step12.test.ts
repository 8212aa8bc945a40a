/**
 * Schema step 12 adds saved recipients, schedules and their runs. A wallet
 * written at step 11 gets the three tables and keeps what it had; the
 * constraints the code leans on hold in SQL too: one recipient per target,
 * one run per (schedule, period), a schedule's status and a run's status from
 * their lists only.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/durable/wallet/schema";
import { migrate } from "../../../src/lib/sqlite";
import { newWallet } from "../../support/helpers";

describe("wallet schema step 12: recipients, schedules and runs", () => {
  it("adds the tables to a step 11 wallet and enforces one recipient per target and one run per period", async () => {
    const { stub } = await newWallet();
    await runInDurableObject(stub, (_w, state) => {
      const sql = state.storage.sql;
      for (const table of ["schedule_runs", "schedules", "beneficiaries"])
        sql.exec(`DROP TABLE ${table}`);
      sql.exec("UPDATE _schema SET version = 11");
      const wallets = sql.exec("SELECT COUNT(*) AS n FROM wallet").one().n;

      expect(migrate(state.storage, MIGRATIONS)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(sql.exec("SELECT COUNT(*) AS n FROM wallet").one().n).toBe(wallets);
      const beneficiary = (id: string, key: string) =>
        sql.exec(
          `INSERT INTO beneficiaries (id, kind, target_key, target_json, nickname, created_at_ms, updated_at_ms, version)
           VALUES (?, 'phone', ?, '{}', 'n', 1, 1, 1)`,
          id,
          key,
        );
      beneficiary("ben_1", "phone:08011111111");
      expect(() => beneficiary("ben_2", "phone:08011111111")).toThrow(/UNIQUE/);
      const schedule = (id: string, status: string) =>
        sql.exec(
          `INSERT INTO schedules (id, beneficiary_id, product_json, recurrence_json, time_of_day, status, created_at_ms, updated_at_ms, version)
           VALUES (?, 'ben_1', '{}', '{}', '08:00', ?, 1, 1, 1)`,
          id,
          status,
        );
      schedule("sch_1", "active");
      expect(() => schedule("sch_2", "sleeping")).toThrow(/CHECK/);
      const run = (period: string, status: string) =>
        sql.exec(
          `INSERT INTO schedule_runs (schedule_id, period, due_at_ms, idempotency_key, order_json, status, created_at_ms, updated_at_ms)
           VALUES ('sch_1', ?, 1, 'k', '{}', ?, 1, 1)`,
          period,
          status,
        );
      run("2027-01-31", "due");
      expect(() => run("2027-01-31", "due")).toThrow(/UNIQUE|PRIMARY/);
      expect(() => run("2027-02-28", "lost")).toThrow(/CHECK/);
    });
  });
});
