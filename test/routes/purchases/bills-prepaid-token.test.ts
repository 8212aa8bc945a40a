/**
 * A prepaid electricity payment is settled only with its token. VTpass may
 * answer "delivered" before the DisCo has issued the token (the look-alike's
 * meter 1111111111119 does: no token in the pay answer, the token on
 * requery). Such a payment stays held and submitted, the requery schedule
 * asks again, and the answer that carries the token settles it, with the
 * token in the transaction and the watcher's frame. Were it settled at the
 * "delivered", the token arriving later would be lost (a settled transaction
 * takes no change).
 */
import { describe, expect, it } from "vitest";
import { TOKENLESS_DELIVERY_METER } from "../../../src/sandbox/vtpass/bills";
import {
  api,
  authedJson,
  expectLedgerConsistent,
  fundedWallet,
  loadMongoDriverFirst,
  runReconciler,
} from "../../support/helpers";
import { payCount, uniqueMtnNumber } from "../../support/purchases";
import { watch } from "../../support/realtime";

loadMongoDriverFirst();

type Bill = {
  tx_ref: string;
  status: string;
  stage: string;
  token: string | null;
  units: string | null;
  watch?: { websocket_url: string; ticket: string };
};

function uniqueAmount(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 1_000 + (n % 90_000);
}

describe("a prepaid payment VTpass answers 'delivered' without a token", () => {
  it("stays held and submitted, and is settled by the requery that brings the token, which reaches the watcher", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const amount = uniqueAmount();
    const res = await api(
      "/wallet/electricity",
      authedJson(auth, {
        disco: "ibadan-electric",
        meter: TOKENLESS_DELIVERY_METER,
        type: "prepaid",
        amount,
        phone: uniqueMtnNumber(),
      }),
    );
    expect(res.status).toBe(202);
    const bill = (await res.json()) as Bill;
    expect(bill).toMatchObject({ status: "PENDING", stage: "submitted", token: null });
    expect((await stub.summary())?.held_minor).toBe(amount * 100);
    const opened = (await stub.getTransaction(bill.tx_ref))!;
    expect(opened.details.token).toBeUndefined();

    const watcher = await watch({ tx_ref: bill.tx_ref, ticket: bill.watch!.ticket });
    expect(await watcher.status("PENDING")).not.toHaveProperty("token");
    await runReconciler(stub);
    const frame = await watcher.status("SUCCESS");
    watcher.close();
    expect(frame).toMatchObject({ tx_type: "ELECTRICITY", stage: "settled" });
    expect(frame.token).toMatch(/^\d{20}$/);
    expect(frame.units).toMatch(/kWh$/);

    const settled = (await stub.getTransaction(bill.tx_ref))!;
    expect(settled).toMatchObject({ status: "SUCCESS", stage: "settled" });
    expect(settled.details.token).toBe(frame.token);
    // Asked again, never paid again.
    expect(await payCount(settled.provider_ref!)).toBe(1);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00 - amount * 100,
      held_minor: 0,
    });
  });

  it("still settles a postpaid payment at its 'delivered': a postpaid meter has no token to wait for", async () => {
    const { auth } = await fundedWallet(200_000_00);
    const res = await api(
      "/wallet/electricity",
      authedJson(auth, {
        disco: "ibadan-electric",
        meter: "1010101010101",
        type: "postpaid",
        amount: uniqueAmount(),
        phone: uniqueMtnNumber(),
      }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "SUCCESS", stage: "settled", token: null });
  });
});
