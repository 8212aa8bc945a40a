/**
 * The held-payment runner (src/services/held-payment-runner.ts), driven
 * directly: a small app calls runHeldPayment with the real Wallet object,
 * the real idempotency store and the real Operations object; only the
 * provider (the outside world) is a scripted port, so each of the runner's
 * branches is reached on purpose and its calls to the provider are counted.
 * The routes' tests (withdrawals, purchases) prove the same rules with the
 * look-alikes; these prove the runner's own contract: hold first, start at
 * most once, settle or void on a definite answer, keep the hold on unknown,
 * refuse before holding when money or preparation is missing.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { FoundFacts } from "../../src/domain/transactions";
import { OPERATIONS_OBJECT } from "../../src/durable/operations/object";
import { configOf } from "../../src/lib/config";
import { AppError } from "../../src/lib/errors";
import type { AppEnv } from "../../src/lib/http";
import type { Outcome } from "../../src/providers/outcome";
import type { HeldPaymentPort, Refusal } from "../../src/providers/port";
import { runHeldPayment } from "../../src/services/held-payment-runner";
import { env, expectLedgerConsistent, fundedWallet } from "../support/helpers";

type Start = { tx_ref: string; amount_minor: number };
type Answer = "delivered" | "refused_float_low" | "unknown" | "not_prepared";
type Script = { answer: Answer; bind?: "fails"; amount_minor?: number; key?: string };

/** What the scripted provider answers to a start. */
function providerAnswer(answer: Answer, input: Start): Outcome<FoundFacts, Refusal> {
  if (answer === "refused_float_low")
    return {
      ok: false,
      kind: "refused",
      message: "Low wallet balance",
      code: "018",
      anomaly: "provider_float_low",
    };
  if (answer === "unknown") return { ok: false, kind: "unknown", reason: "timeout" };
  return {
    ok: true,
    value: {
      found: true,
      provider_ref: `p-${input.tx_ref}`,
      our_ref: input.tx_ref,
      outcome: "succeeded",
      amount_minor: input.amount_minor,
      currency: "NGN",
      message: null,
    },
  };
}

/** A provider that answers as scripted and records every start it was asked for. */
function scriptedPort(name: string, answer: Answer, starts: Start[]): HeldPaymentPort<Start> {
  const unused = async (): Promise<never> => {
    throw new Error("the runner does not look up");
  };
  return {
    name,
    start: async (input) => {
      starts.push(input);
      return providerAnswer(answer, input);
    },
    lookup: unused,
    lookupById: unused,
  };
}

/** Runs one held payment for `user_id` through the runner, inside a request as a route would. */
async function run(
  user_id: string,
  script: Script,
  starts: Start[],
  port_name = "scripted-provider",
) {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const config = configOf(c.env);
    if (!config.ok) throw new Error("test configuration invalid");
    c.set("request_id", "test-request");
    c.set("config", config.config);
    await next();
  });
  app.onError((error, c) =>
    error instanceof AppError
      ? c.json(error.toProblem("test-request"), error.status as 422)
      : c.json({ thrown: error.message }, 500),
  );
  app.post("/run", async (c) => {
    const amount_minor = script.amount_minor ?? 1_000_00;
    const answer = await runHeldPayment(c, {
      user_id,
      type: "AIRTIME",
      idempotency_key: script.key,
      fingerprint: script.key ? `fp-${amount_minor}` : undefined,
      port: scriptedPort(port_name, script.answer, starts),
      prepare: async () => {
        if (script.answer === "not_prepared")
          throw new AppError({ status: 422, code: "not_prepared", title: "Not prepared" });
        return {
          amount_minor,
          fee_minor: 0,
          currency: "NGN",
          details: { network: "mtn" },
          provider_ref: `ref-${crypto.randomUUID()}`,
          start: (tx) => ({ tx_ref: tx.tx_ref, amount_minor: tx.amount_minor }),
        };
      },
      before_claim: async () => {
        if (script.bind === "fails") throw new Error("reference bound to another payment");
      },
      refusal: {
        code: "test_refused",
        title: "Refused",
        reason: (message) => `The provider refused: ${message}`,
      },
      insufficient_detail: "Not enough money.",
    });
    return c.json(answer.body as object, answer.status as 202);
  });
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request("http://runner.test/run", { method: "POST" }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("runHeldPayment, with the provider scripted", () => {
  it("holds, starts once with the stored tx_ref, and posts the debit when the provider delivers at once", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const starts: Start[] = [];
    const answer = await run(user_id, { answer: "delivered" }, starts);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: "SUCCESS", amount_minor: 1_000_00 });
    expect(starts).toEqual([{ tx_ref: answer.body.tx_ref, amount_minor: 1_000_00 }]);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 4_000_00,
      available_minor: 4_000_00,
      held_minor: 0,
    });
  });

  it("voids the hold on a definite refusal, answers 422 with nothing taken, and tells operators which provider is short", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const starts: Start[] = [];
    const provider = `scripted-${crypto.randomUUID()}`;
    const answer = await run(user_id, { answer: "refused_float_low" }, starts, provider);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: "test_refused", transaction_status: "FAILED" });
    expect(String(answer.body.detail)).toBe(
      "The provider refused: Low wallet balance. Nothing was taken from your wallet.",
    );
    expect(starts).toHaveLength(1);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 5_000_00,
      available_minor: 5_000_00,
      held_minor: 0,
    });
    // Reported in the background (the request's waitUntil), under the port's own name.
    const problems = await env.OPERATIONS.getByName(OPERATIONS_OBJECT).recentProviderProblems();
    expect(problems.find((p) => p.provider === provider)).toMatchObject({
      kind: "provider_float_low",
    });
  });

  it("keeps the hold when the answer is unknown, and a retry with the same key never starts it again", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const starts: Start[] = [];
    const key = `key-${crypto.randomUUID()}`;
    const first = await run(user_id, { answer: "unknown", key }, starts);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: "PENDING" });
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 5_000_00,
      available_minor: 4_000_00,
      held_minor: 1_000_00,
    });
    const retry = await run(user_id, { answer: "delivered", key }, starts);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ tx_ref: first.body.tx_ref, status: "PENDING" });
    expect(starts).toHaveLength(1);
    expect(await expectLedgerConsistent(stub)).toMatchObject({ held_minor: 1_000_00 });
  });

  it("refuses before holding or calling the provider when the available balance is short", async () => {
    const { user_id, stub } = await fundedWallet(500_00);
    const starts: Start[] = [];
    const answer = await run(user_id, { answer: "delivered", amount_minor: 500_01 }, starts);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      code: "insufficient_funds",
      available_minor: 500_00,
      required_minor: 500_01,
    });
    expect(starts).toEqual([]);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 500_00,
      held_minor: 0,
    });
  });

  it("holds nothing when preparation refuses", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const starts: Start[] = [];
    const answer = await run(user_id, { answer: "not_prepared" }, starts);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: "not_prepared" });
    expect(starts).toEqual([]);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 5_000_00,
      held_minor: 0,
    });
  });

  it("never starts a payment whose reference could not be bound: the hold stays unclaimed for the reconciler to void", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const starts: Start[] = [];
    const answer = await run(user_id, { answer: "delivered", bind: "fails" }, starts);
    expect(answer).toMatchObject({
      status: 500,
      body: { thrown: "reference bound to another payment" },
    });
    expect(starts).toEqual([]);
    const listed = await stub.listTransactions({ limit: 10, type: "AIRTIME" });
    if (!listed.ok) throw new Error("listing failed");
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ status: "PENDING", stage: "hold_placed" });
    expect(await expectLedgerConsistent(stub)).toMatchObject({ held_minor: 1_000_00 });
  });
});
