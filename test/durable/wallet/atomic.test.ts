/**
 * The Wallet's header promises that every mutation is one storage
 * transaction. This checks the promise at run time: inside the object, every
 * SQL statement that writes is observed, and each must run inside
 * `transactionSync`, across every write path (profile and wallet, funding,
 * held payments, idempotency keys, the reconciler's alarm, the change feed).
 */
import { runInDurableObject } from "cloudflare:test";
import { FUND_PENDING_MAX_CEILING } from "../../../src/domain/limits";
import { describe, expect, it } from "vitest";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newTxRef, newUserId } from "../../../src/lib/ids";
import { env } from "../../support/helpers";
import { paid } from "../../support/realtime";

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

describe("Wallet: every write is inside a storage transaction", () => {
  it("runs every write of every path inside transactionSync", async () => {
    const user_id = newUserId();
    const stub = env.WALLET.getByName(user_id);
    await stub.ping(); // construct the object (its migrations run in the constructor, before this test watches)
    const outside = await runInDurableObject(stub, async (wallet: Wallet, state) => {
      const storage = state.storage;
      const sql = storage.sql;
      let depth = 0;
      const settled = newTxRef("WITHDRAW", user_id);
      const abandoned = newTxRef("WITHDRAW", user_id);
      const stray: string[] = [];
      const written: string[] = [];
      const exec = sql.exec.bind(sql);
      const transactionSync = storage.transactionSync.bind(storage);
      // Observe, not replace: every call still reaches the real storage.
      Object.defineProperty(sql, "exec", {
        configurable: true,
        value: (query: string, ...bindings: SqlStorageValue[]) => {
          if (WRITE.test(query)) {
            written.push(query.trim().split(/\s+/).slice(0, 3).join(" "));
            if (depth === 0) stray.push(query.trim().slice(0, 80));
          }
          return exec(query, ...bindings);
        },
      });
      Object.defineProperty(storage, "transactionSync", {
        configurable: true,
        value: <T>(fn: () => T): T => {
          depth += 1;
          try {
            return transactionSync(fn);
          } finally {
            depth -= 1;
          }
        },
      });
      try {
        await wallet.init({
          user_id,
          email: "atomic@example.com",
          full_name: null,
          currency: "NGN",
        });
        await wallet.toggleActive();
        await wallet.toggleActive();
        // Funding: open with a key, link unknown, link, a failed attempt, credit, the key's answer.
        const fund = newTxRef("FUND", user_id);
        await wallet.openFunding({
          tx_ref: fund,
          amount_minor: 500_000,
          currency: "NGN",
          pending_max: FUND_PENDING_MAX_CEILING,
          deadline_at_ms: Date.now() + 3_600_000,
          idempotency: { key: "k1", fingerprint: "f" },
        });
        await wallet.markLinkUnknown(fund);
        await wallet.releaseIdempotency("k1");
        await wallet.attachPaymentLink(fund, "http://wallet.test/pay");
        await wallet.applyProviderFacts(
          fund,
          { ...paid(fund, 500_000), outcome: "failed" },
          { via: "webhook", event_key: "e1" },
        );
        await wallet.applyProviderFacts(fund, paid(fund, 500_000), {
          via: "webhook",
          event_key: "e2",
        });
        await wallet.completeIdempotency("k1", { status_code: 201, body: {} });
        // Held payments: open, claim, unknown, submitted, settled; another refused; another abandoned.
        await wallet.openHeld({
          type: "WITHDRAW",
          tx_ref: settled,
          amount_minor: 100_000,
          fee_minor: 100,
          currency: "NGN",
          details: {},
        });
        await wallet.claimSubmission(settled);
        await wallet.markSubmitUnknown(settled);
        await wallet.recordSubmitted(settled, "9001");
        await wallet.applyProviderFacts(
          settled,
          {
            found: true,
            provider_ref: "9001",
            our_ref: settled,
            outcome: "succeeded",
            amount_minor: 100_000,
            currency: "NGN",
            message: null,
          },
          { via: "webhook" },
        );
        const refused = newTxRef("WITHDRAW", user_id);
        await wallet.openHeld({
          type: "WITHDRAW",
          tx_ref: refused,
          amount_minor: 100_000,
          fee_minor: 0,
          currency: "NGN",
          details: {},
        });
        await wallet.claimSubmission(refused);
        await wallet.refuse(refused, "refused in a test");
        await wallet.openHeld({
          type: "WITHDRAW",
          tx_ref: abandoned,
          amount_minor: 100_000,
          fee_minor: 0,
          currency: "NGN",
          details: {},
        });
        // The reconciler: make everything pending due, age the unclaimed hold and the key, run the alarm.
        transactionSync(() => {
          exec(
            "UPDATE transactions SET next_check_at_ms = 0, created_at_ms = 0 WHERE status = 'PENDING'",
          );
          exec("UPDATE idempotency SET created_at_ms = 0");
        });
        await wallet.alarm();
      } finally {
        delete (sql as unknown as Record<string, unknown>).exec;
        delete (storage as unknown as Record<string, unknown>).transactionSync;
      }
      expect(await wallet.getTransaction(abandoned)).toMatchObject({ stage: "abandoned" });
      expect(await wallet.getTransaction(settled)).toMatchObject({ stage: "settled" });
      return { stray, written };
    });
    // The watcher saw writes of every kind (so it was not blind) and none outside a transaction.
    for (const kind of [
      "INSERT INTO transactions",
      "UPDATE transactions SET",
      "INSERT INTO journal",
      "INSERT INTO holds",
      "UPDATE holds SET",
      "INSERT INTO changes",
      "DELETE FROM idempotency",
    ]) {
      expect(
        outside.written.some((w) => w.startsWith(kind)),
        kind,
      ).toBe(true);
    }
    expect(outside.stray).toEqual([]);
  });
});
