/**
 * Transfer settlement (by the object's alarm and by the control API), the
 * control API's transaction and delivery hooks, and the production gate.
 */
import { createExecutionContext, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { expectProblem } from "../support/helpers";
import {
  control,
  deliveriesFor,
  env,
  envelope,
  flw,
  ORIGIN,
  sandboxObject,
  transferBody,
  uniqueRef,
} from "../support/sandbox";

async function createTransfer(reference: string, overrides: Record<string, unknown> = {}) {
  return (await envelope(await flw("/transfers", { body: transferBody(reference, overrides) })))
    .data as { id: number; reference: string; status: string };
}

async function fetchTransfer(id: number) {
  return (await envelope(await flw(`/transfers/${id}`))).data as {
    status: string;
    complete_message: string;
  };
}

/**
 * Run the sandbox object's alarm now. Each run settles what the alarm was set
 * for (the earliest unsettled transfer), so a transfer queued behind another
 * test's may take a second run; bounded.
 */
async function settleByAlarm(id: number): Promise<{ status: string; complete_message: string }> {
  for (let run = 0; run < 5; run++) {
    const transfer = await fetchTransfer(id);
    if (transfer.status === "SUCCESSFUL" || transfer.status === "FAILED") return transfer;
    await runDurableObjectAlarm(sandboxObject());
  }
  return fetchTransfer(id);
}

describe("transfer settlement by alarm", () => {
  it("settles a transfer to a test account as SUCCESSFUL and delivers transfer.completed", async () => {
    const reference = uniqueRef("settle-ok");
    const created = await createTransfer(reference, {
      account_number: "0690000034",
      amount: 60_000,
    });
    expect(created.status).toBe("NEW");
    const settled = await settleByAlarm(created.id);
    expect(settled).toMatchObject({
      status: "SUCCESSFUL",
      complete_message: "Transaction was successful",
    });

    const deliveries = await deliveriesFor(reference);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      event: "transfer.completed",
      ref: reference,
      verif_hash: "configured",
      status_code: expect.any(Number),
    });
    expect(deliveries[0].url).toBe(`${ORIGIN}/api/v1/wallet/flutterwave/webhook`);
    expect(deliveries[0].body).toEqual({
      event: "transfer.completed",
      "event.type": "Transfer",
      data: {
        id: created.id,
        account_number: "0690000034",
        bank_name: "ACCESS BANK NIGERIA",
        bank_code: "044",
        fullname: "Damilola Ogunleye",
        created_at: expect.any(String),
        currency: "NGN",
        debit_currency: "NGN",
        amount: 60_000,
        fee: 53.75,
        status: "SUCCESSFUL",
        reference,
        meta: null,
        narration: "Wallet withdrawal",
        approver: null,
        complete_message: "Transaction was successful",
        requires_approval: 0,
        is_approved: 1,
      },
    });
  });

  it("settles a transfer to 0690000032 as FAILED with the reason", async () => {
    const reference = uniqueRef("settle-fail");
    const created = await createTransfer(reference, { account_number: "0690000032" });
    const settled = await settleByAlarm(created.id);
    expect(settled).toMatchObject({
      status: "FAILED",
      complete_message: "DISBURSE FAILED: Insufficient funds in customer wallet",
    });
    const [delivery] = await deliveriesFor(reference);
    expect(delivery.body.data).toMatchObject({ status: "FAILED", fullname: "Babatunde Adeyemi" });
  });

  it("arms its alarm SANDBOX_TRANSFER_DELAY_S after creation (the e2e tests watch it fire on its own)", async () => {
    const { requireConfig } = await import("../../src/lib/config");
    const { runInDurableObject } = await import("cloudflare:test");
    const delay_ms = requireConfig(env).SANDBOX_TRANSFER_DELAY_S * 1000;
    const reference = uniqueRef("settle-wait");
    await createTransfer(reference);
    const alarm = await runInDurableObject(sandboxObject(), (_instance, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    // The object's one alarm serves its earliest pending transfer, so it is due no later than this one.
    expect(alarm!).toBeLessThanOrEqual(Date.now() + delay_ms);
  });
});

describe("transfer settlement by the control API", () => {
  it("settles now with a forced status, delivers once, and refuses a second settlement", async () => {
    const reference = uniqueRef("ctl-settle");
    const created = await createTransfer(reference);
    const body = await envelope(
      await control(`/transfers/${created.id}/settle`, { body: { status: "FAILED" } }),
    );
    expect(body.data.transfer).toMatchObject({
      id: created.id,
      status: "FAILED",
      complete_message: expect.stringMatching(/^DISBURSE FAILED/),
    });
    expect(body.data.delivery).toMatchObject({
      event: "transfer.completed",
      ref: reference,
      verif_hash: "configured",
      status_code: expect.any(Number),
    });
    expect((await fetchTransfer(created.id)).status).toBe("FAILED");

    const again = await envelope(
      await control(`/transfers/${created.id}/settle`, { body: {} }),
      409,
    );
    expect(again.message).toBe("Transfer already settled as FAILED");
    // The alarm that was set for it finds nothing more to do.
    await runDurableObjectAlarm(sandboxObject());
    expect((await fetchTransfer(created.id)).status).toBe("FAILED");
    expect(await deliveriesFor(reference)).toHaveLength(1);
  });

  it("settles by the account rule when no status is given", async () => {
    const created = await createTransfer(uniqueRef("ctl-rule"), { account_number: "0690000032" });
    expect(
      (await envelope(await control(`/transfers/${created.id}/settle`, { method: "POST" }))).data
        .transfer.status,
    ).toBe("FAILED");
  });

  it("answers 404 for an unknown transfer and 400 for an unknown status", async () => {
    expect(
      (await envelope(await control("/transfers/909090909/settle", { body: {} }), 404)).status,
    ).toBe("error");
    const created = await createTransfer(uniqueRef("ctl-bad"));
    expect(
      (
        await envelope(
          await control(`/transfers/${created.id}/settle`, { body: { status: "REVERSED" } }),
          400,
        )
      ).message,
    ).toMatch(/^status is invalid/);
  });

  it("re-delivers a settled transfer's webhook with the configured, a wrong, or no verif-hash", async () => {
    const reference = uniqueRef("ctl-redeliver");
    const created = await createTransfer(reference);
    expect(
      (await envelope(await control(`/transfers/${created.id}/deliver`, { body: {} }), 409))
        .message,
    ).toBe("Transfer is still NEW");
    await envelope(await control(`/transfers/${created.id}/settle`, { body: {} }));
    expect(
      (
        await envelope(
          await control(`/transfers/${created.id}/deliver`, { body: { verif_hash: "wrong" } }),
        )
      ).data.verif_hash,
    ).toBe("custom");
    expect(
      (
        await envelope(
          await control(`/transfers/${created.id}/deliver`, { body: { verif_hash: null } }),
        )
      ).data.verif_hash,
    ).toBe("absent");
    const kinds = (await deliveriesFor(reference)).map((d) => d.verif_hash);
    expect(kinds).toEqual(["absent", "custom", "configured"]); // newest first
  });
});

describe("control API: transactions and deliveries", () => {
  it("creates a transaction as if paid without delivering a webhook, then delivers it on request", async () => {
    const tx_ref = uniqueRef("ctl-tx");
    const created = await envelope(
      await control("/transactions", {
        body: {
          tx_ref,
          amount: "2000.00",
          currency: "NGN",
          status: "successful",
          customer_email: "eze@example.com",
        },
      }),
    );
    expect(created.data).toMatchObject({
      tx_ref,
      amount: 2000,
      status: "successful",
      customer: { email: "eze@example.com" },
    });
    expect(await deliveriesFor(tx_ref)).toEqual([]);

    const sent = await envelope(
      await control(`/transactions/${created.data.id}/deliver`, { method: "POST" }),
    );
    expect(sent.data).toMatchObject({
      event: "charge.completed",
      ref: tx_ref,
      verif_hash: "configured",
    });
    const [delivery] = await deliveriesFor(tx_ref);
    expect(delivery.body).toMatchObject({
      event: "charge.completed",
      "event.type": "CARD_TRANSACTION",
      data: { id: created.data.id, status: "successful" },
    });
  });

  it("completes the tx_ref's open link when it creates a successful transaction", async () => {
    const tx_ref = uniqueRef("ctl-link");
    await envelope(
      await flw("/payments", {
        body: {
          tx_ref,
          amount: 100,
          redirect_url: "https://wallet.test/cb",
          customer: { email: "a@example.com" },
        },
      }),
    );
    await envelope(
      await control("/transactions", { body: { tx_ref, amount: 100, status: "successful" } }),
    );
    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("completed");
  });

  it("validates its bodies and ids", async () => {
    expect(
      (
        await envelope(
          await control("/transactions", {
            body: { tx_ref: uniqueRef("x"), amount: 10, status: "paid" },
          }),
          400,
        )
      ).message,
    ).toMatch(/^status is invalid/);
    expect(
      (
        await envelope(
          await control("/transactions", { body: { amount: 10, status: "failed" } }),
          400,
        )
      ).message,
    ).toBe("tx_ref is required");
    expect(
      (await envelope(await control("/transactions/77/deliver", { method: "POST" }), 404)).status,
    ).toBe("error");
    expect((await envelope(await control(`/payments/${uniqueRef("none")}`), 404)).status).toBe(
      "error",
    );
    expect(
      (
        await envelope(
          await control(`/payments/${uniqueRef("none")}/expire`, { method: "POST" }),
          404,
        )
      ).status,
    ).toBe("error");
  });

  it("lists deliveries newest first, filtered by match", async () => {
    const tx_ref = uniqueRef("ctl-order");
    const first = (
      await envelope(
        await control("/transactions", { body: { tx_ref, amount: 1, status: "failed" } }),
      )
    ).data;
    const second = (
      await envelope(
        await control("/transactions", { body: { tx_ref, amount: 2, status: "successful" } }),
      )
    ).data;
    await control(`/transactions/${first.id}/deliver`, { method: "POST" });
    await control(`/transactions/${second.id}/deliver`, { method: "POST" });
    const deliveries = await deliveriesFor(tx_ref);
    expect(deliveries.map((d) => d.body.data.id)).toEqual([second.id, first.id]);
    expect(deliveries[0].id).toBeGreaterThan(deliveries[1].id);
    expect(Number.isNaN(Date.parse(deliveries[0].at))).toBe(false);
  });
});

describe("where the sandbox exists", () => {
  const productionEnv = () =>
    ({
      ...env,
      ENVIRONMENT: "production",
      SANDBOX_ENABLED: "true",
      APP_ADDRESS: "https://wallet.example/api/v1",
      JWT_SECRET_KEY: "p".repeat(16) + crypto.randomUUID(),
      FLUTTERWAVE_SECRET_KEY: "FLWSECK-8a3f0c2e9b1d47f6a5c3e8b2d0f4a7c9-X",
      FLUTTERWAVE_WEBHOOK_HASH: crypto.randomUUID(),
      ADMIN_API_TOKEN: crypto.randomUUID() + crypto.randomUUID(),
    }) as unknown as Env;

  it("is not mounted in production even with SANDBOX_ENABLED=true", async () => {
    const key = "FLWSECK-8a3f0c2e9b1d47f6a5c3e8b2d0f4a7c9-X";
    for (const path of [
      "/__sandbox/flutterwave/v3/banks/NG",
      "/__sandbox/flutterwave/__control/faults",
      "/__sandbox/flutterwave/checkout/flwlnk-x",
    ]) {
      const res = await createApp().fetch(
        new Request(`${ORIGIN}${path}`, { headers: { authorization: `Bearer ${key}` } }),
        productionEnv(),
        createExecutionContext(),
      );
      expect((await expectProblem(res, 404)).code).toBe("not_found");
    }
  });

  it("is not mounted in development when SANDBOX_ENABLED=false", async () => {
    const devOff = { ...env, SANDBOX_ENABLED: "false" } as unknown as Env;
    const res = await createApp().fetch(
      new Request(`${ORIGIN}/__sandbox/flutterwave/v3/banks/NG`),
      devOff,
      createExecutionContext(),
    );
    expect((await expectProblem(res, 404)).code).toBe("not_found");
  });
});
