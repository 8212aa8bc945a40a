/**
 * Electricity through the real routes against the VTpass look-alike: the
 * catalogue, merchant-verify (each test meter, a wrong one, the cache), and a
 * payment for each test meter and each VTpass code class, held first and
 * settled once, the prepaid token stored with the transaction wherever it
 * arrives (the pay answer, a requery), and reaching a watcher when it is late.
 */
import { describe, expect, it, vi } from "vitest";
import { transactionChange } from "../../../src/projection/documents";
import {
  loadMongoDriverFirst,
  api,
  authedJson,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
  runReconciler,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";
import { payCount, uniqueMtnNumber, vtpassSettles } from "../../support/purchases";
import { watch } from "../../support/realtime";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

loadMongoDriverFirst();

const PREPAID = "1111111111111";
const POSTPAID = "1010101010101";

type Bill = {
  tx_ref: string;
  type: string;
  status: string;
  stage: string;
  amount_minor: number;
  failure_reason: string | null;
  details: Record<string, unknown>;
  service: string | null;
  account: string | null;
  customer_name: string | null;
  token: string | null;
  units: string | null;
  watch?: { websocket_url: string; ticket: string };
};

/** A whole-naira amount within the look-alike's DisCo range that no other test uses (VTpass refuses repeats within 30 s: 019). */
function uniqueAmount(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 1_000 + (n % 90_000);
}

function payElectricity(
  auth: Record<string, string>,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api("/wallet/electricity", authedJson(auth, body, headers));
}

async function accepted(res: Response): Promise<Bill> {
  const text = await res.text();
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
  return JSON.parse(text) as Bill;
}

const get = (auth: Record<string, string>, path: string) => api(path, { headers: auth });

describe("the electricity catalogue and merchant-verify", () => {
  it("lists every DisCo VTpass serves, with our range narrowed by the one VTpass publishes", async () => {
    const { auth } = await fundedWallet(1_00);
    const res = await get(auth, "/catalog/electricity");
    expect(res.status).toBe(200);
    const list = (await res.json()) as {
      source: string;
      data: { disco: string; min_minor: number; max_minor: number; min: string }[];
    };
    expect(list.source).toBe("vtpass_and_ours");
    expect(list.data.map((d) => d.disco)).toEqual(
      expect.arrayContaining(["ikeja-electric", "eko-electric", "abuja-electric", "yola-electric"]),
    );
    expect(list.data).toHaveLength(12);
    // The look-alike publishes 1,000 .. 500,000 naira; ours is 500 .. 500,000: the narrower wins.
    expect(list.data.find((d) => d.disco === "ikeja-electric")).toMatchObject({
      min_minor: 1_000_00,
      min: "1000.00",
      max_minor: 500_000_00,
    });
  });

  it("verifies the prepaid and postpaid test meters with VTpass's names, caches the answer, and answers 422 for a wrong meter", async () => {
    const { auth } = await fundedWallet(1_00);
    const disco = "eko-electric";
    const first = await get(
      auth,
      `/catalog/electricity/verify?disco=${disco}&meter=${PREPAID}&type=prepaid`,
    );
    expect(first.status).toBe(200);
    const prepaid = (await first.json()) as Record<string, unknown>;
    expect(prepaid).toMatchObject({
      disco,
      meter: PREPAID,
      type: "prepaid",
      customer_name: "TESTMETER1",
      address: "ABULE EGBA BU ABULE",
      can_vend: true,
    });
    const again = (await (
      await get(auth, `/catalog/electricity/verify?disco=${disco}&meter=${PREPAID}&type=prepaid`)
    ).json()) as { cached: boolean };
    expect(again.cached).toBe(true);
    const verifies = await controlData<{ count: number }>(
      await vtControl(`/requests?operation=verify&match=${PREPAID}`),
    );
    expect(verifies.count).toBeGreaterThanOrEqual(1);

    const postpaid = (await (
      await get(auth, `/catalog/electricity/verify?disco=${disco}&meter=${POSTPAID}&type=postpaid`)
    ).json()) as Record<string, unknown>;
    expect(postpaid).toMatchObject({ customer_name: "NP NGEMA", type: "postpaid" });

    const wrong = await expectProblem(
      await get(auth, `/catalog/electricity/verify?disco=${disco}&meter=12345678901&type=prepaid`),
      422,
    );
    expect(wrong.code).toBe("meter_invalid");
    // A DisCo we do not know, a missing type, letters in the meter: refused before VTpass is asked.
    for (const query of [
      `disco=nowhere-electric&meter=${PREPAID}&type=prepaid`,
      `disco=${disco}&meter=${PREPAID}`,
      `disco=${disco}&meter=11111abc&type=prepaid`,
    ])
      await expectProblem(await get(auth, `/catalog/electricity/verify?${query}`), 422);
  });
});

describe("POST /wallet/electricity through the look-alike's test meters", () => {
  it("pays the prepaid test meter at once: debited once, the token and units in the answer, the history and the details", async () => {
    const { auth, stub, user_id } = await fundedWallet(200_000_00);
    const amount = uniqueAmount();
    // Everything the Worker logs while it sells the token: the token must not be in it.
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = [
      vi.spyOn(console, "log").mockImplementation(capture),
      vi.spyOn(console, "info").mockImplementation(capture),
      vi.spyOn(console, "warn").mockImplementation(capture),
      vi.spyOn(console, "error").mockImplementation(capture),
    ];
    const answer = await payElectricity(auth, {
      disco: "ikeja-electric",
      meter: PREPAID,
      type: "prepaid",
      amount: String(amount),
      phone: uniqueMtnNumber(),
    }).finally(() => {
      for (const spy of spies) spy.mockRestore();
    });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain("26362054405982757802");
    const bill = await accepted(answer);
    expect(bill).toMatchObject({
      type: "ELECTRICITY",
      status: "SUCCESS",
      stage: "settled",
      service: "ikeja-electric",
      account: PREPAID,
      customer_name: "TESTMETER1",
      token: "26362054405982757802",
      amount_minor: amount * 100,
    });
    expect(bill.units).toMatch(/^\d+\.\d kWh$/);
    expect(bill.tx_ref).toMatch(/^elc_/);
    const tx = (await stub.getTransaction(bill.tx_ref))!;
    expect(tx.details).toMatchObject({ token: "26362054405982757802", meter_type: "prepaid" });
    expect(await payCount(tx.provider_ref!)).toBe(1);
    // The MongoDB projection's document carries it too (the feed's projection reader writes this).
    expect(transactionChange({ ...tx, owner_user_id: user_id }).doc).toMatchObject({
      type: "ELECTRICITY",
      token: "26362054405982757802",
      units: bill.units,
    });
    const history = (await (await get(auth, "/wallet/transactions?type=ELECTRICITY")).json()) as {
      data: { tx_ref: string; details: Record<string, unknown> }[];
    };
    expect(history.data.find((t) => t.tx_ref === bill.tx_ref)?.details.token).toBe(
      "26362054405982757802",
    );
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00 - amount * 100,
      held_minor: 0,
    });
  });

  it("pays the postpaid test meter: delivered with no token", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const bill = await accepted(
      await payElectricity(auth, {
        disco: "abuja-electric",
        meter: POSTPAID,
        type: "postpaid",
        amount: uniqueAmount(),
        phone: uniqueMtnNumber(),
      }),
    );
    expect(bill).toMatchObject({ status: "SUCCESS", customer_name: "NP NGEMA", token: null });
    expect((await stub.getTransaction(bill.tx_ref))!.details.token).toBeUndefined();
  });

  it("holds 201000000000 while pending, and the token that arrives on requery reaches a watcher and the transaction", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const amount = uniqueAmount();
    const bill = await accepted(
      await payElectricity(auth, {
        disco: "ikeja-electric",
        meter: "201000000000",
        type: "prepaid",
        amount,
        phone: uniqueMtnNumber(),
      }),
    );
    expect(bill).toMatchObject({ status: "PENDING", stage: "submitted", token: null });
    expect((await stub.summary())?.held_minor).toBe(amount * 100);
    const watcher = await watch({ tx_ref: bill.tx_ref, ticket: bill.watch!.ticket });
    expect(await watcher.status("PENDING")).not.toHaveProperty("token");
    const request_id = (await stub.getTransaction(bill.tx_ref))!.provider_ref!;
    await vtpassSettles(request_id, "delivered");
    await runReconciler(stub).catch(() => undefined);
    const frame = await watcher.status("SUCCESS");
    expect(frame).toMatchObject({ tx_type: "ELECTRICITY", stage: "settled" });
    expect(frame.token).toMatch(/^\d{20}$/);
    expect(frame.units).toMatch(/kWh$/);
    watcher.close();
    const tx = (await stub.getTransaction(bill.tx_ref))!;
    expect(tx.details.token).toBe(frame.token);
    expect(await payCount(request_id)).toBe(1);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00 - amount * 100,
      held_minor: 0,
    });
  });

  for (const meter of ["500000000000", "400000000000"])
    it(`treats ${meter}'s answer as unknown: held, then delivered by requery with the token only the requery carries`, async () => {
      const { auth, stub } = await fundedWallet(200_000_00);
      const bill = await accepted(
        await payElectricity(auth, {
          disco: "kano-electric",
          meter,
          type: "prepaid",
          amount: uniqueAmount(),
          phone: uniqueMtnNumber(),
        }),
      );
      expect(bill).toMatchObject({ status: "PENDING", stage: "submit_unknown", token: null });
      await runReconciler(stub);
      const tx = (await stub.getTransaction(bill.tx_ref))!;
      expect(tx).toMatchObject({ status: "SUCCESS", stage: "settled" });
      expect(tx.details.token).toMatch(/^\d{20}$/);
      expect(await payCount(tx.provider_ref!)).toBe(1);
    });

  it("keeps 300000000000's timed-out payment held, requeries it, and never sends a second pay", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const amount = uniqueAmount();
    const bill = await accepted(
      await payElectricity(auth, {
        disco: "jos-electric",
        meter: "300000000000",
        type: "prepaid",
        amount,
        phone: uniqueMtnNumber(),
      }),
    );
    expect(bill).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    const request_id = (await stub.getTransaction(bill.tx_ref))!.provider_ref!;
    await runReconciler(stub);
    expect((await stub.getTransaction(bill.tx_ref))?.status).toBe("PENDING");
    await vtpassSettles(request_id, "delivered");
    await runReconciler(stub);
    expect((await stub.getTransaction(bill.tx_ref))?.status).toBe("SUCCESS");
    expect(await payCount(request_id)).toBe(1);
  });

  it("releases the hold when VTpass fails a pending payment, and gives back one it reverses after delivery", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const failed = await accepted(
      await payElectricity(auth, {
        disco: "enugu-electric",
        meter: "201000000000",
        type: "postpaid",
        amount: uniqueAmount(),
        phone: uniqueMtnNumber(),
      }),
    );
    await vtpassSettles((await stub.getTransaction(failed.tx_ref))!.provider_ref!, "failed");
    await runReconciler(stub).catch(() => undefined);
    const gone = (await stub.getTransaction(failed.tx_ref))!;
    expect(gone).toMatchObject({ status: "FAILED", stage: "failed" });
    expect(gone.failure_reason).toMatch(/electricity payment failed/i);

    const delivered = await accepted(
      await payElectricity(auth, {
        disco: "enugu-electric",
        meter: PREPAID,
        type: "prepaid",
        amount: uniqueAmount(),
        phone: uniqueMtnNumber(),
      }),
    );
    expect(delivered.status).toBe("SUCCESS");
    await vtpassSettles((await stub.getTransaction(delivered.tx_ref))!.provider_ref!, "reversed");
    // A settled payment is not requeried: VTpass's callback (through the queue, confirmed by requery) brings the reversal.
    await eventually(async () =>
      expect((await stub.getTransaction(delivered.tx_ref))?.stage).toBe("reversed"),
    );
    const reversed = (await stub.getTransaction(delivered.tx_ref))!;
    expect(reversed).toMatchObject({ status: "FAILED", stage: "reversed" });
    expect(reversed.failure_reason).toMatch(/electricity payment was reversed/i);
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00,
      held_minor: 0,
    });
  });

  it("refuses with VTpass's reason when it refuses (nothing charged), and keeps a payment whose answer was lost pending", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const refused_phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", {
        body: { operation: "pay", match: refused_phone, mode: "refuse" },
      }),
    );
    const problem = await expectProblem(
      await payElectricity(auth, {
        disco: "ibadan-electric",
        meter: PREPAID,
        type: "prepaid",
        amount: uniqueAmount(),
        phone: refused_phone,
      }),
      422,
    );
    expect(problem).toMatchObject({ code: "purchase_refused", transaction_status: "FAILED" });
    expect(problem.detail).toMatch(/^The electricity payment was refused: /);

    const lost_phone = uniqueMtnNumber();
    await controlData(
      await vtControl("/faults", {
        body: { operation: "pay", match: lost_phone, mode: "http_500" },
      }),
    );
    const amount = uniqueAmount();
    const lost = await accepted(
      await payElectricity(auth, {
        disco: "ibadan-electric",
        meter: PREPAID,
        type: "prepaid",
        amount,
        phone: lost_phone,
      }),
    );
    expect(lost).toMatchObject({ status: "PENDING", stage: "submit_unknown" });
    await runReconciler(stub);
    expect((await stub.getTransaction(lost.tx_ref))?.status).toBe("PENDING");
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00,
      held_minor: amount * 100,
    });
  });

  it("answers a wrong meter and an amount outside the DisCo's range 422, and 503 while VTpass cannot verify, holding nothing", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const base = { disco: "benin-electric", type: "prepaid", phone: uniqueMtnNumber() };
    expect(
      (
        await expectProblem(
          await payElectricity(auth, { ...base, meter: "98765432101", amount: 2000 }),
          422,
        )
      ).code,
    ).toBe("meter_invalid");
    const low = await expectProblem(
      await payElectricity(auth, { ...base, meter: PREPAID, amount: 999 }),
      422,
    );
    expect(low).toMatchObject({ code: "amount_out_of_range", min_minor: 1_000_00 });
    await controlData(
      await vtControl("/faults", {
        body: { operation: "verify", match: "201000000000", mode: "http_500", times: 10 },
      }),
    );
    expect(
      (
        await expectProblem(
          await payElectricity(auth, {
            ...base,
            disco: "yola-electric",
            meter: "201000000000",
            amount: 2000,
          }),
          503,
        )
      ).code,
    ).toBe("verify_unavailable");
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 200_000_00,
      held_minor: 0,
    });
    const listed = await stub.listTransactions({ limit: 10, type: "ELECTRICITY" });
    expect(listed.ok && listed.data).toEqual([]);
  });

  it("takes a browser form and replays an Idempotency-Key's first answer, paying once", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const body = {
      disco: "portharcourt-electric",
      meter: PREPAID,
      type: "prepaid",
      amount: String(uniqueAmount()),
      phone: uniqueMtnNumber(),
    };
    const key = { "idempotency-key": `elc-${crypto.randomUUID()}` };
    const first = await accepted(await payElectricity(auth, body, key));
    const again = await accepted(await payElectricity(auth, body, key));
    expect(again.tx_ref).toBe(first.tx_ref);
    expect(await payCount((await stub.getTransaction(first.tx_ref))!.provider_ref!)).toBe(1);
    const posted = await api("/wallet/electricity", {
      method: "POST",
      redirect: "manual",
      headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...body, amount: String(uniqueAmount()) }).toString(),
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toMatch(/\/wallet\/purchases\/elc_/);
  });
});

describe("electricity: the money rules under load", () => {
  it(
    "with 5,000 available, 25 concurrent payments of 1,000: 10 pass the per-user limit, of which exactly 5 are held and 5 refused",
    async () => {
      const { auth, stub } = await fundedWallet(5_000_00);
      const phone = uniqueMtnNumber();
      // The payments stay pending (VTpass gives no answer), so every accepted one keeps its hold.
      await controlData(
        await vtControl("/faults", {
          body: { operation: "pay", match: phone, mode: "http_500", times: 25 },
        }),
      );
      // Verified once before the burst, so every request meets the same cached verification.
      expect(
        (
          await get(
            auth,
            `/catalog/electricity/verify?disco=ikeja-electric&meter=${PREPAID}&type=prepaid`,
          )
        ).status,
      ).toBe(200);
      await withinOneRateWindow(15_000);
      const answers = await Promise.all(
        Array.from({ length: 25 }, () =>
          payElectricity(auth, {
            disco: "ikeja-electric",
            meter: PREPAID,
            type: "prepaid",
            amount: "1000",
            phone,
          }),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
      expect(statuses.filter((s) => s === 422)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      for (const r of answers.filter((a) => a.status === 422))
        expect((await expectProblem(r, 422)).code).toBe("insufficient_funds");
      expect(await expectLedgerConsistent(stub)).toMatchObject({
        balance_minor: 5_000_00,
        held_minor: 5_000_00,
        available_minor: 0,
      });
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );
});
