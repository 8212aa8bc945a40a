/**
 * Funding end to end through the TypeScript client: the client starts the
 * funding and reads the wallet; the customer's browser (plain fetch) pays on
 * the sandbox's hosted checkout and lands on the callback page.
 */
import { describe, expect, it } from "vitest";
import { api, origin, poll, registeredUser } from "./helpers";

describe("funding end to end against `wrangler dev` (real HTTP, real local queue)", () => {
  it("registers, funds, pays in the sandbox checkout and sees the wallet credited", async () => {
    const { client } = await registeredUser("fund");

    const funding = await client.fund({ amount: "2500.75", currency: "NGN" });
    expect(client.lastStatus()).toBe(201);
    expect(funding.status).toBe("PENDING");
    expect(funding.payment_link!.startsWith(`${origin}/__sandbox/flutterwave/checkout/`)).toBe(
      true,
    );

    // The customer opens the hosted checkout and pays in full.
    const page = await fetch(funding.payment_link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-outcome="full"');
    const paid = await fetch(funding.payment_link!, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    const landing = paid.headers.get("location")!;
    expect(landing.startsWith(`${api}/wallet/flutterwave/callback?`)).toBe(true);

    const wallet = await poll(
      () => client.wallet(),
      (w) => w.balance_minor === 250075,
    );
    expect(wallet.balance).toBe("2500.75");
    const tx = await client.transaction(funding.tx_ref);
    expect(client.lastStatus()).toBe(200);
    expect(tx.status).toBe("SUCCESS");
    const html = await (await fetch(landing)).text();
    expect(html).toContain("Payment received");
  });
});
