/**
 * POST /wallet/withdraw: move money from the wallet to a bank account, as a
 * held payment (src/services/held-payment-runner.ts): the account is checked and resolved
 * first (nothing is held if that fails), then the hold, the claim and the
 * Flutterwave transfer with reference = tx_ref.
 */
import { parseDecimal } from "../domain/money";
import { fingerprint } from "./idempotency";
import { runHeldPayment, type HeldAnswer } from "./held-payment-runner";
import { type AppContext, executionCtx } from "../lib/http";
import { maskAccount } from "../lib/log";
import { transferPort } from "../providers/index";
import { resolveAccount } from "./banks";

export type WithdrawInput = {
  amount: number;
  account_number: string;
  account_bank: string;
  narration?: string;
};

export async function withdraw(
  c: AppContext,
  user_id: string,
  input: WithdrawInput,
  idempotency_key: string | undefined,
): Promise<HeldAnswer> {
  const config = c.var.config;
  const fee = parseDecimal(config.WITHDRAWAL_FEE);
  if (!fee.ok) throw new Error("WITHDRAWAL_FEE passed config validation but does not parse");
  const narration = input.narration ?? `${config.APP_NAME} withdrawal`;
  return runHeldPayment(c, {
    user_id,
    type: "WITHDRAW",
    idempotency_key,
    fingerprint: fingerprint("POST /wallet/withdraw", [
      input.amount,
      input.account_number,
      input.account_bank,
      narration,
    ]),
    port: transferPort({ env: c.env, ctx: executionCtx(c), config, request_id: c.var.request_id }),
    prepare: async () => {
      const account = await resolveAccount(c, user_id, input.account_number, input.account_bank);
      return {
        amount_minor: input.amount,
        fee_minor: fee.amount_minor,
        currency: "NGN",
        details: {
          bank_code: account.bank.code,
          bank_name: account.bank.name,
          account_number: maskAccount(account.account_number),
          account_name: account.account_name,
          narration,
        },
        start: (tx) => ({
          tx_ref: tx.tx_ref,
          account_bank: account.bank.code,
          account_number: account.account_number,
          amount_minor: tx.amount_minor,
          currency: tx.currency,
          narration,
          beneficiary_name: account.account_name,
        }),
      };
    },
    refusal: {
      code: "transfer_refused",
      title: "Transfer refused",
      reason: (message) => `The bank transfer was refused: ${message}`,
    },
    insufficient_detail: "The available balance does not cover this withdrawal and its fee.",
  });
}
