/**
 * Airtime end to end against `wrangler dev` (real HTTP, the real local queue,
 * the VTpass look-alike): fund, then buy for the test numbers VTpass
 * documents: delivered at once, pending then delivered (watched live over the
 * WebSocket), and a failing number whose hold is released. Every API call,
 * the watch included, goes through the TypeScript client.
 */
import { describe, expect, it } from "vitest";
import { collect, fundThroughCheckout, origin, registeredUser } from "./helpers";

function amount(): string {
  // Whole naira the 30-second duplicate rule (same number and amount) has not
  // seen; three of them always fit in the 20,000 the test funds, and funding and
  // purchases together in an unverified wallet's day (KYC tier 1: NGN 50,000).
  return String(100 + Math.floor(Math.random() * 4_000));
}

describe("airtime end to end against `wrangler dev`", () => {
  it("delivers to 08011111111, delivers 201000000000 later (watched live), and releases a failing number's hold", async () => {
    const { client } = await registeredUser("purchase");
    const wallet = () => client.wallet();
    const buy = async (phone: string, naira: string) => {
      const purchase = await client.buyAirtime({ phone, amount: naira, network: "mtn" });
      expect(client.lastStatus(), JSON.stringify(purchase)).toBe(202);
      return purchase;
    };

    // Fund 20,000 through the Flutterwave look-alike's checkout.
    await fundThroughCheckout(client, 20_000_00);

    // Delivered at once: debited.
    const first = amount();
    const delivered = await buy("08011111111", first);
    expect(delivered).toMatchObject({ status: "SUCCESS", stage: "settled" });
    let expected = 20_000_00 - Number(first) * 100;
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: 0 });

    // Pending: held while VTpass processes it; the look-alike delivers it ~20 s later and calls
    // back; the callback goes through the queue and a requery; the watcher sees it live.
    const second = amount();
    const pending = await buy("201000000000", second);
    expect(pending.status).toBe("PENDING");
    expect(pending.watch!.websocket_url.startsWith(origin.replace("http", "ws"))).toBe(true);
    expect(await wallet()).toMatchObject({
      balance_minor: expected,
      held_minor: Number(second) * 100,
    });
    // Watched with the purchase's ticket, as a page or another device would.
    const frames = await collect(
      client.watch(pending.tx_ref, {
        ticket: pending.watch!.ticket,
        signal: AbortSignal.timeout(45_000),
      }),
    );
    expect(frames[0]).toMatchObject({ status: "PENDING", stage: "submitted" });
    expect(frames.at(-1)).toMatchObject({ status: "SUCCESS", stage: "settled" });
    const versions = frames.map((f) => f.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expected -= Number(second) * 100;
    expect(await wallet()).toMatchObject({ balance_minor: expected, held_minor: 0 });

    // Any other number fails: nothing taken.
    const failed = await buy("08035550123", amount());
    expect(failed.status).toBe("FAILED");
    expect(await wallet()).toMatchObject({
      balance_minor: expected,
      held_minor: 0,
      available_minor: expected,
    });
  }, 90_000);
});
