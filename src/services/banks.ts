/**
 * Banks and account resolution, through the banks port (src/providers/port.ts):
 * the list is the adapter's cached read; here its failures become problems,
 * and an account is resolved only at a bank the list knows, within the
 * per-user lookup rate.
 */
import { errors } from "../lib/errors";
import { type AppContext, executionCtx, rateLimit } from "../lib/http";
import { log, maskAccount } from "../lib/log";
import { banksPort, clearBankCache as clearAdapterBankCache } from "../providers";
import type { Bank, BankCountry } from "../providers/port";

export { BANK_COUNTRIES, type Bank, type BankCountry } from "../providers/port";

/** For tests: forget cached lists (the banks adapter keeps them). */
export function clearBankCache(): void {
  clearAdapterBankCache();
}

function port(c: AppContext) {
  return banksPort({
    env: c.env,
    ctx: executionCtx(c),
    config: c.var.config,
    request_id: c.var.request_id,
  });
}

export async function listBanks(
  c: AppContext,
  country: BankCountry,
): Promise<{ banks: Bank[]; cached: boolean }> {
  const read = await port(c).listBanks(country);
  if (read.ok) return { banks: read.value, cached: read.cached };
  if (read.kind === "refused")
    throw errors.upstream(
      "bank_list_unavailable",
      "The payment provider refused to list banks.",
      502,
    );
  throw errors.upstream(
    "bank_list_unavailable",
    "The bank list could not be fetched; try again shortly.",
    503,
  );
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
export async function resolveAccount(
  c: AppContext,
  user_id: string,
  account_number: string,
  account_bank: string,
): Promise<ResolvedAccount> {
  const bank = await findBank(c, account_bank);
  if (!bank)
    throw errors.validation([
      {
        path: "account_bank",
        message: "is not a known bank code (see GET /wallet/flutterwave/get-banks)",
      },
    ]);
  await rateLimit(c.env.BANK_LOOKUP_LIMITER, `bank-lookup:user:${user_id}`);
  const resolved = await port(c).resolveAccount(account_number, account_bank);
  if (resolved.ok) return { account_number, account_name: resolved.value.account_name, bank };
  if (resolved.kind === "unknown")
    throw errors.upstream(
      "bank_lookup_unavailable",
      "The account could not be verified right now; try again shortly.",
      503,
    );
  log.info("account resolution refused", {
    request_id: c.var.request_id,
    account: maskAccount(account_number),
    bank: account_bank,
  });
  throw errors.unprocessable(
    "bank_account_invalid",
    "The account number could not be verified at this bank. Check both and try again.",
  );
}
