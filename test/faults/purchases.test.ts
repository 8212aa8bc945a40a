/**
 * Provider faults on the purchase path (VTpass), table-driven:
 *
 *   pay       (POST /wallet/airtime: the submission)           x every mode, committed or not
 *   requery   (the wallet's alarm, after a pay answer was lost) x every unanswered read, refuse
 *   requery   (the consumer, after VTpass's callback)          x every unanswered read, refuse
 *
 * For each case: the answer to the client is right for that fault; the hold
 * ends posted (VTpass says delivered), released (it definitely refused), or
 * stays held and is escalated to operators; the look-alike served exactly
 * one `/api/pay` for the purchase's request_id; the balance is the one
 * computed by hand. A requery that goes unanswered never releases a hold.
 */
import { describe, expect } from "vitest";
import { VTPASS_READ_RETRIES } from "../../src/providers/vtpass/limits";
import {
  eventually,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
} from "../support/helpers";
import { buyAirtime, type Purchase } from "../support/purchases";
import {
  arm,
  DONE_ANSWER_LOST,
  expectEscalated,
  faultTable,
  NOT_DONE,
  passDeadline,
  READ_UNANSWERED,
  served,
  vtpassControl,
  type Mode,
} from "../support/faults";

const START_MINOR = 100_000_00;
const READ_ATTEMPTS = 1 + VTPASS_READ_RETRIES;
/** Delivered at once by the look-alike; the amount tells cases apart (its 30 s duplicate rule is per number and amount). */
const DELIVERED_AT_ONCE = "08011111111";
/** Pending at the look-alike until it is settled (or 20 s pass). */
const PENDING_AT_FIRST = "201000000000";
const table = faultTable("purchases");

/** Distinct whole-naira amounts for this file's cases (and unlikely to meet another file's on the same test number within 30 s). */
let next_naira = 1_000 + (crypto.getRandomValues(new Uint32Array(1))[0] % 20_000);
function amountNaira(): number {
  next_naira += 1;
  return next_naira;
}

/** What our client sends to /api/pay for this number and amount: the fault's scope. */
const payMatch = (naira: number, phone: string) => `"amount":${naira},"phone":"${phone}"`;

async function accepted(response: Response): Promise<Purchase> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`expected 202, got ${response.status}: ${text}`);
  return JSON.parse(text) as Purchase;
}

type Stub = Awaited<ReturnType<typeof fundedWallet>>["stub"];

async function requestIdOf(stub: Stub, tx_ref: string): Promise<string> {
  const request_id = (await stub.getTransaction(tx_ref))?.provider_ref;
  if (!request_id) throw new Error(`no request_id stored for ${tx_ref}`);
  return request_id;
}

/** Exactly one /api/pay for this request_id reached the look-alike; how many faults it met. */
async function expectPaidOnce(request_id: string, fault: boolean): Promise<number> {
  const pays = await served("vtpass", "pay", request_id);
  expect(pays).toEqual({ count: 1, faulted: fault ? 1 : 0 });
  return pays.faulted;
}

describe("pay faults: the submission's answer is refused, lost, or never comes", () => {
  table.each(table.sample(NOT_DONE, 3).map((mode) => ({ mode, faults: 1 })))(
    "$mode on the pay (nothing done): held while VTpass knows nothing of it, escalated at the deadline, never released on a guess",
    async ({ mode }) => {
      const { auth, stub, user_id } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      await arm("vtpass", "pay", payMatch(naira, DELIVERED_AT_ONCE), mode);
      const p = await accepted(
        await buyAirtime(auth, { phone: DELIVERED_AT_ONCE, amount: String(naira), network: "mtn" }),
      );
      expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
      const request_id = await requestIdOf(stub, p.tx_ref);
      await runReconciler(stub); // requery: VTpass never saw it (015)
      expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
        status: "PENDING",
        escalated_at_ms: null,
      });
      await passDeadline(stub, p.tx_ref);
      await runReconciler(stub);
      await expectEscalated(stub, user_id, p.tx_ref);
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: naira * 100,
      });
      await expectLedgerConsistent(stub);
      return expectPaidOnce(request_id, true);
    },
  );

  table.each(DONE_ANSWER_LOST.map((mode) => ({ mode, faults: 1 })))(
    "$mode on the pay (delivered, answer lost): held, then posted once when the requery says delivered",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      await arm("vtpass", "pay", payMatch(naira, DELIVERED_AT_ONCE), mode);
      const p = await accepted(
        await buyAirtime(auth, { phone: DELIVERED_AT_ONCE, amount: String(naira), network: "mtn" }),
      );
      expect(p).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
      expect((await stub.summary())?.held_minor).toBe(naira * 100);
      const request_id = await requestIdOf(stub, p.tx_ref);
      await runReconciler(stub);
      expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
        status: "SUCCESS",
        stage: "settled",
      });
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - naira * 100,
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
      return expectPaidOnce(request_id, true);
    },
  );

  table.each([{ mode: "refuse" as const, faults: 1 }])(
    "$mode on the pay (030, nothing done): 422, the hold released at once",
    async () => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      await arm("vtpass", "pay", payMatch(naira, DELIVERED_AT_ONCE), "refuse");
      const problem = await expectProblem(
        await buyAirtime(auth, { phone: DELIVERED_AT_ONCE, amount: String(naira), network: "mtn" }),
        422,
      );
      expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED");
      expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
      return expectPaidOnce(await requestIdOf(stub, tx_ref), true);
    },
  );
});

const READS: Mode[] = [...READ_UNANSWERED, "refuse"];
/**
 * How many attempts one requery makes under this fault: the client repeats
 * only transport trouble (no answer, 5xx, 429, a body that is not JSON); a
 * well-formed answer (030, or JSON it cannot read) is the caller's to ask again.
 */
const usesFor = (mode: Mode) => (mode === "refuse" || mode === "wrong_shape" ? 1 : READ_ATTEMPTS);

describe("requery faults: the wallet's alarm, after a pay whose answer was lost", () => {
  table.each(table.sample(READS, 3).map((mode) => ({ mode, faults: usesFor(mode) + 1 })))(
    "$mode on every attempt of the requery: still held on that run, posted once on the next",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      await arm("vtpass", "pay", payMatch(naira, DELIVERED_AT_ONCE), "commit_then_500");
      const p = await accepted(
        await buyAirtime(auth, { phone: DELIVERED_AT_ONCE, amount: String(naira), network: "mtn" }),
      );
      const request_id = await requestIdOf(stub, p.tx_ref);
      await arm("vtpass", "requery", request_id, mode, usesFor(mode));
      await runReconciler(stub);
      expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "submit_unknown",
        escalated_at_ms: null,
      });
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: naira * 100,
      });
      const requeries = await served("vtpass", "requery", request_id);
      expect(requeries).toEqual({ count: usesFor(mode), faulted: usesFor(mode) });
      await runReconciler(stub);
      expect(await stub.getTransaction(p.tx_ref)).toMatchObject({
        status: "SUCCESS",
        stage: "settled",
      });
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - naira * 100,
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
      return requeries.faulted + (await expectPaidOnce(request_id, true));
    },
  );
});

describe("requery faults: the consumer, after VTpass's transaction-update callback", () => {
  const cases = READS.map((mode, i) => ({
    mode,
    faults: usesFor(mode),
    outcome: i % 2 === 0 ? ("delivered" as const) : ("failed" as const),
  }));
  table.each(table.sample(cases, 2))(
    "$mode on every attempt of the requery: retried by the queue, then $outcome is applied once",
    async ({ mode, outcome }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      const p = await accepted(
        await buyAirtime(auth, { phone: PENDING_AT_FIRST, amount: String(naira), network: "mtn" }),
      );
      expect(p).toMatchObject({ status: "PENDING", stage: "submitted" });
      const request_id = await requestIdOf(stub, p.tx_ref);
      await arm("vtpass", "requery", request_id, mode, usesFor(mode));
      // VTpass settles it and posts transaction-update to our secret callback URL; the real queue carries it to the consumer.
      await vtpassControl(`/purchases/${request_id}/settle`, { body: { status: outcome } });
      const delivered = outcome === "delivered";
      await eventually(
        async () =>
          expect((await stub.getTransaction(p.tx_ref))?.status).toBe(
            delivered ? "SUCCESS" : "FAILED",
          ),
        25_000,
        250,
      );
      const requeries = await served("vtpass", "requery", request_id);
      expect(requeries.faulted).toBe(usesFor(mode));
      expect(requeries.count).toBeGreaterThan(requeries.faulted); // settled only on an answer
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - (delivered ? naira * 100 : 0),
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(delivered ? 2 : 1);
      await expectPaidOnce(request_id, false);
      return requeries.faulted;
    },
  );
});

table.summary();
