/**
 * A withdrawal whose transfer was committed at Flutterwave but whose answer
 * was lost, and whose every lookup then goes unanswered: the most dangerous
 * moment for a guess. Refunding now could pay the customer twice (the bank
 * transfer exists), so the hold must stay until the provider says otherwise,
 * and past the deadline operators are told.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Wallet } from "../../../src/durable/wallet/object";
import { requireConfig } from "../../../src/lib/config";
import { randomBase32 } from "../../../src/lib/ids";
import { PROVIDER_READ_RETRIES } from "../../../src/providers/flutterwave/limits";
import {
  api,
  authedJson,
  expectLedgerConsistent,
  fundedWallet,
  runReconciler,
} from "../../support/helpers";
import { control, envelope } from "../../support/sandbox";

type Tx = { tx_ref: string; status: string };

async function fault(operation: string, match: string, mode: string, times = 1) {
  await envelope(await control("/faults", { body: { operation, match, mode, times } }));
}

/** A lookup that goes unanswered: the client retries reads, so every attempt of one lookup meets the fault. */
async function unanswered(operation: string, match: string, mode: string) {
  await envelope(await control(`/faults?match=${encodeURIComponent(match)}`, { method: "DELETE" }));
  await fault(operation, match, mode, 1 + PROVIDER_READ_RETRIES);
}

/** Every way a lookup can go unanswered (or answered with nothing usable). */
const NO_ANSWER = [
  "hang",
  "http_500",
  "gateway_timeout",
  "rate_limited",
  "malformed",
  "wrong_shape",
] as const;

async function transfersWithReference(tx_ref: string): Promise<unknown[]> {
  const listed = await exports.default.fetch(
    `http://wallet.test/__sandbox/flutterwave/v3/transfers?reference=${tx_ref}`,
    {
      headers: { authorization: `Bearer ${requireConfig(env).FLUTTERWAVE_SECRET_KEY}` },
    },
  );
  return ((await listed.json()) as { data: unknown[] }).data;
}

describe("the reconciler never refunds a withdrawal on a guess", () => {
  it("keeps the hold through lookups that go unanswered after a committed create whose answer was lost, escalates at the deadline, and settles only on the provider's answer", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const note = `fault-${randomBase32(10)}`;
    await fault("transfers.create", note, "commit_then_hang");
    const res = await api(
      "/wallet/withdraw",
      authedJson(auth, {
        account_bank: "044",
        account_number: "0690000031",
        amount: "1000",
        narration: note,
      }),
    );
    expect(res.status).toBe(202);
    const { tx_ref } = (await res.json()) as Tx;
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "submit_unknown",
      provider_ref: null,
    });
    expect(await transfersWithReference(tx_ref)).toHaveLength(1); // the transfer exists at the bank

    // The search by reference goes unanswered, every way it can.
    for (const mode of NO_ANSWER) {
      await unanswered("transfers.list", tx_ref, mode);
      await runReconciler(stub);
      expect(
        await stub.getTransaction(tx_ref),
        `after a lookup answered with ${mode}`,
      ).toMatchObject({ status: "PENDING", stage: "submit_unknown", escalated_at_ms: null });
      expect(await stub.summary(), `after a lookup answered with ${mode}`).toMatchObject({
        balance_minor: 500_000,
        held_minor: 100_000,
      });
    }
    expect(await stub.anomalies()).toEqual([]);

    // The provider answers: the transfer is found by reference (still pending there).
    await envelope(
      await control(`/faults?match=${encodeURIComponent(tx_ref)}`, { method: "DELETE" }),
    );
    await runReconciler(stub);
    const found = (await stub.getTransaction(tx_ref))!;
    expect(found).toMatchObject({
      status: "PENDING",
      provider_ref: expect.stringMatching(/^\d+$/),
    });

    // Then the lookup by id goes unanswered: nothing moves either.
    for (const mode of ["http_500", "gateway_timeout", "malformed"] as const) {
      await unanswered("transfers.get", `/transfers/${found.provider_ref}`, mode);
      await runReconciler(stub);
      expect(await stub.getTransaction(tx_ref), `after a get answered with ${mode}`).toMatchObject({
        status: "PENDING",
      });
      expect((await stub.summary())?.held_minor).toBe(100_000);
    }

    // Past the deadline, still no answer: escalated to operators, still held.
    await runInDurableObject(stub, (_w: Wallet, state) => {
      state.storage.sql.exec(
        "UPDATE transactions SET deadline_at_ms = ? WHERE tx_ref = ?",
        Date.now() - 1,
        tx_ref,
      );
    });
    await unanswered("transfers.get", `/transfers/${found.provider_ref}`, "http_500");
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      provider_ref: found.provider_ref,
      escalated_at_ms: expect.any(Number),
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 100_000 });
    expect((await stub.anomalies()).map((a) => a.kind)).toEqual(["escalated"]);

    // The bank completes it: debited once, and there was only ever one transfer.
    await envelope(
      await control(`/faults?match=${encodeURIComponent(`/transfers/${found.provider_ref}`)}`, {
        method: "DELETE",
      }),
    );
    await envelope(await control(`/transfers/${found.provider_ref}/settle`, { body: {} }));
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
    expect(await stub.summary()).toMatchObject({ balance_minor: 400_000, held_minor: 0 });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
    expect(await transfersWithReference(tx_ref)).toHaveLength(1);
  });
});
