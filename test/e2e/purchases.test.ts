/**
 * Airtime end to end against `wrangler dev` (real HTTP, the real local queue,
 * the VTpass look-alike): fund, then buy for the test numbers VTpass
 * documents: delivered at once, pending then delivered (watched live over the
 * WebSocket), and a failing number whose hold is released.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { api, origin, poll, registeredUser } from "./helpers";

type Wallet = { balance_minor: number; available_minor: number; held_minor: number };
type Purchase = { tx_ref: string; status: string; stage: string; watch: { websocket_url: string; ticket: string } };
type Frame = { type: string; status?: string; stage?: string; version?: number };

function amount(): string {
  // Whole naira the 30-second duplicate rule (same number and amount) has not
  // seen; three of them always fit in the 50,000 the test funds.
  return String(100 + Math.floor(Math.random() * 10_000));
}

/** Every status frame of one transaction until it is final (or the time is up). */
function watchUntilFinal(url: string, ticket: string, timeout_ms = 45_000): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const ws = new WebSocket(`${url}&ticket=${encodeURIComponent(ticket)}`);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`not final within ${timeout_ms} ms: ${JSON.stringify(frames)}`));
    }, timeout_ms);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type !== "status") return;
      frames.push(frame);
      if (frame.status !== "PENDING") {
        clearTimeout(timer);
        ws.close();
        resolve(frames);
      }
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe("airtime end to end against `wrangler dev`", () => {
  it("delivers to 08011111111, delivers 201000000000 later (watched live), and releases a failing number's hold", async () => {
    const { auth } = await registeredUser("purchase");
    const wallet = async () => (await (await fetch(`${api}/wallet/`, { headers: auth })).json()) as Wallet;
    const buy = async (phone: string, naira: string) => {
      const res = await fetch(`${api}/wallet/airtime`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ phone, amount: naira, network: "mtn" }) });
      const text = await res.text();
      expect(res.status, text).toBe(202);
      return JSON.parse(text) as Purchase;
    };

    // Fund 50,000 through the Flutterwave look-alike's checkout.
    const funding = (await (await fetch(`${api}/wallet/fund`, { method: "POST", headers: auth, body: new URLSearchParams({ amount: "50000" }) })).json()) as { payment_link: string };
    await fetch(funding.payment_link, { method: "POST", body: new URLSearchParams({ outcome: "full" }), redirect: "manual" });
    expect((await poll(wallet, (w) => w.balance_minor === 50_000_00)).balance_minor).toBe(50_000_00);

    // Delivered at once: debited.
    const first = amount();
    const delivered = await buy("08011111111", first);
    expect(delivered).toMatchObject({ status: "SUCCESS", stage: "settled" });
    let expected = 50_000_00 - Number(first) * 100;
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: 0 });

    // Pending: held while VTpass processes it; the look-alike delivers it ~20 s later and calls
    // back; the callback goes through the queue and a requery; the watcher sees it live.
    const second = amount();
    const pending = await buy("201000000000", second);
    expect(pending.status).toBe("PENDING");
    expect(pending.watch.websocket_url.startsWith(origin.replace("http", "ws"))).toBe(true);
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: Number(second) * 100 });
    const frames = await watchUntilFinal(pending.watch.websocket_url, pending.watch.ticket);
    expect(frames[0]).toMatchObject({ status: "PENDING", stage: "submitted" });
    expect(frames.at(-1)).toMatchObject({ status: "SUCCESS", stage: "settled" });
    const versions = frames.map((f) => f.version!);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expected -= Number(second) * 100;
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: 0 });

    // Any other number fails: nothing taken.
    const failed = await buy("08035550123", amount());
    expect(failed.status).toBe("FAILED");
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: 0, available_minor: expected });
  }, 90_000);
});
