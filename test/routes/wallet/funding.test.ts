import { runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  form,
  loadMongoDriverFirst,
  newWallet,
  runReconciler,
  uniqueEmail,
} from "../../support/helpers";
import { choose, control, envelope } from "../../support/sandbox";

type Funding = {
  tx_ref: string;
  status: string;
  amount: string;
  amount_minor: number;
  currency: string;
  payment_link: string | null;
  expires_at: string;
};

async function funded() {
  const email = uniqueEmail("fund");
  const w = await newWallet(email);
  return { ...w, auth: await bearerFor(w.user_id) };
}

function fundForm(
  auth: Record<string, string>,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const init = form(fields, { ...auth, ...headers });
  return api("/wallet/fund", init);
}

async function fault(operation: string, match: string, mode: string, times = 1) {
  await envelope(await control("/faults", { body: { operation, match, mode, times } }));
}

loadMongoDriverFirst();

describe("POST /wallet/fund", () => {
  it("records a PENDING funding and returns the hosted link built from our settings", async () => {
    const { auth, email, stub } = await funded();
    const res = await fundForm(auth, { amount: "1500.50" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Funding;
    expect(body).toMatchObject({
      status: "PENDING",
      amount: "1500.50",
      amount_minor: 150050,
      currency: "NGN",
    });
    expect(body.payment_link).toMatch(/^http:\/\/wallet\.test\/__sandbox\/flutterwave\/checkout\//);
    const sent = (
      await envelope<{ request: Record<string, any> }>(await control(`/payments/${body.tx_ref}`))
    ).data as any;
    const request = sent.request ?? sent;
    expect(request.amount).toBe(1500.5);
    expect(request.currency).toBe("NGN");
    expect(request.customer.email).toBe(email);
    expect(request.configurations.session_duration).toBe(30);
    expect(request.redirect_url).toMatch(
      /^http:\/\/wallet\.test\/api\/v1\/wallet\/flutterwave\/callback\?ticket=/,
    );
    expect((await stub.getTransaction(body.tx_ref))?.status).toBe("PENDING");
  });

  it("credits the wallet once the customer pays in the sandbox checkout (webhook -> queue -> verify -> settle)", async () => {
    const { auth, stub } = await funded();
    const { tx_ref, payment_link } = (await (
      await fundForm(auth, { amount: "2500" })
    ).json()) as Funding;
    const paid = await choose(payment_link!, "full");
    expect(paid.status).toBe(303);
    const back = new URL(paid.headers.get("location")!);
    expect(back.pathname).toBe("/api/v1/wallet/flutterwave/callback");
    expect(back.searchParams.get("status")).toBe("successful");
    expect(back.searchParams.get("tx_ref")).toBe(tx_ref);
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    expect((await stub.summary())?.balance_minor).toBe(250000);
    await expectLedgerConsistent(stub);
    // The page the browser lands on now says so.
    const page = await exports.default.fetch(back.toString());
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain("Payment received");
    expect(html).toContain("NGN 2500.00");
  });

  it("never credits a charge Flutterwave reports as pending: not from its webhook, not from the reconciler", async () => {
    const { auth, stub } = await funded();
    const { tx_ref } = (await (await fundForm(auth, { amount: "1800" })).json()) as Funding;
    // The customer's bank has not confirmed yet: Flutterwave holds a pending charge and says so.
    const charge = (
      await envelope<{ id: number; status: string }>(
        await control("/transactions", {
          body: { tx_ref, amount: 1800, currency: "NGN", status: "pending" },
        }),
      )
    ).data;
    expect(charge.status).toBe("pending");
    // Its webhook goes through the real route, the queue and the consumer, which verifies by id.
    const delivery = (
      await envelope<{ status_code: number }>(
        await control(`/transactions/${charge.id}/deliver`, { body: {} }),
      )
    ).data;
    expect(delivery.status_code).toBe(200);
    const event_key = `flw:charge.completed:${charge.id}:pending`;
    const processed = await eventually(() =>
      runInDurableObject(stub, (_i, state) =>
        state.storage.sql
          .exec<{ outcome: string }>(
            "SELECT outcome FROM provider_events WHERE event_key = ?",
            event_key,
          )
          .one(),
      ),
    );
    expect(processed.outcome).toBe("unchanged");
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "awaiting_payment",
    });
    expect((await stub.summary())?.balance_minor).toBe(0);
    // The reconciler asks again, by reference: still pending, still nothing credited.
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "awaiting_payment",
    });
    expect(await expectLedgerConsistent(stub)).toMatchObject({ balance_minor: 0, journal_rows: 0 });
  });

  it("keeps a funding open after a failed card attempt, so paying on retry still credits", async () => {
    const { auth, stub } = await funded();
    const { tx_ref, payment_link } = (await (
      await fundForm(auth, { amount: "700" })
    ).json()) as Funding;
    await choose(payment_link!, "fail");
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.stage).toBe("attempt_failed"),
    );
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    await choose(payment_link!, "full");
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    expect((await stub.summary())?.balance_minor).toBe(70000);
  });

  it("accepts JSON with a numeric amount", async () => {
    const { auth } = await funded();
    const res = await api("/wallet/fund", authedJson(auth, { amount: 199.99, currency: "ngn" }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ amount: "199.99", amount_minor: 19999 });
  });

  it("refuses bad amounts and currencies with 422 and records nothing", async () => {
    const { auth, stub } = await funded();
    for (const fields of [
      { amount: "abc" },
      { amount: "0" },
      { amount: "-100" },
      { amount: "100.123" },
      { amount: "99.99" },
      { amount: "5000000.01" },
      { amount: "1e5" },
      { amount: "1000", currency: "USD" },
      {},
    ] as Record<string, string>[]) {
      const problem = await expectProblem(await fundForm(auth, fields), 422);
      expect(problem.errors?.length, JSON.stringify(fields)).toBeGreaterThan(0);
    }
    await expectProblem(
      await api("/wallet/fund", authedJson(auth, { amount: "1000", extra: 1 })),
      422,
    );
    const list = await stub.listTransactions({ limit: 10 });
    expect(list.ok && list.data).toHaveLength(0);
  });

  it("refuses an inactive wallet with 422 wallet_inactive", async () => {
    const { auth, stub } = await funded();
    await stub.toggleActive();
    expect((await expectProblem(await fundForm(auth, { amount: "1000" }), 422)).code).toBe(
      "wallet_inactive",
    );
  });

  it("needs a bearer token", async () => {
    await expectProblem(await api("/wallet/fund", form({ amount: "1000" })), 401);
  });

  it("ends the funding FAILED with the reason when Flutterwave refuses the checkout", async () => {
    const { auth, stub, email } = await funded();
    await fault("payments.create", email, "refuse");
    const problem = await expectProblem(await fundForm(auth, { amount: "1000" }), 502);
    expect(problem.code).toBe("payment_provider_refused");
    const tx = await stub.getTransaction((problem as unknown as { tx_ref: string }).tx_ref);
    expect(tx).toMatchObject({ status: "FAILED", stage: "refused" });
    expect(tx?.failure_reason).toContain("Merchant is not enabled");
  });

  it("leaves the funding PENDING when Flutterwave times out, and the reconciler settles it", async () => {
    const { auth, stub, email } = await funded();
    // The link is created but its answer is lost, then the customer pays anyway.
    await fault("payments.create", email, "commit_then_hang");
    const problem = await expectProblem(await fundForm(auth, { amount: "1200" }), 503);
    expect(problem.code).toBe("payment_provider_unavailable");
    const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "PENDING",
      stage: "link_unknown",
    });
    await envelope(
      await control("/transactions", {
        body: { tx_ref, amount: 1200, currency: "NGN", status: "successful" },
      }),
    );
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS");
    expect((await stub.summary())?.balance_minor).toBe(120000);
    await expectLedgerConsistent(stub);
  });

  it("expires a funding nobody paid once its deadline passes", async () => {
    const { auth, stub } = await funded();
    const { tx_ref } = (await (await fundForm(auth, { amount: "800" })).json()) as Funding;
    await runReconciler(stub);
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("UPDATE transactions SET deadline_at_ms = 1 WHERE tx_ref = ?", tx_ref),
    );
    await runReconciler(stub);
    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "FAILED",
      failure_reason: "No payment was made before the checkout expired.",
    });
  });
});

describe("Idempotency-Key on POST /wallet/fund", () => {
  it("replays the first answer for the same key and body, creating one transaction", async () => {
    const { auth, stub } = await funded();
    const first = await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-1" });
    const second = await fundForm(auth, { amount: "1000.00" }, { "idempotency-key": "fund-1" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
    const list = await stub.listTransactions({ limit: 10 });
    expect(list.ok && list.data).toHaveLength(1);
  });

  it("refuses the same key with a different body with 422", async () => {
    const { auth } = await funded();
    await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-2" });
    expect(
      (
        await expectProblem(
          await fundForm(auth, { amount: "2000" }, { "idempotency-key": "fund-2" }),
          422,
        )
      ).code,
    ).toBe("idempotency_key_reused");
  });

  it("keeps keys per user: another user's identical key is independent", async () => {
    const a = await funded();
    const b = await funded();
    expect(
      (await fundForm(a.auth, { amount: "1000" }, { "idempotency-key": "shared" })).status,
    ).toBe(201);
    expect(
      (await fundForm(b.auth, { amount: "3000" }, { "idempotency-key": "shared" })).status,
    ).toBe(201);
  });

  it("answers 409 while a request with the key is in flight, then lets a retry resume the same funding", async () => {
    const { auth, email, stub } = await funded();
    await fault("payments.create", email, "hang");
    const slow = fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-3" });
    await new Promise((r) => setTimeout(r, 300));
    const concurrent = await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-3" });
    expect((await expectProblem(concurrent, 409)).code).toBe("idempotency_key_in_flight");
    const timedOut = await slow;
    const problem = await expectProblem(timedOut, 503);
    const tx_ref = (problem as unknown as { tx_ref: string }).tx_ref;
    const retried = await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-3" });
    expect(retried.status).toBe(201);
    const body = (await retried.json()) as Funding;
    expect(body.tx_ref).toBe(tx_ref);
    expect(body.payment_link).toBeTruthy();
    const list = await stub.listTransactions({ limit: 10 });
    expect(list.ok && list.data).toHaveLength(1);
  });

  it("replays a refusal too: the key's first answer is final", async () => {
    const { auth, email } = await funded();
    await fault("payments.create", email, "refuse");
    const first = await expectProblem(
      await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-4" }),
      502,
    );
    const again = await fundForm(auth, { amount: "1000" }, { "idempotency-key": "fund-4" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await expectProblem(again, 502)).request_id).toBe(first.request_id);
  });

  it("refuses malformed keys", async () => {
    const { auth } = await funded();
    await expectProblem(
      await fundForm(auth, { amount: "1000" }, { "idempotency-key": "has space" }),
      422,
    );
    await expectProblem(
      await fundForm(auth, { amount: "1000" }, { "idempotency-key": "k".repeat(256) }),
      422,
    );
  });
});

describe("GET /wallet/flutterwave/callback", () => {
  it("never credits from the query string and shows nothing without a valid ticket", async () => {
    const { auth, stub } = await funded();
    const { tx_ref } = (await (await fundForm(auth, { amount: "1000" })).json()) as Funding;
    const forged = await api(
      `/wallet/flutterwave/callback?status=successful&tx_ref=${tx_ref}&transaction_id=123`,
    );
    expect(forged.status).toBe(200);
    const html = await forged.text();
    expect(html).toContain("We could not tell which payment");
    expect(html).not.toContain(tx_ref);
    await new Promise((r) => setTimeout(r, 300));
    expect((await stub.getTransaction(tx_ref))?.status).toBe("PENDING");
    expect((await stub.summary())?.balance_minor).toBe(0);
  });

  it("shows the pending status to the ticket holder while the payment is being confirmed", async () => {
    const { auth, email } = await funded();
    const { tx_ref } = (await (await fundForm(auth, { amount: "1000" })).json()) as Funding;
    const sent = (await envelope<any>(await control(`/payments/${tx_ref}`))).data;
    const redirect = (sent.request ?? sent).redirect_url as string;
    const res = await exports.default.fetch(`${redirect}&status=cancelled&tx_ref=${tx_ref}`);
    const html = await res.text();
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(html).toContain("Confirming your payment");
    expect(html).toContain(tx_ref);
    expect(html).not.toContain(email);
  });
});
