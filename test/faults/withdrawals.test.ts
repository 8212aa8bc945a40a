/**
 * Provider faults on the withdrawal path (Flutterwave), table-driven:
 *
 *   accounts.resolve  (before anything is held)          x every unanswered mode, refuse
 *   transfers.create  (the submission)                   x every mode, committed or not
 *   transfers.get     (the webhook consumer's check)     x every unanswered read, refuse
 *   transfers.list    (the reconciler after a lost create) x every unanswered read, refuse
 *
 * For each case: the answer to the client is right for that fault; the hold
 * ends posted (the provider says SUCCESSFUL), voided (it says FAILED, or
 * definitely refused), or stays held and is escalated to operators; the
 * look-alike served at most one transfer create per tx_ref; the balance is
 * the one computed by hand.
 */
import { describe, expect } from "vitest";
import { randomBase32 } from "../../src/lib/ids";
import { PROVIDER_READ_RETRIES } from "../../src/providers/flutterwave/limits";
import {
  api,
  authedJson,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
} from "../support/helpers";
import {
  arm,
  DONE_ANSWER_LOST,
  expectEscalated,
  flutterwaveControl,
  NOT_DONE,
  passDeadline,
  READ_UNANSWERED,
  served,
  faultTable,
  type Mode,
} from "../support/faults";

const START_MINOR = 500_000;
const AMOUNT_MINOR = 100_000;
const READ_ATTEMPTS = 1 + PROVIDER_READ_RETRIES;
const table = faultTable("withdrawals");

type Tx = { tx_ref: string; status: string; stage: string };

function withdraw(auth: Record<string, string>, narration: string, account_number = "0690000031") {
  return api(
    "/wallet/withdraw",
    authedJson(auth, {
      account_bank: "044",
      account_number,
      amount: String(AMOUNT_MINOR / 100),
      narration,
    }),
  );
}

async function accepted(response: Response): Promise<Tx> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`expected 202, got ${response.status}: ${text}`);
  return JSON.parse(text) as Tx;
}

async function listTransfers(tx_ref: string): Promise<unknown[]> {
  const { exports, env } = await import("cloudflare:workers");
  const { requireConfig } = await import("../../src/lib/config");
  const listed = await exports.default.fetch(
    `http://wallet.test/__sandbox/flutterwave/v3/transfers?reference=${tx_ref}`,
    {
      headers: { authorization: `Bearer ${requireConfig(env).FLUTTERWAVE_SECRET_KEY}` },
    },
  );
  return ((await listed.json()) as { data: unknown[] }).data;
}

/** A refusal is an answer the client does not repeat: one use meets the one attempt; transport trouble meets every attempt. */
const usesFor = (mode: Mode) => (mode === "refuse" ? 1 : READ_ATTEMPTS);

/** Nothing held, nothing moved, no withdrawal recorded. */
async function expectUntouched(stub: Awaited<ReturnType<typeof fundedWallet>>["stub"]) {
  expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
  const audit = await expectLedgerConsistent(stub);
  expect(audit.journal_rows).toBe(1);
}

/**
 * Account resolution: the look-alike resolves only its test accounts, and a
 * resolve request carries nothing but the account; cases that share an
 * account take turns so their faults cannot cross.
 */
const RESOLVE_ACCOUNTS = [
  "0690000033",
  "0690000035",
  "0690000037",
  "0690000038",
  "0690000039",
  "0690000041",
];
const accountTurns = new Map<string, Promise<unknown>>();
function inTurn<T>(account: string, run: () => Promise<T>): Promise<T> {
  const previous = accountTurns.get(account) ?? Promise.resolve();
  const next = previous.then(run, run);
  accountTurns.set(
    account,
    next.catch(() => {}),
  );
  return next;
}

describe("accounts.resolve faults: refused before anything is held", () => {
  const modes: Mode[] = [...NOT_DONE, "slow_body", "refuse"];
  table.each(
    table.sample(modes, 3).map((mode, i) => ({
      mode,
      faults: 1,
      account: RESOLVE_ACCOUNTS[i % RESOLVE_ACCOUNTS.length],
    })),
  )("$mode on the account check answers a problem and holds nothing", async ({ mode, account }) => {
    const { auth, stub } = await fundedWallet(START_MINOR);
    const met = await inTurn(account, async () => {
      const before = await served("flutterwave", "accounts.resolve", account);
      await arm("flutterwave", "accounts.resolve", account, mode);
      const problem = await expectProblem(
        await withdraw(auth, `resolve-${randomBase32(10)}`, account),
        mode === "refuse" ? 422 : 503,
      );
      expect(problem.code).toBe(
        mode === "refuse" ? "bank_account_invalid" : "bank_lookup_unavailable",
      );
      const after = await served("flutterwave", "accounts.resolve", account);
      expect(after.count - before.count).toBe(1); // a write-like POST: never retried by the client
      expect(after.faulted - before.faulted).toBe(1);
      return after.faulted - before.faulted;
    });
    await expectUntouched(stub);
    return met;
  });
});

describe("transfers.create faults: the submission's answer is refused, lost, or never comes", () => {
  table.each(table.sample(NOT_DONE, 3).map((mode) => ({ mode, faults: 1 })))(
    "$mode on the create (nothing done): held while the reference finds nothing, escalated at the deadline, never voided on a guess",
    async ({ mode }) => {
      const { auth, stub, user_id } = await fundedWallet(START_MINOR);
      const note = `create-${randomBase32(12)}`;
      await arm("flutterwave", "transfers.create", note, mode);
      const tx = await accepted(await withdraw(auth, note));
      expect(tx).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
      await runReconciler(stub); // the search by reference finds nothing
      expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
        status: "PENDING",
        escalated_at_ms: null,
        provider_ref: null,
      });
      await passDeadline(stub, tx.tx_ref);
      await runReconciler(stub);
      await expectEscalated(stub, user_id, tx.tx_ref);
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: AMOUNT_MINOR,
      });
      const creates = await served("flutterwave", "transfers.create", note);
      expect(creates).toEqual({ count: 1, faulted: 1 });
      expect(await listTransfers(tx.tx_ref)).toHaveLength(0);
      await expectLedgerConsistent(stub);
      return creates.faulted;
    },
  );

  table.each(DONE_ANSWER_LOST.map((mode) => ({ mode, faults: 1 })))(
    "$mode on the create (done, answer lost): held, found by reference, posted once when the bank completes it",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const note = `create-${randomBase32(12)}`;
      await arm("flutterwave", "transfers.create", note, mode);
      const tx = await accepted(await withdraw(auth, note));
      expect(tx).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
      expect((await stub.summary())?.held_minor).toBe(AMOUNT_MINOR);
      await runReconciler(stub);
      const found = (await stub.getTransaction(tx.tx_ref))!;
      expect(found).toMatchObject({
        status: "PENDING",
        provider_ref: expect.stringMatching(/^\d+$/),
      });
      await flutterwaveControl(`/transfers/${found.provider_ref}/settle`, {
        body: { status: "SUCCESSFUL" },
      });
      await runReconciler(stub);
      await eventually(async () =>
        expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS"),
      );
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - AMOUNT_MINOR,
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
      const creates = await served("flutterwave", "transfers.create", note);
      expect(creates).toEqual({ count: 1, faulted: 1 });
      expect(await listTransfers(tx.tx_ref)).toHaveLength(1);
      return creates.faulted;
    },
  );

  table.each([{ mode: "refuse", faults: 1 }])(
    "$mode on the create (definite): 422, the hold voided at once, no transfer",
    async () => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const note = `create-${randomBase32(12)}`;
      await arm("flutterwave", "transfers.create", note, "refuse");
      const problem = await expectProblem(await withdraw(auth, note), 422);
      expect(problem).toMatchObject({ code: "transfer_refused", transaction_status: "FAILED" });
      const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "FAILED",
        stage: "refused",
      });
      await expectUntouched(stub);
      const creates = await served("flutterwave", "transfers.create", note);
      expect(creates).toEqual({ count: 1, faulted: 1 });
      expect(await listTransfers(tx_ref)).toHaveLength(0);
      return creates.faulted;
    },
  );
});

describe("transfers.get faults: the consumer's check after transfer.completed", () => {
  const cases = [...READ_UNANSWERED, "refuse" as const].map((mode, i) => ({
    mode,
    faults: usesFor(mode),
    outcome: i % 2 === 0 ? ("SUCCESSFUL" as const) : ("FAILED" as const),
  }));
  table.each(table.sample(cases, 3))(
    "$mode on every attempt of the check: retried by the queue, then $outcome is applied once",
    async ({ mode, outcome }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const tx = await accepted(await withdraw(auth, `get-${randomBase32(12)}`));
      const provider_ref = (await stub.getTransaction(tx.tx_ref))!.provider_ref!;
      expect(provider_ref).toMatch(/^\d+$/);
      const match = `/transfers/${provider_ref}`;
      await arm("flutterwave", "transfers.get", match, mode, usesFor(mode));
      // The bank completes it; the look-alike sends transfer.completed to the real webhook route.
      await flutterwaveControl(`/transfers/${provider_ref}/settle`, { body: { status: outcome } });
      await eventually(
        async () =>
          expect((await stub.getTransaction(tx.tx_ref))?.status).toBe(
            outcome === "SUCCESSFUL" ? "SUCCESS" : "FAILED",
          ),
        25_000,
        250,
      );
      const checks = await served("flutterwave", "transfers.get", match);
      expect(checks.faulted).toBe(usesFor(mode));
      expect(checks.count).toBeGreaterThan(checks.faulted); // settled only on an answer
      const spent = outcome === "SUCCESSFUL" ? AMOUNT_MINOR : 0;
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - spent,
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(
        outcome === "SUCCESSFUL" ? 2 : 1,
      );
      expect(await listTransfers(tx.tx_ref)).toHaveLength(1);
      return checks.faulted;
    },
  );
});

describe("transfers.list faults: the reconciler's search after a create whose answer was lost", () => {
  table.each(
    table
      .sample([...READ_UNANSWERED, "refuse" as const], 3)
      .map((mode) => ({ mode, faults: usesFor(mode) + 1 })),
  )(
    "$mode on every attempt of the search: the hold stays, nothing moves, and the next answer settles it once",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const note = `list-${randomBase32(12)}`;
      await arm("flutterwave", "transfers.create", note, "commit_then_500");
      const tx = await accepted(await withdraw(auth, note));
      const attempts = usesFor(mode);
      await arm("flutterwave", "transfers.list", tx.tx_ref, mode, attempts);
      await runReconciler(stub);
      expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "submit_unknown",
        provider_ref: null,
        escalated_at_ms: null,
      });
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR,
        held_minor: AMOUNT_MINOR,
      });
      const searches = await served("flutterwave", "transfers.list", tx.tx_ref);
      expect(searches).toEqual({ count: attempts, faulted: attempts });
      await runReconciler(stub);
      const found = (await stub.getTransaction(tx.tx_ref))!;
      expect(found.provider_ref).toMatch(/^\d+$/);
      await flutterwaveControl(`/transfers/${found.provider_ref}/settle`, {
        body: { status: "SUCCESSFUL" },
      });
      await runReconciler(stub);
      await eventually(async () =>
        expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS"),
      );
      expect(await stub.summary()).toMatchObject({
        balance_minor: START_MINOR - AMOUNT_MINOR,
        held_minor: 0,
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
      expect(await served("flutterwave", "transfers.create", note)).toEqual({
        count: 1,
        faulted: 1,
      });
      expect(await listTransfers(tx.tx_ref)).toHaveLength(1);
      return searches.faulted + 1;
    },
  );
});

table.summary();
