/**
 * The profiler's counters (src/sandbox/bench/counters.ts, read by
 * scripts/profile.mjs) against `wrangler dev` started with BENCH_COUNTERS=1:
 * each kind of count sees exactly the calls a request makes, attributed to
 * where they happened, and the counted server still answers as it does
 * uncounted. Its own server: the suite's shared one counts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient } from "../../clients/typescript/src";
// @ts-expect-error plain ESM helper shared with the benchmark scripts
import { startDevServer } from "../../scripts/dev-server.mjs";

type Counts = Record<string, number>;
let server: { origin: string; stop: () => Promise<void> };

beforeAll(async () => {
  server = await startDevServer({ vars: { BENCH_COUNTERS: "1" } });
});
afterAll(async () => {
  await server?.stop();
});

async function counts(): Promise<Counts> {
  const res = await fetch(`${server.origin}/__sandbox/bench/counters`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { counts: Counts }).counts;
}

async function reset(): Promise<void> {
  expect(
    (await fetch(`${server.origin}/__sandbox/bench/counters/reset`, { method: "POST" })).status,
  ).toBe(200);
  expect(await counts()).toEqual({});
}

const matching = (all: Counts, pattern: RegExp) =>
  Object.fromEntries(Object.entries(all).filter(([key]) => pattern.test(key)));

describe("operation counters against `wrangler dev` (BENCH_COUNTERS=1)", () => {
  it("count one wallet read as one request, one round trip seen from both ends, and the object's SQL", async () => {
    const client = createWalletClient({ baseUrl: server.origin, retry: { max_attempts: 1 } });
    const email = `e2e.counters.${Date.now()}@example.com`;
    await client.register({ email, password: "correct horse battery" });
    await client.login(email, "correct horse battery");
    await new Promise((r) => setTimeout(r, 500)); // registration's background work is over

    await reset();
    const wallet = await client.wallet();
    expect(wallet.balance_minor).toBe(0);
    const seen = await counts();
    expect(seen["request worker:/api/v1"]).toBe(1);
    // The caller's stub call and the callee's method entry: the same single round trip.
    expect(matching(seen, /^rpc /)).toEqual({ "rpc worker:/api/v1 -> WALLET.summary": 1 });
    expect(matching(seen, /^call /)).toEqual({ "call Wallet.summary": 1 });
    expect(seen["sql Wallet"]).toBeGreaterThan(0);
    // One access log line, at the default level.
    expect(matching(seen, /^log\./)).toEqual({ "log.log worker:/api/v1": 1 });
  });

  it("count a funding's provider call, its body's zod validation and the checkout link it stores", async () => {
    const client = createWalletClient({ baseUrl: server.origin, retry: { max_attempts: 1 } });
    const email = `e2e.counters.fund.${Date.now()}@example.com`;
    await client.register({ email, password: "correct horse battery" });
    await client.login(email, "correct horse battery");
    await new Promise((r) => setTimeout(r, 500));

    await reset();
    const funding = await client.fund({ amount: "100" });
    expect(funding.payment_link).toContain("/__sandbox/flutterwave/");
    await new Promise((r) => setTimeout(r, 500));
    const seen = await counts();
    // Exactly one call to the Flutterwave look-alike, made by the route: what a provider HTTP call is here.
    expect(matching(seen, /^provider /)).toEqual({
      "provider worker:/api/v1 -> POST /__sandbox/flutterwave/v3/payments": 1,
    });
    expect(seen["rpc worker:/api/v1 -> WALLET.openFunding"]).toBe(1);
    expect(seen["rpc worker:/api/v1 -> WALLET.attachPaymentLink"]).toBe(1);
    expect(seen["zod.safeParseAsync worker:/api/v1"]).toBeGreaterThan(0);
    // The look-alike's own work is counted where it ran, apart from ours.
    expect(Object.keys(seen).some((key) => key.includes("self:/__sandbox/flutterwave"))).toBe(true);
  });
});
