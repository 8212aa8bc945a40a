import { describe, expect, it } from "vitest";
import { api, poll, registeredUser } from "./helpers";

type Wallet = { balance_minor: number; available_minor: number; held_minor: number };

describe("withdrawal end to end against `wrangler dev` (real HTTP, real local queue, sandbox transfers)", () => {
  it("funds, withdraws to a bank account and sees the transfer settle; a failing account gets its hold back", async () => {
    const { auth } = await registeredUser("withdraw");
    const wallet = async () => (await (await fetch(`${api}/wallet/`, { headers: auth })).json()) as Wallet;

    // Fund 5,000 through the sandbox checkout.
    const funding = (await (await fetch(`${api}/wallet/fund`, { method: "POST", headers: auth, body: new URLSearchParams({ amount: "5000" }) })).json()) as { payment_link: string };
    await fetch(funding.payment_link, { method: "POST", body: new URLSearchParams({ outcome: "full" }), redirect: "manual" });
    expect((await poll(wallet, (w) => w.balance_minor === 500_000)).balance_minor).toBe(500_000);

    // The account resolves to a name first.
    const resolved = await fetch(`${api}/wallet/flutterwave/verify-bank?account_number=0690000031&account_bank=044`, { headers: auth });
    expect(resolved.status).toBe(200);

    // Withdraw 1,500 to the succeeding test account: held at once, debited when the transfer settles.
    const res = await fetch(`${api}/wallet/withdraw`, {
      method: "POST",
      headers: { ...auth, accept: "application/json" },
      body: new URLSearchParams({ amount: "1500", account_number: "0690000031", account_bank: "044" }),
    });
    expect(res.status).toBe(202);
    const tx = (await res.json()) as { tx_ref: string; status: string };
    expect(tx.status).toBe("PENDING");
    expect(await wallet()).toMatchObject({ balance_minor: 500_000, held_minor: 150_000, available_minor: 350_000 });
    const settled = await poll(
      async () => (await (await fetch(`${api}/wallet/transactions/${tx.tx_ref}`, { headers: auth })).json()) as { status: string },
      (t) => t.status !== "PENDING",
    );
    expect(settled.status).toBe("SUCCESS");
    expect(await wallet()).toMatchObject({ balance_minor: 350_000, held_minor: 0, available_minor: 350_000 });

    // A browser form post is redirected to the live status page.
    const browser = await fetch(`${api}/wallet/withdraw`, {
      method: "POST",
      headers: { ...auth, accept: "text/html" },
      body: new URLSearchParams({ amount: "1000", account_number: "0690000032", account_bank: "044" }),
      redirect: "manual",
    });
    expect(browser.status).toBe(303);
    const page = await fetch(browser.headers.get("location")!);
    expect(await page.text()).toContain("Withdrawal");
    // 0690000032 fails at the bank: the hold is released, the balance untouched.
    const failedRef = decodeURIComponent(new URL(browser.headers.get("location")!).pathname.split("/").pop()!);
    const failed = await poll(
      async () => (await (await fetch(`${api}/wallet/transactions/${failedRef}`, { headers: auth })).json()) as { status: string },
      (t) => t.status !== "PENDING",
    );
    expect(failed.status).toBe("FAILED");
    expect(await wallet()).toMatchObject({ balance_minor: 350_000, held_minor: 0, available_minor: 350_000 });
  });
});
