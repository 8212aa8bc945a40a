/**
 * The operator index and the users index in OPERATOR_INDEX_SHARDS shards:
 * - a key's shard is fixed (the same answer in every release: the values are
 *   pinned here), and every fact a wallet's feed delivers lands in its shard;
 * - the readers merge every shard in order, across pages, each row once;
 * - an email registered concurrently still makes one account, indexed once;
 * - the single index of old, migrated, moves into its shards without being
 *   counted again, and stays readable meanwhile.
 *
 * Order matters: the move runs first, before any shard has checked in, as on
 * the first deployment of the sharded index.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardName, shardOf, type TransactionFact } from "../../../src/domain/operator";
import { OPERATIONS_MIGRATIONS } from "../../../src/durable/operations/object";
import { requireConfig } from "../../../src/lib/config";
import { newTxRef, newUserId } from "../../../src/lib/ids";
import { migrate } from "../../../src/lib/sqlite";
import { indexUser } from "../../../src/services/operator-index";
import { api, eventually, fundedWallet, json, PASSWORD, uniqueEmail } from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";

const ADMIN = { authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` };
const SHARDS = requireConfig(env).OPERATOR_INDEX_SHARDS;
const shard = (i: number) => env.OPERATIONS.getByName(shardName(i));

type View = {
  overdue: { total: number; data: { tx_ref: string; overdue_s: number }[] };
  settlements: { type: string; outcome: string; count: number }[];
  index: { shards: number; moving: boolean };
};

async function view(limit = 100): Promise<View> {
  const res = await api(`/admin/operations?limit=${limit}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

async function allUsers(limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let starting_after: string | undefined;
  for (let pages = 1; pages < 10_000; pages++) {
    const res = await api(
      `/admin/users?limit=${limit}${starting_after ? `&starting_after=${starting_after}` : ""}`,
      { headers: ADMIN },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { user_id: string }[]; has_more: boolean };
    expect(body.data.length).toBeLessThanOrEqual(limit);
    ids.push(...body.data.map((u) => u.user_id));
    if (!body.has_more) return { ids, pages };
    expect(body.data).toHaveLength(limit);
    starting_after = body.data[body.data.length - 1].user_id;
  }
  throw new Error("the listing never ended");
}

function pendingFact(
  tx_ref: string,
  owner_user_id: string,
  deadline_at_ms: number,
): TransactionFact {
  return {
    fact: "transaction",
    tx_ref,
    version: 1,
    owner_user_id,
    type: "WITHDRAW",
    status: "PENDING",
    stage: "submitted",
    amount_minor: 10_000,
    currency: "NGN",
    created_at_ms: 500,
    updated_at_ms: 500,
    deadline_at_ms,
    escalated_at_ms: null,
  };
}

const settledOf = (v: View, type: string, outcome: string) =>
  v.settlements.find((s) => s.type === type && s.outcome === outcome)?.count ?? 0;

describe("moving the single index of old into the shards", () => {
  it("keeps every row reachable, in the shard its key hashes to, and counts nothing twice", async () => {
    // A database as it was before sharding (migrations 1-4), holding rows, then migrated to today's.
    const owner = newUserId();
    const pending = Array.from({ length: 12 }, () => newTxRef("WITHDRAW", owner));
    const settled = newTxRef("AIRTIME", owner);
    const legacy_users = Array.from({ length: 12 }, () => newUserId());
    await runInDurableObject(shard(0), (_i, state) => {
      const sql = state.storage.sql;
      const tables = sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
        )
        .toArray();
      for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
      expect(
        migrate(
          state.storage,
          OPERATIONS_MIGRATIONS.filter((m) => m.version <= 4),
        ),
      ).toBe(4);
      pending.forEach(
        (tx_ref, i) =>
          void sql.exec(
            `INSERT INTO op_transactions (tx_ref, version, owner_user_id, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms, escalated_at_ms)
           VALUES (?, 1, ?, 'WITHDRAW', 'PENDING', 'submitted', 10000, 'NGN', 100, 100, ?, NULL)`,
            tx_ref,
            owner,
            200 + i,
          ),
      );
      sql.exec(
        `INSERT INTO op_transactions (tx_ref, version, owner_user_id, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms, escalated_at_ms)
         VALUES (?, 2, ?, 'AIRTIME', 'SUCCESS', 'settled', 10000, 'NGN', ?, ?, ?, NULL)`,
        settled,
        owner,
        Date.now(),
        Date.now(),
        Date.now() + 60_000,
      );
      sql.exec(
        "INSERT INTO op_settlements (tx_ref, outcome, version, type, at_ms) VALUES (?, 'succeeded', 2, 'AIRTIME', ?)",
        settled,
        Date.now(),
      );
      sql.exec("INSERT INTO op_counters (type, outcome, count) VALUES ('AIRTIME', 'succeeded', 1)");
      sql.exec(
        "INSERT INTO op_anomalies (tx_ref, kind, ref, detail, owner_user_id, created_at_ms, resolved_at_ms) VALUES (?, 'overpaid', '', 'd', ?, 300, NULL)",
        pending[0],
        owner,
      );
      for (const user_id of legacy_users)
        sql.exec("INSERT INTO users_index (user_id, indexed_at_ms) VALUES (?, 1)", user_id);
      expect(migrate(state.storage, OPERATIONS_MIGRATIONS)).toBe(
        OPERATIONS_MIGRATIONS[OPERATIONS_MIGRATIONS.length - 1].version,
      );
    });
    // The keys span several shards, so the move really sends rows elsewhere.
    expect(new Set(pending.map((t) => shardOf(t, SHARDS))).size).toBeGreaterThan(1);

    // While the move has not run: the view says so, the legacy users are listed already,
    // and a shard refuses a feed's facts (they would meet settlement keys not arrived yet).
    expect((await view()).index).toEqual({ shards: SHARDS, moving: true });
    expect((await allUsers(5)).ids).toEqual(expect.arrayContaining(legacy_users));
    const elsewhere = pending.find((t) => shardOf(t, SHARDS) !== 0)!;
    const home = shardOf(elsewhere, SHARDS);
    const refused = await shard(home)
      .ingest([pendingFact(elsewhere, owner, 200)], { shard: home, shards: SHARDS })
      .then(
        () => null,
        (error: unknown) => String(error),
      );
    expect(refused).toMatch(/still moving/);

    // That check-in armed the move; its alarm (run now, if it has not already fired) moves everything.
    await runDurableObjectAlarm(shard(0));
    await eventually(() =>
      runInDurableObject(shard(0), (_i, state) => {
        for (const table of [
          "legacy_transactions",
          "legacy_settlements",
          "legacy_anomalies",
          "legacy_users",
        ]) {
          expect(
            state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n,
            table,
          ).toBe(0);
        }
      }),
    );
    for (const tx_ref of [...pending, settled]) {
      const home = shardOf(tx_ref, SHARDS);
      await runInDurableObject(shard(home), (_i, state) => {
        expect(
          state.storage.sql
            .exec("SELECT tx_ref FROM op_transactions WHERE tx_ref = ?", tx_ref)
            .toArray(),
          tx_ref,
        ).toHaveLength(1);
      });
    }
    for (const user_id of legacy_users) {
      await runInDurableObject(shard(shardOf(user_id, SHARDS)), (_i, state) => {
        expect(
          state.storage.sql.exec("SELECT 1 FROM users_index WHERE user_id = ?", user_id).toArray(),
          user_id,
        ).toHaveLength(1);
      });
    }

    const after = await view();
    expect(after.index).toEqual({ shards: SHARDS, moving: false });
    // The most overdue first, whichever shard holds them.
    expect(after.overdue.data.slice(0, pending.length).map((t) => t.tx_ref)).toEqual(pending);
    expect(settledOf(after, "AIRTIME", "succeeded")).toBe(1);
    // A redelivery of the settled transaction's last version, now to its shard, counts nothing.
    const settledHome = shardOf(settled, SHARDS);
    const again: TransactionFact = {
      ...pendingFact(settled, owner, Date.now() + 60_000),
      type: "AIRTIME",
      version: 2,
      status: "SUCCESS",
      stage: "settled",
    };
    expect(await shard(settledHome).ingest([again], { shard: settledHome, shards: SHARDS })).toBe(
      0,
    );
    expect(settledOf(await view(), "AIRTIME", "succeeded")).toBe(1);
    // The anomaly moved with its transaction and is resolved there, through the route.
    expect(
      (
        await api(`/admin/anomalies/${pending[0]}/overpaid/resolve`, {
          method: "POST",
          headers: await operatorHeaders(uniqueEmail("ops"), "operator"),
        })
      ).status,
    ).toBe(200);
  });
});

describe("shard routing", () => {
  it("sends a key to the same shard in every release (pinned values), within range and spread out", () => {
    // Pinned: a change here would send live keys to other shards than the ones holding them.
    expect([
      shardOf("usr0000000000000000", 16),
      shardOf("wdr_abc", 16),
      shardOf("", 16),
      shardOf("a", 7),
    ]).toEqual(PINNED);
    expect(shardName(0)).toBe("global");
    expect(shardName(3)).toBe("operator-index-3");
    const counts = new Array<number>(SHARDS).fill(0);
    for (let i = 0; i < 200 * SHARDS; i++) {
      const key = newTxRef("AIRTIME", "usr0000000000000000");
      const s = shardOf(key, SHARDS);
      expect(shardOf(key, SHARDS)).toBe(s);
      counts[s]++;
    }
    // 200 expected per shard; a hash that ignored part of the key would leave some far below.
    for (const n of counts) expect(n).toBeGreaterThan(100);
  });

  it("delivers each wallet change to the shard of its tx_ref, and to no other", async () => {
    const funded = await fundedWallet(50_000);
    const txs = await eventually(async () => {
      const rows = await runInDurableObject(funded.stub, (_i, state) =>
        state.storage.sql
          .exec<{ tx_ref: string }>(
            "SELECT DISTINCT json_extract(body, '$.tx_ref') AS tx_ref FROM changes WHERE entity = 'transaction'",
          )
          .toArray(),
      );
      if (rows.length === 0) throw new Error("no transaction changes yet");
      return rows.map((r) => r.tx_ref);
    });
    for (const tx_ref of txs) {
      const home = shardOf(tx_ref, SHARDS);
      await eventually(async () => {
        for (let i = 0; i < SHARDS; i++) {
          const found = await runInDurableObject(
            shard(i),
            (_o, state) =>
              state.storage.sql
                .exec("SELECT 1 FROM op_transactions WHERE tx_ref = ?", tx_ref)
                .toArray().length,
          );
          expect(found, `${tx_ref} in shard ${i}`).toBe(i === home ? 1 : 0);
        }
      });
    }
  });
});

describe("readers merge every shard", () => {
  it("lists the overdue of several shards in deadline order, bounded by the limit", async () => {
    const owner = newUserId();
    // Deadlines before any real one (the epoch's first seconds), one per key, spread over shards.
    const refs = Array.from({ length: 9 }, () => newTxRef("WITHDRAW", owner));
    expect(new Set(refs.map((t) => shardOf(t, SHARDS))).size).toBeGreaterThan(2);
    await Promise.all(
      refs.map((tx_ref, i) => {
        const home = shardOf(tx_ref, SHARDS);
        return shard(home).ingest([pendingFact(tx_ref, owner, 10 + i)], {
          shard: home,
          shards: SHARDS,
        });
      }),
    );
    const limited = await view(4);
    expect(limited.overdue.data.map((t) => t.tx_ref)).toEqual(refs.slice(0, 4));
    expect(limited.overdue.total).toBeGreaterThanOrEqual(refs.length);
    const whole = await view(100);
    expect(whole.overdue.data.slice(0, refs.length).map((t) => t.tx_ref)).toEqual(refs);
  });

  it("pages the users of every shard in id order, each once, whatever the page size", async () => {
    const ids = Array.from({ length: 40 }, () => newUserId());
    await Promise.all(ids.map((id) => indexUser(env, SHARDS, id)));
    // Indexing again changes nothing.
    await indexUser(env, SHARDS, ids[0]);
    expect(new Set(ids.map((id) => shardOf(id, SHARDS))).size).toBeGreaterThan(4);
    const whole = await allUsers(1000);
    for (const limit of [1, 3, 7]) {
      const paged = await allUsers(limit);
      expect(paged.ids).toEqual(whole.ids);
      expect(paged.pages).toBe(Math.ceil(whole.ids.length / limit) || 1);
    }
    expect([...whole.ids].sort()).toEqual(whole.ids);
    expect(new Set(whole.ids).size).toBe(whole.ids.length);
    expect(whole.ids).toEqual(expect.arrayContaining(ids));
  });
});

describe("the users index across shards", () => {
  it("makes one account of an email registered five times at once, indexed once", async () => {
    const before = await allUsers(1000);
    const email = uniqueEmail("shard-race");
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("/auth/register", json({ email, password: PASSWORD }))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    const user = (await responses.find((r) => r.status === 201)!.json()) as { id: string };
    const after = await allUsers(1000);
    expect(after.ids.filter((id) => id === user.id)).toHaveLength(1);
    // Nothing else was indexed: the losers made no user.
    expect(after.ids.filter((id) => !before.ids.includes(id))).toEqual([user.id]);
  });
});

const PINNED = [1, 7, 5, 5];
