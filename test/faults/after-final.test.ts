/**
 * A fact after final: the provider reports a success for a transaction that
 * has already ended, for every transaction type, table-driven:
 *
 *   FUND      FAILED at its deadline, then a charge succeeds         transactions.verify (the consumer)  paid_after_terminal
 *   FUND      credited, then a second charge succeeds                transactions.verify (the consumer)  paid_twice
 *   WITHDRAW  transfer FAILED, then the bank completes it after all  transfers.get (the consumer)        paid_after_void
 *   AIRTIME   failed at once, then VTpass delivers it after all      requery (the consumer)              paid_after_void
 *   DATA      failed at once, then VTpass delivers it after all      requery (the consumer)              paid_after_void
 *
 *   each x no fault, every unanswered read, refuse
 *
 * The look-alike records the late success and sends its webhook or callback
 * to the real route; the real queue carries it to the consumer, whose check
 * meets the fault on every attempt. Nothing else reads a final transaction,
 * and the look-alike delivered once (our route answered), so the anomaly can
 * only come from the queue retrying the message: an ack on an unanswered
 * check would drop the money for good. For each case: the transaction, the
 * balance, the holds and the journal are exactly as before; one anomaly of the
 * right kind names the provider's charge, in the wallet and in the operator
 * audit; the same webhook or callback delivered again is verified, acked, and
 * records nothing more.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect } from "vitest";
import { randomBase32 } from "../../src/lib/ids";
import { PROVIDER_READ_RETRIES } from "../../src/providers/flutterwave/limits";
import { VTPASS_READ_RETRIES } from "../../src/providers/vtpass/limits";
import { MAIN_QUEUE } from "../../src/queue/consumer";
import type { QueueMessage } from "../../src/queue/messages";
import worker from "../../src/worker";
import {
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  fundedWallet,
  loadMongoDriverFirst,
  newWallet,
  runReconciler,
} from "../support/helpers";
import {
  buyAirtime,
  buyData,
  uniqueMtnNumber,
  uniqueNaira,
  type Purchase,
} from "../support/purchases";
import {
  arm,
  faultTable,
  flutterwaveControl,
  operatorAudit,
  passDeadline,
  QUEUE_RETRY_CASES_IN_FLIGHT_MAX,
  READ_UNANSWERED,
  served,
  vtpassControl,
  type Mode,
  type Provider,
} from "../support/faults";

// Every case starts with a timed provider call right after its wallet (helpers.ts says why).
loadMongoDriverFirst();
const table = faultTable("after-final", { in_flight_max: QUEUE_RETRY_CASES_IN_FLIGHT_MAX });

type Stub = Awaited<ReturnType<typeof newWallet>>["stub"];
type Fault = Mode | "none";
type Delivery = { status_code: number | null; error: string | null };
type Ended = { stub: Stub; user_id: string; tx_ref: string };
/** The provider's late success, ready to be sent: what the consumer's check asks, and the charge the anomaly must name. */
type Late = {
  operation: string;
  match: string;
  ref: string;
  deliveries_match: string;
  send: () => Promise<Delivery>;
};

/** No fault first, then every way the check can go unanswered, then a refusal (an answer, but not the facts). */
const FAULTS: readonly Fault[] = ["none", ...READ_UNANSWERED, "refuse"];
const WITHDRAW_MINOR = 100_000;

/**
 * How many uses of the fault one check meets: each client repeats transport
 * trouble; a refusal is an answer (and VTpass's client does not repeat JSON it
 * cannot read either).
 */
function usesFor(provider: Provider, fault: Fault): number {
  if (fault === "none") return 0;
  if (fault === "refuse" || (provider === "vtpass" && fault === "wrong_shape")) return 1;
  return 1 + (provider === "vtpass" ? VTPASS_READ_RETRIES : PROVIDER_READ_RETRIES);
}

/**
 * A distinct amount per case, in naira, within what an unverified wallet may
 * fund in a day (tier 1's NGN 50,000 while KYC_REQUIRED is false, as in the tests).
 */
function naira(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 100 + (n % 49_000);
}

async function ok<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function openFunding(amount_naira: number) {
  const w = await newWallet();
  const auth = await bearerFor(w.user_id);
  const funding = await ok<{ tx_ref: string; payment_link: string }>(
    await api(
      "/wallet/fund",
      authedJson(
        auth,
        { amount: String(amount_naira) },
        { "idempotency-key": `fund-${randomBase32(12)}` },
      ),
    ),
    201,
  );
  return { ...w, ...funding };
}

/** A successful charge for this tx_ref at the look-alike (someone paid), delivered as charge.completed once sent. */
async function lateCharge(tx_ref: string, amount_naira: number): Promise<Late> {
  const { id } = await flutterwaveControl<{ id: number }>("/transactions", {
    body: { tx_ref, amount: amount_naira, currency: "NGN", status: "successful" },
  });
  return {
    operation: "transactions.verify",
    match: `/transactions/${id}/verify`,
    ref: String(id),
    deliveries_match: tx_ref,
    send: () => flutterwaveControl<Delivery>(`/transactions/${id}/deliver`, { body: {} }),
  };
}

/** A purchase VTpass fails at once (any number but its test numbers), then delivers after all. */
async function failedPurchase(kind: "AIRTIME" | "DATA"): Promise<Ended & { request_id: string }> {
  const { stub, auth, user_id } = await fundedWallet(100_000_00);
  const phone = uniqueMtnNumber();
  const response =
    kind === "AIRTIME"
      ? await buyAirtime(auth, { phone, amount: uniqueNaira(), network: "mtn" })
      : await buyData(auth, { phone, plan: "mtn-10mb-100", network: "mtn" });
  const purchase = await ok<Purchase>(response, 202);
  expect(purchase).toMatchObject({ type: kind, status: "FAILED" });
  const request_id = (await stub.getTransaction(purchase.tx_ref))?.provider_ref;
  if (!request_id) throw new Error(`no request_id stored for ${purchase.tx_ref}`);
  return { stub, user_id, tx_ref: purchase.tx_ref, request_id };
}

function vtpassLate(request_id: string): Late {
  return {
    operation: "requery",
    match: request_id,
    ref: request_id,
    deliveries_match: request_id,
    send: async () =>
      (
        await vtpassControl<{ delivery: Delivery }>(`/purchases/${request_id}/deliver-late`, {
          body: {},
        })
      ).delivery,
  };
}

type Ending = {
  type: "FUND" | "WITHDRAW" | "AIRTIME" | "DATA";
  provider: Provider;
  anomaly: "paid_after_terminal" | "paid_twice" | "paid_after_void";
  /** End a transaction through the real routes; `late` makes the provider's late success, not yet sent. */
  end: () => Promise<Ended & { late: () => Promise<Late> }>;
};

const ENDINGS: Record<string, Ending> = {
  "FUND FAILED at its deadline, then a charge for it succeeds": {
    type: "FUND",
    provider: "flutterwave",
    anomaly: "paid_after_terminal",
    end: async () => {
      const amount = naira();
      const { stub, user_id, tx_ref } = await openFunding(amount);
      await passDeadline(stub, tx_ref);
      await runReconciler(stub); // nothing paid: the funding ends
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "FAILED",
        provider_ref: null,
      });
      return { stub, user_id, tx_ref, late: () => lateCharge(tx_ref, amount) };
    },
  },
  "FUND credited, then a second charge for it succeeds": {
    type: "FUND",
    provider: "flutterwave",
    anomaly: "paid_twice",
    end: async () => {
      const amount = naira();
      const { stub, user_id, tx_ref, payment_link } = await openFunding(amount);
      const paid = await exports.default.fetch(payment_link, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ outcome: "full" }).toString(),
        redirect: "manual",
      });
      expect(paid.status).toBe(303);
      await eventually(
        async () => expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
        25_000,
        250,
      );
      return { stub, user_id, tx_ref, late: () => lateCharge(tx_ref, amount) };
    },
  },
  "WITHDRAW whose transfer FAILED, then the bank completes it after all": {
    type: "WITHDRAW",
    provider: "flutterwave",
    anomaly: "paid_after_void",
    end: async () => {
      const { stub, auth, user_id } = await fundedWallet(500_000);
      const body = {
        account_bank: "044",
        account_number: "0690000032",
        amount: String(WITHDRAW_MINOR / 100),
        narration: `late-${randomBase32(12)}`,
      };
      const { tx_ref } = await ok<{ tx_ref: string }>(
        await api("/wallet/withdraw", authedJson(auth, body)),
        202,
      );
      const transfer_id = (await stub.getTransaction(tx_ref))?.provider_ref;
      if (!transfer_id) throw new Error(`no transfer id stored for ${tx_ref}`);
      await flutterwaveControl(`/transfers/${transfer_id}/settle`, { body: { status: "FAILED" } });
      await eventually(
        async () => expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED"),
        25_000,
        250,
      );
      expect((await stub.summary())?.held_minor).toBe(0);
      const late: Late = {
        operation: "transfers.get",
        match: `/transfers/${transfer_id}`,
        ref: transfer_id,
        deliveries_match: tx_ref,
        send: async () =>
          (
            await flutterwaveControl<{ delivery: Delivery }>(
              `/transfers/${transfer_id}/succeed-late`,
              { method: "POST", body: {} },
            )
          ).delivery,
      };
      return { stub, user_id, tx_ref, late: async () => late };
    },
  },
  "AIRTIME that VTpass failed at once, then delivers after all": {
    type: "AIRTIME",
    provider: "vtpass",
    anomaly: "paid_after_void",
    end: async () => {
      const { request_id, ...ended } = await failedPurchase("AIRTIME");
      return { ...ended, late: async () => vtpassLate(request_id) };
    },
  },
  "DATA that VTpass failed at once, then delivers after all": {
    type: "DATA",
    provider: "vtpass",
    anomaly: "paid_after_void",
    end: async () => {
      const { request_id, ...ended } = await failedPurchase("DATA");
      return { ...ended, late: async () => vtpassLate(request_id) };
    },
  },
};

/** What the look-alike delivered for this match, newest first (its body as sent). */
async function deliveries(provider: Provider, match: string): Promise<{ body: unknown }[]> {
  const path = `/deliveries?match=${encodeURIComponent(match)}`;
  return provider === "flutterwave" ? flutterwaveControl(path) : vtpassControl(path);
}

/**
 * The same webhook or callback again, as the intake queues it (its body re-serialised: the consumer
 * reads the JSON; the signature was the intake's to check), through the Worker's queue handler:
 * its verdict, once the consumer is done with it.
 */
async function redeliver(provider: Provider, body: unknown) {
  const message: QueueMessage = {
    v: 1,
    kind: provider === "flutterwave" ? "flutterwave.webhook" : "vtpass.callback",
    request_id: `redelivery-${randomBase32(12)}`,
    received_at_ms: Date.now(),
    raw_body: JSON.stringify(body),
  };
  const id = `redelivery-${crypto.randomUUID()}`;
  const batch = createMessageBatch(MAIN_QUEUE, [
    { id, timestamp: new Date(), attempts: 1, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  const result = (await getQueueResult(batch, ctx)) as unknown as {
    explicitAcks: string[];
    retryMessages: unknown[];
  };
  return { id, ...result };
}

/** One case: end the transaction, arm the fault, send the provider's late success, and check what follows. */
function lateSuccessCase(ending: Ending) {
  return async ({ fault }: { fault: Fault }): Promise<number> => {
    const { stub, user_id, tx_ref, late: makeLate } = await ending.end();
    const before = {
      tx: await stub.getTransaction(tx_ref),
      summary: await stub.summary(),
      journal_rows: (await expectLedgerConsistent(stub)).journal_rows,
    };
    expect(await stub.anomalies()).toEqual([]);
    const late = await makeLate();
    const uses = usesFor(ending.provider, fault);
    if (fault !== "none") await arm(ending.provider, late.operation, late.match, fault, uses);
    const reads_before = await served(ending.provider, late.operation, late.match);
    const delivered_before = (await deliveries(ending.provider, late.deliveries_match)).length;

    // The provider's late word reaches the real route once, and our route takes it.
    expect(await late.send()).toMatchObject({ status_code: 200, error: null });
    const expected = [expect.objectContaining({ tx_ref, kind: ending.anomaly, ref: late.ref })];
    await eventually(async () => expect(await stub.anomalies()).toEqual(expected), 25_000, 250);

    const reads = await served(ending.provider, late.operation, late.match);
    const met = reads.faulted - reads_before.faulted;
    expect(met).toBe(uses);
    expect(reads.count - reads_before.count).toBeGreaterThan(met); // recorded only on an answer
    const sent = await deliveries(ending.provider, late.deliveries_match);
    expect(sent.length - delivered_before).toBe(1); // one delivery: the later check came from the queue's retry

    const unchanged = async () => {
      expect(await stub.getTransaction(tx_ref)).toEqual(before.tx);
      expect(await stub.summary()).toEqual(before.summary);
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(before.journal_rows);
      const audit = await operatorAudit(user_id);
      expect(audit).toMatchObject({
        ok: true,
        balance_minor: before.summary!.balance_minor,
        held_minor: before.summary!.held_minor,
      });
      expect(audit.anomalies).toEqual(expected);
    };
    await unchanged();

    // The same webhook or callback again: verified with the provider once more, acked, nothing more recorded.
    const again = await redeliver(ending.provider, sent[0].body);
    expect(again).toMatchObject({ explicitAcks: [again.id], retryMessages: [] });
    expect((await served(ending.provider, late.operation, late.match)).count).toBe(reads.count + 1);
    expect(await stub.anomalies()).toEqual(expected);
    await unchanged();
    return met;
  };
}

for (const [ending_name, ending] of Object.entries(ENDINGS)) {
  describe(`fact after final: ${ending_name}`, () => {
    const rows = table
      .sample(FAULTS, 2)
      .map((fault) => ({ fault, faults: usesFor(ending.provider, fault) }));
    const outcome = `one ${ending.anomaly} names the charge, nothing moves, and a redelivery adds nothing`;
    const answered = rows.filter((row) => row.fault === "none");
    const faulted = rows.filter((row) => row.fault !== "none");
    if (answered.length > 0)
      table.each(answered)(
        `${ending.type}: the consumer's check is answered at once; ${outcome}`,
        lateSuccessCase(ending),
      );
    if (faulted.length > 0) {
      table.each(faulted)(
        `${ending.type}: $fault on every attempt of the consumer's check: the message is retried until it is answered, then ${outcome}`,
        lateSuccessCase(ending),
      );
    }
  });
}

table.summary();
