import { describe, expect, it } from "vitest";
import { api, origin, poll, registeredUser } from "./helpers";

describe("funding end to end against `wrangler dev` (real HTTP, real local queue)", () => {
  it("registers, funds, pays in the sandbox checkout and sees the wallet credited", async () => {
    const { auth } = await registeredUser("fund");

    const fundRes = await fetch(`${api}/wallet/fund`, { method: "POST", headers: auth, body: new URLSearchParams({ amount: "2500.75", currency: "NGN" }) });
    expect(fundRes.status).toBe(201);
    const funding = (await fundRes.json()) as { tx_ref: string; payment_link: string; status: string };
    expect(funding.status).toBe("PENDING");
    expect(funding.payment_link.startsWith(`${origin}/__sandbox/flutterwave/checkout/`)).toBe(true);

    // The customer opens the hosted checkout and pays in full.
    const page = await fetch(funding.payment_link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-outcome="full"');
    const paid = await fetch(funding.payment_link, { method: "POST", body: new URLSearchParams({ outcome: "full" }), redirect: "manual" });
    expect(paid.status).toBe(303);
    const landing = paid.headers.get("location")!;
    expect(landing.startsWith(`${api}/wallet/flutterwave/callback?`)).toBe(true);

    const wallet = await poll(
      async () => (await (await fetch(`${api}/wallet/`, { headers: auth })).json()) as { balance: string; balance_minor: number },
      (w) => w.balance_minor === 250075,
    );
    expect(wallet.balance).toBe("2500.75");
    const tx = (await (await fetch(`${api}/wallet/transactions/${funding.tx_ref}`, { headers: auth })).json()) as { status: string };
    expect(tx.status).toBe("SUCCESS");
    const html = await (await fetch(landing)).text();
    expect(html).toContain("Payment received");
  });
});
