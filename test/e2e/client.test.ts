/**
 * The TypeScript client (clients/typescript) against `wrangler dev`: the same
 * journey an integrator's code takes, through the client only (the sandbox's
 * checkout page stands in for the customer's browser). Proves on every run
 * that the generated types, the idempotent money calls and watch() fit the
 * real API, not just the scripted one of the client's unit tests.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  ApiProblem,
  createWalletClient,
  type StatusFrame,
  type WebSocketConstructor,
} from "../../clients/typescript/src";
import { origin, poll } from "./helpers";

function newClient() {
  // Node 20 has no global WebSocket: the `ws` package's has the same interface.
  return createWalletClient({
    baseUrl: origin,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
}

async function collect(frames: AsyncIterable<StatusFrame>): Promise<StatusFrame[]> {
  const seen: StatusFrame[] = [];
  for await (const frame of frames) seen.push(frame);
  return seen;
}

describe("the TypeScript client against `wrangler dev`", () => {
  it("registers, logs in, funds through the sandbox checkout, buys airtime, withdraws and watches the withdrawal settle", async () => {
    const client = newClient();
    const email = `e2e.client.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    await client.register({ email, password: "correct horse battery" });
    const token = await client.login(email, "correct horse battery");
    expect(token.token_type).toBe("bearer");
    expect((await client.me()).email).toBe(email);

    // Funding, with the amount as a JSON number (the document now says it may be).
    const funding = await client.fund({ amount: 20_000, currency: "NGN" });
    expect(funding).toMatchObject({
      status: "PENDING",
      amount: "20000.00",
      amount_minor: 2_000_000,
    });
    const watchingFunding = collect(client.watch(funding.tx_ref, { ticket: funding.watch.ticket }));
    // The customer pays in full on the hosted checkout (the Flutterwave look-alike).
    const paid = await fetch(funding.payment_link!, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    const fundingFrames = await watchingFunding;
    expect(fundingFrames.at(-1)).toMatchObject({
      tx_ref: funding.tx_ref,
      status: "SUCCESS",
      stage: "settled",
    });
    expect((await client.wallet()).balance_minor).toBe(2_000_000);

    // Airtime to VTpass's "delivered at once" test number.
    const naira = 100 + Math.floor(Math.random() * 5_000);
    const airtime = await client.buyAirtime({
      phone: "08011111111",
      amount: String(naira),
      network: "mtn",
    });
    expect(airtime).toMatchObject({ type: "AIRTIME", status: "SUCCESS", stage: "settled" });

    // The same Idempotency-Key and body replay the first answer instead of buying again.
    const key = `e2e-${Date.now()}`;
    const first = await client.buyAirtime(
      { phone: "08011111111", amount: String(naira + 1), network: "mtn" },
      { idempotency_key: key },
    );
    const replay = await client.buyAirtime(
      { phone: "08011111111", amount: String(naira + 1), network: "mtn" },
      { idempotency_key: key },
    );
    expect(replay.tx_ref).toBe(first.tx_ref);
    const after_purchases_minor = 2_000_000 - naira * 100 - (naira + 1) * 100;
    expect((await client.wallet()).balance_minor).toBe(after_purchases_minor);

    // A withdrawal to the sandbox's succeeding account, watched with the bearer token until it settles.
    const withdrawal = await client.withdraw({
      amount: 1500,
      account_number: "0690000031",
      account_bank: "044",
    });
    expect(withdrawal).toMatchObject({ type: "WITHDRAW", status: "PENDING" });
    const frames = await collect(client.watch(withdrawal.tx_ref));
    expect(frames[0].status === "PENDING" || frames.length === 1).toBe(true);
    expect(frames.at(-1)).toMatchObject({
      tx_ref: withdrawal.tx_ref,
      tx_type: "WITHDRAW",
      status: "SUCCESS",
      stage: "settled",
    });
    const versions = frames.map((f) => f.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(await client.transaction(withdrawal.tx_ref)).toMatchObject({ status: "SUCCESS" });
    const wallet = await poll(
      () => client.wallet(),
      (w) => w.held_minor === 0,
    );
    expect(wallet.balance_minor).toBe(
      after_purchases_minor - withdrawal.amount_minor - withdrawal.fee_minor,
    );
  }, 60_000);

  it("verifies a smartcard and a meter, pays TV priced by the server and prepaid electricity with its token", async () => {
    const client = newClient();
    const email = `e2e.client.bills.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    await client.register({ email, password: "correct horse battery" });
    await client.login(email, "correct horse battery");
    const funding = await client.fund({ amount: 20_000 });
    await fetch(funding.payment_link!, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    await poll(
      () => client.wallet(),
      (w) => w.balance_minor === 2_000_000,
    );
    const card = await client.verifySmartcard({ provider: "gotv", smartcard: "1212121212" });
    expect(card).toMatchObject({ provider: "gotv", customer_name: "TEST METER" });
    const tv = await client.payTv({
      provider: "gotv",
      smartcard: "1212121212",
      action: "renew",
      phone: "08031234567",
    });
    expect(tv).toMatchObject({ type: "TV", status: "SUCCESS", account: "1212121212" });
    expect(tv.amount_minor).toBe(card.renewal_amount_minor);
    const wrong = await client
      .verifyMeter({ disco: "ikeja-electric", meter: "1234567890123", type: "prepaid" })
      .catch((error: unknown) => error);
    expect(wrong).toMatchObject({ status: 422, code: "meter_invalid" });
    expect(
      await client.verifyMeter({
        disco: "ikeja-electric",
        meter: "1111111111111",
        type: "prepaid",
      }),
    ).toMatchObject({ customer_name: "TESTMETER1" });
    const light = await client.buyElectricity({
      disco: "ikeja-electric",
      meter: "1111111111111",
      type: "prepaid",
      amount: 1_000 + Math.floor(Math.random() * 9_000),
      phone: "08031234567",
    });
    expect(light).toMatchObject({ type: "ELECTRICITY", status: "SUCCESS" });
    expect(light.token).toBe("26362054405982757802");
    expect((await client.transaction(light.tx_ref)).details).toMatchObject({ token: light.token });
  }, 30_000);

  it("turns refusals into ApiProblem with the problem document's code and request id", async () => {
    const client = newClient();
    const refused = await client
      .login(`nobody.${Date.now()}@example.com`, "not the password")
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiProblem);
    expect(refused).toMatchObject({ status: 401 });
    expect((refused as ApiProblem).request_id).toMatch(/\S/);

    const email = `e2e.client.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    await client.register({ email, password: "correct horse battery" });
    await client.login(email, "correct horse battery");
    const broke = (await client
      .withdraw({ amount: "1500", account_number: "0690000031", account_bank: "044" })
      .catch((error: unknown) => error)) as ApiProblem;
    expect(broke).toMatchObject({ status: 422, code: "insufficient_funds" });
    // Refused before the upgrade: the problem document, not a bare socket failure.
    const unknown = (await collect(client.watch("wdr_doesnotexist")).catch(
      (error: unknown) => error,
    )) as ApiProblem;
    expect(unknown).toBeInstanceOf(ApiProblem);
    expect(unknown).toMatchObject({ status: 404, code: "not_found" });
  });
});
