import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hmacSha256Base64 } from "../../../src/lib/crypto";
import { requireConfig } from "../../../src/lib/config";
import { WEBHOOK_BODY_MAX_BYTES } from "../../../src/lib/limits";
import { api, expectProblem } from "../../support/helpers";

const HASH = requireConfig(env).FLUTTERWAVE_WEBHOOK_HASH;
const event = (tx_ref = "fnd_webhooktest") =>
  JSON.stringify({
    event: "charge.completed",
    data: { id: 12345, tx_ref, status: "successful", amount: 100, currency: "NGN" },
  });

function post(body: string, headers: Record<string, string>) {
  return api("/wallet/flutterwave/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

describe("POST /wallet/flutterwave/webhook", () => {
  afterEach(() => vi.restoreAllMocks());

  it("accepts a body carrying the configured verif-hash and queues it with the raw payload", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const body = event();
    const res = await post(body, { "verif-hash": HASH, "x-request-id": "wh-1" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "accepted", request_id: "wh-1" });
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0][0]).toMatchObject({
      v: 1,
      kind: "flutterwave.webhook",
      request_id: "wh-1",
      raw_body: body,
    });
  });

  it("accepts flutterwave-signature as base64 HMAC-SHA256 of the raw body", async () => {
    const body = event();
    const res = await post(body, {
      "flutterwave-signature": hmacSha256Base64(HASH, new TextEncoder().encode(body)),
    });
    expect(res.status).toBe(200);
  });

  it("refuses a signature computed over a re-serialised body", async () => {
    const body = event();
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    await expectProblem(
      await post(body, {
        "flutterwave-signature": hmacSha256Base64(HASH, new TextEncoder().encode(reserialised)),
      }),
      401,
    );
  });

  for (const [name, headers] of [
    ["no signature header", {}],
    ["a wrong verif-hash", { "verif-hash": "not-the-hash" }],
    ["a verif-hash that only shares a prefix", { "verif-hash": HASH.slice(0, -1) }],
    ["an empty verif-hash", { "verif-hash": "" }],
    ["a wrong flutterwave-signature", { "flutterwave-signature": "AAAA" }],
  ] as [string, Record<string, string>][]) {
    it(`refuses ${name} with 401 and queues nothing`, async () => {
      const send = vi.spyOn(env.WALLET_EVENTS, "send");
      const problem = await expectProblem(await post(event(), headers), 401);
      expect(problem.code).toBe("webhook_signature_invalid");
      expect(send).not.toHaveBeenCalled();
    });
  }

  it("answers a signed body that is not a JSON object with 400, keeps it for inspection, and queues nothing", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const garbage = `{"event": "charge.completed", ${crypto.randomUUID()}`;
    expect((await expectProblem(await post(garbage, { "verif-hash": HASH }), 400)).code).toBe(
      "malformed_webhook",
    );
    await expectProblem(await post("[1,2,3]", { "verif-hash": HASH }), 400);
    expect(send).not.toHaveBeenCalled();
    const letters = await env.DEAD_LETTERS.getByName("wallet-events-dlq").list({ limit: 100 });
    const kept = letters!.data
      .filter((l) => l.source === "webhook-intake")
      .map((l) => JSON.parse(l.body_json) as { raw_base64: string });
    expect(kept.some((k) => atob(k.raw_base64) === garbage)).toBe(true);
  });

  it("refuses a body over the webhook limit with 413", async () => {
    const big = JSON.stringify({ event: "x", pad: "a".repeat(WEBHOOK_BODY_MAX_BYTES) });
    await expectProblem(await post(big, { "verif-hash": HASH }), 413);
  });

  it("answers 503 when the queue refuses, so Flutterwave retries", async () => {
    vi.spyOn(env.WALLET_EVENTS, "send").mockRejectedValueOnce(new Error("queue down"));
    expect((await expectProblem(await post(event(), { "verif-hash": HASH }), 503)).code).toBe(
      "queue_unavailable",
    );
  });
});
