/**
 * POST /wallet/withdraw with a non-zero WITHDRAWAL_FEE. The fee is ours: the
 * hold and the debit are amount + fee, the bank transfer is the amount alone,
 * and a failed transfer releases both. The app runs with the test bindings
 * plus the fee (configuration is read per environment object), against the
 * real Wallet objects and the Flutterwave look-alike.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { requireConfig } from "../../../src/lib/config";
import { randomBase32 } from "../../../src/lib/ids";
import {
  ORIGIN,
  authedJson,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
} from "../../support/helpers";
import { control, envelope } from "../../support/sandbox";

/** NGN 50.25, a fee with kobo in it. */
const FEE = "50.25";
const FEE_MINOR = 5025;
const withFee = { ...env, WITHDRAWAL_FEE: FEE } as unknown as Env;
const app = createApp();

type Tx = { tx_ref: string; status: string; amount_minor: number; fee_minor: number };

function withdraw(
  auth: Record<string, string>,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init = authedJson(
    auth,
    {
      account_bank: "044",
      account_number: "0690000031",
      narration: `fee-${randomBase32(10)}`,
      ...fields,
    },
    headers,
  );
  return Promise.resolve(
    app.fetch(
      new Request(`${ORIGIN}/api/v1/wallet/withdraw`, init),
      withFee,
      createExecutionContext(),
    ),
  );
}

async function transferAt(tx_ref: string): Promise<{ id: number; amount: number }> {
  const listed = await exports.default.fetch(
    `${ORIGIN}/__sandbox/flutterwave/v3/transfers?reference=${tx_ref}`,
    {
      headers: { authorization: `Bearer ${requireConfig(env).FLUTTERWAVE_SECRET_KEY}` },
    },
  );
  const data = ((await listed.json()) as { data: { id: number; amount: number }[] }).data;
  expect(data).toHaveLength(1);
  return data[0];
}

describe("POST /wallet/withdraw with a fee", () => {
  it("holds and debits amount + fee, and sends the bank the amount alone", async () => {
    const { auth, stub } = await fundedWallet(1_000_000);
    const res = await withdraw(auth, { amount: "2500" });
    expect(res.status).toBe(202);
    const tx = (await res.json()) as Tx;
    expect(tx).toMatchObject({ status: "PENDING", amount_minor: 250_000, fee_minor: FEE_MINOR });
    expect(await stub.summary()).toMatchObject({
      balance_minor: 1_000_000,
      held_minor: 250_000 + FEE_MINOR,
      available_minor: 1_000_000 - 250_000 - FEE_MINOR,
    });
    const sent = await transferAt(tx.tx_ref);
    expect(sent.amount).toBe(2500);
    await envelope(
      await control(`/transfers/${sent.id}/settle`, { body: { status: "SUCCESSFUL" } }),
    );
    await runReconciler(stub);
    expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS");
    expect(await stub.summary()).toMatchObject({
      balance_minor: 1_000_000 - 250_000 - FEE_MINOR,
      held_minor: 0,
    });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
  });

  it("releases amount + fee when the transfer fails", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const tx = (await (
      await withdraw(auth, { amount: "1000", account_number: "0690000032" })
    ).json()) as Tx;
    expect((await stub.summary())?.held_minor).toBe(100_000 + FEE_MINOR);
    const sent = await transferAt(tx.tx_ref);
    await envelope(await control(`/transfers/${sent.id}/settle`, { body: {} }));
    await runReconciler(stub);
    expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("FAILED");
    expect(await stub.summary()).toMatchObject({
      balance_minor: 500_000,
      held_minor: 0,
      available_minor: 500_000,
    });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("accepts a withdrawal whose amount + fee is exactly the available balance, and refuses one kobo more", async () => {
    const { auth, stub } = await fundedWallet(100_000 + FEE_MINOR);
    const short = await expectProblem(await withdraw(auth, { amount: "1000.01" }), 422);
    expect(short).toMatchObject({
      code: "insufficient_funds",
      available_minor: 100_000 + FEE_MINOR,
      required_minor: 100_001 + FEE_MINOR,
    });
    expect((await stub.summary())?.held_minor).toBe(0);
    const exact = await withdraw(auth, { amount: "1000" });
    expect(exact.status).toBe(202);
    expect(await stub.summary()).toMatchObject({
      held_minor: 100_000 + FEE_MINOR,
      available_minor: 0,
    });
    // Nothing is left for even the smallest withdrawal's fee.
    expect((await expectProblem(await withdraw(auth, { amount: "100" }), 422)).code).toBe(
      "insufficient_funds",
    );
    await expectLedgerConsistent(stub);
  });

  it("refuses an amount the balance covers but the fee does not", async () => {
    const { auth, stub } = await fundedWallet(100_000);
    const problem = await expectProblem(await withdraw(auth, { amount: "1000" }), 422);
    expect(problem).toMatchObject({
      code: "insufficient_funds",
      available_minor: 100_000,
      required_minor: 100_000 + FEE_MINOR,
    });
    const list = await stub.listTransactions({ limit: 10, type: "WITHDRAW" });
    expect(list.ok && list.data).toHaveLength(0);
  });

  it("replays the first answer for a retried key, holding amount + fee once", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const narration = `fee-${randomBase32(10)}`;
    const first = await withdraw(
      auth,
      { amount: "1000", narration },
      { "idempotency-key": `fee-${narration}` },
    );
    const again = await withdraw(
      auth,
      { amount: "1000", narration },
      { "idempotency-key": `fee-${narration}` },
    );
    expect(first.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect((await stub.summary())?.held_minor).toBe(100_000 + FEE_MINOR);
  });
});
