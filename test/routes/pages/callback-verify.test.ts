/**
 * The callback page is public to anyone holding its link and may be reloaded
 * at will; each load used to ask the provider about the funding. Now a
 * verification is asked for at most once per CALLBACK_VERIFY_INTERVAL_MS per
 * funding, and other loads show the stored state.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CALLBACK_VERIFY_INTERVAL_MS } from "../../../src/domain/limits";
import { api, bearerFor, form, newWallet } from "../../support/helpers";
import { paid, pendingFunding, settle } from "../../support/realtime";
import { control, envelope } from "../../support/sandbox";

afterEach(() => vi.restoreAllMocks());

async function callbackPageFor(tx_ref: string): Promise<string> {
  const sent = (await envelope<any>(await control(`/payments/${tx_ref}`))).data;
  return (sent.request ?? sent).redirect_url as string;
}

describe("the callback page's verification requests", () => {
  it(`sends one verification for many loads within CALLBACK_VERIFY_INTERVAL_MS (${CALLBACK_VERIFY_INTERVAL_MS} ms), and still shows the page each time`, async () => {
    const { user_id } = await newWallet();
    const res = await api("/wallet/fund", form({ amount: "1200" }, await bearerFor(user_id)));
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const url = await callbackPageFor(tx_ref);
    // Watching the queue binding the Worker sends on (the send still happens).
    const sent = vi.spyOn(env.WALLET_EVENTS, "send");
    for (let i = 0; i < 5; i++) {
      const page = await exports.default.fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(tx_ref);
    }
    const verifications = sent.mock.calls.filter(
      ([message]) =>
        (message as { kind?: string; tx_ref?: string }).kind === "funding.verify" &&
        (message as { tx_ref?: string }).tx_ref === tx_ref,
    );
    expect(verifications).toHaveLength(1);
  });

  it("grants one request per interval in the wallet, to concurrent loads too, and again once the interval has passed", async () => {
    const { stub, tx_ref } = await pendingFunding();
    const grants = await Promise.all(
      Array.from({ length: 20 }, () => stub.claimCallbackVerify(tx_ref)),
    );
    expect(grants.filter((g) => g.verify)).toHaveLength(1);
    expect(grants.every((g) => g.tx?.tx_ref === tx_ref && g.tx.status === "PENDING")).toBe(true);
    // Moved back by exactly the interval, the last request no longer counts.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE callback_verifies SET requested_at_ms = requested_at_ms - ?",
        CALLBACK_VERIFY_INTERVAL_MS,
      );
    });
    expect((await stub.claimCallbackVerify(tx_ref)).verify).toBe(true);
    expect((await stub.claimCallbackVerify(tx_ref)).verify).toBe(false);
  });

  it("never grants one for a settled funding or an unknown reference, and keeps only recent requests", async () => {
    const { stub, tx_ref, amount_minor } = await pendingFunding();
    await settle(stub, tx_ref, paid(tx_ref, amount_minor));
    expect(await stub.claimCallbackVerify(tx_ref)).toMatchObject({
      verify: false,
      tx: { status: "SUCCESS" },
    });
    expect(await stub.claimCallbackVerify(`${tx_ref}x`)).toEqual({ tx: null, verify: false });
    const other = await pendingFunding();
    expect((await other.stub.claimCallbackVerify(other.tx_ref)).verify).toBe(true);
    await runInDurableObject(other.stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE callback_verifies SET requested_at_ms = requested_at_ms - ?",
        CALLBACK_VERIFY_INTERVAL_MS,
      );
    });
    await other.stub.claimCallbackVerify(`${other.tx_ref}x`);
    const rows = await runInDurableObject(other.stub, (_instance, state) =>
      state.storage.sql.exec("SELECT tx_ref FROM callback_verifies").toArray(),
    );
    expect(rows).toEqual([]);
  });
});
