/**
 * The operator console in a real browser (Debian's Chromium, driven by
 * playwright-core), against `wrangler dev`: a user's withdrawal hangs at the
 * Flutterwave look-alike and is escalated past its deadline
 * (HELD_PAYMENT_DEADLINE_S in ./global-setup.ts). Operator A signs in through
 * the Access look-alike, proposes to void it from the transaction page and
 * confirms; A's own approval is refused (self-approval, shown on the page);
 * approver B, in another browser context, approves with confirmation. The
 * user's status page, open all along, turns FAILED by itself (no reload), and
 * the balance is what it was before the withdrawal.
 *
 * Chromium is a requirement of this suite: without it this test fails, it never skips.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, origin, poll } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"];
const CONSOLE = "/api/v1/admin/console";

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required at ${CHROMIUM} (apt-get install -y chromium); .ci/run installs it.`,
    );
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
});

type Dom = { document: { getElementById(id: string): { textContent: string } | null } };

async function fundedUser(amount: string) {
  const email = `e2e.console.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  const register = await fetch(`${api}/auth/register`, {
    method: "POST",
    body: new URLSearchParams({ email, password }),
  });
  expect(register.status).toBe(201);
  const login = await fetch(`${api}/auth/login`, {
    method: "POST",
    body: new URLSearchParams({ username: email, password }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${access_token}` };
  const fund = await fetch(`${api}/wallet/fund`, {
    method: "POST",
    headers: auth,
    body: new URLSearchParams({ amount }),
  });
  expect(fund.status).toBe(201);
  const { payment_link } = (await fund.json()) as { payment_link: string };
  const paid = await fetch(payment_link, {
    method: "POST",
    body: new URLSearchParams({ outcome: "full" }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  return { auth };
}

type WalletView = { balance_minor: number; held_minor: number; available_minor: number };
const walletOf = async (auth: Record<string, string>) =>
  (await (await fetch(`${api}/wallet`, { headers: auth })).json()) as WalletView;

/** A browser context signed in through the Access look-alike's form, as `email` with `role`. */
async function signedIn(email: string, role: "operator" | "approver") {
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/__sandbox/access/login`);
  await page.fill('input[name="email"]', email);
  await page.selectOption('select[name="role"]', role);
  await Promise.all([page.waitForURL(`**${CONSOLE}`), page.click('button[type="submit"]')]);
  expect(await page.textContent("header .who")).toBe(`${email} (${role})`);
  return { context, page };
}

/** Click a form's submit button and wait for the page it leads to; returns its HTTP status. */
async function submit(page: Page, button: string): Promise<number> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(button)]);
  return response?.status() ?? 0;
}

describe("the operator console in a real browser", () => {
  it("A proposes a void, A's own approval is refused, B approves; the user's page turns FAILED live and the balance is back", async () => {
    const { auth } = await fundedUser("5000");
    const before = await poll(
      () => walletOf(auth),
      (w) => w.balance_minor === 500_000,
    );
    expect(before).toMatchObject({ balance_minor: 500_000, held_minor: 0 });

    // The transfer hangs at the provider: the withdrawal stays PENDING, unanswered.
    const note = `console-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const armed = await fetch(`${origin}/__sandbox/flutterwave/__control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operation: "transfers.create", match: note, mode: "hang", times: 1 }),
    });
    expect(armed.status).toBe(200);
    // The user's browser posts the form and is sent to the live status page.
    const withdrawn = await fetch(`${api}/wallet/withdraw`, {
      method: "POST",
      headers: { ...auth, accept: "text/html" },
      body: new URLSearchParams({
        amount: "1500",
        account_number: "0690000031",
        account_bank: "044",
        narration: note,
      }),
      redirect: "manual",
    });
    expect(withdrawn.status).toBe(303);
    const statusUrl = new URL(withdrawn.headers.get("location")!, origin).toString();
    const tx_ref = decodeURIComponent(new URL(statusUrl).pathname.split("/").pop()!);
    expect(await walletOf(auth)).toMatchObject({ balance_minor: 500_000, held_minor: 150_000 });

    const userContext = await browser.newContext();
    const userPage = await userContext.newPage();
    let navigations = 0;
    userPage.on("framenavigated", (frame) => {
      if (frame === userPage.mainFrame()) navigations += 1;
    });
    await userPage.goto(statusUrl);
    expect(await userPage.textContent("#status")).toBe("PENDING");

    // Operator A waits on the transaction's page until the wallet escalates it.
    const a = await signedIn(`a.${note}@ops.example`, "operator");
    const txPage = `${origin}${CONSOLE}/transactions/${encodeURIComponent(tx_ref)}`;
    await expect
      .poll(
        async () => {
          await a.page.goto(txPage);
          return a.page.textContent('[data-field="escalated"]');
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .not.toBe("—");
    await a.page.selectOption('form[data-act="decide"] select[name="decision"]', "void");
    await a.page.fill('form[data-act="decide"] input[name="evidence"]', "bank statement: no debit");
    expect(await submit(a.page, 'form[data-act="decide"] button[type="submit"]')).toBe(200);
    expect(await a.page.textContent('[data-field="summary"]')).toContain(`VOID ${tx_ref}`);
    expect(await submit(a.page, 'form[data-confirm="decide"] button[type="submit"]')).toBe(200);
    expect(a.page.url()).toBe(`${txPage}?done=proposed`);
    expect(await a.page.getAttribute(".banner", "data-done")).toBe("proposed");
    const proposal_id = await a.page.getAttribute("tr[data-proposal]", "data-proposal");
    expect(proposal_id).toMatch(/\S/);
    const row = `tr[data-proposal="${proposal_id}"]`;

    // A tries to approve their own proposal from the queue: refused, and told why.
    await a.page.goto(`${origin}${CONSOLE}/approvals`);
    expect(await submit(a.page, `${row} form[data-act="approve"] button[type="submit"]`)).toBe(200);
    expect(await submit(a.page, 'form[data-confirm="approve"] button[type="submit"]')).toBe(403);
    expect(await a.page.textContent("h1")).toBe("Self-approval refused");
    expect(await a.page.getAttribute("[data-problem]", "data-problem")).toBe("self_approval");
    expect(await userPage.textContent("#status")).toBe("PENDING");

    // Approver B approves, with confirmation.
    const b = await signedIn(`b.${note}@ops.example`, "approver");
    await b.page.goto(`${origin}${CONSOLE}/approvals`);
    expect(await b.page.textContent(row)).toContain(`a.${note}@ops.example`);
    expect(await submit(b.page, `${row} form[data-act="approve"] button[type="submit"]`)).toBe(200);
    expect(await b.page.textContent('[data-field="summary"]')).toContain("Approve and execute");
    expect(await submit(b.page, 'form[data-confirm="approve"] button[type="submit"]')).toBe(200);
    expect(await b.page.getAttribute(".banner", "data-done")).toBe("approved");
    expect(await b.page.locator(row).count()).toBe(0);

    // The user's page turns FAILED by itself, and the money is back.
    await userPage.waitForFunction(
      () =>
        (globalThis as unknown as Dom).document.getElementById("status")?.textContent === "FAILED",
      undefined,
      { timeout: 30_000 },
    );
    expect(navigations).toBe(1);
    expect(await walletOf(auth)).toMatchObject({
      balance_minor: before.balance_minor,
      held_minor: 0,
      available_minor: before.available_minor,
    });
    await Promise.all([a.context.close(), b.context.close(), userContext.close()]);
  }, 180_000);
});
