/**
 * Fault injection through the control API: every mode, every operation,
 * scoping by `match`, consumption after `times`, and the lost-response modes
 * that commit before failing.
 */
import { describe, expect, it } from "vitest";
import { control, envelope, flw, paymentBody, transferBody, uniqueRef } from "../support/sandbox";

type Fault = { operation: string; match?: string; mode: string; times?: number };

async function arm(fault: Fault) {
  return (await envelope(await control("/faults", { body: fault }))).data;
}

describe("fault modes", () => {
  it("http_500 answers Flutterwave's 500 envelope", async () => {
    const scope = uniqueRef("f500");
    // Scoped by a query parameter so no other test's bank lookup is hit.
    await arm({ operation: "banks.list", match: `scope=${scope}`, mode: "http_500" });
    expect(await envelope(await flw(`/banks/NG?scope=${scope}`), 500)).toEqual({
      status: "error",
      message: "Internal server error",
      data: null,
    });
    expect((await flw(`/banks/NG?scope=${scope}`)).status).toBe(200);
  });

  it("gateway_timeout answers Flutterwave's 503 at once", async () => {
    const reference = uniqueRef("f503");
    await arm({ operation: "transfers.create", match: reference, mode: "gateway_timeout" });
    const started_ms = Date.now();
    const res = await flw("/transfers", { body: transferBody(reference) });
    expect(await envelope(res, 503)).toEqual({
      status: "error",
      message: "An error occurred. Please contact support",
      data: null,
    });
    expect(Date.now() - started_ms).toBeLessThan(1_000);
    // Nothing was committed.
    expect((await envelope(await flw(`/transfers?reference=${reference}`))).data).toEqual([]);
  });

  it("rate_limited answers 429 in Flutterwave's envelope", async () => {
    const tx_ref = uniqueRef("f429");
    await arm({ operation: "payments.create", match: tx_ref, mode: "rate_limited" });
    const body = await envelope(await flw("/payments", { body: paymentBody(tx_ref) }), 429);
    expect(body).toMatchObject({ status: "error", data: null });
  });

  it("malformed answers 200 with a body that does not parse as JSON", async () => {
    const tx_ref = uniqueRef("fbad");
    await arm({ operation: "payments.create", match: tx_ref, mode: "malformed" });
    const res = await flw("/payments", { body: paymentBody(tx_ref) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it("wrong_shape answers 200 with an envelope whose data is not the endpoint's", async () => {
    const tx_ref = uniqueRef("fshape");
    await arm({ operation: "payments.create", match: tx_ref, mode: "wrong_shape" });
    const body = await envelope(await flw("/payments", { body: paymentBody(tx_ref) }));
    expect(body.status).toBe("success");
    expect(body.data).not.toHaveProperty("link");
  });

  it("hang holds the answer until the client gives up", async () => {
    const reference = uniqueRef("fhang");
    await arm({ operation: "transfers.create", match: reference, mode: "hang" });
    const started_ms = Date.now();
    await expect(
      flw("/transfers", { body: transferBody(reference), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    const waited_ms = Date.now() - started_ms;
    expect(waited_ms).toBeGreaterThanOrEqual(280);
    expect(waited_ms).toBeLessThan(5_000);
    // The fault was consumed and nothing was committed: the next attempt succeeds.
    expect(
      (await envelope(await flw("/transfers", { body: transferBody(reference) }))).data.status,
    ).toBe("NEW");
  });
});

describe("lost responses (commit, then fail)", () => {
  it("commit_then_500 creates the transfer and answers 500; the reference then finds it and a retry is refused", async () => {
    const reference = uniqueRef("fc500");
    await arm({ operation: "transfers.create", match: reference, mode: "commit_then_500" });
    expect(
      (await envelope(await flw("/transfers", { body: transferBody(reference) }), 500)).message,
    ).toBe("Internal server error");
    const found = await envelope(await flw(`/transfers?reference=${reference}`));
    expect(found.data).toEqual([
      expect.objectContaining({ reference, status: "NEW", amount: 5500 }),
    ]);
    expect(
      (await envelope(await flw("/transfers", { body: transferBody(reference) }), 400)).message,
    ).toBe("A transfer with this reference already exists");
  });

  it("commit_then_hang records the payment link while the client times out", async () => {
    const tx_ref = uniqueRef("fchang");
    await arm({ operation: "payments.create", match: tx_ref, mode: "commit_then_hang" });
    await expect(
      flw("/payments", { body: paymentBody(tx_ref), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect((await envelope(await control(`/payments/${tx_ref}`))).data).toMatchObject({
      tx_ref,
      status: "open",
    });
    // A retry gets the link that was created.
    const retry = await envelope<{ link: string }>(
      await flw("/payments", { body: paymentBody(tx_ref) }),
    );
    expect(retry.data.link).toContain(
      (await envelope(await control(`/payments/${tx_ref}`))).data.link_id,
    );
  });

  it("refuses commit_then_* for an operation that creates nothing", async () => {
    const body = await envelope(
      await control("/faults", { body: { operation: "transfers.get", mode: "commit_then_500" } }),
      400,
    );
    expect(body.message).toMatch(/^mode is invalid/);
  });
});

describe("fault scope and lifetime", () => {
  it("hits only requests that contain its match", async () => {
    const mine = uniqueRef("fscope");
    const other = uniqueRef("fother");
    await arm({ operation: "transfers.create", match: mine, mode: "http_500" });
    expect((await flw("/transfers", { body: transferBody(other) })).status).toBe(200);
    expect((await flw("/transfers", { body: transferBody(mine) })).status).toBe(500);
  });

  it("matches the path and query as well as the body", async () => {
    const tx_ref = uniqueRef("fquery");
    await envelope(
      await control("/transactions", { body: { tx_ref, amount: 10, status: "successful" } }),
    );
    await arm({ operation: "transactions.verify_by_reference", match: tx_ref, mode: "http_500" });
    expect((await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`)).status).toBe(500);
    expect((await flw(`/transactions/verify_by_reference?tx_ref=${tx_ref}`)).status).toBe(200);
  });

  it("is consumed after `times` matching requests", async () => {
    const reference = uniqueRef("ftimes");
    await arm({
      operation: "transfers.create",
      match: reference,
      mode: "gateway_timeout",
      times: 2,
    });
    expect((await flw("/transfers", { body: transferBody(reference) })).status).toBe(503);
    expect((await flw("/transfers", { body: transferBody(reference) })).status).toBe(503);
    expect((await flw("/transfers", { body: transferBody(reference) })).status).toBe(200);
  });

  it("is listed while armed and cleared by DELETE with its match, leaving others", async () => {
    const a = uniqueRef("fclear-a");
    const b = uniqueRef("fclear-b");
    await arm({ operation: "transfers.create", match: a, mode: "http_500", times: 3 });
    await arm({ operation: "transfers.create", match: b, mode: "http_500" });
    const listed = (
      await envelope<{ match: string; remaining: number }[]>(await control("/faults"))
    ).data;
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ match: a, remaining: 3 }),
        expect.objectContaining({ match: b, remaining: 1 }),
      ]),
    );
    expect(
      (await envelope(await control(`/faults?match=${a}`, { method: "DELETE" }))).data,
    ).toEqual({ cleared: 1 });
    expect((await flw("/transfers", { body: transferBody(a) })).status).toBe(200);
    expect((await flw("/transfers", { body: transferBody(b) })).status).toBe(500);
  });

  it("refuses an unknown operation or mode", async () => {
    expect(
      (
        await envelope(
          await control("/faults", { body: { operation: "chargebacks.create", mode: "http_500" } }),
          400,
        )
      ).message,
    ).toMatch(/^operation is invalid/);
    expect(
      (
        await envelope(
          await control("/faults", { body: { operation: "banks.list", mode: "explode" } }),
          400,
        )
      ).message,
    ).toMatch(/^mode is invalid/);
  });
});

describe("every operation can be faulted", () => {
  it("applies a fault to each of the eight operations", async () => {
    const tag = uniqueRef("fops");
    const tx = (
      await envelope(
        await control("/transactions", { body: { tx_ref: tag, amount: 10, status: "successful" } }),
      )
    ).data;
    const transfer = (await envelope(await flw("/transfers", { body: transferBody(`${tag}-t`) })))
      .data;
    const calls: [string, () => Promise<Response>][] = [
      ["payments.create", () => flw("/payments", { body: paymentBody(`${tag}-p`) })],
      ["transactions.verify", () => flw(`/transactions/${tx.id}/verify?scope=${tag}`)],
      [
        "transactions.verify_by_reference",
        () => flw(`/transactions/verify_by_reference?tx_ref=${tag}`),
      ],
      ["transfers.create", () => flw("/transfers", { body: transferBody(`${tag}-t2`) })],
      ["transfers.get", () => flw(`/transfers/${transfer.id}?scope=${tag}`)],
      ["transfers.list", () => flw(`/transfers?reference=${tag}-t`)],
      [
        "accounts.resolve",
        () =>
          flw("/accounts/resolve", {
            body: { account_number: "0690000031", account_bank: "044", note: tag },
          }),
      ],
      ["banks.list", () => flw(`/banks/NG?scope=${tag}`)],
    ];
    for (const [operation, call] of calls) {
      await arm({ operation, match: tag, mode: "http_500" });
      const res = await call();
      expect({ operation, status: res.status }).toEqual({ operation, status: 500 });
    }
    expect(
      (await envelope<{ match: string }[]>(await control("/faults"))).data.filter(
        (f) => f.match === tag,
      ),
    ).toEqual([]);
  });
});
