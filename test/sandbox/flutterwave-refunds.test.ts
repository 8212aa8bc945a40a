/**
 * The Flutterwave look-alike's refunds, through its v3 API and control API:
 * partial refunds of a successful charge up to what is left of it, refusals
 * for more than that or for a charge that did not succeed, a failed refund
 * giving its amount back, statuses by mode (complete, pending then settled,
 * fail), and the count of refund requests per charge a test reads to prove
 * "sent at most once".
 */
import { describe, expect, it } from "vitest";
import { randomBase32 } from "../../src/lib/ids";
import { served } from "../support/faults";
import { control, envelope, flw } from "../support/sandbox";

type RefundJson = {
  id: number;
  tx_id: number;
  transaction_id: number;
  amount_refunded: number;
  status: string;
  comments: string;
};

async function charge(amount: number, status = "successful"): Promise<number> {
  const tx_ref = `fnd_rf${randomBase32(16)}`;
  return (
    await envelope<{ id: number }>(
      await control("/transactions", { body: { tx_ref, amount, status } }),
    )
  ).data.id;
}

const refund = (id: number, amount: number, comments = "owed back") =>
  flw(`/transactions/${id}/refund`, { body: { amount, comments } });

describe("look-alike refunds", () => {
  it("refunds part of a charge, then the rest, and refuses more than is left", async () => {
    const id = await charge(1500);
    const first = await refund(id, 500);
    expect(first.status).toBe(200);
    const created = (await envelope<RefundJson>(first)).data;
    expect(created).toMatchObject({ tx_id: id, transaction_id: id, amount_refunded: 500 });
    expect(created.status).toBe("completed");
    expect((await envelope<RefundJson>(await flw(`/refunds/${created.id}`))).data).toMatchObject({
      id: created.id,
      status: "completed",
      comments: "owed back",
    });
    const over = await refund(id, 1000.01);
    expect(over.status).toBe(400);
    expect((await refund(id, 1000)).status).toBe(200);
    expect((await refund(id, 0.01)).status).toBe(400);
    const listed = (await envelope<RefundJson[]>(await control(`/transactions/${id}/refunds`)))
      .data;
    expect(listed.map((r) => r.amount_refunded)).toEqual([1000, 500]);
    expect((await served("flutterwave", "refunds.create", `/${id}/refund`)).count).toBe(4);
  });

  it("refuses a charge that did not succeed, and an unknown charge", async () => {
    expect((await refund(await charge(100, "failed"), 10)).status).toBe(400);
    expect((await refund(9_999_999_999_999, 10)).status).toBe(404);
  });

  it("keeps a pending refund pending until it is settled, once", async () => {
    const id = await charge(800);
    await control("/refunds/mode", { body: { mode: "pending", transaction_id: id } });
    const created = (await envelope<RefundJson>(await refund(id, 300))).data;
    expect(created.status).toBe("pending");
    expect((await envelope<RefundJson>(await flw(`/refunds/${created.id}`))).data.status).toBe(
      "pending",
    );
    const settled = await control(`/refunds/${created.id}/settle`, {
      body: { status: "completed" },
    });
    expect(settled.status).toBe(200);
    expect((await envelope<RefundJson>(await flw(`/refunds/${created.id}`))).data.status).toBe(
      "completed",
    );
    expect(
      (await control(`/refunds/${created.id}/settle`, { body: { status: "failed" } })).status,
    ).toBe(409);
  });

  it("fails a refund in `fail` mode after accepting it, and gives its amount back", async () => {
    const id = await charge(400);
    await control("/refunds/mode", { body: { mode: "fail", transaction_id: id } });
    const created = (await envelope<RefundJson>(await refund(id, 400))).data;
    expect(created.status).toBe("pending");
    expect((await envelope<RefundJson>(await flw(`/refunds/${created.id}`))).data.status).toBe(
      "failed",
    );
    await control("/refunds/mode", { body: { mode: "complete", transaction_id: id } });
    // The failed refund left the whole charge refundable.
    expect((await refund(id, 400)).status).toBe(200);
  });

  it("lists refunds newest first with Flutterwave's paging", async () => {
    const id = await charge(50);
    const created = (await envelope<RefundJson>(await refund(id, 5))).data;
    const page = await envelope<RefundJson[]>(await flw("/refunds?page=1"));
    expect(page.data.length).toBeGreaterThan(0);
    expect(page.data[0].id).toBeGreaterThanOrEqual(created.id);
    expect(page.meta).toMatchObject({ page_info: { total_pages: expect.any(Number) } });
  });
});
