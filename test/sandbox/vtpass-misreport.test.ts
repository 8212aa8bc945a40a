/**
 * The VTpass look-alike's requery faults (POST /__control/purchases/:id/misreport):
 * requery misreports one final purchase's amount, status or existence, while
 * the control API keeps the truth, and only while the fault is set. Refused
 * for a purchase our side may still requery to settle money (pending, or its
 * callback still on its way). Through the real Worker and our real VtpassClient.
 */
import { describe, expect, it } from "vitest";
import {
  airtime,
  client,
  controlData,
  purchase,
  requestId,
  vt,
  vtControl,
  vtJson,
} from "../support/vtpass-sandbox";

const misreport = (request_id: string, body: unknown) =>
  vtControl(`/purchases/${request_id}/misreport`, { body });
const clear = (request_id: string) =>
  vtControl(`/purchases/${request_id}/misreport`, { method: "DELETE" });

/** A purchase paid at the look-alike directly: 08011111111 is delivered, any other number fails. */
async function paid(phone: string): Promise<{ request_id: string; amount_minor: number }> {
  const body = airtime(phone);
  const answer = await vtJson(await vt("/pay", { body }));
  expect(answer.code).toBe(phone === "08011111111" ? "000" : "016");
  return { request_id: body.request_id, amount_minor: Math.round(body.amount * 100) };
}

describe("requery faults", () => {
  it("misreport a final purchase's amount, status or existence on requery only, until cleared", async () => {
    const amount = await paid("08011111111");
    const failed_for = await paid("08011111111");
    const delivered_for = await paid("08022222222");
    const missing = await paid("08011111111");

    const reported_minor = amount.amount_minor - 50_00;
    expect(
      await controlData(
        await misreport(amount.request_id, { kind: "amount", amount: reported_minor / 100 }),
      ),
    ).toEqual({ request_id: amount.request_id, kind: "amount", amount_minor: reported_minor });
    await controlData(await misreport(failed_for.request_id, { kind: "status", status: "failed" }));
    await controlData(
      await misreport(delivered_for.request_id, { kind: "status", status: "delivered" }),
    );
    await controlData(await misreport(missing.request_id, { kind: "not_found" }));

    expect(await client().requery(amount.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: reported_minor },
    });
    expect(
      await vtJson(await vt("/requery", { body: { request_id: failed_for.request_id } })),
    ).toMatchObject({ code: "016", content: { transactions: { status: "failed" } } });
    expect(await client().requery(failed_for.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "failed", amount_minor: failed_for.amount_minor },
    });
    expect(await client().requery(delivered_for.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded" },
    });
    expect(
      await vtJson(await vt("/requery", { body: { request_id: missing.request_id } })),
    ).toMatchObject({ code: "015" });
    expect(await client().requery(missing.request_id)).toMatchObject({
      ok: false,
      kind: "not_found",
    });

    // The look-alike's own record is untouched: only what requery says changes.
    expect(await purchase(amount.request_id)).toMatchObject({
      amount_minor: amount.amount_minor,
      status: "delivered",
    });
    expect((await purchase(failed_for.request_id)).status).toBe("delivered");
    expect((await purchase(delivered_for.request_id)).status).toBe("failed");

    // Cleared one purchase at a time: requery tells the truth about it again, the others still lie.
    await controlData(await clear(amount.request_id));
    expect(await client().requery(amount.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: amount.amount_minor },
    });
    expect(await client().requery(missing.request_id)).toMatchObject({ kind: "not_found" });
    for (const p of [failed_for, delivered_for, missing])
      await controlData(await clear(p.request_id));
    expect(await client().requery(failed_for.request_id)).toMatchObject({
      value: { outcome: "succeeded" },
    });
    expect(await client().requery(delivered_for.request_id)).toMatchObject({
      value: { outcome: "failed" },
    });
    expect(await client().requery(missing.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: missing.amount_minor },
    });
  });

  it("is refused for a pending purchase (409), an unknown one (404) and a body it cannot use (400)", async () => {
    const pending = airtime("201000000000");
    expect(await vtJson(await vt("/pay", { body: pending }))).toMatchObject({
      content: { transactions: { status: "pending" } },
    });
    // Our side requeries a pending purchase to settle it: a misreport there would move money.
    expect((await misreport(pending.request_id, { kind: "not_found" })).status).toBe(409);
    expect(await client().requery(pending.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "pending" },
    });

    expect((await misreport(requestId(), { kind: "not_found" })).status).toBe(404);
    const delivered = await paid("08011111111");
    for (const body of [
      { kind: "amount" },
      { kind: "amount", amount: 0 },
      { kind: "amount", amount: "1.234" },
      { kind: "status", status: "pending" },
      { kind: "status" },
      { kind: "omit" },
    ])
      expect((await misreport(delivered.request_id, body)).status, JSON.stringify(body)).toBe(400);
    expect(await client().requery(delivered.request_id)).toMatchObject({
      ok: true,
      value: { outcome: "succeeded", amount_minor: delivered.amount_minor },
    });
  });
});
