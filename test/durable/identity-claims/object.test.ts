/**
 * IdentityClaims: one number (its keyed hash) backs one user. Driven through
 * the real object's RPC.
 */
import { describe, expect, it } from "vitest";
import {
  identityClaimsShard,
  identityClaimsShardName,
} from "../../../src/durable/identity-claims/object";
import { IDENTITY_CLAIMS_SHARDS } from "../../../src/durable/identity-claims/limits";
import { identityHash } from "../../../src/lib/identity-hash";
import { env } from "../../support/helpers";

const KEY = "test-key-for-the-claims-object-0123456789";

function stubFor(hash: string) {
  return env.IDENTITY_CLAIMS.getByName(identityClaimsShardName(hash));
}

describe("IdentityClaims", () => {
  it("claims if absent, answers the owner otherwise, and releases only for the owner", async () => {
    const hash = identityHash(KEY, "bvn", `221${Date.now() % 100_000_000}`.padEnd(11, "0"));
    const stub = stubFor(hash);
    expect(await stub.owner(hash)).toBeNull();
    expect(await stub.claim(hash, "bvn", "user-a", 1)).toEqual({ owner: "user-a", created: true });
    expect(await stub.claim(hash, "bvn", "user-a", 2)).toEqual({ owner: "user-a", created: false });
    expect(await stub.claim(hash, "bvn", "user-b", 3)).toEqual({ owner: "user-a", created: false });
    expect(await stub.release(hash, "user-b")).toBe(false);
    expect(await stub.owner(hash)).toBe("user-a");
    expect(await stub.release(hash, "user-a")).toBe(true);
    expect(await stub.claim(hash, "bvn", "user-b", 4)).toEqual({ owner: "user-b", created: true });
  });

  it("spreads hashes over every shard, and refuses what is not a keyed hash", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++)
      seen.add(identityClaimsShard(identityHash(KEY, "nin", String(i))));
    expect(seen.size).toBe(IDENTITY_CLAIMS_SHARDS);
    expect(() => identityClaimsShard("22222222222")).toThrow(/not a keyed hash/);
  });

  it("the hash is keyed and kind-bound: another key or kind gives another hash", () => {
    const a = identityHash(KEY, "bvn", "22222222222");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(identityHash(KEY, "bvn", "22222222222")).toBe(a);
    expect(identityHash(`${KEY}x`, "bvn", "22222222222")).not.toBe(a);
    expect(identityHash(KEY, "nin", "22222222222")).not.toBe(a);
  });
});
