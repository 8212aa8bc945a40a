/**
 * Money that arrives for a transaction that has already ended is never dropped.
 *
 * Every provider fact about one of our transactions, final or not, goes
 * through the real path: the look-alike records the payment and sends its
 * webhook or callback to our route, the route queues it, the consumer verifies
 * it with the provider and hands the facts to the wallet, which decides:
 * credit once, record an anomaly for operators (naming the provider's charge),
 * or nothing. And an underpayment by anyone who knows a tx_ref no longer ends
 * the owner's funding: the owner can still pay in full.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../../src/lib/config";
import {
  api,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  form,
  fundedWallet,
  loadMongoDriverFirst,
  newWallet,
  runReconciler,
  uniqueEmail,
} from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";
import {
  buyAirtime,
  buyData,
  uniqueMtnNumber,
  uniqueNaira,
  type Purchase,
} from "../../support/purchases";
import { choose, control, envelope } from "../../support/sandbox";
import { passDeadline } from "../../support/faults";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

type Funding = { tx_ref: string; status: string; payment_link: string };
type OpenAnomaly = {
  tx_ref: string;
  kind: string;
  ref: string;
  detail: string;
  user_id: string | null;
};

loadMongoDriverFirst();

const ADMIN = () => ({ authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` });

async function user() {
  const w = await newWallet(uniqueEmail("late"));
  return { ...w, auth: await bearerFor(w.user_id) };
}

async function fund(auth: Record<string, string>, amount: string): Promise<Funding> {
  const response = await api("/wallet/fund", form({ amount }, auth));
  expect(response.status).toBe(201);
  return (await response.json()) as Funding;
}

/** A charge recorded at the look-alike (someone paid against this tx_ref), delivered as Flutterwave's webhook to our route. */
async function chargeAndNotify(tx_ref: string, amount: number, currency = "NGN"): Promise<string> {
  const charge = await envelope<{ id: number }>(
    await control("/transactions", { body: { tx_ref, amount, currency, status: "successful" } }),
  );
  await envelope(await control(`/transactions/${charge.data.id}/deliver`, { body: {} }));
  return String(charge.data.id);
}

/** The operator view's open anomalies for one transaction (GET /admin/operations). */
async function openAnomaliesOf(tx_ref: string): Promise<OpenAnomaly[]> {
  const response = await api("/admin/operations?limit=100", { headers: ADMIN() });
  expect(response.status).toBe(200);
  const view = (await response.json()) as { anomalies: { data: OpenAnomaly[] } };
  return view.anomalies.data.filter((a) => a.tx_ref === tx_ref);
}

describe("a funding that someone else underpays", () => {
  it("stays open for its owner: the underpayment is owed back and the owner's payment in full still credits", async () => {
    const { auth, stub, user_id } = await user();
    const { tx_ref, payment_link } = await fund(auth, "3000");
    // Someone who knows the tx_ref pays NGN 1 against it (inline checkout, the control API here).
    const small = await chargeAndNotify(tx_ref, 1);
    await eventually(async () =>
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "payment_mismatch",
      }),
    );
    expect(await stub.anomalies()).toEqual([
      expect.objectContaining({ tx_ref, kind: "refund_due", ref: small }),
    ]);
    // The owner pays the real NGN 3,000 on the checkout the funding gave them.
    expect((await choose(payment_link, "full")).status).toBe(303);
    await eventually(async () =>
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "SUCCESS",
        stage: "settled",
      }),
    );
    expect((await stub.summary())?.balance_minor).toBe(300_000);
    await expectLedgerConsistent(stub);
    // The NGN 1 is still owed back, to whoever paid it, and operators see it.
    await eventually(async () =>
      expect(await openAnomaliesOf(tx_ref)).toEqual([
        expect.objectContaining({ kind: "refund_due", ref: small, user_id }),
      ]),
    );
  });

  it("keeps the owner's checkout open after paying less than asked on it, then credits the payment in full", async () => {
    const { auth, stub } = await user();
    const { tx_ref, payment_link } = await fund(auth, "1000");
    await choose(payment_link, "less");
    await eventually(async () =>
      expect(await stub.getTransaction(tx_ref)).toMatchObject({
        status: "PENDING",
        stage: "payment_mismatch",
      }),
    );
    expect((await stub.getTransaction(tx_ref))?.failure_reason).toBeNull();
    expect((await stub.anomalies()).map((a) => a.kind)).toEqual(["refund_due"]);
    await choose(payment_link, "full");
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    expect((await stub.summary())?.balance_minor).toBe(100_000);
  });

  it("fails at the deadline a funding that was only underpaid, owing the underpayment back once", async () => {
    const { auth, stub } = await user();
    const { tx_ref } = await fund(auth, "1000");
    const small = await chargeAndNotify(tx_ref, 10);
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.stage).toBe("payment_mismatch"),
    );
    await passDeadline(stub, tx_ref);
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      failure_reason: "No payment in full was made before the checkout expired.",
    });
    expect((await stub.anomalies()).map((a) => [a.kind, a.ref])).toEqual([["refund_due", small]]);
    expect((await stub.summary())?.balance_minor).toBe(0);
  });
});

describe("a funding's charges as the reconciler sees them", () => {
  it("credits a payment in full whose webhook was lost, even when a smaller payment came after it", async () => {
    const { auth, stub } = await user();
    const { tx_ref } = await fund(auth, "1000");
    // Two charges, neither webhook delivered: the payment in full, then NGN 10 (the newest).
    const charge = async (amount: number) =>
      String(
        (
          await envelope<{ id: number }>(
            await control("/transactions", { body: { tx_ref, amount, status: "successful" } }),
          )
        ).data.id,
      );
    const full = await charge(1000);
    const small = await charge(10);
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "SUCCESS",
      stage: "settled",
      provider_ref: full,
    });
    expect((await stub.summary())?.balance_minor).toBe(100_000);
    // The smaller payment is money too: recorded for its own charge, never credited.
    expect((await stub.anomalies()).map((a) => [a.kind, a.ref])).toEqual([["paid_twice", small]]);
    // The smaller payment's webhook, arriving late, records nothing twice.
    await envelope(await control(`/transactions/${small}/deliver`, { body: {} }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stub.anomalies()).toHaveLength(1);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({ status: "SUCCESS" });
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("owes back every smaller payment it finds, and fails the funding only at its deadline", async () => {
    const { auth, stub } = await user();
    const { tx_ref } = await fund(auth, "1000");
    const charge = async (amount: number, currency = "NGN") =>
      String(
        (
          await envelope<{ id: number }>(
            await control("/transactions", {
              body: { tx_ref, amount, currency, status: "successful" },
            }),
          )
        ).data.id,
      );
    const ten = await charge(10);
    const usd = await charge(1000, "USD");
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "payment_mismatch",
    });
    expect((await stub.anomalies()).map((a) => [a.kind, a.ref]).sort()).toEqual(
      [
        ["refund_due", ten],
        ["refund_due", usd],
      ].sort(),
    );
    await passDeadline(stub, tx_ref);
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      failure_reason: "No payment in full was made before the checkout expired.",
    });
    expect(await stub.anomalies()).toHaveLength(2);
    expect((await stub.summary())?.balance_minor).toBe(0);
  });
});

describe("a genuine payment after the funding ended", () => {
  it("is recorded as paid_after_terminal for its charge, once, and never credited by itself", async () => {
    const { auth, stub, user_id } = await user();
    const { tx_ref } = await fund(auth, "3000");
    await passDeadline(stub, tx_ref);
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      failure_reason: "No payment was made before the checkout expired.",
    });
    // The bank transfer lands late: NGN 3,000 received for a funding that is over.
    const late = await chargeAndNotify(tx_ref, 3000);
    await eventually(async () =>
      expect(await stub.anomalies()).toEqual([
        expect.objectContaining({ tx_ref, kind: "paid_after_terminal", ref: late }),
      ]),
    );
    expect((await stub.anomalies())[0].detail).toContain("300000 kobo");
    await eventually(async () =>
      expect(await openAnomaliesOf(tx_ref)).toEqual([
        expect.objectContaining({ kind: "paid_after_terminal", ref: late, user_id }),
      ]),
    );
    // Its webhook again: still one anomaly; the funding and the balance never move.
    await envelope(await control(`/transactions/${late}/deliver`, { body: {} }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stub.anomalies()).toHaveLength(1);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({ status: "FAILED" });
    expect((await stub.summary())?.balance_minor).toBe(0);
    await expectLedgerConsistent(stub);
  });

  it("records a second successful payment on a credited funding as paid_twice, crediting only the first", async () => {
    const { auth, stub } = await user();
    const { tx_ref, payment_link } = await fund(auth, "2000");
    await choose(payment_link, "full");
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    const credited_by = (await stub.getTransaction(tx_ref))!.provider_ref;
    const second = await chargeAndNotify(tx_ref, 2000);
    await eventually(async () =>
      expect(await stub.anomalies()).toEqual([
        expect.objectContaining({ kind: "paid_twice", ref: second }),
      ]),
    );
    expect(second).not.toBe(credited_by);
    // A third payment is money too: its own anomaly, not swallowed by the second's.
    const third = await chargeAndNotify(tx_ref, 500);
    await eventually(async () =>
      expect((await stub.anomalies()).map((a) => a.ref).sort()).toEqual([second, third].sort()),
    );
    expect((await stub.summary())?.balance_minor).toBe(200_000);
    expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
  });

  it("lets an operator resolve one charge's anomaly without resolving another's", async () => {
    const { auth, stub } = await user();
    const { tx_ref, payment_link } = await fund(auth, "2000");
    await choose(payment_link, "full");
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    const a = await chargeAndNotify(tx_ref, 2000);
    const b = await chargeAndNotify(tx_ref, 2000);
    await eventually(async () => expect(await openAnomaliesOf(tx_ref)).toHaveLength(2));
    const resolved = await api(`/admin/anomalies/${tx_ref}/paid_twice/resolve?ref=${a}`, {
      method: "POST",
      headers: await operatorHeaders(uniqueEmail("ops"), "operator"),
    });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toEqual({ tx_ref, kind: "paid_twice", ref: a, resolved: true });
    expect((await openAnomaliesOf(tx_ref)).map((x) => x.ref)).toEqual([b]);
  });
});

describe("a provider's success after a held payment's hold was released", () => {
  it("records a withdrawal whose failed transfer the bank completed after all (paid_after_void)", async () => {
    const { stub, auth } = await fundedWallet(500_000);
    const response = await api(
      "/wallet/withdraw",
      form(
        { amount: "1000", account_number: "0690000032", account_bank: "044" },
        { ...auth, accept: "application/json" },
      ),
    );
    expect(response.status).toBe(202);
    const { tx_ref } = (await response.json()) as { tx_ref: string };
    const transfer_id = (await stub.getTransaction(tx_ref))!.provider_ref!;
    await envelope(await control(`/transfers/${transfer_id}/settle`, { body: {} }));
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("FAILED"),
    );
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 0 });
    await envelope(
      await control(`/transfers/${transfer_id}/succeed-late`, { method: "POST", body: {} }),
    );
    await eventually(async () =>
      expect(await stub.anomalies()).toEqual([
        expect.objectContaining({ tx_ref, kind: "paid_after_void", ref: transfer_id }),
      ]),
    );
    expect(await stub.getTransaction(tx_ref)).toMatchObject({ status: "FAILED" });
    expect(await stub.summary()).toMatchObject({ balance_minor: 500_000, held_minor: 0 });
    await expectLedgerConsistent(stub);
  });

  for (const kind of ["airtime", "data"] as const) {
    it(`records ${kind} that VTpass delivered after answering it failed (paid_after_void)`, async () => {
      const { stub, auth, user_id } = await fundedWallet(100_000_00);
      const phone = uniqueMtnNumber(); // any number but the test numbers fails at once
      const response =
        kind === "airtime"
          ? await buyAirtime(auth, { phone, amount: uniqueNaira(), network: "mtn" })
          : await buyData(auth, { phone, plan: "mtn-10mb-100", network: "mtn" });
      expect(response.status).toBe(202);
      const purchase = (await response.json()) as Purchase;
      expect(purchase.status).toBe("FAILED");
      const request_id = (await stub.getTransaction(purchase.tx_ref))!.provider_ref!;
      await controlData(await vtControl(`/purchases/${request_id}/deliver-late`, { body: {} }));
      await eventually(async () =>
        expect(await stub.anomalies()).toEqual([
          expect.objectContaining({
            tx_ref: purchase.tx_ref,
            kind: "paid_after_void",
            ref: request_id,
          }),
        ]),
      );
      expect(await stub.getTransaction(purchase.tx_ref)).toMatchObject({ status: "FAILED" });
      expect(await stub.summary()).toMatchObject({ balance_minor: 100_000_00, held_minor: 0 });
      await eventually(async () =>
        expect(await openAnomaliesOf(purchase.tx_ref)).toEqual([
          expect.objectContaining({ kind: "paid_after_void", user_id }),
        ]),
      );
    });
  }
});
