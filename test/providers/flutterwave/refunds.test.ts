/**
 * The refunds port's Flutterwave adapter: against the look-alike for what it
 * can answer (accepted, status, found again by reference, refused, not
 * found), and by intercepting fetch for the words and shapes only the real
 * API sends (`completed-momo`, `processing`, `transaction_id` instead of
 * `tx_id`, a status nobody documented, a 5xx on create: unknown, never retried).
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../../src/lib/config";
import { randomBase32 } from "../../../src/lib/ids";
import { flutterwaveClient, flutterwaveRefunds } from "../../../src/providers/flutterwave";
import { FlutterwaveClient } from "../../../src/providers/flutterwave/client";
import { mapRefundStatus } from "../../../src/providers/flutterwave/refunds-adapter";
import { served } from "../../support/faults";
import { control, envelope } from "../../support/sandbox";

const port = () =>
  flutterwaveRefunds(flutterwaveClient(env, createExecutionContext(), requireConfig(env)));

async function charge(amount: number): Promise<string> {
  const tx_ref = `fnd_rp${randomBase32(16)}`;
  return String(
    (
      await envelope<{ id: number }>(
        await control("/transactions", { body: { tx_ref, amount, status: "successful" } }),
      )
    ).data.id,
  );
}

const reference = () => `rfd_${randomBase32(22)}_usr${randomBase32(16)}`;

/** A port whose every call is answered by `answer` (the outside world replaced, nothing else). */
function intercepted(answer: (request: Request) => Response): {
  port: ReturnType<typeof flutterwaveRefunds>;
  calls: Request[];
} {
  const calls: Request[] = [];
  const client = new FlutterwaveClient({
    base_url: "https://api.flutterwave.test",
    secret_key: "FLWSECK_TEST-x",
    timeout_ms: 1_000,
    fetch: async (request: Request) => {
      calls.push(request);
      return answer(request);
    },
  });
  return { port: flutterwaveRefunds(client), calls };
}

const ok = (data: unknown, meta?: unknown) =>
  new Response(JSON.stringify({ status: "success", message: "ok", data, meta }), { status: 200 });

describe("refunds port (Flutterwave) against the look-alike", () => {
  it("sends a partial refund in major units with our reference, and follows its status", async () => {
    const id = await charge(1500);
    const ref = reference();
    const sent = await port().refund({
      provider_tx_id: id,
      amount_minor: 50_000,
      currency: "NGN",
      comments: "overpayment",
      reference: ref,
    });
    expect(sent).toMatchObject({
      ok: true,
      value: { state: "pending", amount_minor: 50_000, reference: ref },
    });
    if (!sent.ok) return;
    expect(await port().refundStatus(sent.value.refund_id)).toMatchObject({
      ok: true,
      value: { refund_id: sent.value.refund_id, state: "completed", reference: ref },
    });
    expect(await port().findRefund(id, ref)).toMatchObject({
      ok: true,
      value: { refund_id: sent.value.refund_id },
    });
    expect(
      await port().lookup({ tx_ref: ref, provider_ref: null, details: { charge_ref: id } }),
    ).toMatchObject({ ok: true, value: { outcome: "succeeded", our_ref: ref } });
    expect((await served("flutterwave", "refunds.create", `/${id}/refund`)).count).toBe(1);
  });

  it("answers refused for more than the charge has left, not_found for what does not exist", async () => {
    const id = await charge(10);
    expect(
      await port().refund({
        provider_tx_id: id,
        amount_minor: 1_001,
        currency: "NGN",
        comments: "x",
        reference: reference(),
      }),
    ).toMatchObject({ ok: false, kind: "refused", status: 400 });
    expect(await port().refundStatus("999999999")).toMatchObject({ ok: false, kind: "not_found" });
    expect(await port().findRefund(id, reference())).toMatchObject({
      ok: false,
      kind: "not_found",
    });
  });
});

describe("refunds port (Flutterwave), answers only the real API gives", () => {
  it("maps every documented status word, and refuses to guess an unknown one", () => {
    for (const word of [
      "completed",
      "complete",
      "completed-bank-transfer",
      "completed-momo",
      "completed-mpgs",
      "completed-offline",
      "completed-preauth",
    ])
      expect(mapRefundStatus(word)).toBe("completed");
    for (const word of ["pending-momo", "processing", "pending"])
      expect(mapRefundStatus(word)).toBe("pending");
    expect(mapRefundStatus("failed")).toBe("failed");
    expect(() => mapRefundStatus("reversed-by-bank")).toThrow();
  });

  it("reads `transaction_id` and `comment` (the SDK's names) as well as the docs' `tx_id` and `comments`", async () => {
    const ref = reference();
    const { port: p } = intercepted(() =>
      ok({
        id: 75923,
        transaction_id: 908790,
        amount_refunded: 69,
        status: "completed-momo",
        comment: `x ref:${ref}`,
      }),
    );
    expect(await p.refundStatus("75923")).toEqual({
      ok: true,
      value: { refund_id: "75923", state: "completed", amount_minor: 6_900, reference: ref },
    });
  });

  it("an unknown status word is unknown, never a guess", async () => {
    const { port: p } = intercepted(() =>
      ok({ id: 1, tx_id: 2, amount_refunded: 1, status: "mystery" }),
    );
    expect(await p.refundStatus("1")).toMatchObject({ ok: false, kind: "unknown" });
  });

  it("a 5xx on create is unknown and is not sent again; the body carries amount and comments", async () => {
    const { port: p, calls } = intercepted(
      () => new Response(JSON.stringify({ status: "error", message: "oops" }), { status: 502 }),
    );
    const ref = reference();
    expect(
      await p.refund({
        provider_tx_id: "908790",
        amount_minor: 12_345,
        currency: "NGN",
        comments: "owed",
        reference: ref,
      }),
    ).toMatchObject({ ok: false, kind: "unknown" });
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe("POST");
    expect(new URL(calls[0].url).pathname).toBe("/v3/transactions/908790/refund");
    expect(await calls[0].json()).toEqual({ amount: 123.45, comments: `owed ref:${ref}` });
  });

  it("the create's `completed` is only an acceptance: the state comes from the status read", async () => {
    const { port: p } = intercepted(() =>
      ok({ id: 7, tx_id: 8, amount_refunded: 5, status: "completed" }),
    );
    expect(
      await p.refund({
        provider_tx_id: "8",
        amount_minor: 500,
        currency: "NGN",
        comments: "c",
        reference: reference(),
      }),
    ).toMatchObject({ ok: true, value: { refund_id: "7", state: "pending" } });
  });

  it("search skips another charge's refund with the same reference and pages no further than the last", async () => {
    const ref = reference();
    const { port: p, calls } = intercepted(() =>
      ok([{ id: 3, tx_id: 99, amount_refunded: 1, status: "pending", comments: `ref:${ref}` }], {
        page_info: { total_pages: 1 },
      }),
    );
    expect(await p.findRefund("42", ref)).toMatchObject({ ok: false, kind: "not_found" });
    expect(calls).toHaveLength(1);
  });
});
