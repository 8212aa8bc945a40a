/**
 * A real browser on the Flutterwave callback page: headless Chromium (Debian's
 * package, driven by playwright-core) loads the page for a pending funding, the
 * test pays in the sandbox checkout, and the page must turn to SUCCESS by
 * itself: same document (a marker set on `window` before payment survives), no
 * navigation, no CSP violation.
 *
 * Chromium is a requirement of this suite (.ci/run installs it): without it
 * this test fails, it never skips.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const origin = inject("origin");
const api = `${origin}/api/v1`;

let context: BrowserContext;
const profile = mkdtempSync(join(tmpdir(), "wallet-chromium-"));

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required at ${CHROMIUM} (apt-get install -y chromium); .ci/run installs it.`,
    );
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
});

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
});

type Dom = { document: { getElementById(id: string): { textContent: string } | null } };

/** A fresh tab that records console errors, failed loads and main-frame navigations. */
async function watchedPage() {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    // Failed loads are judged by URL below (the browser's own /favicon.ico probe is fine).
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      problems.push(message.text());
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== "/favicon.ico")
      problems.push(`${response.status()} ${response.url()}`);
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  const seen = { navigations: 0 };
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) seen.navigations += 1;
  });
  return { page, problems, seen };
}

function pay(payment_link: string) {
  return fetch(payment_link, {
    method: "POST",
    body: new URLSearchParams({ outcome: "full" }),
    redirect: "manual",
  });
}

async function pendingFunding(amount: string) {
  const email = `e2e.browser.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  expect(
    (
      await fetch(`${api}/auth/register`, {
        method: "POST",
        body: new URLSearchParams({ email, password }),
      })
    ).status,
  ).toBe(201);
  const login = await fetch(`${api}/auth/login`, {
    method: "POST",
    body: new URLSearchParams({ username: email, password }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const res = await fetch(`${api}/wallet/fund`, {
    method: "POST",
    headers: { authorization: `Bearer ${access_token}` },
    body: new URLSearchParams({ amount }),
  });
  expect(res.status).toBe(201);
  const funding = (await res.json()) as { tx_ref: string; payment_link: string };
  // The page Flutterwave sends the browser back to: our redirect_url, as the sandbox received it.
  const control = await fetch(
    `${origin}/__sandbox/flutterwave/__control/payments/${funding.tx_ref}`,
  );
  expect(control.status).toBe(200);
  const data = (
    (await control.json()) as {
      data: { request?: { redirect_url: string }; redirect_url?: string };
    }
  ).data;
  const redirect_url = data.request?.redirect_url ?? data.redirect_url;
  expect(redirect_url).toMatch(/\/api\/v1\/wallet\/flutterwave\/callback\?ticket=/);
  return { ...funding, redirect_url: redirect_url! };
}

describe("the callback page in a real browser", () => {
  it("shows PENDING, then SUCCESS without a reload once the payment is made", async () => {
    const funding = await pendingFunding("2500");
    const { page, problems, seen } = await watchedPage();

    // The page opens its WebSocket; wait for the first status frame on it.
    const socket = page.waitForEvent("websocket", { timeout: 10_000 });
    await page.goto(funding.redirect_url);
    const ws = await socket;
    expect(new URL(ws.url()).pathname).toBe("/api/v1/ws/wallet");
    await ws.waitForEvent("framereceived", { timeout: 10_000 });

    expect(await page.textContent("#status")).toBe("PENDING");
    expect(await page.textContent("#headline")).toBe("Confirming your payment");
    // These functions run in the page; this project is typed without the DOM, hence `globalThis`.
    await page.evaluate(() => {
      (globalThis as { marker?: string }).marker = "set before payment";
    });

    // The customer pays in the sandbox checkout (in another tab, as it were).
    expect((await pay(funding.payment_link)).status).toBe(303);

    await page.waitForFunction(
      () =>
        (globalThis as unknown as Dom).document.getElementById("status")?.textContent === "SUCCESS",
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.getAttribute("#status", "class")).toBe("status SUCCESS");
    expect(await page.textContent("#headline")).toBe("Payment received");
    expect(await page.textContent("#body")).toBe("NGN 2500.00 has been added to your wallet.");
    expect(await page.textContent("#next")).toBe("You can close this page and return to the app.");
    // Same document: nothing reloaded it.
    expect(await page.evaluate(() => (globalThis as { marker?: string }).marker)).toBe(
      "set before payment",
    );
    expect(seen.navigations).toBe(1);
    // The script stops after a terminal status: its socket is closed.
    await expect.poll(() => ws.isClosed(), { timeout: 5_000 }).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("reconnects with backoff when the socket drops while PENDING, and still shows the settlement", async () => {
    const funding = await pendingFunding("700");
    const { page, problems, seen } = await watchedPage();
    // Every socket goes through a pass-through proxy in the browser; the first one is cut after its first status.
    let connections = 0;
    await page.routeWebSocket(/\/api\/v1\/ws\/wallet/, (route) => {
      connections += 1;
      const server = route.connectToServer();
      if (connections === 1) {
        server.onMessage((message) => {
          route.send(message);
          // 1012 (service restart): not a final code, so the page must retry.
          setTimeout(() => route.close({ code: 1012, reason: "dropped by the test" }), 100);
        });
      }
    });
    await page.goto(funding.redirect_url);
    await expect
      .poll(() => page.textContent("#live"), { timeout: 5_000 })
      .toBe("Reconnecting for live updates...");
    await expect.poll(() => connections, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => page.textContent("#live"), { timeout: 5_000 }).toBe("");
    expect((await pay(funding.payment_link)).status).toBe(303);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Dom).document.getElementById("status")?.textContent === "SUCCESS",
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.textContent("#headline")).toBe("Payment received");
    expect(seen.navigations).toBe(1);
    expect(connections).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  // Close codes after which the same request would fail again: one connection, then a final word.
  it.each([
    {
      code: 4401,
      reason: "unauthorized",
      says: "Live updates are not available for this page. Reload it to see the latest status.",
    },
    // The page's ticket expired: only a reload brings a fresh one.
    {
      code: 4001,
      reason: "credential expired",
      says: "Live updates for this page have ended. Reload it to see the latest status and keep watching.",
    },
  ])(
    "does not retry after close code $code ($reason), and asks for a reload",
    async ({ code, reason, says }) => {
      const funding = await pendingFunding("900");
      const { page, seen } = await watchedPage();
      let connections = 0;
      await page.routeWebSocket(/\/api\/v1\/ws\/wallet/, (route) => {
        connections += 1;
        route.close({ code, reason });
      });
      await page.goto(funding.redirect_url);
      await expect.poll(() => page.textContent("#live"), { timeout: 5_000 }).toBe(says);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(connections).toBe(1);
      expect(await page.textContent("#status")).toBe("PENDING");
      expect(seen.navigations).toBe(1);
      await page.close();
    },
  );
});
