/**
 * The kit's `slow_body` fault, as the suite relies on it: the look-alike
 * performs the request and sends the real status and headers at once, then
 * the body in pieces (so a client that bounds only the wait for headers is
 * held for the whole trickle), and stops when the client hangs up. And our
 * provider client, which bounds the whole exchange, answers "unknown" for it.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { randomBase32 } from "../../src/lib/ids";
import { PROVIDER_READ_RETRIES } from "../../src/providers/flutterwave/limits";
import { flutterwaveClient } from "../../src/providers/flutterwave";
import { createExecutionContext } from "cloudflare:test";
import { arm, served } from "../support/faults";

describe("slow_body", () => {
  it("answers the real status and headers at once, sends the body in pieces, and stops when the client hangs up", async () => {
    const scope = `slow-${randomBase32(12)}`;
    await arm("flutterwave", "banks.list", scope, "slow_body");
    const response = await exports.default.fetch(
      `http://wallet.test/__sandbox/flutterwave/v3/banks/NG?scope=${scope}`,
      {
        headers: { authorization: `Bearer ${requireConfig(env).FLUTTERWAVE_SECRET_KEY}` },
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const piece = new TextDecoder().decode(first.value);
    expect(piece.startsWith('{"status":"success"')).toBe(true);
    expect(() => JSON.parse(piece)).toThrow(); // a piece, not the answer
    await reader.cancel();
    expect(await served("flutterwave", "banks.list", scope)).toEqual({ count: 1, faulted: 1 });
  });

  it("is a read that went unanswered for our client, on every attempt, instead of a wait for the whole trickle", async () => {
    const config = requireConfig(env);
    const client = flutterwaveClient(env, createExecutionContext(), config, {
      request_id: `slow-${randomBase32(8)}`,
    });
    const scope = `slow-${randomBase32(12)}`;
    await arm(
      "flutterwave",
      "transactions.verify_by_reference",
      scope,
      "slow_body",
      1 + PROVIDER_READ_RETRIES,
    );
    const answer = await client.verifyByReference(scope);
    expect(answer).toMatchObject({ ok: false, kind: "unknown" });
    expect(await served("flutterwave", "transactions.verify_by_reference", scope)).toEqual({
      count: 1 + PROVIDER_READ_RETRIES,
      faulted: 1 + PROVIDER_READ_RETRIES,
    });
  });
});
