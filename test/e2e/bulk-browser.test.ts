/**
 * A bulk top-up watched from a real browser (Debian's Chromium, driven by
 * playwright-core) against `wrangler dev` and the VTpass look-alike: a page
 * of our own origin uploads a CSV of 50 airtime lines with fetch, opens the
 * batch's WebSocket with the ticket the answer carries, and records every
 * frame until the batch is final. The page must see each of the 50 lines
 * reach a final status, the counts add up to 50, and the wallet's balance
 * must be the opening balance less the lines that succeeded.
 *
 * The lines go to the look-alike's delivering test number, each with its own
 * amount (it refuses a repeat of number and amount within 30 s). The
 * development tiers count a day's credits and debits of an unverified wallet
 * (NGN 50,000): the funding and the batch stay well under it.
 *
 * Chromium is a requirement of this suite: without it this test fails, it never skips.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, fundThroughCheckout, poll, registeredUser } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"];
const LINES = 50;
const DELIVERS = "08011111111";
const FUNDED_NAIRA = 15_000;

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

type FrameLine = { line: number; status: string; amount_minor: number };
type BatchFrame = {
  type: string;
  batch_id: string;
  final: boolean;
  version: number;
  counts: Record<string, number>;
  changed: FrameLine[];
};
type PageRun = {
  status: number;
  batch_id: string;
  frames: BatchFrame[];
  close_code: number | null;
  error: string | null;
};

const FINAL = new Set(["succeeded", "failed", "refused", "skipped"]);

describe("a bulk top-up watched in a real browser", () => {
  it("uploads a CSV of 50 lines and sees every line reach a final status over the WebSocket", async () => {
    const { client, auth } = await registeredUser("bulk");
    const opening = await fundThroughCheckout(client, FUNDED_NAIRA * 100);

    // 50 distinct amounts from a random start: at most 50 x 250 = NGN 12,500.
    const start = 100 + Math.floor(Math.random() * 150);
    const amounts = Array.from({ length: LINES }, (_, i) => start + i);
    const csv = `type,phone,amount\r\n${amounts.map((a) => `airtime,${DELIVERS},${a}`).join("\r\n")}\r\n`;

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(String(error)));
    // A page of our own origin, so the upload and the socket are same-origin, as in the app.
    await page.goto(`${api}/health`);
    const run = await page.evaluate(
      async ({ csv, authorization }): Promise<PageRun> => {
        const res = await fetch("/api/v1/wallet/bulk", {
          method: "POST",
          headers: { authorization, "content-type": "text/csv" },
          body: csv,
        });
        const batch = (await res.json()) as {
          batch_id: string;
          watch: { websocket_url: string; ticket: string };
        };
        if (res.status !== 202)
          return { status: res.status, batch_id: "", frames: [], close_code: null, error: null };
        const url = new URL(batch.watch.websocket_url);
        url.searchParams.set("ticket", batch.watch.ticket);
        const frames: BatchFrame[] = [];
        return new Promise<PageRun>((resolve) => {
          const ws = new WebSocket(url.toString());
          const done = (close_code: number | null, error: string | null) =>
            resolve({ status: res.status, batch_id: batch.batch_id, frames, close_code, error });
          const timer = setTimeout(() => done(null, "no final frame within 100 s"), 100_000);
          ws.onmessage = (event) => {
            const frame = JSON.parse(String(event.data)) as BatchFrame;
            frames.push(frame);
          };
          // The Room closes the socket (1000) a short grace after the final frame.
          ws.onclose = (event) => {
            clearTimeout(timer);
            done(event.code, null);
          };
          ws.onerror = () => frames.length === 0 && done(null, "the socket failed to open");
        });
      },
      { csv, authorization: auth.authorization },
    );
    await page.close();
    expect(problems).toEqual([]);
    expect(run.error).toBeNull();
    expect(run.status).toBe(202);
    expect(run.close_code).toBe(1000);
    expect(run.frames.length).toBeGreaterThan(1);
    for (const frame of run.frames) {
      expect(frame).toMatchObject({ type: "batch", batch_id: run.batch_id });
      expect(Object.values(frame.counts).reduce((a, b) => a + b, 0)).toBe(LINES);
    }
    const last = run.frames[run.frames.length - 1];
    expect(last.final).toBe(true);
    expect(last.counts).toMatchObject({ queued: 0, sending: 0, pending: 0 });

    // Each line's newest status as the page heard it: all 50, each final.
    const latest = new Map<number, FrameLine>();
    for (const frame of run.frames) for (const l of frame.changed) latest.set(l.line, l);
    expect([...latest.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: LINES }, (_, i) => i + 2),
    );
    for (const l of latest.values()) expect(FINAL.has(l.status), JSON.stringify(l)).toBe(true);
    const succeeded = [...latest.values()].filter((l) => l.status === "succeeded");
    expect(succeeded).toHaveLength(last.counts.succeeded);
    // The look-alike delivers its test number: every line succeeds unless a run in
    // parallel used the same amount within 30 s, which it refuses.
    expect(succeeded.length).toBeGreaterThan(LINES - 5);

    const spent = succeeded.reduce((a, l) => a + l.amount_minor, 0);
    const after = await poll(
      () => client.wallet(),
      (w) => w.balance_minor === opening.balance_minor - spent && w.held_minor === 0,
    );
    expect(after.balance_minor).toBe(opening.balance_minor - spent);
    expect(after.held_minor).toBe(0);
  }, 150_000);
});
