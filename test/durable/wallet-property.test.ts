/**
 * Property-based test of the Wallet object (fast-check, seeded).
 *
 * Each generated sequence opens fundings and replays what the outside world can
 * do to them in any order: customers paying in full, over, under or in the wrong
 * currency, failing attempts, webhooks for any attempt (duplicated, late, forged
 * for another reference), and the reconciler's by-reference checks. After EVERY
 * step the test checks, against storage:
 *   2. available = balance - open holds, and available >= 0;
 *   4. a funding is SUCCESS only if a qualifying payment was shown to the wallet
 *      while it was pending, it is credited exactly its expected amount, and a
 *      terminal status never changes again;
 *   5. balance = sum of the journal, with exactly one journal row per success.
 */
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChargeFacts } from "../../src/domain/transactions";
import type { Wallet } from "../../src/durable/wallet";
import { txRefOwner } from "../../src/lib/ids";
import { newWallet } from "../helpers";

const RUNS = 1000;
const SEED = 424242;

type Attempt = { provider_id: string; status: "successful" | "failed"; amount_minor: number; currency: string };
type Funding = {
  tx_ref: string;
  amount_minor: number;
  attempts: Attempt[];
  lastShown: ChargeFacts | null;
  status: "PENDING" | "SUCCESS" | "FAILED";
  /** A qualifying successful payment was shown to the wallet while pending. */
  qualifyingShownWhilePending: boolean;
};

const Step = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("open" as const), amount_minor: fc.integer({ min: 1, max: 5_000_000 }), expired: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pay" as const), i: fc.nat(), variant: fc.constantFrom("full", "over", "under", "usd") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fail_attempt" as const), i: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("webhook" as const), i: fc.nat(), j: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reconcile" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("forged" as const), i: fc.nat(), k: fc.nat() }) },
);

function byReference(f: Funding): ChargeFacts {
  const success = f.attempts.find((a) => a.status === "successful");
  const chosen = success ?? f.attempts[f.attempts.length - 1];
  return chosen ? { found: true, tx_ref: f.tx_ref, ...chosen } : { found: false };
}

function qualifies(f: Funding, facts: ChargeFacts): boolean {
  return facts.found && facts.tx_ref === f.tx_ref && facts.status === "successful" && facts.currency === "NGN" && facts.amount_minor >= f.amount_minor;
}

/**
 * Wallets are taken from a small pool and wiped before each sequence (so every
 * sequence starts from an empty wallet), and funding references repeat per
 * pool slot. Fresh objects per sequence would create thousands of wallet and
 * room objects in one test process, which slows workerd down quadratically.
 */
const POOL_SIZE = 8;
const pool: Awaited<ReturnType<typeof newWallet>>[] = [];
let nextSlot = 0;

async function pooledWallet() {
  const slot = nextSlot++ % POOL_SIZE;
  if (!pool[slot]) pool[slot] = await newWallet();
  const entry = pool[slot];
  await runInDurableObject(entry.stub, async (_wallet: Wallet, state) => {
    state.storage.transactionSync(() => {
      for (const table of ["journal", "holds", "provider_events", "anomalies", "idempotency", "transactions"]) state.storage.sql.exec(`DELETE FROM ${table}`);
      state.storage.sql.exec("UPDATE wallet SET balance_minor = 0, is_active = 1");
    });
    await state.storage.deleteAlarm();
  });
  return entry;
}

/** The n-th funding reference of a wallet: a valid tx_ref, the same in every sequence. */
function fundingRef(user_id: string, n: number): string {
  return `fnd_${String(n).padStart(22, "0")}_${user_id}`;
}

async function run(steps: { kind: string; [k: string]: unknown }[]): Promise<void> {
  const { stub, user_id } = await pooledWallet();
  await runInDurableObject(stub, async (wallet: Wallet, state) => {
    const fundings: Funding[] = [];
    let nextProviderId = 1;
    const show = async (f: Funding, facts: ChargeFacts, via: "webhook" | "reconciler") => {
      const wasPending = f.status === "PENDING";
      await wallet.applyFundingFacts(f.tx_ref, facts, { via });
      if (wasPending && qualifies(f, facts)) f.qualifyingShownWhilePending = true;
      if (facts.found && facts.tx_ref === f.tx_ref) f.lastShown = facts;
    };

    for (const step of steps) {
      const pick = <T,>(list: T[], n: unknown) => (list.length === 0 ? null : list[(n as number) % list.length]);
      switch (step.kind) {
        case "open": {
          const tx_ref = fundingRef(user_id, fundings.length);
          const deadline = step.expired ? Date.now() - 1 : Date.now() + 3_600_000;
          const opened = await wallet.openFunding({ tx_ref, amount_minor: step.amount_minor as number, currency: "NGN", deadline_at_ms: deadline });
          expect(opened.outcome).toBe("opened");
          fundings.push({ tx_ref, amount_minor: step.amount_minor as number, attempts: [], lastShown: null, status: "PENDING", qualifyingShownWhilePending: false });
          break;
        }
        case "pay": {
          const f = pick(fundings, step.i);
          if (!f || f.attempts.some((a) => a.status === "successful")) break;
          const amount = { full: f.amount_minor, over: f.amount_minor + 100, under: f.amount_minor - 1, usd: f.amount_minor }[step.variant as string]!;
          if (amount <= 0) break;
          f.attempts.push({ provider_id: String(nextProviderId++), status: "successful", amount_minor: amount, currency: step.variant === "usd" ? "USD" : "NGN" });
          break;
        }
        case "fail_attempt": {
          const f = pick(fundings, step.i);
          if (!f || f.attempts.some((a) => a.status === "successful")) break;
          f.attempts.push({ provider_id: String(nextProviderId++), status: "failed", amount_minor: f.amount_minor, currency: "NGN" });
          break;
        }
        case "webhook": {
          const f = pick(fundings, step.i);
          const a = f && pick(f.attempts, step.j);
          if (f && a) await show(f, { found: true, tx_ref: f.tx_ref, ...a }, "webhook");
          break;
        }
        case "duplicate": {
          const f = pick(fundings, step.i);
          if (f?.lastShown) await show(f, f.lastShown, "webhook");
          break;
        }
        case "reconcile": {
          const f = pick(fundings, step.i);
          if (f) await show(f, byReference(f), "reconciler");
          break;
        }
        case "forged": {
          // An event whose verified facts belong to another reference.
          const f = pick(fundings, step.i);
          const other = pick(fundings, step.k);
          const a = other && pick(other.attempts, 0);
          if (f && other && a && other !== f) await show(f, { found: true, tx_ref: other.tx_ref, ...a }, "webhook");
          break;
        }
      }

      // ---- invariants after every step ----
      const audit = await wallet.audit();
      expect(audit.balance_minor).toBe(audit.journal_balance_minor); // 5
      expect(audit.available_minor).toBe(audit.balance_minor - audit.held_minor); // 2
      expect(audit.available_minor).toBeGreaterThanOrEqual(0); // 2
      let expectedBalance = 0;
      let successes = 0;
      for (const f of fundings) {
        const tx = (await wallet.getTransaction(f.tx_ref))!;
        if (f.status !== "PENDING") expect(tx.status, "terminal status changed").toBe(f.status); // 4: terminal once
        if (tx.status === "SUCCESS") {
          expect(f.qualifyingShownWhilePending, "credited without a qualifying payment").toBe(true); // 4
          expectedBalance += f.amount_minor;
          successes += 1;
        }
        if (f.qualifyingShownWhilePending && f.status === "PENDING") expect(tx.status).toBe("SUCCESS");
        f.status = tx.status;
      }
      expect(audit.balance_minor).toBe(expectedBalance);
      expect(audit.journal_rows).toBe(successes);
    }
    // The reconciler is out of scope here (its own tests drive it); without this,
    // a thousand wallets' alarms would fire later and call the sandbox.
    await state.storage.deleteAlarm();
  });
}

describe("Wallet object under random funding histories", () => {
  it("uses references the consumer would route to the wallet", () => {
    expect(txRefOwner(fundingRef("usr000000000000000a", 3))).toBe("usr000000000000000a");
  });

  it(`keeps invariants 2, 4 and 5 after every step of ${RUNS} generated sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 1, maxLength: 30 }), (steps) => run(steps as never)),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
