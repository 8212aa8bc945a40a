/**
 * The hosted checkout page and what each of its four buttons does: the
 * transaction recorded, the webhook delivered (before the redirect is
 * answered), and where the browser is sent.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  choose,
  control,
  createLink,
  deliveriesFor,
  envelope,
  flw,
  uniqueRef,
} from "../support/sandbox";

function redirectOf(res: Response): URL {
  expect(res.status).toBe(303);
  return new URL(res.headers.get("location") ?? "");
}

describe("the checkout page", () => {
  it("is marked SANDBOX and shows the amount, the tx_ref and four buttons with stable ids", async () => {
    const tx_ref = uniqueRef("page");
    const link = await createLink(tx_ref);
    const res = await exports.default.fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('id="sandbox-banner"');
    expect(page).toMatch(/SANDBOX/);
    expect(page).toContain('data-amount="1500.50" data-currency="NGN"');
    expect(page).toContain("NGN 1,500.50");
    expect(page).toContain(`<dd id="tx-ref">${tx_ref}</dd>`);
    for (const outcome of ["full", "less", "fail", "cancel"]) {
      expect(page).toContain(`id="pay-${outcome}" data-outcome="${outcome}"`);
      expect(page).toContain(`<input type="hidden" name="outcome" value="${outcome}" />`);
    }
    expect(page).toContain("Pay less than asked (NGN 750.25)");
    expect(page).toContain(`action="${new URL(link).pathname}"`);
  });

  it("escapes what the merchant sent", async () => {
    const link = await createLink(uniqueRef("xss"), {
      customizations: { title: "<script>alert(1)</script>" },
    });
    const page = await (await exports.default.fetch(link)).text();
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&lt;script&gt;");
  });

  it("answers an unknown link with a 404 page", async () => {
    const res = await exports.default.fetch(
      `${new URL(await createLink(uniqueRef("x"))).origin}/__sandbox/flutterwave/checkout/flwlnk-nope`,
    );
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('data-status="not_found"');
  });

  it("refuses an unknown choice with 400", async () => {
    expect((await choose(await createLink(uniqueRef("odd")), "steal")).status).toBe(400);
  });
});

describe("paying in full", () => {
  it("records a successful transaction, delivers charge.completed, then redirects with status, tx_ref and transaction_id", async () => {
    const tx_ref = uniqueRef("full");
    const link = await createLink(tx_ref);
    const target = redirectOf(await choose(link, "full"));

    expect(`${target.origin}${target.pathname}`).toBe(
      "https://wallet.test/wallet/flutterwave/callback",
    );
    expect(target.searchParams.get("source")).toBe("app");
    expect(target.searchParams.get("status")).toBe("successful");
    expect(target.searchParams.get("tx_ref")).toBe(tx_ref);
    const transaction_id = target.searchParams.get("transaction_id");
    expect(transaction_id).toMatch(/^\d+$/);

    const verified = await envelope(await flw(`/transactions/${transaction_id}/verify`));
    expect(verified.data).toMatchObject({
      id: Number(transaction_id),
      tx_ref,
      amount: 1500.5,
      charged_amount: 1500.5,
      currency: "NGN",
      status: "successful",
      processor_response: "Approved. Successful",
      meta: { user_id: "usr0000000000000000" },
      customer: { email: "ada@example.com", name: "Ada Obi", phone_number: "08012345678" },
    });

    // Already recorded when the redirect arrived: the webhook is not sent after it.
    const deliveries = await deliveriesFor(tx_ref);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      event: "charge.completed",
      ref: tx_ref,
      url: "http://wallet.test/api/v1/wallet/flutterwave/webhook",
      verif_hash: "configured",
      status_code: expect.any(Number),
    });
    expect(deliveries[0].body).toEqual({
      event: "charge.completed",
      "event.type": "CARD_TRANSACTION",
      data: verified.data,
    });

    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("completed");
  });

  it("closes the link: the page says it was paid and a second payment is refused with 409", async () => {
    const tx_ref = uniqueRef("twice");
    const link = await createLink(tx_ref);
    redirectOf(await choose(link, "full"));
    const page = await exports.default.fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-status="completed"');
    const again = await choose(link, "full");
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already been paid");
    expect(await deliveriesFor(tx_ref)).toHaveLength(1);
  });
});

describe("paying less than asked", () => {
  it("records a successful transaction for half the amount, rounded to kobo", async () => {
    const tx_ref = uniqueRef("less");
    const link = await createLink(tx_ref, { amount: "1000.01" });
    const target = redirectOf(await choose(link, "less"));
    expect(target.searchParams.get("status")).toBe("successful");
    const verified = await envelope(
      await flw(`/transactions/${target.searchParams.get("transaction_id")}/verify`),
    );
    expect(verified.data).toMatchObject({
      amount: 500.01,
      charged_amount: 500.01,
      status: "successful",
      tx_ref,
    });
    const [delivery] = await deliveriesFor(tx_ref);
    expect(delivery.body.data.amount).toBe(500.01);
  });
});

describe("a failed payment", () => {
  it("records a failed transaction, delivers its webhook, redirects with status=failed and keeps the link open", async () => {
    const tx_ref = uniqueRef("fail");
    const link = await createLink(tx_ref, { configurations: { max_retry_attempt: 2 } });
    const target = redirectOf(await choose(link, "fail"));
    expect(target.searchParams.get("status")).toBe("failed");
    expect(target.searchParams.get("tx_ref")).toBe(tx_ref);
    const verified = await envelope(
      await flw(`/transactions/${target.searchParams.get("transaction_id")}/verify`),
    );
    expect(verified.data).toMatchObject({
      status: "failed",
      processor_response: "Declined",
      amount_settled: null,
    });
    const [delivery] = await deliveriesFor(tx_ref);
    expect(delivery.body.data.status).toBe("failed");
    expect((await envelope(await control(`/payments/${tx_ref}`))).data).toMatchObject({
      status: "open",
      failed_attempts: 1,
    });

    // The customer may retry and pay.
    const paid = redirectOf(await choose(link, "full"));
    expect(paid.searchParams.get("status")).toBe("successful");
    const byRef = await envelope(await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`));
    expect(byRef.data.status).toBe("successful");
  });

  it("closes the link after max_retry_attempt failures", async () => {
    const tx_ref = uniqueRef("fail-out");
    const link = await createLink(tx_ref, { configurations: { max_retry_attempt: 2 } });
    redirectOf(await choose(link, "fail"));
    redirectOf(await choose(link, "fail"));
    expect((await envelope(await control(`/payments/${tx_ref}`))).data).toMatchObject({
      status: "failed",
      failed_attempts: 2,
    });
    expect(await (await exports.default.fetch(link)).text()).toContain('data-status="failed"');
    expect((await choose(link, "full")).status).toBe(409);
    expect(await deliveriesFor(tx_ref)).toHaveLength(2);
  });
});

describe("cancelling", () => {
  it("redirects with status=cancelled and the tx_ref, records no transaction and sends no webhook", async () => {
    const tx_ref = uniqueRef("cancel");
    const link = await createLink(tx_ref);
    const target = redirectOf(await choose(link, "cancel"));
    expect(target.searchParams.get("status")).toBe("cancelled");
    expect(target.searchParams.get("tx_ref")).toBe(tx_ref);
    expect(target.searchParams.has("transaction_id")).toBe(false);
    expect(
      (await envelope(await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`), 400))
        .message,
    ).toBe("No transaction was found for this id");
    expect(await deliveriesFor(tx_ref)).toEqual([]);
    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("cancelled");
    expect((await choose(link, "full")).status).toBe(409);
  });
});

describe("an expired session", () => {
  it("shows a page saying so and ignores a payment with 409", async () => {
    const tx_ref = uniqueRef("expired");
    const link = await createLink(tx_ref);
    await envelope(await control(`/payments/${tx_ref}/expire`, { method: "POST" }));
    const page = await exports.default.fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("This payment link has expired.");
    const res = await choose(link, "full");
    expect(res.status).toBe(409);
    expect(await deliveriesFor(tx_ref)).toEqual([]);
    expect(
      (await envelope(await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`), 400)).status,
    ).toBe("error");
  });
});
