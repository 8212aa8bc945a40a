/**
 * Withdrawal end to end through the TypeScript client (fund, resolve the
 * account, withdraw, read the wallet); the seed's browser form post, which
 * the client does not make, stays a plain form post.
 */
import { describe, expect, it } from "vitest";
import { api, fundThroughCheckout, poll, registeredUser } from "./helpers";

describe("withdrawal end to end against `wrangler dev` (real HTTP, real local queue, sandbox transfers)", () => {
  it("funds, withdraws to a bank account and sees the transfer settle; a failing account gets its hold back", async () => {
    const { client, auth } = await registeredUser("withdraw");
    const wallet = () => client.wallet();

    // Fund 5,000 through the sandbox checkout.
    await fundThroughCheckout(client, 500_000);

    // The account resolves to a name first.
    const resolved = await client.api.GET("/api/v1/wallet/flutterwave/verify-bank", {
      params: { query: { account_number: "0690000031", account_bank: "044" } },
    });
    expect(resolved.response.status).toBe(200);

    // Withdraw 1,500 to the succeeding test account: held at once, debited when the transfer settles.
    const tx = await client.withdraw({
      amount: "1500",
      account_number: "0690000031",
      account_bank: "044",
    });
    expect(client.lastStatus()).toBe(202);
    expect(tx.status).toBe("PENDING");
    expect(await wallet()).toMatchObject({
      balance_minor: 500_000,
      held_minor: 150_000,
      available_minor: 350_000,
    });
    const settled = await poll(
      () => client.transaction(tx.tx_ref),
      (t) => t.status !== "PENDING",
    );
    expect(settled.status).toBe("SUCCESS");
    expect(await wallet()).toMatchObject({
      balance_minor: 350_000,
      held_minor: 0,
      available_minor: 350_000,
    });

    // A browser form post is redirected to the live status page.
    const browser = await fetch(`${api}/wallet/withdraw`, {
      method: "POST",
      headers: { ...auth, accept: "text/html" },
      body: new URLSearchParams({
        amount: "1000",
        account_number: "0690000032",
        account_bank: "044",
      }),
      redirect: "manual",
    });
    expect(browser.status).toBe(303);
    const page = await fetch(browser.headers.get("location")!);
    expect(await page.text()).toContain("Withdrawal");
    // 0690000032 fails at the bank: the hold is released, the balance untouched.
    const failedRef = decodeURIComponent(
      new URL(browser.headers.get("location")!).pathname.split("/").pop()!,
    );
    const failed = await poll(
      () => client.transaction(failedRef),
      (t) => t.status !== "PENDING",
    );
    expect(failed.status).toBe("FAILED");
    expect(await wallet()).toMatchObject({
      balance_minor: 350_000,
      held_minor: 0,
      available_minor: 350_000,
    });
  });
});
