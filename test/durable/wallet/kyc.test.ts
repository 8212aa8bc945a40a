/**
 * The Wallet's KYC RPC (the contract with the identity side): recording a
 * verified identity recomputes the tier, bumps the wallet's version onto the
 * change feed, is idempotent for the same number and refuses a second number
 * of one kind; verification attempts are counted per Africa/Lagos day.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  CBN_TIER_TABLE,
  LAGOS_OFFSET_MS,
  type IdentityKind,
  type TierPolicy,
} from "../../../src/domain/tiers";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef, newUserId } from "../../../src/lib/ids";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { env, newWallet } from "../../support/helpers";

const identity = (kind: IdentityKind, hash = `${kind}-hash-1`, last4 = "1234") => ({
  kind,
  hash,
  last4,
  verified_name: "ADA OBI",
  verified_dob: "1990-01-31",
  provider: "sandbox",
});

type Stub = Awaited<ReturnType<typeof newWallet>>["stub"];

/** The wallet versions on the change feed, oldest first, as the feed carries them. */
async function walletChanges(
  stub: Stub,
): Promise<{ version: number; tier: number; daily_limit_minor?: number }[]> {
  return runInDurableObject(stub, async (_w: Wallet, state) =>
    state.storage.sql
      .exec<{ body: string }>("SELECT body FROM changes WHERE entity = 'wallet' ORDER BY seq")
      .toArray()
      .map((row) => JSON.parse(row.body) as { version: number; tier: number }),
  );
}

describe("Wallet object: KYC identities and tiers", () => {
  it("starts at tier 0 with no identities", async () => {
    const { stub } = await newWallet();
    expect(await stub.kycStatus()).toEqual({
      tier: 0,
      identities: [],
      verified_name: null,
      verified_dob: null,
    });
    expect((await stub.summary())?.tier).toBe(0);
  });

  it("a verified BVN gives tier 1 and a new wallet version on the feed carrying it", async () => {
    const { stub } = await newWallet();
    const before = await walletChanges(stub);
    expect(await stub.recordIdentity(identity("bvn"))).toEqual({
      outcome: "recorded",
      tier: 1,
      changed: true,
    });
    const after = await walletChanges(stub);
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatchObject({ tier: 1, version: before.at(-1)!.version + 1 });
    const status = await stub.kycStatus();
    expect(status).toMatchObject({
      tier: 1,
      identities: [{ kind: "bvn", last4: "1234", provider: "sandbox" }],
      verified_name: "ADA OBI",
      verified_dob: "1990-01-31",
    });
    // The hash never leaves the object.
    expect(JSON.stringify(status)).not.toContain("bvn-hash-1");
  });

  it("the same number again changes nothing and puts nothing on the feed", async () => {
    const { stub } = await newWallet();
    await stub.recordIdentity(identity("nin"));
    const before = await walletChanges(stub);
    expect(await stub.recordIdentity(identity("nin"))).toEqual({
      outcome: "recorded",
      tier: 1,
      changed: false,
    });
    expect(await walletChanges(stub)).toEqual(before);
  });

  it("refuses a second, different number of the same kind and names the first one's last four", async () => {
    const { stub } = await newWallet();
    await stub.recordIdentity(identity("bvn", "hash-a", "1111"));
    expect(await stub.recordIdentity(identity("bvn", "hash-b", "2222"))).toEqual({
      outcome: "different_identity",
      kind: "bvn",
      last4: "1111",
    });
    expect((await stub.kycStatus())?.identities).toHaveLength(1);
  });

  it("a BVN and a NIN give tier 2; an operator's upgrade gives 3 only over 2; a downgrade is sticky", async () => {
    const { stub } = await newWallet();
    await stub.recordIdentity(identity("bvn"));
    // An upgrade to 3 over tier 1 grants nothing yet...
    await runInDurableObject(stub, async (wallet: Wallet, state) => {
      state.storage.transactionSync(() =>
        (
          wallet as unknown as { core: { tiers: { setOverride: (o: unknown) => number } } }
        ).core.tiers.setOverride({
          tier: 3,
          reason: "address verified",
          operator: "op-1",
          at_ms: Date.now(),
        }),
      );
    });
    expect((await stub.kycStatus())?.tier).toBe(1);
    // ...until both identities are there.
    expect(await stub.recordIdentity(identity("nin"))).toMatchObject({ tier: 3, changed: true });
    // A downgrade caps the tier whatever is verified.
    await runInDurableObject(stub, async (wallet: Wallet, state) => {
      state.storage.transactionSync(() =>
        (
          wallet as unknown as { core: { tiers: { setOverride: (o: unknown) => number } } }
        ).core.tiers.setOverride({
          tier: 1,
          reason: "suspicious activity",
          operator: "op-2",
          at_ms: Date.now(),
        }),
      );
    });
    expect((await stub.kycStatus())?.tier).toBe(1);
  });

  it("answers no_wallet and null for an object that was never initialised", async () => {
    const stub = env.WALLET.getByName(newUserId());
    expect(await stub.recordIdentity(identity("bvn"))).toEqual({ outcome: "no_wallet" });
    expect(await stub.kycStatus()).toBeNull();
  });
});

describe("Wallet object: verification attempts per Lagos day", () => {
  it("counts attempts and refuses past the maximum", async () => {
    const { stub } = await newWallet();
    expect(await stub.kycAttempt(2)).toEqual({ allowed: true, used: 1 });
    expect(await stub.kycAttempt(2)).toEqual({ allowed: true, used: 2 });
    const refused = await stub.kycAttempt(2);
    expect(refused.allowed).toBe(false);
    if (refused.allowed) throw new Error("unreachable");
    expect(refused.retry_after_s).toBeGreaterThan(0);
    expect(refused.retry_after_s).toBeLessThanOrEqual(24 * 3600);
  });

  it("a new Lagos day (midnight at 23:00 UTC) starts a new count; retry_after_s points at it", async () => {
    const { stub } = await newWallet();
    // 22:59:59 UTC is 23:59:59 in Lagos: one second before the reset.
    const before_midnight = Date.UTC(2026, 0, 15, 22, 59, 59);
    const after_midnight = before_midnight + 1000;
    expect(after_midnight % (24 * 3600_000)).toBe(24 * 3600_000 - LAGOS_OFFSET_MS);
    await runInDurableObject(stub, async (wallet: Wallet, state) => {
      const tiers = (
        wallet as unknown as {
          core: { tiers: { attempt: (max: number, now_ms: number) => unknown } };
        }
      ).core.tiers;
      const at = (now_ms: number) => state.storage.transactionSync(() => tiers.attempt(1, now_ms));
      expect(at(before_midnight)).toEqual({ allowed: true, used: 1 });
      expect(at(before_midnight)).toEqual({ allowed: false, retry_after_s: 1 });
      expect(at(after_midnight)).toEqual({ allowed: true, used: 1 });
    });
  });

  it("each wallet version carries its tier's limits; an open under a policy that changes them writes a new version with them, one that does not changes nothing", async () => {
    const { stub, user_id } = await newWallet();
    const before = (await walletChanges(stub)).at(-1);
    // No open yet: the object's own configuration (the CBN's table, KYC not required in the tests).
    expect(before).toMatchObject({
      tier: 0,
      daily_limit_minor: 50_000_00,
      max_balance_minor: 300_000_00,
    });
    const open = (tiers: TierPolicy) =>
      stub.openFunding({
        tx_ref: newTxRef("FUND", user_id),
        amount_minor: 100_00,
        currency: "NGN",
        pending_max: FUND_PENDING_MAX_CEILING,
        deadline_at_ms: Date.now() + 3_600_000,
        tiers,
      });
    expect((await open({ table: CBN_TIER_TABLE, required: false })).outcome).toBe("opened");
    expect((await walletChanges(stub)).at(-1)).toEqual(before);
    const raised: TierPolicy = {
      table: {
        ...CBN_TIER_TABLE,
        "1": { daily_limit_minor: 80_000_00, max_balance_minor: 400_000_00 },
      },
      required: false,
    };
    expect((await open(raised)).outcome).toBe("opened");
    const after = (await walletChanges(stub)).at(-1);
    expect(after).toMatchObject({
      tier: 0,
      daily_limit_minor: 80_000_00,
      max_balance_minor: 400_000_00,
    });
    expect(after!.version).toBe(before!.version + 1);
    // KYC required: tier 0 may move nothing, and its version says so (0 and 0).
    expect((await open({ ...raised, required: true })).outcome).toBe("kyc_required");
    expect((await walletChanges(stub)).at(-1)).toMatchObject({
      version: before!.version + 2,
      daily_limit_minor: 0,
      max_balance_minor: 0,
    });
  });
});
