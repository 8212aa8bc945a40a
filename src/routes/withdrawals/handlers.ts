/**
 * POST /wallet/withdraw: move money from the wallet to a bank account.
 *
 *   1. answer early from the Idempotency-Key if it already has an answer;
 *   2. check the bank code and resolve the account (nothing is held if this fails);
 *   3. one wallet transaction: active? available >= amount + fee? place the hold,
 *      record a PENDING WITHDRAW (invariant 3: hold first);
 *   4. claim the submission (compare-and-set, so one tx_ref never gets two
 *      transfers), then create the Flutterwave transfer with reference = tx_ref:
 *        accepted  -> stays PENDING; the transfer.completed webhook or the
 *                     reconciler posts or voids the hold
 *        refused   -> the hold is voided at once, FAILED
 *        unknown   -> stays PENDING, looked up by reference; never re-submitted
 */
import { parseDecimal } from "../../domain/money";
import type { TransactionRecord } from "../../durable/wallet";
import { AppError, errors } from "../../lib/errors";
import { type AppContext, executionCtx } from "../../lib/http";
import { newTxRef } from "../../lib/ids";
import { log, maskAccount } from "../../lib/log";
import { flutterwaveClient } from "../../providers/flutterwave";
import { earlyAnswer, fingerprint, type Answer } from "../wallet/fund";
import { transactionView } from "../wallet/views";
import { resolveAccount } from "../banks/handlers";

export type WithdrawInput = { amount: number; account_number: string; account_bank: string; narration?: string };

export type WithdrawAnswer = Answer & { tx_ref?: string };

export async function withdraw(c: AppContext, user_id: string, input: WithdrawInput, idempotency_key: string | undefined): Promise<WithdrawAnswer> {
  const config = c.var.config;
  const wallet = c.env.WALLET.getByName(user_id);
  const fee = parseDecimal(config.WITHDRAWAL_FEE);
  if (!fee.ok) throw new Error("WITHDRAWAL_FEE passed config validation but does not parse");
  const narration = input.narration ?? `${config.APP_NAME} withdrawal`;
  const idempotency = idempotency_key
    ? { key: idempotency_key, fingerprint: fingerprint("POST /wallet/withdraw", [input.amount, input.account_number, input.account_bank, narration]) }
    : undefined;

  if (idempotency) {
    const peeked = await wallet.peekIdempotency(idempotency);
    if (peeked) {
      const early = earlyAnswer(peeked);
      if (early) return early;
    }
  }

  const account = await resolveAccount(c, user_id, input.account_number, input.account_bank);
  const opened = await wallet.openWithdrawal({
    tx_ref: newTxRef("WITHDRAW", user_id),
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
    idempotency,
  });
  if (opened.outcome === "insufficient_funds") {
    throw errors.unprocessable("insufficient_funds", "The available balance does not cover this withdrawal and its fee.", {
      available_minor: opened.available_minor,
      required_minor: opened.required_minor,
    });
  }
  const early = earlyAnswer(opened);
  if (early) return early;
  const tx = (opened as { tx: TransactionRecord }).tx;

  // Only the caller that moves the stage from hold_placed to submitting may call
  // the provider. A resumed key finds it already claimed and answers as it stands.
  if (!(await wallet.markSubmitting(tx.tx_ref))) {
    const current = (await wallet.getTransaction(tx.tx_ref)) ?? tx;
    return complete(c, user_id, idempotency_key, { status: 202, body: transactionView(current), replayed: opened.outcome === "resume", tx_ref: tx.tx_ref });
  }

  const flutterwave = flutterwaveClient(c.env, executionCtx(c), config, { request_id: c.var.request_id });
  const created = await flutterwave.createTransfer({
    reference: tx.tx_ref,
    account_bank: account.bank.code,
    account_number: account.account_number,
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    narration,
    beneficiary_name: account.account_name,
  });

  if (created.ok) {
    let current = await wallet.recordTransferSubmitted(tx.tx_ref, created.value.provider_id);
    if (created.value.status !== "pending") {
      await wallet.applyTransferFacts(tx.tx_ref, { found: true, ...created.value }, { via: "create" });
      current = await wallet.getTransaction(tx.tx_ref);
    }
    return complete(c, user_id, idempotency_key, { status: 202, body: transactionView(current ?? tx), replayed: false, tx_ref: tx.tx_ref });
  }
  if (created.kind === "refused" || created.kind === "not_found") {
    const reason = `The bank transfer was refused: ${created.message}`;
    const failed = await wallet.refuseWithdrawal(tx.tx_ref, reason);
    const problem = new AppError({
      status: 422,
      code: "transfer_refused",
      title: "Transfer refused",
      detail: `${reason}. Nothing was taken from your wallet.`,
      extra: { tx_ref: tx.tx_ref, transaction_status: failed?.status ?? "FAILED" },
    }).toProblem(c.var.request_id);
    return complete(c, user_id, idempotency_key, { status: 422, body: problem, replayed: false });
  }
  // Unknown: the transfer may exist. Keep the hold; the reconciler finds out by reference.
  const pending = await wallet.markTransferUnknown(tx.tx_ref);
  log.warn("transfer create outcome unknown; holding and reconciling", { request_id: c.var.request_id, tx_ref: tx.tx_ref, reason: created.reason });
  return complete(c, user_id, idempotency_key, { status: 202, body: transactionView(pending ?? tx), replayed: false, tx_ref: tx.tx_ref });
}

async function complete(c: AppContext, user_id: string, key: string | undefined, answer: WithdrawAnswer): Promise<WithdrawAnswer> {
  if (key && !answer.replayed) {
    await c.env.WALLET.getByName(user_id).completeIdempotency(key, { status_code: answer.status, body: answer.body });
  }
  return answer;
}
