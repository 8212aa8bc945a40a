import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newTxRef, randomBase32 } from "../../../src/lib/ids";
import { WITHDRAW_ESCALATE_AFTER_MS } from "../../../src/domain/limits";
import {
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  form,
  fundedWallet,
  newWallet,
  runReconciler,
} from "../../support/helpers";
import { control, envelope } from "../../support/sandbox";

type Tx = {
  tx_ref: string;
  status: string;
  type: string;
  amount: string;
  amount_minor: number;
  fee_minor: number;
  details: Record<string, string>;
  failure_reason: string | null;
};

const narration = () => `test-${randomBase32(10)}`;

function withdrawJson(
  auth: Record<string, string>,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return api(
    "/wallet/withdraw",
    authedJson(auth, { account_bank: "044", account_number: "0690000031", ...fields }, headers),
  );
}

async function fault(operation: string, match: string, mode: string, times = 1) {
  await envelope(await control("/faults", { body: { operation, match, mode, times } }));
}

describe("banks", () => {
  it("lists Nigerian banks by name and needs a token", async () => {
    const { auth } = await fundedWallet(100);
    const res = await api("/wallet/flutterwave/get-banks", { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { country: string; data: { code: string; name: string }[] };
    expect(body.country).toBe("NG");
    expect(body.data).toContainEqual({ code: "044", name: "Access Bank" });
    await expectProblem(await api("/wallet/flutterwave/get-banks"), 401);
    await expectProblem(
      await api("/wallet/flutterwave/get-banks?country=FR", { headers: auth }),
      422,
    );
  });

  it("serves the cached list when Flutterwave fails", async () => {
    const { auth } = await fundedWallet(100);
    expect((await api("/wallet/flutterwave/get-banks", { headers: auth })).status).toBe(200);
    await fault("banks.list", "/banks/NG", "http_500", 3);
    expect((await api("/wallet/flutterwave/get-banks", { headers: auth })).status).toBe(200);
    await envelope(await control("/faults?match=/banks/NG", { method: "DELETE" }));
  });

  it("resolves a test account to its name", async () => {
    const { auth } = await fundedWallet(100);
    const res = await api(
      "/wallet/flutterwave/verify-bank?account_number=0690000031&account_bank=044",
      { headers: auth },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      account_number: "0690000031",
      account_bank: "044",
      bank_name: "Access Bank",
      account_name: expect.any(String),
    });
  });

  it("checks the NUBAN and the bank code before asking the provider, and maps refusals to 422", async () => {
    const { auth } = await fundedWallet(100);
    for (const query of [
      "account_number=123&account_bank=044",
      "account_number=06900000311&account_bank=044",
      "account_number=069000003a&account_bank=044",
      "account_number=0690000031&account_bank=abc",
      "account_number=0690000031",
    ]) {
      await expectProblem(
        await api(`/wallet/flutterwave/verify-bank?${query}`, { headers: auth }),
        422,
      );
    }
    const unknownBank = await expectProblem(
      await api("/wallet/flutterwave/verify-bank?account_number=0690000031&account_bank=999", {
        headers: auth,
      }),
      422,
    );
    expect(unknownBank.errors?.[0].path).toBe("account_bank");
    const invalid = await expectProblem(
      await api("/wallet/flutterwave/verify-bank?account_number=1234567890&account_bank=044", {
        headers: auth,
      }),
      422,
    );
    expect(invalid.code).toBe("bank_account_invalid");
  });
});

describe("POST /wallet/withdraw", () => {
  it("holds amount + fee, creates the transfer with reference = tx_ref, and debits once the transfer succeeds", async () => {
    const { auth, stub } = await fundedWallet(1_000_000);
    const res = await withdrawJson(auth, { amount: "2500", narration: narration() });
    expect(res.status).toBe(202);
    const tx = (await res.json()) as Tx;
    expect(tx).toMatchObject({
      type: "WITHDRAW",
      status: "PENDING",
      amount: "2500.00",
      amount_minor: 250000,
    });
    expect(tx.details).toMatchObject({ bank_code: "044", account_number: "******0031" });
    expect(await stub.summary()).toMatchObject({
      balance_minor: 1_000_000,
      held_minor: 250000,
      available_minor: 750000,
    });
    const transfer = (await stub.getTransaction(tx.tx_ref))!;
    expect(transfer.provider_ref).toMatch(/^\d+$/);
    await envelope(await control(`/transfers/${transfer.provider_ref}/settle`, { body: {} }));
    await eventually(async () =>
      expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS"),
    );
    expect(await stub.summary()).toMatchObject({
      balance_minor: 750000,
      held_minor: 0,
      available_minor: 750000,
    });
    await expectLedgerConsistent(stub);
  });

  it("voids the hold when the transfer fails (account 0690000032)", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const tx = (await (
      await withdrawJson(auth, { amount: "1000", account_number: "0690000032" })
    ).json()) as Tx;
    const provider_ref = (await stub.getTransaction(tx.tx_ref))!.provider_ref!;
    await envelope(await control(`/transfers/${provider_ref}/settle`, { body: {} }));
    await eventually(async () =>
      expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("FAILED"),
    );
    expect((await stub.getTransaction(tx.tx_ref))?.failure_reason).toMatch(/failed/i);
    expect(await stub.summary()).toMatchObject({
      balance_minor: 500_000,
      held_minor: 0,
      available_minor: 500_000,
    });
    await expectLedgerConsistent(stub);
  });

  it("refuses the blacklisted test account (0690000036) at once and releases the hold", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const problem = await expectProblem(
      await withdrawJson(auth, { amount: "1000", account_number: "0690000036" }),
      422,
    );
    expect(problem.code).toBe("transfer_refused");
    // Flutterwave's message has no stop of its own: the detail still reads as sentences, one stop each.
    expect(problem.detail).toBe(
      "The bank transfer was refused: Payout was made to a blacklisted account number. Nothing was taken from your wallet.",
    );
    expect(JSON.stringify(problem)).not.toMatch(/\.\./);
    const tx = await stub.getTransaction((problem as unknown as { tx_ref: string }).tx_ref);
    expect(tx).toMatchObject({ status: "FAILED", stage: "refused" });
    expect(await stub.summary()).toMatchObject({ held_minor: 0, available_minor: 500_000 });
  });

  it("words a refusal of the transfer itself (400 from Flutterwave) with one stop between its sentences", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const note = narration();
    await fault("transfers.create", note, "refuse");
    const problem = await expectProblem(
      await withdrawJson(auth, { amount: "1000", narration: note }),
      422,
    );
    expect(problem.detail).toBe(
      "The bank transfer was refused: Merchant is not enabled for this operation. Nothing was taken from your wallet.",
    );
    expect(JSON.stringify(problem)).not.toMatch(/\.\./);
    const tx = await stub.getTransaction((problem as unknown as { tx_ref: string }).tx_ref);
    expect(tx?.failure_reason).toBe(
      "The bank transfer was refused: Merchant is not enabled for this operation.",
    );
    expect(await stub.summary()).toMatchObject({ held_minor: 0, available_minor: 500_000 });
  });

  it("redirects a browser form post (303) to a live status page that shows the withdrawal", async () => {
    const { auth } = await fundedWallet(500_000);
    const res = await api("/wallet/withdraw", {
      ...form(
        { amount: "1000", account_number: "0690000031", account_bank: "044" },
        { ...auth, accept: "text/html" },
      ),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(
      /^http:\/\/wallet\.test\/api\/v1\/wallet\/withdraw\/success\/wdr_[0-9a-z]+_usr[0-9a-z]+\?ticket=/,
    );
    const page = await exports.default.fetch(location);
    const html = await page.text();
    expect(html).toContain("Withdrawal in progress");
    expect(html).toContain("NGN 1000.00");
    // The same page without the ticket shows nothing about the withdrawal.
    const bare = await exports.default.fetch(location.split("?")[0]);
    const bareHtml = await bare.text();
    expect(bareHtml).not.toContain("1000.00");
  });

  it("gives a form post that asks for JSON the 202 answer", async () => {
    const { auth } = await fundedWallet(500_000);
    const res = await api(
      "/wallet/withdraw",
      form(
        { amount: "1000", account_number: "0690000031", account_bank: "044" },
        { ...auth, accept: "application/json" },
      ),
    );
    expect(res.status).toBe(202);
  });

  it("refuses a withdrawal over the available balance with 422 and holds nothing", async () => {
    const { auth, stub } = await fundedWallet(100_000);
    const problem = await expectProblem(await withdrawJson(auth, { amount: "1000.01" }), 422);
    expect(problem).toMatchObject({
      code: "insufficient_funds",
      available_minor: 100_000,
      required_minor: 100_001,
    });
    expect(await stub.summary()).toMatchObject({ held_minor: 0, available_minor: 100_000 });
    const list = await stub.listTransactions({ limit: 10, type: "WITHDRAW" });
    expect(list.ok && list.data).toHaveLength(0);
  });

  it("refuses an inactive wallet, bad input, and missing auth", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    for (const fields of [
      { amount: "50" },
      { amount: "abc" },
      { account_number: "123" },
      { account_bank: "x" },
      { amount: "1000", narration: "<script>" },
    ]) {
      await expectProblem(await withdrawJson(auth, { amount: "1000", ...fields }), 422);
    }
    await stub.toggleActive();
    expect((await expectProblem(await withdrawJson(auth, { amount: "1000" }), 422)).code).toBe(
      "wallet_inactive",
    );
    await expectProblem(
      await api(
        "/wallet/withdraw",
        form({ amount: "1000", account_number: "0690000031", account_bank: "044" }),
      ),
      401,
    );
  });

  it("lets a funding proceed while a withdrawal is pending (there is no lock)", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    expect((await withdrawJson(auth, { amount: "1000" })).status).toBe(202);
    const funding = await api("/wallet/fund", authedJson(auth, { amount: "300" }));
    expect(funding.status).toBe(201);
    expect((await stub.summary())?.held_minor).toBe(100_000);
  });

  it("with a balance of 10,000 gives exactly 10 holds and 15 refusals to 25 concurrent withdrawals of 1,000", async () => {
    const { auth, stub } = await fundedWallet(1_000_000);
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => withdrawJson(auth, { amount: "1000" })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(15);
    for (const r of responses.filter((r) => r.status === 422))
      expect(((await r.json()) as { code: string }).code).toBe("insufficient_funds");
    const audit = await expectLedgerConsistent(stub);
    expect(audit).toMatchObject({
      balance_minor: 1_000_000,
      held_minor: 1_000_000,
      available_minor: 0,
    });
    const list = await stub.listTransactions({ limit: 100, type: "WITHDRAW" });
    expect(list.ok && list.data).toHaveLength(10);
  });
});

describe("withdrawal outcomes settle exactly once", () => {
  it("debits once when the transfer.completed webhook arrives many times and the reconciler also runs", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const tx = (await (await withdrawJson(auth, { amount: "1000" })).json()) as Tx;
    const provider_ref = (await stub.getTransaction(tx.tx_ref))!.provider_ref!;
    await envelope(await control(`/transfers/${provider_ref}/settle`, { body: {} }));
    await Promise.all(
      Array.from({ length: 10 }, () => control(`/transfers/${provider_ref}/deliver`, { body: {} })),
    );
    await eventually(async () =>
      expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS"),
    );
    await runReconciler(stub).catch(() => undefined); // nothing pending: may have no alarm
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stub.summary()).toMatchObject({ balance_minor: 400_000, held_minor: 0 });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
  });

  it("ignores what a webhook body claims and settles on what the provider reports", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const tx = (await (await withdrawJson(auth, { amount: "1000" })).json()) as Tx;
    const provider_ref = (await stub.getTransaction(tx.tx_ref))!.provider_ref!;
    // A forged "FAILED" event while the transfer is still pending at the provider: nothing changes.
    const hash = (await import("../../../src/lib/config")).requireConfig(
      env,
    ).FLUTTERWAVE_WEBHOOK_HASH;
    const forged = {
      event: "transfer.completed",
      "event.type": "Transfer",
      data: {
        id: Number(provider_ref),
        reference: tx.tx_ref,
        status: "FAILED",
        amount: 1000,
        currency: "NGN",
      },
    };
    expect(
      (
        await api("/wallet/flutterwave/webhook", {
          method: "POST",
          headers: { "content-type": "application/json", "verif-hash": hash },
          body: JSON.stringify(forged),
        })
      ).status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({ status: "PENDING" });
    expect((await stub.summary())?.held_minor).toBe(100_000);
    // Then the real outcome (success) arrives, followed late by the stale failed event: debited once.
    await envelope(
      await control(`/transfers/${provider_ref}/settle`, { body: { status: "SUCCESSFUL" } }),
    );
    await eventually(async () =>
      expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS"),
    );
    await api("/wallet/flutterwave/webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "verif-hash": hash },
      body: JSON.stringify(forged),
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stub.summary()).toMatchObject({ balance_minor: 400_000, held_minor: 0 });
  });

  it("keeps the hold when the create call times out, finds the transfer by reference, never creates a second one", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const note = narration();
    await fault("transfers.create", note, "commit_then_hang");
    const res = await withdrawJson(
      auth,
      { amount: "1000", narration: note },
      { "idempotency-key": `k-${note}` },
    );
    expect(res.status).toBe(202);
    const tx = (await res.json()) as Tx;
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "submit_unknown",
      provider_ref: null,
    });
    // The client retries with the same key: answered from the key, no second transfer.
    const retry = await withdrawJson(
      auth,
      { amount: "1000", narration: note },
      { "idempotency-key": `k-${note}` },
    );
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    await runReconciler(stub);
    const found = (await stub.getTransaction(tx.tx_ref))!;
    expect(found.provider_ref).toMatch(/^\d+$/);
    expect(found.status).toBe("PENDING");
    await envelope(await control(`/transfers/${found.provider_ref}/settle`, { body: {} }));
    await runReconciler(stub);
    expect((await stub.getTransaction(tx.tx_ref))?.status).toBe("SUCCESS");
    expect((await stub.summary())?.balance_minor).toBe(400_000);
    const listed = await exports.default.fetch(
      `http://wallet.test/__sandbox/flutterwave/v3/transfers?reference=${tx.tx_ref}`,
      {
        headers: {
          authorization: `Bearer ${(await import("../../../src/lib/config")).requireConfig(env).FLUTTERWAVE_SECRET_KEY}`,
        },
      },
    );
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it("never refunds on a guess: a transfer the provider cannot find keeps its hold and is escalated past the deadline", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const note = narration();
    await fault("transfers.create", note, "hang");
    const tx = (await (await withdrawJson(auth, { amount: "1000", narration: note })).json()) as Tx;
    await runReconciler(stub);
    expect(await stub.getTransaction(tx.tx_ref)).toMatchObject({
      status: "PENDING",
      escalated_at_ms: null,
    });
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec(
        "UPDATE transactions SET created_at_ms = 1, deadline_at_ms = ? WHERE tx_ref = ?",
        1 + WITHDRAW_ESCALATE_AFTER_MS,
        tx.tx_ref,
      ),
    );
    await runReconciler(stub);
    const escalated = (await stub.getTransaction(tx.tx_ref))!;
    expect(escalated.status).toBe("PENDING");
    expect(escalated.escalated_at_ms).not.toBeNull();
    expect((await stub.summary())?.held_minor).toBe(100_000);
    expect((await stub.anomalies()).map((a) => a.kind)).toContain("escalated");
  });

  it("voids a hold whose transfer was provably never submitted (the request died before claiming it)", async () => {
    const { stub, user_id } = await fundedWallet(500_000);
    const tx_ref = newTxRef("WITHDRAW", user_id);
    const opened = await stub.openHeld({
      type: "WITHDRAW",
      tx_ref,
      amount_minor: 100_000,
      fee_minor: 0,
      currency: "NGN",
      details: {},
    });
    expect(opened.outcome).toBe("opened");
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING"); // too recent: the request may still be running
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec(
        "UPDATE transactions SET created_at_ms = ? WHERE tx_ref = ?",
        Date.now() - 120_000,
        tx_ref,
      ),
    );
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      stage: "abandoned",
    });
    expect(await stub.claimSubmission(tx_ref)).toBe(false);
    expect((await stub.summary())?.held_minor).toBe(0);
  });
});

describe("Idempotency-Key on POST /wallet/withdraw", () => {
  it("replays the first answer and creates one transfer; a different body is refused", async () => {
    const { auth, stub } = await fundedWallet(500_000);
    const first = await withdrawJson(auth, { amount: "1000" }, { "idempotency-key": "w-1" });
    const again = await withdrawJson(auth, { amount: "1000" }, { "idempotency-key": "w-1" });
    expect(first.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect((await stub.summary())?.held_minor).toBe(100_000);
    expect(
      (
        await expectProblem(
          await withdrawJson(auth, { amount: "2000" }, { "idempotency-key": "w-1" }),
          422,
        )
      ).code,
    ).toBe("idempotency_key_reused");
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const { auth } = await fundedWallet(500_000);
    const note = narration();
    await fault("transfers.create", note, "hang");
    const slow = withdrawJson(
      auth,
      { amount: "1000", narration: note },
      { "idempotency-key": `w-${note}` },
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(
      (
        await expectProblem(
          await withdrawJson(
            auth,
            { amount: "1000", narration: note },
            { "idempotency-key": `w-${note}` },
          ),
          409,
        )
      ).code,
    ).toBe("idempotency_key_in_flight");
    expect((await slow).status).toBe(202);
  });
});

describe("Wallet object: holds under concurrency", () => {
  it("never lets available go below zero, whatever the interleaving", async () => {
    const { stub, user_id } = await fundedWallet(1_000_000);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stub.openHeld({
          type: "WITHDRAW",
          tx_ref: newTxRef("WITHDRAW", user_id),
          amount_minor: 30_000 + i * 1000,
          fee_minor: 100,
          currency: "NGN",
          details: {},
        }),
      ),
    );
    const opened = outcomes.filter((o) => o.outcome === "opened");
    const audit = await expectLedgerConsistent(stub);
    expect(audit.available_minor).toBeGreaterThanOrEqual(0);
    expect(audit.held_minor).toBeLessThanOrEqual(1_000_000);
    expect(opened.length).toBeGreaterThan(0);
    expect(outcomes.length - opened.length).toBeGreaterThan(0);
  });

  it("refuses a bearer for another wallet's withdrawal page", async () => {
    const owner = await fundedWallet(500_000);
    const other = await newWallet();
    const tx = (await (await withdrawJson(owner.auth, { amount: "1000" })).json()) as Tx;
    const page = await api(`/wallet/withdraw/success/${tx.tx_ref}`, {
      headers: await bearerFor(other.user_id),
    });
    expect(await page.text()).not.toContain("1000.00");
  });
});
