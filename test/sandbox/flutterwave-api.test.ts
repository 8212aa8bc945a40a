/**
 * The Flutterwave v3 look-alike's endpoints, driven through the real Worker as
 * our provider client would: envelopes, status words and error shapes.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  choose,
  control,
  envelope,
  FLW_BASE,
  flw,
  paymentBody,
  transferBody,
  uniqueRef,
} from "../support/sandbox";

describe("authentication", () => {
  it("refuses a v3 call without a bearer key with Flutterwave's 401 envelope", async () => {
    const res = await flw("/banks/NG", { headers: { authorization: "" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      status: "error",
      message: "Authorization required",
      data: null,
    });
  });

  it("refuses a wrong or malformed key the same way", async () => {
    for (const authorization of [
      "Bearer FLWSECK_TEST-wrong-X",
      "FLWSECK_TEST-sandbox0000000000000000000000000000-X",
      "Basic abc",
    ]) {
      const res = await flw("/transfers", {
        body: transferBody(uniqueRef("auth")),
        headers: { authorization },
      });
      expect(await envelope(res, 401)).toEqual({
        status: "error",
        message: "Authorization required",
        data: null,
      });
    }
  });

  it("lets the control API through without a key", async () => {
    expect((await envelope(await control("/faults"))).status).toBe("success");
  });

  it("answers an endpoint it does not imitate with a 404 envelope", async () => {
    const body = await envelope(await flw("/virtual-account-numbers"), 404);
    expect(body).toMatchObject({ status: "error", data: null });
  });
});

describe("POST /v3/payments (Flutterwave Standard)", () => {
  it("answers Hosted Link with a checkout URL on the caller's origin and records the request as sent", async () => {
    const tx_ref = uniqueRef("pay");
    const body = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(tx_ref) }),
    );
    expect(body.status).toBe("success");
    expect(body.message).toBe("Hosted Link");
    expect(body.data.link).toMatch(new RegExp(`^${FLW_BASE}/checkout/flwlnk-[0-9a-z]{20}$`));

    const recorded = await envelope(await control(`/payments/${tx_ref}`));
    expect(recorded.data).toMatchObject({
      tx_ref,
      status: "open",
      max_retry_attempt: 2,
      request: {
        amount: "1500.50",
        currency: "NGN",
        redirect_url: "https://wallet.test/wallet/flutterwave/callback?source=app",
        customer: { email: "ada@example.com", name: "Ada Obi" },
        configurations: { session_duration: 30, max_retry_attempt: 2 },
      },
    });
    const session_ms = Date.parse(recorded.data.expires_at) - Date.parse(recorded.data.created_at);
    expect(session_ms).toBe(30 * 60_000);
  });

  it("opens a link of its own for every create of a tx_ref, never handing out another caller's", async () => {
    const tx_ref = uniqueRef("pay-again");
    const first = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(tx_ref) }),
    );
    const other = await envelope<{ link: string }>(
      await flw("/payments", {
        body: paymentBody(tx_ref, { redirect_url: "https://attacker.test/back" }),
      }),
    );
    expect(other.data.link).not.toBe(first.data.link);
    // Each page sends its payer back to its own creator's redirect_url (ours carries a watch ticket).
    const paid = await choose(other.data.link, "full");
    expect(paid.headers.get("location")).toMatch(/^https:\/\/attacker\.test\/back\?/);
    const repeat = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(uniqueRef("pay-repeat")) }),
    );
    expect(repeat.data.link).not.toBe(first.data.link);
  });

  it("keeps a checkout open after a payment for less than asked, and completes it on the payment in full", async () => {
    const tx_ref = uniqueRef("pay-less");
    const link = (
      await envelope<{ link: string }>(await flw("/payments", { body: paymentBody(tx_ref) }))
    ).data.link;
    await envelope(
      await control("/transactions", { body: { tx_ref, amount: 100, status: "successful" } }),
    );
    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("open");
    // Not paid in full, so a new link may still be made; the payment in full closes every open one.
    const second = (
      await envelope<{ link: string }>(await flw("/payments", { body: paymentBody(tx_ref) }))
    ).data.link;
    expect((await choose(link, "full")).status).toBe(303);
    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("completed");
    expect((await choose(second, "full")).status).toBe(409);
  });

  it("defaults the currency to NGN and accepts a numeric amount", async () => {
    const tx_ref = uniqueRef("pay-ngn");
    const { currency: _omitted, ...rest } = paymentBody(tx_ref, { amount: 2500 });
    await envelope(await flw("/payments", { body: rest }));
    const link = await envelope<{ link: string }>(await flw("/payments", { body: rest }));
    const page = await (await exports.default.fetch(link.data.link)).text();
    expect(page).toContain('data-currency="NGN"');
    expect(page).toContain('data-amount="2500.00"');
  });

  it("names the missing field in a 400 envelope", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ tx_ref: undefined }, "tx_ref is required"],
      [{ amount: undefined }, "amount is required"],
      [{ redirect_url: undefined }, "redirect_url is required"],
      [{ customer: { name: "No Email" } }, "customer.email is required"],
    ];
    for (const [overrides, message] of cases) {
      const body = await envelope(
        await flw("/payments", { body: paymentBody(uniqueRef("pay-bad"), overrides) }),
        400,
      );
      expect(body).toEqual({ status: "error", message, data: null });
    }
  });

  it("refuses a malformed email, redirect URL or currency with a 400 that names the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ customer: { email: "not-an-email" } }, "customer.email is invalid"],
      [{ redirect_url: "/relative/callback" }, "redirect_url is invalid"],
      [{ currency: "naira" }, "currency is invalid"],
    ];
    for (const [overrides, prefix] of cases) {
      const body = await envelope(
        await flw("/payments", { body: paymentBody(uniqueRef("pay-bad"), overrides) }),
        400,
      );
      expect(body.message.startsWith(prefix)).toBe(true);
    }
  });

  it("refuses amounts that are not positive or have more than two decimals", async () => {
    for (const amount of [0, -5, "12.345", 0.1 + 0.2, "ten", "1e3"]) {
      const body = await envelope(
        await flw("/payments", { body: paymentBody(uniqueRef("pay-amt"), { amount }) }),
        400,
      );
      expect(body.message).toMatch(/^amount is invalid/);
    }
  });

  it("refuses a body that is not JSON", async () => {
    const body = await envelope(await flw("/payments", { body: "{not json" }), 400);
    expect(body).toEqual({ status: "error", message: "Invalid JSON body", data: null });
  });

  it("refuses a tx_ref that has already been paid in full", async () => {
    const tx_ref = uniqueRef("pay-paid");
    await envelope(
      await control("/transactions", { body: { tx_ref, amount: "1500.50", status: "successful" } }),
    );
    const body = await envelope(await flw("/payments", { body: paymentBody(tx_ref) }), 400);
    expect(body.message).toBe("A payment with this tx_ref has already been completed");
  });

  it("opens a new link for a tx_ref whose previous session expired", async () => {
    const tx_ref = uniqueRef("pay-expired");
    const first = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(tx_ref) }),
    );
    await envelope(await control(`/payments/${tx_ref}/expire`, { method: "POST" }));
    const second = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(tx_ref) }),
    );
    expect(second.data.link).not.toBe(first.data.link);
    expect((await envelope(await control(`/payments/${tx_ref}`))).data.status).toBe("open");
  });
});

describe("GET /v3/transactions/:id/verify and verify_by_reference", () => {
  const craft = async (tx_ref: string, status: string, amount = 1000) =>
    (
      await envelope(
        await control("/transactions", {
          body: { tx_ref, amount, status, customer_email: "chi@example.com" },
        }),
      )
    ).data;

  it("returns the transaction with Flutterwave's fields", async () => {
    const tx_ref = uniqueRef("verify");
    const created = await craft(tx_ref, "successful", 2500);
    const body = await envelope(await flw(`/transactions/${created.id}/verify`));
    expect(body.status).toBe("success");
    expect(body.message).toBe("Transaction fetched successfully");
    expect(body.data).toMatchObject({
      id: created.id,
      tx_ref,
      amount: 2500,
      currency: "NGN",
      charged_amount: 2500,
      app_fee: 35,
      merchant_fee: 0,
      processor_response: "Approved. Successful",
      status: "successful",
      payment_type: "card",
      account_id: expect.any(Number),
      customer: {
        email: "chi@example.com",
        id: expect.any(Number),
        name: expect.any(String),
        phone_number: "N/A",
      },
    });
    expect(body.data.id).toBeGreaterThan(7_000_000_000);
    expect(body.data.flw_ref).toMatch(/^FLW-MOCK-[0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(body.data.created_at))).toBe(false);
    for (const field of ["auth_model", "ip", "narration", "card", "meta", "amount_settled"])
      expect(body.data).toHaveProperty(field);
  });

  it("answers an unknown or non-numeric id with Flutterwave's 400", async () => {
    for (const id of ["999999999999", "abc"]) {
      const body = await envelope(await flw(`/transactions/${id}/verify`), 400);
      expect(body).toEqual({
        status: "error",
        message: "No transaction was found for this id",
        data: null,
      });
    }
  });

  it("prefers the successful transaction of a tx_ref over later failed ones", async () => {
    const tx_ref = uniqueRef("byref");
    await craft(tx_ref, "failed");
    const paid = await craft(tx_ref, "successful");
    await craft(tx_ref, "failed");
    const body = await envelope(await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`));
    expect(body.message).toBe("Transaction fetched successfully");
    expect(body.data).toMatchObject({ id: paid.id, status: "successful", tx_ref });
  });

  it("returns the most recent transaction when none of a tx_ref succeeded", async () => {
    const tx_ref = uniqueRef("byref-failed");
    await craft(tx_ref, "failed");
    const last = await craft(tx_ref, "pending");
    const body = await envelope(await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`));
    expect(body.data).toMatchObject({ id: last.id, status: "pending" });
  });

  it("answers an unknown or missing tx_ref with a 400", async () => {
    const unknown = await envelope(
      await flw(`/transactions/verify_by_reference?tx_ref=${uniqueRef("nobody")}`),
      400,
    );
    expect(unknown.message).toBe("No transaction was found for this id");
    const missing = await envelope(await flw("/transactions/verify_by_reference"), 400);
    expect(missing.message).toBe("tx_ref is required");
  });
});

describe("POST /v3/transactions/:id/resend-hook", () => {
  it("re-delivers charge.completed and, with wait 1, reports the receiver's answer", async () => {
    const tx_ref = uniqueRef("resend");
    const created = (
      await envelope(
        await control("/transactions", { body: { tx_ref, amount: 700, status: "successful" } }),
      )
    ).data;
    const body = await envelope(
      await flw(`/transactions/${created.id}/resend-hook`, { body: { wait: 1 } }),
    );
    expect(body.status).toBe("success");
    expect(body.message).toBe("hook sent");
    expect(body.data.response_code).toEqual(expect.any(Number));
    const deliveries = (await envelope(await control(`/deliveries?match=${tx_ref}`))).data;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      event: "charge.completed",
      ref: tx_ref,
      verif_hash: "configured",
    });
    expect(deliveries[0].body.data.id).toBe(created.id);
  });

  it("answers at once with wait 0 and still delivers", async () => {
    const tx_ref = uniqueRef("resend0");
    const created = (
      await envelope(
        await control("/transactions", { body: { tx_ref, amount: 700, status: "failed" } }),
      )
    ).data;
    const body = await envelope(
      await flw(`/transactions/${created.id}/resend-hook`, { body: { wait: 0 } }),
    );
    expect(body).toEqual({ status: "success", message: "hook sent", data: "hook sent" });
    await expect
      .poll(async () => (await envelope(await control(`/deliveries?match=${tx_ref}`))).data.length)
      .toBe(1);
  });

  it("refuses an unknown transaction", async () => {
    const body = await envelope(
      await flw("/transactions/123/resend-hook", { body: { wait: 1 } }),
      400,
    );
    expect(body.message).toBe("No transaction was found for this id");
  });
});

describe("GET /v3/banks/:country", () => {
  it("lists Nigerian banks with id, code and name", async () => {
    const body = await envelope<{ id: number; code: string; name: string }[]>(
      await flw("/banks/NG"),
    );
    expect(body.message).toBe("Banks fetched successfully");
    expect(body.data.length).toBeGreaterThanOrEqual(12);
    const byCode = new Map(body.data.map((b) => [b.code, b.name]));
    expect(byCode.get("044")).toBe("Access Bank");
    expect(byCode.get("058")).toBe("Guaranty Trust Bank");
    expect(byCode.get("057")).toBe("Zenith Bank");
    expect(byCode.get("50211")).toBe("Kuda Bank");
    expect(byCode.get("100004")).toBe("Opay");
    for (const bank of body.data)
      expect(bank).toEqual({
        id: expect.any(Number),
        code: expect.any(String),
        name: expect.any(String),
      });
  });

  it("lists a few banks for the other supported countries and refuses the rest", async () => {
    for (const country of ["GH", "KE", "UG", "ZA", "TZ"])
      expect(
        (await envelope<unknown[]>(await flw(`/banks/${country}`))).data.length,
      ).toBeGreaterThan(0);
    const body = await envelope(await flw("/banks/US"), 400);
    expect(body).toMatchObject({ status: "error", data: null });
  });
});

describe("POST /v3/accounts/resolve", () => {
  it("resolves every Flutterwave test account at Access Bank to a fixed name", async () => {
    const names = new Set<string>();
    for (let n = 31; n <= 41; n++) {
      const account_number = `06900000${n}`;
      const body = await envelope(
        await flw("/accounts/resolve", { body: { account_number, account_bank: "044" } }),
      );
      expect(body.message).toBe("Account details fetched");
      expect(body.data).toEqual({ account_number, account_name: expect.any(String) });
      names.add(body.data.account_name);
    }
    expect(names.size).toBe(11);
    const again = await envelope(
      await flw("/accounts/resolve", {
        body: { account_number: "0690000031", account_bank: "044" },
      }),
    );
    expect(again.data.account_name).toBe("Adaeze Okafor");
  });

  it("refuses any other account, or a test account at another bank, with Flutterwave's message", async () => {
    for (const body of [
      { account_number: "0690000042", account_bank: "044" },
      { account_number: "0690000031", account_bank: "058" },
    ]) {
      expect(await envelope(await flw("/accounts/resolve", { body }), 400)).toEqual({
        status: "error",
        message: "Sorry, that account number is invalid, please check and try again",
        data: null,
      });
    }
  });

  it("names a missing field", async () => {
    expect(
      (
        await envelope(
          await flw("/accounts/resolve", { body: { account_number: "0690000031" } }),
          400,
        )
      ).message,
    ).toBe("account_bank is required");
  });
});

describe("transfers", () => {
  it("queues a transfer as NEW with Flutterwave's create answer", async () => {
    const reference = uniqueRef("trf");
    const body = await envelope(
      await flw("/transfers", { body: transferBody(reference, { meta: { wallet: "w1" } }) }),
    );
    expect(body.message).toBe("Transfer Queued Successfully");
    expect(body.data).toEqual({
      id: expect.any(Number),
      account_number: "0690000031",
      bank_code: "044",
      full_name: "Adaeze Okafor",
      created_at: expect.any(String),
      currency: "NGN",
      debit_currency: "NGN",
      amount: 5500,
      fee: 26.88,
      status: "NEW",
      reference,
      meta: { wallet: "w1" },
      narration: "Wallet withdrawal",
      complete_message: "",
      requires_approval: 0,
      is_approved: 1,
      bank_name: "ACCESS BANK NIGERIA",
    });
  });

  it("fetches one transfer by id with approver null", async () => {
    const reference = uniqueRef("trf-get");
    const created = (await envelope(await flw("/transfers", { body: transferBody(reference) })))
      .data;
    const body = await envelope(await flw(`/transfers/${created.id}`));
    expect(body.message).toBe("Transfer fetched");
    expect(body.data).toMatchObject({
      id: created.id,
      reference,
      status: "NEW",
      approver: null,
      amount: 5500,
    });
  });

  it("serves the official SDK's doubled slash (`<base>//v3/transfers/:id`)", async () => {
    const created = (
      await envelope(await flw("/transfers", { body: transferBody(uniqueRef("trf-slash")) }))
    ).data;
    const res = await exports.default.fetch(`${FLW_BASE}//v3/transfers/${created.id}`, {
      headers: { authorization: `Bearer ${(await import("../support/sandbox")).SECRET_KEY}` },
    });
    expect((await envelope(res)).data.id).toBe(created.id);
  });

  it("answers an unknown transfer id with a 404 envelope", async () => {
    expect(await envelope(await flw("/transfers/424242424242"), 404)).toMatchObject({
      status: "error",
      data: null,
    });
  });

  it("refuses the documented blacklisted account", async () => {
    const body = await envelope(
      await flw("/transfers", {
        body: transferBody(uniqueRef("trf-black"), { account_number: "0690000036" }),
      }),
      400,
    );
    expect(body).toEqual({
      status: "error",
      message: "Payout was made to a blacklisted account number",
      data: null,
    });
  });

  it("refuses an account that does not resolve", async () => {
    const body = await envelope(
      await flw("/transfers", {
        body: transferBody(uniqueRef("trf-bad"), { account_number: "0123456789" }),
      }),
      400,
    );
    expect(body.message).toBe("Sorry, that account number is invalid, please check and try again");
  });

  it("refuses a reused reference and keeps exactly one transfer for it", async () => {
    const reference = uniqueRef("trf-dup");
    await envelope(await flw("/transfers", { body: transferBody(reference) }));
    const again = await envelope(
      await flw("/transfers", { body: transferBody(reference, { amount: 100 }) }),
      400,
    );
    expect(again.message).toBe("A transfer with this reference already exists");
    const list = await envelope<{ reference: string; amount: number }[]>(
      await flw(`/transfers?reference=${reference}`),
    );
    expect(list.data).toHaveLength(1);
    expect(list.data[0].amount).toBe(5500);
  });

  it("refuses invalid bodies: missing fields, bad amounts, other currencies", async () => {
    expect(
      (
        await envelope(
          await flw("/transfers", {
            body: transferBody(uniqueRef("t"), { account_number: undefined }),
          }),
          400,
        )
      ).message,
    ).toBe("account_number is required");
    expect(
      (
        await envelope(
          await flw("/transfers", { body: transferBody(uniqueRef("t"), { amount: "5.001" }) }),
          400,
        )
      ).message,
    ).toMatch(/^amount is invalid/);
    expect(
      (
        await envelope(
          await flw("/transfers", { body: transferBody(uniqueRef("t"), { currency: "GHS" }) }),
          400,
        )
      ).message,
    ).toMatch(/NGN/);
  });

  it("generates a reference when none is sent, as Flutterwave does", async () => {
    const { reference: _none, ...rest } = transferBody("unused");
    const body = await envelope(await flw("/transfers", { body: rest }));
    expect(body.data.reference).toMatch(/^TRF-[0-9A-F]{12}$/);
  });

  it("lists transfers by reference and status with page info", async () => {
    const reference = uniqueRef("trf-list");
    const created = (await envelope(await flw("/transfers", { body: transferBody(reference) })))
      .data;
    const byReference = await envelope(await flw(`/transfers?reference=${reference}`));
    expect(byReference.message).toBe("Transfers fetched");
    expect(byReference.meta).toEqual({ page_info: { total: 1, current_page: 1, total_pages: 1 } });
    expect(byReference.data).toEqual([
      expect.objectContaining({ id: created.id, reference, approver: null }),
    ]);

    const notFailed = await envelope(await flw(`/transfers?reference=${reference}&status=failed`));
    expect(notFailed.data).toEqual([]);
    const asNew = await envelope(await flw(`/transfers?reference=${reference}&status=NEW`));
    expect(asNew.data).toHaveLength(1);

    const page = await envelope<unknown[]>(await flw("/transfers?page=1"));
    expect(page.data.length).toBeLessThanOrEqual(10);
    expect(page.data.length).toBeGreaterThan(0);
  });

  it("quotes the NGN fee tiers", async () => {
    for (const [amount, fee] of [
      ["100", 10.75],
      ["5000", 10.75],
      ["5000.01", 26.88],
      ["50000", 26.88],
      ["50000.01", 53.75],
    ] as const) {
      const body = await envelope(await flw(`/transfers/fee?amount=${amount}&currency=NGN`));
      expect(body.message).toBe("Transfer fee fetched");
      expect(body.data).toEqual([{ currency: "NGN", fee_type: "value", fee }]);
    }
    expect((await envelope(await flw("/transfers/fee?currency=NGN"), 400)).message).toBe(
      "amount is required",
    );
  });
});
