/**
 * Electricity in a real browser (Debian's Chromium, driven by playwright-core)
 * against `wrangler dev` and the VTpass look-alike. Every API call goes
 * through the TypeScript client, as an integrator's app would:
 * - the user verifies the prepaid test meter, pays, and the status page shows
 *   the token large and grouped in fours, with its units; the copy button puts
 *   the digits (no spaces) on the clipboard, and where there is no clipboard API
 *   it selects the token for copying by hand;
 * - a prepaid payment whose answer is unclear (500000000000: the token comes
 *   only on requery) shows an open page PENDING with no token; when the
 *   wallet's own requery schedule settles it (first requery after 10 s), the
 *   token appears on that same page, with no reload.
 *
 * Chromium is a requirement of this suite: without it this test fails, it never skips.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, fundThroughCheckout, origin, registeredUser } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"];

const PREPAID = "1111111111111";
const DOCUMENTED_TOKEN = "26362054405982757802";
/** The look-alike answers a payment to this meter unexpectedly; the token is only in the requery's answer. */
const TOKEN_ON_REQUERY = "500000000000";

let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required at ${CHROMIUM} (apt-get install -y chromium); .ci/run installs it.`,
    );
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
});

afterAll(async () => {
  await browser?.close();
});

/** A tab that records script errors, CSP reports and failed loads of our own pages. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      problems.push(message.text());
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== "/favicon.ico")
      problems.push(`${response.status()} ${response.url()}`);
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  return { page, problems };
}

const naira = () => 1_000 + Math.floor(Math.random() * 9_000);
const phone = () => `0803${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;
const statusPageOf = (tx_ref: string, ticket: string) =>
  `${api}/wallet/purchases/${encodeURIComponent(tx_ref)}?ticket=${encodeURIComponent(ticket)}`;

type Dom = {
  document: { getElementById(id: string): { textContent: string; hidden: boolean } | null };
};

describe("an electricity token on the status page, in a real browser", () => {
  it("shows the prepaid token grouped in fours and copies it; a token that comes on requery appears on the open page", async () => {
    const { client } = await registeredUser("bills");
    await fundThroughCheckout(client, 30_000_00);

    // The user verifies the meter, then pays.
    const meter = await client.verifyMeter({
      disco: "ikeja-electric",
      meter: PREPAID,
      type: "prepaid",
    });
    expect(meter).toMatchObject({ customer_name: "TESTMETER1", meter: PREPAID });
    const paid = await client.buyElectricity({
      disco: "ikeja-electric",
      meter: PREPAID,
      type: "prepaid",
      amount: naira(),
      phone: phone(),
    });
    expect(paid).toMatchObject({ status: "SUCCESS", token: DOCUMENTED_TOKEN });

    const first = await watchedPage();
    await first.page.goto(statusPageOf(paid.tx_ref, paid.watch!.ticket));
    expect(await first.page.textContent("#status")).toBe("SUCCESS");
    expect(await first.page.textContent("#service")).toBe("Ikeja Electric (IKEDC)");
    expect(await first.page.textContent("#account")).toBe(PREPAID);
    expect(await first.page.textContent("#token")).toBe("2636 2054 4059 8275 7802");
    expect(await first.page.isVisible("#token")).toBe(true);
    expect(await first.page.textContent("#units")).toBe(paid.units);
    // The token is shown large (the page's own style, allowed by its CSP).
    const size = await first.page.$eval("#token", (node) =>
      Number.parseFloat(
        (
          globalThis as unknown as { getComputedStyle(n: unknown): { fontSize: string } }
        ).getComputedStyle(node).fontSize,
      ),
    );
    expect(size).toBeGreaterThanOrEqual(24);
    // watch.js shows the copy button; it copies the digits without the reading spaces.
    await first.page.click("#token-copy");
    await expect.poll(() => first.page.textContent("#token-copied")).toBe("Copied.");
    expect(
      await first.page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(DOCUMENTED_TOKEN);
    expect(first.problems).toEqual([]);
    await first.page.close();

    // Without the clipboard API (an older or locked-down browser): the token is selected for the user to copy.
    const bare = await watchedPage();
    await bare.page.addInitScript(() => {
      Object.defineProperty(
        (globalThis as unknown as { navigator: object }).navigator,
        "clipboard",
        { value: undefined },
      );
    });
    await bare.page.goto(statusPageOf(paid.tx_ref, paid.watch!.ticket));
    await bare.page.click("#token-copy");
    expect(await bare.page.textContent("#token-copied")).toMatch(/^Selected/);
    expect(
      await bare.page.evaluate(() =>
        String(
          (globalThis as unknown as { getSelection(): { toString(): string } }).getSelection(),
        ),
      ),
    ).toBe("2636 2054 4059 8275 7802");
    expect(bare.problems).toEqual([]);
    await bare.page.close();

    // The token only the requery carries: the page is open before it exists.
    const late = await client.buyElectricity({
      disco: "kano-electric",
      meter: TOKEN_ON_REQUERY,
      type: "prepaid",
      amount: naira(),
      phone: phone(),
    });
    expect(late).toMatchObject({ status: "PENDING", token: null });
    const second = await watchedPage();
    let navigations = 0;
    second.page.on("framenavigated", (frame) => {
      if (frame === second.page.mainFrame()) navigations += 1;
    });
    const socket = second.page.waitForEvent("websocket", { timeout: 10_000 });
    await second.page.goto(statusPageOf(late.tx_ref, late.watch!.ticket));
    await (await socket).waitForEvent("framereceived", { timeout: 10_000 });
    expect(await second.page.textContent("#status")).toBe("PENDING");
    expect(await second.page.isVisible("#token-box")).toBe(false);
    expect(await second.page.textContent("#token")).toBe("");

    // The wallet's requery schedule (no hook): its first requery finds the purchase delivered with its token.
    await second.page.waitForFunction(
      () => {
        const token = (globalThis as unknown as Dom).document.getElementById("token");
        return !!token && token.textContent !== "";
      },
      undefined,
      { timeout: 30_000 },
    );
    const stored = (await client.transaction(late.tx_ref)).details as { token?: string };
    expect(stored.token).toMatch(/^\d{20}$/);
    expect(await second.page.textContent("#token")).toBe(stored.token!.match(/.{4}/g)!.join(" "));
    expect(await second.page.isVisible("#token-box")).toBe(true);
    expect(await second.page.textContent("#status")).toBe("SUCCESS");
    expect(navigations).toBe(1);
    expect(second.problems).toEqual([]);
    await second.page.close();
  }, 45_000);
});
