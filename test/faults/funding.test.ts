/**
 * Provider faults on the funding path (Flutterwave), table-driven:
 *
 *   payments.create                     (POST /wallet/fund)                        x every mode
 *   transactions.verify                 (the consumer, after charge.completed)     x every unanswered read, refuse
 *   transactions.list (by tx_ref)       (the callback page's request, the queue)   x every unanswered read, refuse
 *   transactions.list (by tx_ref)       (the wallet's alarm, the reconciler)       x every unanswered read, refuse
 *
 * A funding is credit-side: nothing is held, so "nothing lost" means the
 * customer's payment is credited once it is verified, and "nothing doubled"
 * that it is credited exactly once however many times the answer was lost.
 * Verification faults must lead to retries and then the right end, never a
 * credit on a guess.
 */
import { describe, expect } from "vitest";
import { exports } from "cloudflare:workers";
import { randomBase32 } from "../../src/lib/ids";
import { PROVIDER_READ_RETRIES } from "../../src/providers/flutterwave/limits";
import {
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  newWallet,
  runReconciler,
} from "../support/helpers";
import {
  arm,
  DONE_ANSWER_LOST,
  flutterwaveControl,
  NOT_DONE,
  passDeadline,
  READ_UNANSWERED,
  served,
  faultTable,
  type Mode,
} from "../support/faults";

const READ_ATTEMPTS = 1 + PROVIDER_READ_RETRIES;
const table = faultTable("funding");

type Funding = {
  tx_ref: string;
  status: string;
  payment_link: string | null;
  watch: { ticket: string };
};

async function wallet() {
  const w = await newWallet();
  return { ...w, auth: await bearerFor(w.user_id) };
}

function fund(auth: Record<string, string>, naira: number, key: string) {
  return api(
    "/wallet/fund",
    authedJson(auth, { amount: String(naira) }, { "idempotency-key": key }),
  );
}

async function created(response: Response): Promise<Funding> {
  const text = await response.text();
  if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${text}`);
  return JSON.parse(text) as Funding;
}

/**
 * A distinct amount per case, in naira, within what an unverified wallet may
 * fund in a day (tier 1's NGN 50,000 while KYC_REQUIRED is false, as in the tests).
 */
function naira(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 100 + (n % 49_000);
}

/** The customer pays on the look-alike's checkout page; it sends charge.completed to the real webhook route. */
async function payInFull(link: string): Promise<void> {
  const paid = await exports.default.fetch(link, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ outcome: "full" }).toString(),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
}

/** A charge recorded at the look-alike as if paid, without any webhook yet: its id. */
async function chargePaid(tx_ref: string, amount_naira: number): Promise<number> {
  return (
    await flutterwaveControl<{ id: number }>("/transactions", {
      body: { tx_ref, amount: amount_naira, currency: "NGN", status: "successful" },
    })
  ).id;
}

async function expectCreditedOnce(
  stub: Awaited<ReturnType<typeof wallet>>["stub"],
  tx_ref: string,
  amount_minor: number,
) {
  await eventually(
    async () => expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    25_000,
    250,
  );
  expect(await stub.summary()).toMatchObject({ balance_minor: amount_minor, held_minor: 0 });
  expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
}

describe("payments.create faults: the checkout link's answer is refused, lost, or never comes", () => {
  const lost: Mode[] = [...table.sample(NOT_DONE, 2), ...DONE_ANSWER_LOST];
  table.each(lost.map((mode) => ({ mode, faults: 1 })))(
    "$mode on the link: 503 with the funding PENDING; the same key gets the link, and the payment is credited once",
    async ({ mode }) => {
      const { auth, stub, email } = await wallet();
      const amount = naira();
      const key = `fund-${randomBase32(12)}`;
      await arm("flutterwave", "payments.create", email, mode);
      const problem = await expectProblem(await fund(auth, amount, key), 503);
      expect(problem).toMatchObject({
        code: "payment_provider_unavailable",
        transaction_status: "PENDING",
      });
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "link_unknown",
      });
      // The client retries with its key: the same funding, now with its link.
      const resumed = await created(await fund(auth, amount, key));
      expect(resumed).toMatchObject({ tx_ref, status: "PENDING" });
      await payInFull(resumed.payment_link!);
      await expectCreditedOnce(stub, tx_ref, amount * 100);
      const links = await served("flutterwave", "payments.create", email);
      expect(links).toEqual({ count: 2, faulted: 1 });
      return links.faulted;
    },
  );

  table.each(table.sample(NOT_DONE, 1).map((mode) => ({ mode, faults: 1 })))(
    "$mode on the link, and the customer never comes back: the funding ends FAILED at its deadline, nothing credited",
    async ({ mode }) => {
      const { auth, stub, email } = await wallet();
      await arm("flutterwave", "payments.create", email, mode);
      const problem = await expectProblem(
        await fund(auth, naira(), `fund-${randomBase32(12)}`),
        503,
      );
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      await runReconciler(stub); // nothing paid, deadline ahead: still open
      expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
      await passDeadline(stub, tx_ref);
      await runReconciler(stub);
      expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED");
      expect(await stub.summary()).toMatchObject({ balance_minor: 0, held_minor: 0 });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(0);
      const links = await served("flutterwave", "payments.create", email);
      expect(links).toEqual({ count: 1, faulted: 1 });
      return links.faulted;
    },
  );

  table.each([{ mode: "refuse", faults: 1 }])(
    "$mode on the link (definite): 502, the funding FAILED, and the key replays the refusal",
    async () => {
      const { auth, stub, email } = await wallet();
      const key = `fund-${randomBase32(12)}`;
      await arm("flutterwave", "payments.create", email, "refuse");
      const problem = await expectProblem(await fund(auth, 1500, key), 502);
      expect(problem).toMatchObject({
        code: "payment_provider_refused",
        transaction_status: "FAILED",
      });
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED");
      const replay = await fund(auth, 1500, key);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      await expectProblem(replay, 502);
      expect(await stub.summary()).toMatchObject({ balance_minor: 0, held_minor: 0 });
      const links = await served("flutterwave", "payments.create", email);
      expect(links).toEqual({ count: 1, faulted: 1 });
      return links.faulted;
    },
  );
});

const READS: Mode[] = [...READ_UNANSWERED, "refuse"];
/** A refusal is an answer the client does not repeat: one use meets the one attempt. */
const usesFor = (mode: Mode) => (mode === "refuse" ? 1 : READ_ATTEMPTS);

describe("transactions.verify faults: the consumer's check after charge.completed", () => {
  table.each(table.sample(READS, 3).map((mode) => ({ mode, faults: usesFor(mode) })))(
    "$mode on every attempt of the check: retried by the queue, then credited once",
    async ({ mode }) => {
      const { auth, stub } = await wallet();
      const amount = naira();
      const { tx_ref } = await created(await fund(auth, amount, `fund-${randomBase32(12)}`));
      const id = await chargePaid(tx_ref, amount);
      const match = `/transactions/${id}/verify`;
      await arm("flutterwave", "transactions.verify", match, mode, usesFor(mode));
      // Flutterwave delivers charge.completed to the real webhook route; the real queue carries it to the consumer.
      await flutterwaveControl(`/transactions/${id}/deliver`, { body: {} });
      await expectCreditedOnce(stub, tx_ref, amount * 100);
      const checks = await served("flutterwave", "transactions.verify", match);
      expect(checks.faulted).toBe(usesFor(mode));
      expect(checks.count).toBeGreaterThan(checks.faulted); // credited only on an answer
      return checks.faulted;
    },
  );
});

describe("transactions.list faults: the callback page's verification of every charge of the tx_ref, through the queue", () => {
  table.each(table.sample(READS, 2).map((mode) => ({ mode, faults: usesFor(mode) })))(
    "$mode on every attempt of the check: retried by the queue, then credited once",
    async ({ mode }) => {
      const { auth, stub } = await wallet();
      const amount = naira();
      const funding = await created(await fund(auth, amount, `fund-${randomBase32(12)}`));
      await chargePaid(funding.tx_ref, amount);
      const match = `tx_ref=${funding.tx_ref}`;
      await arm("flutterwave", "transactions.list", match, mode, usesFor(mode));
      // The browser lands back without a transaction id (a cancelled redirect, a copied link): the page asks for a check by reference.
      const page = await api(
        `/wallet/flutterwave/callback?tx_ref=${funding.tx_ref}&ticket=${encodeURIComponent(funding.watch.ticket)}`,
      );
      expect(page.status).toBe(200);
      await page.text();
      await expectCreditedOnce(stub, funding.tx_ref, amount * 100);
      const checks = await served("flutterwave", "transactions.list", match);
      expect(checks.faulted).toBe(usesFor(mode));
      expect(checks.count).toBeGreaterThan(checks.faulted);
      return checks.faulted;
    },
  );
});

describe("transactions.list faults: the reconciler's check of every charge of the tx_ref", () => {
  table.each(table.sample(READS, 3).map((mode) => ({ mode, faults: usesFor(mode) })))(
    "$mode on every attempt of the check: nothing credited on that run, credited once on the next",
    async ({ mode }) => {
      const { auth, stub } = await wallet();
      const amount = naira();
      const { tx_ref } = await created(await fund(auth, amount, `fund-${randomBase32(12)}`));
      await chargePaid(tx_ref, amount);
      const match = `tx_ref=${tx_ref}`;
      await arm("flutterwave", "transactions.list", match, mode, usesFor(mode));
      await runReconciler(stub);
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "PENDING",
        escalated_at_ms: null,
      });
      expect(await stub.summary()).toMatchObject({ balance_minor: 0, held_minor: 0 });
      const checks = await served("flutterwave", "transactions.list", match);
      expect(checks).toEqual({ count: usesFor(mode), faulted: usesFor(mode) });
      await runReconciler(stub);
      await expectCreditedOnce(stub, tx_ref, amount * 100);
      return checks.faulted;
    },
  );
});

table.summary();
