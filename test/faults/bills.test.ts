/**
 * Provider faults on a bill payment (VTpass), table-driven like
 * purchases.test.ts, whose held payment bills share:
 *
 *   pay      (POST /wallet/electricity, a prepaid meter)  x every mode: nothing done, done with the
 *                                                          answer lost (slow among them), refused
 *   pay      (POST /wallet/tv, a GOtv change)             x one of each kind
 *   requery  (the wallet's alarm, after a lost pay)       x every unanswered read, refuse
 *   requery  (the consumer, after VTpass's callback)      x a sample of them
 *   verify   (merchant-verify before anything is held)    x a sample of unanswered reads
 *
 * For each case: the client's answer is right for that fault; money is never
 * lost (a hold is kept while VTpass's word is unknown, never released on a
 * guess) nor doubled (the look-alike served exactly one `/api/pay` for the
 * request_id, and the journal has one debit); the requery ends it, and a
 * prepaid token that only the requery carries is stored when it arrives.
 */
import { describe, expect } from "vitest";
import { VTPASS_READ_RETRIES } from "../../src/providers/vtpass/limits";
import {
  api,
  authedJson,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
} from "../support/helpers";
import { uniqueMtnNumber } from "../support/purchases";
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

const START_MINOR = 1_000_000_00;
const READ_ATTEMPTS = 1 + VTPASS_READ_RETRIES;
const PREPAID = "1111111111111";
/** Pending at the look-alike until it is settled. */
const PENDING_AT_FIRST = "201000000000";
const SMARTCARD = "1212121212";
const table = faultTable("bills");

/**
 * Distinct whole-naira amounts (the look-alike's 30 s duplicate rule is per
 * DisCo, meter and amount), small: every delivered one spends the look-alike's
 * float (our balance at VTpass), which every file of the run shares.
 */
let next_naira = 1_000 + (crypto.getRandomValues(new Uint32Array(1))[0] % 20_000);
function amountNaira(): number {
  next_naira += 1;
  return next_naira;
}

type Bill = {
  tx_ref: string;
  type: string;
  status: string;
  stage: string;
  amount_minor: number;
  token: string | null;
};

async function accepted(response: Response): Promise<Bill> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`expected 202, got ${response.status}: ${text}`);
  return JSON.parse(text) as Bill;
}

/** A prepaid payment whose pay body (and so a fault's scope) is told apart by its customer phone. */
function payPrepaid(
  auth: Record<string, string>,
  phone: string,
  naira: number,
  meter = PREPAID,
): Promise<Response> {
  return api(
    "/wallet/electricity",
    authedJson(auth, { disco: "ikeja-electric", meter, type: "prepaid", amount: naira, phone }),
  );
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

/** Settled once: debited once, nothing held, one debit row beside the opening credit, the token stored. */
async function expectSettledWithToken(stub: Stub, tx_ref: string, minor: number): Promise<void> {
  const tx = await stub.getTransaction(tx_ref);
  expect(tx).toMatchObject({ status: "SUCCESS", stage: "settled" });
  expect(tx?.details.token).toBe("26362054405982757802");
  expect(await stub.summary()).toMatchObject({
    balance_minor: START_MINOR - minor,
    held_minor: 0,
  });
  expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
}

describe("pay faults on an electricity payment", () => {
  table.each(NOT_DONE.map((mode) => ({ mode, faults: 1 })))(
    "$mode on the pay (nothing done): held while VTpass knows nothing of it, escalated at the deadline, never released on a guess",
    async ({ mode }) => {
      const { auth, stub, user_id } = await fundedWallet(START_MINOR);
      const phone = uniqueMtnNumber();
      const naira = amountNaira();
      await arm("vtpass", "pay", phone, mode);
      const bill = await accepted(await payPrepaid(auth, phone, naira));
      expect(bill).toMatchObject({ status: "PENDING", stage: "submit_unknown", token: null });
      const request_id = await requestIdOf(stub, bill.tx_ref);
      await runReconciler(stub); // requery: VTpass never saw it
      expect(await stub.getTransaction(bill.tx_ref)).toMatchObject({
        status: "PENDING",
        escalated_at_ms: null,
      });
      await passDeadline(stub, bill.tx_ref);
      await runReconciler(stub);
      await expectEscalated(stub, user_id, bill.tx_ref);
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: naira * 100,
      });
      await expectLedgerConsistent(stub);
      return expectPaidOnce(request_id, true);
    },
  );

  table.each(DONE_ANSWER_LOST.map((mode) => ({ mode, faults: 1 })))(
    "$mode on the pay (delivered, answer lost): held with no token, then posted once with the token the requery brings",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const phone = uniqueMtnNumber();
      const naira = amountNaira();
      await arm("vtpass", "pay", phone, mode);
      const bill = await accepted(await payPrepaid(auth, phone, naira));
      expect(bill).toMatchObject({ status: "PENDING", stage: "submit_unknown", token: null });
      expect((await stub.summary())?.held_minor).toBe(naira * 100);
      const request_id = await requestIdOf(stub, bill.tx_ref);
      await runReconciler(stub);
      await expectSettledWithToken(stub, bill.tx_ref, naira * 100);
      return expectPaidOnce(request_id, true);
    },
  );

  table.each([{ mode: "refuse" as const, faults: 1 }])(
    "$mode on the pay (nothing done): 422, the hold released at once, no token",
    async () => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const phone = uniqueMtnNumber();
      await arm("vtpass", "pay", phone, "refuse");
      const problem = await expectProblem(await payPrepaid(auth, phone, amountNaira()), 422);
      expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      const tx = await stub.getTransaction(tx_ref);
      expect(tx).toMatchObject({ type: "ELECTRICITY", status: "FAILED" });
      expect(tx?.details.token).toBeUndefined();
      expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
      return expectPaidOnce(await requestIdOf(stub, tx_ref), true);
    },
  );
});

describe("pay faults on a TV payment", () => {
  // One GOtv change each, at an amount no other case or file asks for (bouquet x months).
  const rows: { mode: Mode; faults: number; bouquet: string; months: number; minor: number }[] = [
    { mode: "gateway_timeout", faults: 1, bouquet: "gotv-lite", months: 7, minor: 7 * 410_00 },
    { mode: "commit_then_500", faults: 1, bouquet: "gotv-lite", months: 9, minor: 9 * 410_00 },
    { mode: "refuse", faults: 1, bouquet: "gotv-lite", months: 11, minor: 11 * 410_00 },
  ];
  table.each(rows)(
    "$mode on the pay of a GOtv change: held while unknown, posted once when done, released when refused",
    async ({ mode, bouquet, months, minor }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const phone = uniqueMtnNumber();
      await arm("vtpass", "pay", phone, mode);
      const res = await api(
        "/wallet/tv",
        authedJson(auth, {
          provider: "gotv",
          smartcard: SMARTCARD,
          action: "change",
          bouquet,
          quantity: months,
          phone,
        }),
      );
      if (mode === "refuse") {
        const problem = await expectProblem(res, 422);
        expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
        expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
        const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
        return expectPaidOnce(await requestIdOf(stub, tx_ref), true);
      }
      const bill = await accepted(res);
      expect(bill).toMatchObject({
        type: "TV",
        status: "PENDING",
        stage: "submit_unknown",
        amount_minor: minor,
      });
      const request_id = await requestIdOf(stub, bill.tx_ref);
      await runReconciler(stub);
      const done = mode === "commit_then_500";
      expect(await stub.getTransaction(bill.tx_ref)).toMatchObject(
        done ? { status: "SUCCESS", stage: "settled" } : { status: "PENDING" },
      );
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - (done ? minor : 0),
        held_minor: done ? 0 : minor,
      });
      await expectLedgerConsistent(stub);
      return expectPaidOnce(request_id, true);
    },
  );
});

const READS: Mode[] = [...READ_UNANSWERED, "refuse"];
/** Attempts one read makes under this fault: only transport trouble is repeated (purchases.test.ts says why). */
const usesFor = (mode: Mode) => (mode === "refuse" || mode === "wrong_shape" ? 1 : READ_ATTEMPTS);

describe("requery faults: the wallet's alarm, after an electricity pay whose answer was lost", () => {
  table.each(READS.map((mode) => ({ mode, faults: usesFor(mode) + 1 })))(
    "$mode on every attempt of the requery: still held with no token on that run, posted once with the token on the next",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const phone = uniqueMtnNumber();
      const naira = amountNaira();
      await arm("vtpass", "pay", phone, "commit_then_500");
      const bill = await accepted(await payPrepaid(auth, phone, naira));
      const request_id = await requestIdOf(stub, bill.tx_ref);
      await arm("vtpass", "requery", request_id, mode, usesFor(mode));
      await runReconciler(stub);
      const still = await stub.getTransaction(bill.tx_ref);
      expect(still).toMatchObject({
        status: "PENDING",
        stage: "submit_unknown",
        escalated_at_ms: null,
      });
      expect(still?.details.token).toBeUndefined();
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: naira * 100,
      });
      const requeries = await served("vtpass", "requery", request_id);
      expect(requeries).toEqual({ count: usesFor(mode), faulted: usesFor(mode) });
      await runReconciler(stub);
      await expectSettledWithToken(stub, bill.tx_ref, naira * 100);
      return requeries.faulted + (await expectPaidOnce(request_id, true));
    },
  );
});

describe("requery faults: the consumer, after VTpass's callback for a pending electricity payment", () => {
  const cases = READS.map((mode, i) => ({
    mode,
    faults: usesFor(mode),
    outcome: i % 2 === 0 ? ("delivered" as const) : ("failed" as const),
  }));
  table.each(table.sample(cases, 3))(
    "$mode on every attempt of the requery: retried by the queue, then $outcome is applied once",
    async ({ mode, outcome }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const naira = amountNaira();
      const bill = await accepted(
        await payPrepaid(auth, uniqueMtnNumber(), naira, PENDING_AT_FIRST),
      );
      expect(bill).toMatchObject({ status: "PENDING", stage: "submitted", token: null });
      const request_id = await requestIdOf(stub, bill.tx_ref);
      await arm("vtpass", "requery", request_id, mode, usesFor(mode));
      await vtpassControl(`/purchases/${request_id}/settle`, { body: { status: outcome } });
      const delivered = outcome === "delivered";
      await eventually(
        async () =>
          expect((await stub.getTransaction(bill.tx_ref))?.status).toBe(
            delivered ? "SUCCESS" : "FAILED",
          ),
        25_000,
        250,
      );
      const tx = await stub.getTransaction(bill.tx_ref);
      if (delivered) expect(tx?.details.token).toMatch(/^\d{20}$/);
      else expect(tx?.details.token).toBeUndefined();
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

describe("verify faults: merchant-verify unanswered before anything is held", () => {
  // Each its own DisCo and a meter no other file verifies as postpaid: the answer is cached per (DisCo, meter, type).
  const rows = [
    { mode: "gateway_timeout" as const, disco: "aba-electric" },
    { mode: "malformed" as const, disco: "kaduna-electric" },
    { mode: "slow_body" as const, disco: "yola-electric" },
  ].map((row) => ({ ...row, faults: usesFor(row.mode) }));
  table.each(rows)(
    "$mode on every attempt of the verify: 503, nothing held, nothing paid",
    async ({ mode, disco }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const meter = "400000000000";
      const phone = uniqueMtnNumber();
      const match = `"serviceID":"${disco}","billersCode":"${meter}","type":"postpaid"`;
      await arm("vtpass", "verify", match, mode, usesFor(mode));
      const problem = await expectProblem(
        await api(
          "/wallet/electricity",
          authedJson(auth, { disco, meter, type: "postpaid", amount: amountNaira(), phone }),
        ),
        503,
      );
      expect(problem.code).toBe("verify_unavailable");
      expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
      expect(await stub.listTransactions({ limit: 10, type: "ELECTRICITY" })).toMatchObject({
        data: [],
      });
      expect((await served("vtpass", "pay", phone)).count).toBe(0);
      const verifies = await served("vtpass", "verify", match);
      expect(verifies.count).toBe(usesFor(mode));
      return verifies.faulted;
    },
  );
});

table.summary();
