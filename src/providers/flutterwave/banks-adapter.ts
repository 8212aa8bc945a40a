/**
 * Flutterwave behind the banks port: the bank list and account resolution.
 *
 * The bank list changes rarely: it is cached per isolate for BANKS_CACHE_TTL_S
 * and, if Flutterwave is unreachable, a stale copy is served for up to
 * BANKS_STALE_MAX_S. The cache holds one entry per supported country, so it is
 * bounded by the country list.
 */
import { ReadThroughCache } from "../../lib/cache";
import { BANK_COUNTRIES, type Bank, type BanksPort } from "../port";
import type { FlutterwaveClient } from "./client";
import { BANKS_CACHE_TTL_S, BANKS_STALE_MAX_S } from "./limits";

const cache = new ReadThroughCache<Bank[]>(
  "banks",
  BANKS_CACHE_TTL_S,
  BANKS_STALE_MAX_S,
  BANK_COUNTRIES.length,
);

/** For tests: forget cached lists. */
export function clearBankCache(): void {
  cache.clear();
}

/** Flutterwave's answer when it is not a list: a refusal or no answer, kept to word the error. */
class BankListFailure extends Error {
  constructor(readonly unknown: boolean) {
    super("bank list unavailable");
  }
}

export function flutterwaveBanks(client: FlutterwaveClient, request_id?: string): BanksPort {
  return {
    listBanks: async (country) => {
      const read = await cache.read(
        country,
        async () => {
          const fetched = await client.listBanks(country);
          if (!fetched.ok) throw new BankListFailure(fetched.kind === "unknown");
          return [...fetched.value].sort((a, b) => a.name.localeCompare(b.name));
        },
        request_id,
      );
      if (read.ok) return read;
      // Anything but a definite refusal (no answer, or an error while reading it) is `unknown`.
      return {
        ok: false,
        kind: read.error instanceof BankListFailure && !read.error.unknown ? "refused" : "unknown",
      };
    },
    resolveAccount: async (account_number, bank_code) => {
      const resolved = await client.resolveAccount(account_number, bank_code);
      return resolved.ok
        ? { ok: true, value: { account_name: resolved.value.account_name } }
        : resolved;
    },
  };
}
