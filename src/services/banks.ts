/**
 * Banks and account resolution, through Flutterwave.
 *
 * The bank list changes rarely: it is cached per isolate for BANKS_CACHE_TTL_S
 * and, if Flutterwave is unreachable, a stale copy is served for up to
 * BANKS_STALE_MAX_S. The cache holds one entry per supported country, so it is
 * bounded by the country list.
 */
import { ReadThroughCache } from "../lib/cache";
import { errors } from "../lib/errors";
import { type AppContext, executionCtx, rateLimit } from "../lib/http";
import { BANKS_CACHE_TTL_S, BANKS_STALE_MAX_S } from "../providers/flutterwave/limits";
import { log, maskAccount } from "../lib/log";
import { flutterwaveClient } from "../providers/flutterwave/index";

export const BANK_COUNTRIES = ["NG", "GH", "KE", "UG", "ZA", "TZ"] as const;
export type BankCountry = (typeof BANK_COUNTRIES)[number];
export type Bank = { code: string; name: string };

const cache = new ReadThroughCache<Bank[]>("banks", BANKS_CACHE_TTL_S, BANKS_STALE_MAX_S, BANK_COUNTRIES.length);

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

export async function listBanks(c: AppContext, country: BankCountry): Promise<{ banks: Bank[]; cached: boolean }> {
  const read = await cache.read(
    country,
    async () => {
      const flutterwave = flutterwaveClient(c.env, executionCtx(c), c.var.config, { request_id: c.var.request_id });
      const fetched = await flutterwave.listBanks(country);
      if (!fetched.ok) throw new BankListFailure(fetched.kind === "unknown");
      return [...fetched.value].sort((a, b) => a.name.localeCompare(b.name));
    },
    c.var.request_id,
  );
  if (read.ok) return { banks: read.value, cached: read.cached };
  if (read.error instanceof BankListFailure && !read.error.unknown) throw errors.upstream("bank_list_unavailable", "The payment provider refused to list banks.", 502);
  throw errors.upstream("bank_list_unavailable", "The bank list could not be fetched; try again shortly.", 503);
}

export async function findBank(c: AppContext, code: string): Promise<Bank | null> {
  const { banks } = await listBanks(c, "NG");
  return banks.find((b) => b.code === code) ?? null;
}

export type ResolvedAccount = { account_number: string; account_name: string; bank: Bank };

/**
 * Resolve a NUBAN at a known bank. The bank code is checked against the list
 * before the (rate-limited) resolve call; refusals become clear 4xx answers.
 */
export async function resolveAccount(c: AppContext, user_id: string, account_number: string, account_bank: string): Promise<ResolvedAccount> {
  const bank = await findBank(c, account_bank);
  if (!bank) throw errors.validation([{ path: "account_bank", message: "is not a known bank code (see GET /wallet/flutterwave/get-banks)" }]);
  await rateLimit(c.env.BANK_LOOKUP_LIMITER, `bank-lookup:user:${user_id}`);
  const flutterwave = flutterwaveClient(c.env, executionCtx(c), c.var.config, { request_id: c.var.request_id });
  const resolved = await flutterwave.resolveAccount(account_number, account_bank);
  if (resolved.ok) return { account_number, account_name: resolved.value.account_name, bank };
  if (resolved.kind === "unknown") throw errors.upstream("bank_lookup_unavailable", "The account could not be verified right now; try again shortly.", 503);
  log.info("account resolution refused", { request_id: c.var.request_id, account: maskAccount(account_number), bank: account_bank });
  throw errors.unprocessable("bank_account_invalid", "The account number could not be verified at this bank. Check both and try again.");
}
