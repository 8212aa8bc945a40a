/**
 * The v3 API look-alike: `<origin>/__sandbox/flutterwave/v3/...` answers as
 * `https://api.flutterwave.com/v3/...` does (docs/providers.md, §Flutterwave), same request
 * fields, envelopes, status words and error shapes.
 *
 * Every request needs `Authorization: Bearer <FLUTTERWAVE_SECRET_KEY>`
 * (compared in constant time). Handlers read the raw body once, so an armed
 * fault can match on it (faults.ts), then validate it with zod and answer 400
 * in Flutterwave's shape.
 *
 * Where Flutterwave's real behaviour is not documented, the choice is marked
 * UNCONFIRMED next to the code.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bearerToken } from "../../lib/bearer";
import { safeEqual } from "../../lib/crypto";
import type { AppEnv } from "../../lib/http";
import { answerWithFaults } from "./faults";
import { LINK_ATTEMPTS_MAX, SESSION_DEFAULT_MINUTES, TRANSFERS_PAGE_SIZE } from "./limits";
import {
  amountNumber,
  banksOf,
  BLACKLISTED_ACCOUNT,
  parseAmountMinor,
  resolveAccount,
  TEST_BANK_CODE,
  TEST_BANK_TRANSFER_NAME,
  transferFeeMinor,
} from "./model";
import { transactionJson, transferJson } from "./json";
import { misreport } from "./list-faults";
import { refundJson } from "./refunds";
import { checkoutPath } from "./paths";
import { flwError, flwSuccess, type Json, parseJsonBody, parseValue } from "./responses";
import { deliverAndRecord, originOf, sandboxStub } from "./runtime";
import {
  FeeQuery,
  PaymentBody,
  RefundBody,
  RefundsQuery,
  ResendHookBody,
  ResolveBody,
  TransactionsQuery,
  TransferBody,
  TransfersQuery,
  VerifyByReferenceQuery,
} from "./schemas";

export const v3Routes = new Hono<AppEnv>();

const AMOUNT_INVALID =
  "amount is invalid: expected a positive amount with at most two decimal places";
const NO_TRANSACTION = "No transaction was found for this id";
const ACCOUNT_INVALID = "Sorry, that account number is invalid, please check and try again";
const ID_PATTERN = /^\d{1,15}$/;

const requireSecretKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !safeEqual(token, c.var.config.FLUTTERWAVE_SECRET_KEY))
    return flwError(401, "Authorization required");
  await next();
};
v3Routes.use("*", requireSecretKey);

// ---- Flutterwave Standard -------------------------------------------------------

v3Routes.post("/payments", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "payments.create", raw, async () => {
    const parsed = parseJsonBody(PaymentBody, raw);
    if (!parsed.ok) return parsed.response;
    const body = parsed.value;
    const amount_minor = parseAmountMinor(body.amount);
    if (amount_minor === null) return flwError(400, AMOUNT_INVALID);
    const origin = originOf(c);
    const result = await sandboxStub(c.env).createPaymentLink({
      tx_ref: body.tx_ref,
      amount_minor,
      currency: body.currency ?? "NGN",
      redirect_url: body.redirect_url,
      customer: {
        email: body.customer.email,
        name: body.customer.name ?? null,
        phone: body.customer.phonenumber ?? null,
      },
      title: body.customizations?.title ?? null,
      description: body.customizations?.description ?? null,
      meta_json: body.meta === undefined ? null : JSON.stringify(body.meta),
      request_json: raw,
      session_minutes: body.configurations?.session_duration ?? SESSION_DEFAULT_MINUTES,
      max_retry_attempt: body.configurations?.max_retry_attempt ?? LINK_ATTEMPTS_MAX,
      origin,
    });
    // UNCONFIRMED: Flutterwave's answer for a tx_ref that was already paid. It
    // says tx_ref must be unique per transaction; refusing makes a client bug
    // (reusing a funded tx_ref) visible instead of charging twice.
    if (result.outcome === "already_paid")
      return flwError(400, "A payment with this tx_ref has already been completed");
    return flwSuccess("Hosted Link", { link: `${origin}${checkoutPath(result.link_id)}` });
  });
});

// ---- Transactions -------------------------------------------------------------------

/**
 * The transactions list (Flutterwave's Node SDK: `Transaction.fetch`),
 * filtered by tx_ref, status and UTC day, newest first, ten a page.
 * UNCONFIRMED: whether `to` is inclusive; here it is (the SDK's samples ask
 * for one day as from = to).
 */
v3Routes.get("/transactions", async (c) => {
  return answerWithFaults(c, "transactions.list", "", async () => {
    const parsed = parseValue(TransactionsQuery, c.req.query());
    if (!parsed.ok) return parsed.response;
    const q = parsed.value;
    const page = q.page ?? 1;
    const day_ms = (day: string) => Date.parse(`${day}T00:00:00Z`);
    const { transactions, total } = await sandboxStub(c.env).listTransactions({
      tx_ref: q.tx_ref ?? null,
      status: q.status ?? null,
      from_ms: q.from ? day_ms(q.from) : null,
      to_ms: q.to ? day_ms(q.to) + 86_400_000 : null,
      page,
      page_size: TRANSFERS_PAGE_SIZE,
    });
    const page_info = {
      total,
      current_page: page,
      total_pages: Math.max(1, Math.ceil(total / TRANSFERS_PAGE_SIZE)),
    };
    const rows = transactions.map((row) => transactionJson(row) as unknown as Record<string, Json>);
    const faults = await sandboxStub(c.env).listFaultsOf(transactions.map((row) => row.tx_ref));
    return flwSuccess("Transactions fetched", misreport(rows, "tx_ref", faults), {
      meta: { page_info },
    });
  });
});

// Registered before `/transactions/:id/...` for clarity; the paths cannot collide anyway.
v3Routes.get("/transactions/verify_by_reference", async (c) => {
  return answerWithFaults(c, "transactions.verify_by_reference", "", async () => {
    const parsed = parseValue(VerifyByReferenceQuery, c.req.query());
    if (!parsed.ok) return parsed.response;
    const row = await sandboxStub(c.env).transactionByReference(parsed.value.tx_ref);
    if (!row) return flwError(400, NO_TRANSACTION);
    return flwSuccess("Transaction fetched successfully", transactionJson(row));
  });
});

v3Routes.get("/transactions/:id/verify", async (c) => {
  return answerWithFaults(c, "transactions.verify", "", async () => {
    const id = c.req.param("id");
    const row = ID_PATTERN.test(id) ? await sandboxStub(c.env).transaction(Number(id)) : null;
    if (!row) return flwError(400, NO_TRANSACTION);
    return flwSuccess("Transaction fetched successfully", transactionJson(row));
  });
});

/**
 * Re-deliver a transaction's `charge.completed` webhook. UNCONFIRMED: what
 * `data` holds. Here `wait: 1` waits for the merchant's answer and returns its
 * status code; `wait: 0` (the default) answers at once with "hook sent".
 */
v3Routes.post("/transactions/:id/resend-hook", async (c) => {
  const raw = await c.req.text();
  const parsed = parseJsonBody(ResendHookBody, raw);
  if (!parsed.ok) return parsed.response;
  const id = c.req.param("id");
  const webhook = ID_PATTERN.test(id)
    ? await sandboxStub(c.env).transactionWebhook(Number(id))
    : null;
  if (!webhook) return flwError(400, NO_TRANSACTION);
  const delivery = deliverAndRecord(c, webhook);
  if (parsed.value.wait !== 1) return flwSuccess("hook sent", "hook sent");
  const outcome = await delivery;
  return flwSuccess("hook sent", { response_code: outcome.status_code, error: outcome.error });
});

// ---- Banks and accounts -------------------------------------------------------------

v3Routes.get("/banks/:country", async (c) => {
  return answerWithFaults(c, "banks.list", "", async () => {
    const banks = banksOf(c.req.param("country"));
    // UNCONFIRMED: the exact refusal for an unsupported country.
    if (!banks)
      return flwError(400, "Invalid country. Supported countries are NG, GH, KE, UG, ZA and TZ");
    return flwSuccess("Banks fetched successfully", banks);
  });
});

v3Routes.post("/accounts/resolve", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "accounts.resolve", raw, async () => {
    const parsed = parseJsonBody(ResolveBody, raw);
    if (!parsed.ok) return parsed.response;
    const { account_number, account_bank } = parsed.value;
    const account_name = resolveAccount(account_bank, account_number);
    if (account_name === null) return flwError(400, ACCOUNT_INVALID);
    return flwSuccess("Account details fetched", { account_number, account_name });
  });
});

// ---- Transfers -------------------------------------------------------------------------

v3Routes.post("/transfers", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "transfers.create", raw, async () => {
    const parsed = parseJsonBody(TransferBody, raw);
    if (!parsed.ok) return parsed.response;
    const body = parsed.value;
    const amount_minor = parseAmountMinor(body.amount);
    if (amount_minor === null) return flwError(400, AMOUNT_INVALID);
    // The sandbox pays out only to Nigerian bank accounts (the documented test accounts).
    if (body.currency !== "NGN")
      return flwError(400, "This sandbox only pays out NGN to Nigerian bank accounts");
    // Documented: the blacklisted test account is refused at creation.
    if (body.account_bank === TEST_BANK_CODE && body.account_number === BLACKLISTED_ACCOUNT)
      return flwError(400, "Payout was made to a blacklisted account number");
    const full_name = resolveAccount(body.account_bank, body.account_number);
    // UNCONFIRMED: the exact message for an account that does not resolve; the resolve endpoint's is reused.
    if (full_name === null) return flwError(400, ACCOUNT_INVALID);
    const result = await sandboxStub(c.env).createTransfer({
      // Flutterwave generates a reference when none is sent.
      reference:
        body.reference ??
        `TRF-${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`,
      account_number: body.account_number,
      bank_code: body.account_bank,
      bank_name: TEST_BANK_TRANSFER_NAME,
      full_name,
      currency: body.currency,
      debit_currency: body.debit_currency ?? body.currency,
      amount_minor,
      fee_minor: transferFeeMinor(amount_minor),
      narration: body.narration ?? null,
      meta_json: body.meta === undefined ? null : JSON.stringify(body.meta),
      callback_url: body.callback_url ?? null,
      origin: originOf(c),
    });
    // UNCONFIRMED: Flutterwave calls `reference` unique but does not document the
    // error for a reused one; this message is the sandbox's own. Clients must
    // treat it as "that transfer exists" and look it up, never as a failure.
    if (result.outcome === "duplicate_reference")
      return flwError(400, "A transfer with this reference already exists");
    // The create answer has no `approver`, as in Flutterwave's own sample.
    return flwSuccess(
      "Transfer Queued Successfully",
      transferJson(result.transfer, { approver: false }),
    );
  });
});

// Before `/transfers/:id`, which would otherwise see "fee" as an id.
v3Routes.get("/transfers/fee", async (c) => {
  const parsed = parseValue(FeeQuery, c.req.query());
  if (!parsed.ok) return parsed.response;
  const currency = parsed.value.currency ?? "NGN";
  const amount_minor = parseAmountMinor(parsed.value.amount);
  if (amount_minor === null) return flwError(400, AMOUNT_INVALID);
  if (currency !== "NGN") return flwError(400, "This sandbox only knows NGN transfer fees");
  return flwSuccess("Transfer fee fetched", [
    { currency, fee_type: "value", fee: amountNumber(transferFeeMinor(amount_minor)) },
  ]);
});

v3Routes.get("/transfers/:id", async (c) => {
  return answerWithFaults(c, "transfers.get", "", async () => {
    const id = c.req.param("id");
    const row = ID_PATTERN.test(id) ? await sandboxStub(c.env).transfer(Number(id)) : null;
    // UNCONFIRMED: Flutterwave's status and message for an unknown transfer id.
    if (!row) return flwError(404, "No transfer found with this id");
    return flwSuccess("Transfer fetched", transferJson(row));
  });
});

/**
 * List transfers, newest first, 10 a page. UNCONFIRMED: whether the real API
 * filters by `reference` or by `from`/`to` (it documents `status` and `page`). Our reconciler
 * relies on it to find a transfer whose create answer was lost; against the
 * real API it must also accept an unfiltered page and match references itself.
 */
v3Routes.get("/transfers", async (c) => {
  return answerWithFaults(c, "transfers.list", "", async () => {
    const parsed = parseValue(TransfersQuery, c.req.query());
    if (!parsed.ok) return parsed.response;
    const page = parsed.value.page ?? 1;
    const day_ms = (day: string) => Date.parse(`${day}T00:00:00Z`);
    const { transfers, total } = await sandboxStub(c.env).listTransfers({
      reference: parsed.value.reference ?? null,
      status: parsed.value.status ?? null,
      page,
      from_ms: parsed.value.from ? day_ms(parsed.value.from) : null,
      to_ms: parsed.value.to ? day_ms(parsed.value.to) + 86_400_000 : null,
    });
    const page_info = {
      total,
      current_page: page,
      total_pages: Math.max(1, Math.ceil(total / TRANSFERS_PAGE_SIZE)),
    };
    const rows = transfers.map((row) => transferJson(row) as unknown as Record<string, Json>);
    const faults = await sandboxStub(c.env).listFaultsOf(transfers.map((row) => row.reference));
    return flwSuccess("Transfers fetched", misreport(rows, "reference", faults), {
      meta: { page_info },
    });
  });
});

// ---- Refunds (refunds.ts) -----------------------------------------------------------------

v3Routes.post("/transactions/:id/refund", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "refunds.create", raw, async () => {
    const parsed = parseJsonBody(RefundBody, raw);
    if (!parsed.ok) return parsed.response;
    const amount_minor = parseAmountMinor(parsed.value.amount);
    if (amount_minor === null) return flwError(400, AMOUNT_INVALID);
    const id = c.req.param("id");
    if (!ID_PATTERN.test(id)) return flwError(404, NO_TRANSACTION);
    const { result, answered_status } = await sandboxStub(c.env).createRefund(
      Number(id),
      amount_minor,
      parsed.value.comments ?? "",
    );
    switch (result.outcome) {
      case "no_transaction":
        return flwError(404, NO_TRANSACTION);
      // UNCONFIRMED: Flutterwave's messages for these two refusals.
      case "not_successful":
        return flwError(400, "Only a successful transaction can be refunded");
      case "exceeds_remainder":
        return flwError(400, "Refund amount cannot be greater than the amount left to refund");
      case "created":
        return flwSuccess(
          "Transaction refund initiated",
          refundJson(result.refund, answered_status),
        );
    }
  });
});

v3Routes.get("/refunds/:id", async (c) => {
  return answerWithFaults(c, "refunds.get", "", async () => {
    const id = c.req.param("id");
    const row = ID_PATTERN.test(id) ? await sandboxStub(c.env).refund(Number(id)) : null;
    // UNCONFIRMED: Flutterwave's status and message for an unknown refund id.
    if (!row) return flwError(404, "No refund found with this id");
    return flwSuccess("Refund fetched", refundJson(row));
  });
});

v3Routes.get("/refunds", async (c) => {
  return answerWithFaults(c, "refunds.list", "", async () => {
    const parsed = parseValue(RefundsQuery, c.req.query());
    if (!parsed.ok) return parsed.response;
    const page = parsed.value.page ?? 1;
    const { refunds, total } = await sandboxStub(c.env).listRefunds(page, null);
    const page_info = {
      total,
      current_page: page,
      total_pages: Math.max(1, Math.ceil(total / TRANSFERS_PAGE_SIZE)),
    };
    return flwSuccess(
      "Refunds fetched",
      refunds.map((row) => refundJson(row)),
      {
        meta: { page_info },
      },
    );
  });
});

// Anything else under /v3 is an endpoint the sandbox does not imitate.
v3Routes.all("*", () => flwError(404, "This endpoint is not available in the sandbox"));
