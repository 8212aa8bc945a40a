/**
 * The MongoDB projection end to end: the Wallet's change feed, its
 * `projection` reader, the MongoProjector and the real `mongodb` driver,
 * against the MongoDB-wire test double (or MONGODB_TEST_URI; the outage tests
 * then skip). Proven here:
 * - after a mix of registration, funding, withdrawal and purchase, every
 *   document equals the ledger's view (the consistency checker says so);
 * - duplicated, reordered and stale deliveries leave the same state;
 * - the checker finds a document that went missing, and a reprojection
 *   through the admin route restores it;
 * - with the double stopped, money keeps moving at full speed, readiness shows
 *   the projection degraded with its backlog and the oldest change's age (and
 *   stays 200), and when the double returns the backlog drains to exactly the
 *   ledger's state;
 * - a reader that is not registered (the projection off) holds nothing back:
 *   no retries, and pruning ignores its old position.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import * as mongodb from "mongodb";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { mongoProjector } from "../../src/projection/object";
import { OPERATIONS_OBJECT } from "../../src/durable/operations/object";
import type { Wallet } from "../../src/durable/wallet/object";
import { ChangeFeed, retryDelayMs, type Change } from "../../src/durable/wallet/feed";
import { isProjected } from "../../src/projection/wallet-reader";
import { requireConfig } from "../../src/lib/config";
import { compare } from "../../src/projection/check";
import { FEED_RETRY_BASE_MS, FEED_RETRY_MAX_MS } from "../../src/durable/wallet/limits";
import { PROJECTION_LANES } from "../../src/projection/limits";
import { createMongoClient } from "../../src/projection/mongo-client";
import { laneOf, projectionChangeOf } from "../../src/projection/documents";
import {
  api,
  authedJson,
  env,
  eventually,
  expectLedgerConsistent,
  ORIGIN,
  registerAndLogin,
  verifyForAmount,
} from "../support/helpers";
import { buyAirtime, uniqueNaira } from "../support/purchases";
import { paid } from "../support/realtime";
import { mongoDouble, mongoUri, usingDouble } from "../support/mongo-double/control";

type WalletStub = DurableObjectStub<Wallet>;

const config = requireConfig(env);
const ADMIN = { authorization: `Bearer ${config.ADMIN_API_TOKEN}` };

type Check = {
  consistent: boolean;
  checked: { users: number; wallets: number; transactions: number };
  differences: { collection: string; key: string; problem: string }[];
  feed: { backlog: number; failures: number };
};

async function check(user_id: string): Promise<Check> {
  const res = await api(`/admin/wallets/${user_id}/projection`, { headers: ADMIN });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`projection check: ${res.status} ${text}`);
  return JSON.parse(text) as Check;
}

/** Wait until the wallet's projection has caught up and the checker finds nothing. */
async function expectProjected(user_id: string, timeout_ms = 15_000): Promise<Check> {
  return eventually(async () => {
    const result = await check(user_id);
    if (!result.consistent || result.feed.backlog !== 0)
      throw new Error(`not projected yet: ${JSON.stringify(result)}`);
    return result;
  }, timeout_ms);
}

/** The ledger's wallet as the consistency checker projects it (the fields the MongoDB document must hold). */
async function projectedWallet(user_id: string) {
  const { walletChange } = await import("../../src/projection/documents");
  const ledger = await env.WALLET.getByName(user_id).projectionView("", 1);
  if (!ledger.wallet) throw new Error("no wallet");
  return { view: walletChange(ledger.wallet).doc };
}

/** A registered user with a funding credited, a withdrawal paid out and an airtime purchase delivered. */
async function scriptedMix() {
  const user = await registerAndLogin();
  const stub = env.WALLET.getByName(user.user_id);
  // NGN 50,000 and then more moves in one day: a verified wallet's (tier 2), which the document carries.
  await verifyForAmount(stub, user.user_id, 50000_00);
  const fund = await api("/wallet/fund", authedJson(user.auth, { amount: 50000, currency: "ngn" }));
  expect(fund.status).toBe(201);
  const { tx_ref: fund_ref } = (await fund.json()) as { tx_ref: string };
  expect(
    (await stub.applyProviderFacts(fund_ref, paid(fund_ref, 50000_00), { via: "webhook" })).outcome,
  ).toBe("credited");

  const withdraw = await api(
    "/wallet/withdraw",
    authedJson(user.auth, {
      amount: "1200",
      account_bank: "044",
      account_number: "0690000031",
      narration: "projection mix",
    }),
  );
  expect(withdraw.status).toBe(202);
  const { tx_ref: withdraw_ref } = (await withdraw.json()) as { tx_ref: string };
  const sent = (await stub.getTransaction(withdraw_ref))!;
  const facts = {
    ...paid(withdraw_ref, sent.amount_minor),
    provider_ref: sent.provider_ref ?? "1",
  };
  expect((await stub.applyProviderFacts(withdraw_ref, facts, { via: "webhook" })).outcome).toBe(
    "debited",
  );

  const airtime = await buyAirtime(user.auth, {
    phone: "08011111111",
    amount: uniqueNaira(),
    network: "mtn",
  });
  if (airtime.status !== 202) throw new Error(`airtime: ${airtime.status} ${await airtime.text()}`);
  await expectLedgerConsistent(stub);
  return {
    ...user,
    stub,
    tx_refs: [fund_ref, withdraw_ref, ((await airtime.json()) as { tx_ref: string }).tx_ref],
  };
}

/** Run the wallet's alarm now, with any projection backoff cut short. */
async function retryNow(stub: WalletStub): Promise<void> {
  await runInDurableObject(stub, async (_i, state) => {
    state.storage.sql.exec("UPDATE feed_readers SET retry_at_ms = 0 WHERE reader = 'projection'");
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/** Readiness computed now (a fresh environment object has no cached result). */
async function readiness(target: Env = { ...env } as Env) {
  const res = await createApp().fetch(
    new Request(`${ORIGIN}/api/v1/health/ready`),
    target,
    createExecutionContext(),
  );
  return {
    status: res.status,
    body: (await res.json()) as {
      status: string;
      projection: {
        status: string;
        wallets_behind: number;
        backlog_changes: number;
        oldest_unprojected_age_ms: number | null;
      };
    },
  };
}

describe("the projection follows the ledger", () => {
  it("holds, after registration, funding, withdrawal and purchase, exactly the ledger's documents", async () => {
    const mix = await scriptedMix();
    const result = await expectProjected(mix.user_id);
    expect(result.checked).toEqual({ users: 1, wallets: 1, transactions: 3 });
    expect(result.differences).toEqual([]);
  });

  it("carries an operator's freeze and its lifting to the wallet's document", async () => {
    const user = await registerAndLogin();
    const stub = env.WALLET.getByName(user.user_id);
    const ops = { id: "ops@example.com", role: "operator" as const };
    const frozen = await stub.freeze(ops, {
      mode: "no_debit",
      reason: "Under review",
      internal_reason: "projection test",
    });
    expect(frozen.outcome).toBe("frozen");
    // The checker compares every field of the ledger's wallet, the freeze's two among them.
    await expectProjected(user.user_id);
    const { view } = await projectedWallet(user.user_id);
    expect(view).toMatchObject({ frozen_mode: "no_debit", frozen_reason: "Under review" });
    expect((await stub.unfreeze(ops, { reason: "cleared" })).outcome).toBe("unfrozen");
    await expectProjected(user.user_id);
    expect((await projectedWallet(user.user_id)).view).toMatchObject({
      frozen_mode: null,
      frozen_reason: null,
    });
  });

  it("carries a tier change (a verified BVN, then a NIN) to the wallet's document", async () => {
    const user = await registerAndLogin();
    const stub = env.WALLET.getByName(user.user_id);
    await expectProjected(user.user_id);
    // Tier 0 with KYC not required (the tests' setting) has tier 1's limits; the document carries them.
    expect((await projectedWallet(user.user_id)).view).toMatchObject({
      tier: 0,
      daily_limit_minor: 50_000_00,
      max_balance_minor: 300_000_00,
    });
    for (const kind of ["bvn", "nin"] as const)
      await stub.recordIdentity({
        kind,
        hash: `${kind}-${user.user_id}`,
        last4: "1234",
        verified_name: "ADA OBI",
        verified_dob: "1990-01-31",
        provider: "sandbox",
      });
    await expectProjected(user.user_id);
    const { view } = await projectedWallet(user.user_id);
    expect(view).toMatchObject({
      tier: 2,
      daily_limit_minor: 200_000_00,
      max_balance_minor: 500_000_00,
    });
    // Only the tier: never a hash or the verified name.
    expect(JSON.stringify(view)).not.toMatch(/bvn-|nin-|ADA OBI/);
  });

  it("ends in the same state after the whole feed is delivered again, reversed and twice over", async () => {
    const mix = await scriptedMix();
    await expectProjected(mix.user_id);
    const changes: Change[] = await mix.stub.changes(0);
    expect(changes.length).toBeGreaterThan(8);
    const projector = mongoProjector(env, config, laneOf(mix.user_id, PROJECTION_LANES))!;
    const projected = changes.filter(isProjected);
    const replay = [...projected].reverse().concat(projected).map(projectionChangeOf);
    const result = await projector.project(replay);
    expect(result).toMatchObject({ ok: true, applied: 0, rejected: [] });
    // Also through the feed itself: every reader's position lost, everything redelivered.
    await runInDurableObject(mix.stub, (_i, state) =>
      state.storage.sql.exec("UPDATE feed_readers SET position = 0 WHERE reader = 'projection'"),
    );
    await retryNow(mix.stub);
    expect((await expectProjected(mix.user_id)).differences).toEqual([]);
  });

  it("names the fields a wallet document written before the tiers lacks (tier, limits), and a reprojection fills them in at the same version", async () => {
    const user = await registerAndLogin();
    await expectProjected(user.user_id);
    const client = createMongoClient(mongodb, {
      uri: mongoUri,
      server_selection_timeout_ms: 5_000,
    });
    try {
      await client
        .db(config.mongo!.db)
        .collection("wallets")
        .updateOne(
          { user_id: user.user_id },
          { $unset: { tier: "", daily_limit_minor: "", max_balance_minor: "" } },
        );
    } finally {
      await client.close();
    }
    const broken = await check(user.user_id);
    expect(broken.consistent).toBe(false);
    expect(broken.differences).toEqual([
      expect.objectContaining({
        collection: "wallets",
        key: user.user_id,
        problem: "fields",
        fields: ["tier", "daily_limit_minor", "max_balance_minor"],
      }),
    ]);
    const res = await api(`/admin/wallets/${user.user_id}/reproject`, {
      method: "POST",
      headers: ADMIN,
    });
    expect(res.status).toBe(202);
    expect((await expectProjected(user.user_id)).differences).toEqual([]);
  });

  it("reports a document that went missing, and a reprojection through the admin route restores it", async () => {
    const mix = await scriptedMix();
    await expectProjected(mix.user_id);
    const client = createMongoClient(mongodb, {
      uri: mongoUri,
      server_selection_timeout_ms: 5_000,
    });
    try {
      await client
        .db(config.mongo!.db)
        .collection("transactions")
        .deleteOne({ tx_ref: mix.tx_refs[1] });
    } finally {
      await client.close();
    }
    const broken = await check(mix.user_id);
    expect(broken.consistent).toBe(false);
    expect(broken.differences).toEqual([
      expect.objectContaining({
        collection: "transactions",
        key: mix.tx_refs[1],
        problem: "missing",
      }),
    ]);

    expect((await api(`/admin/wallets/${mix.user_id}/reproject`, { method: "POST" })).status).toBe(
      401,
    );
    const res = await api(`/admin/wallets/${mix.user_id}/reproject`, {
      method: "POST",
      headers: ADMIN,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      user_id: mix.user_id,
      queued: { users: 1, wallets: 1, transactions: 3 },
      has_more: false,
      next_starting_after: null,
    });
    expect((await expectProjected(mix.user_id)).differences).toEqual([]);
    await expectLedgerConsistent(mix.stub);
  });

  it("answers 404 for a wallet that does not exist, and lists registered users in the users index", async () => {
    const user = await registerAndLogin();
    expect(
      (
        await api("/admin/wallets/usr0000000000000000/reproject", {
          method: "POST",
          headers: ADMIN,
        })
      ).status,
    ).toBe(404);
    let starting_after: string | undefined;
    const seen: string[] = [];
    for (let page = 0; page < 100; page++) {
      const res = await api(
        `/admin/users?limit=200${starting_after ? `&starting_after=${starting_after}` : ""}`,
        { headers: ADMIN },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { user_id: string }[]; has_more: boolean };
      seen.push(...body.data.map((u) => u.user_id));
      if (!body.has_more) break;
      starting_after = body.data[body.data.length - 1].user_id;
    }
    expect(seen).toContain(user.user_id);
    expect([...seen].sort()).toEqual(seen);
  });
});

describe.skipIf(!usingDouble)("while MongoDB is away", () => {
  it("keeps money moving, shows the lag in readiness, and drains to the ledger's state when it returns", async () => {
    const before = await scriptedMix();
    await expectProjected(before.user_id);
    await mongoDouble.stop();
    try {
      const started_ms = Date.now();
      const during = await scriptedMix();
      // Far below the server selection timeout (1.5 s) per call: nothing waited for MongoDB.
      expect(Date.now() - started_ms).toBeLessThan(8_000);
      const funding = await api(
        "/wallet/fund",
        authedJson(before.auth, { amount: 700, currency: "ngn" }),
      );
      expect(funding.status).toBe(201);

      // Each wallet's background delivery fails (server selection, 1.5 s here) and tells Operations.
      const operations = env.OPERATIONS.getByName(OPERATIONS_OBJECT);
      const listed = () =>
        runInDurableObject(operations, (_i, s) =>
          s.storage.sql
            .exec<{ user_id: string }>(
              "SELECT user_id FROM projection_lag WHERE user_id IN (?, ?) ORDER BY user_id",
              during.user_id,
              before.user_id,
            )
            .toArray()
            .map((r) => r.user_id),
        );
      await eventually(
        async () => expect(await listed()).toEqual([during.user_id, before.user_id].sort()),
        15_000,
      );
      const state = await during.stub.projectionState();
      expect(state).toMatchObject({ on: true });
      if (state.on) expect(state.failures).toBeGreaterThan(0);
      if (state.on) expect(state.backlog).toBeGreaterThan(0);

      const lagging = await readiness();
      expect(lagging.status).toBe(200);
      expect(lagging.body.status).toBe("ready");
      expect(lagging.body.projection.status).toBe("degraded");
      expect(lagging.body.projection.wallets_behind).toBeGreaterThanOrEqual(2);
      expect(lagging.body.projection.backlog_changes).toBeGreaterThan(0);
      expect(lagging.body.projection.oldest_unprojected_age_ms).toBeGreaterThan(0);

      await mongoDouble.start();
      await retryNow(during.stub);
      await retryNow(before.stub);
      for (const user of [during, before]) {
        const result = await expectProjected(user.user_id);
        expect(result.differences).toEqual([]);
        expect(result.feed.failures).toBe(0);
      }
      expect(await during.stub.projectionState()).toMatchObject({
        on: true,
        backlog: 0,
        failures: 0,
      });
      // Each wallet told Operations it caught up, so readiness no longer counts it.
      // (Other wallets of a concurrent test file may still be behind: the double is shared.)
      expect(await listed()).toEqual([]);
    } finally {
      await mongoDouble.start();
    }
  });
});

describe("a reader that is not registered", () => {
  it("arms no retry and does not hold back pruning, whatever position it had", async () => {
    const mix = await scriptedMix();
    await expectProjected(mix.user_id);
    await runInDurableObject(mix.stub, (_i, state) => {
      const sql = state.storage.sql;
      // The projection stalled at the start, and every change is old enough to prune.
      sql.exec("UPDATE feed_readers SET position = 0 WHERE reader = 'projection'");
      sql.exec("UPDATE changes SET created_at_ms = 0");
      const rooms_only = new ChangeFeed(state.storage, {
        rooms: async (changes) => ({ through_seq: changes[changes.length - 1].seq }),
      });
      const with_projection = new ChangeFeed(state.storage, {
        rooms: async (changes) => ({ through_seq: changes[changes.length - 1].seq }),
        projection: async () => ({ through_seq: 0, error: new Error("down") }),
      });
      expect(with_projection.nextRetryAt()).not.toBeNull();
      expect(rooms_only.nextRetryAt()).toBeNull();
      expect(with_projection.prune(Date.now())).toBe(0);
      expect(rooms_only.prune(Date.now())).toBeGreaterThan(0);
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM changes").one().n).toBe(0);
    });
  });

  it("shows as off in readiness when no MongoDB URI is set", async () => {
    const off = { ...env, MONGODB_URI: undefined, MONGO_URI: undefined } as unknown as Env;
    const r = await readiness(off);
    expect(r.status).toBe(200);
    expect(r.body.projection).toEqual({
      status: "off",
      wallets_behind: 0,
      wallets_behind_capped: false,
      backlog_changes: 0,
      oldest_unprojected_age_ms: null,
    });
  });
});

describe("feed retries", () => {
  it("back off exponentially with jitter, never sooner than the reader asked, within the bounds", () => {
    expect(retryDelayMs(1, 0, () => 0)).toBe(FEED_RETRY_BASE_MS / 2);
    expect(retryDelayMs(1, 0, () => 1)).toBe(FEED_RETRY_BASE_MS);
    expect(retryDelayMs(3, 0, () => 0.5)).toBe(Math.round(FEED_RETRY_BASE_MS * 4 * 0.75));
    expect(retryDelayMs(1, 5_000, () => 0)).toBe(5_000);
    expect(retryDelayMs(40, 0, () => 1)).toBe(FEED_RETRY_MAX_MS);
    expect(retryDelayMs(1, 10 * FEED_RETRY_MAX_MS, () => 0)).toBe(FEED_RETRY_MAX_MS);
    const spread = new Set(Array.from({ length: 20 }, () => retryDelayMs(4)));
    expect(spread.size).toBeGreaterThan(1);
  });
});

describe("the checker's comparison", () => {
  const expected = {
    collection: "wallets" as const,
    key: "usr0000000000000001",
    version: 3,
    doc: {
      currency: "NGN",
      balance_minor: 150_00,
      available_minor: 150_00,
      is_active: true,
      frozen_mode: null,
      frozen_reason: null,
      tier: 0,
      created_at_ms: 1,
      updated_at_ms: 2,
    },
  };
  const projected = { user_id: expected.key, version: 3, ...expected.doc, balance: "150.00" };

  it("finds nothing when the document holds the ledger's version and fields", () => {
    expect(compare(expected, projected)).toBeNull();
  });

  it("names a missing document, another version, and changed fields (never their values)", () => {
    expect(compare(expected, undefined)).toEqual({
      collection: "wallets",
      key: expected.key,
      problem: "missing",
      ledger_version: 3,
    });
    expect(compare(expected, { ...projected, version: 2 })).toEqual({
      collection: "wallets",
      key: expected.key,
      problem: "version",
      ledger_version: 3,
      projected_version: 2,
    });
    expect(compare(expected, { ...projected, balance_minor: 1, balance: "0.01" })).toEqual({
      collection: "wallets",
      key: expected.key,
      problem: "fields",
      version: 3,
      fields: ["balance_minor", "balance"],
    });
  });
});
