/**
 * Every charge of a funding, as the reconciler and the consumer read them:
 * our Flutterwave client against the look-alike's `GET /v3/transactions`
 * (the look-alike is the outside world here). A tx_ref with more charges than
 * fit on a page is read page by page; another tx_ref's rows are never taken;
 * no charge is `not_found`; an unanswered list is `unknown`, so nothing moves.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../../src/lib/config";
import { randomBase32 } from "../../../src/lib/ids";
import { flutterwaveClient } from "../../../src/providers/flutterwave";
import { PROVIDER_READ_RETRIES } from "../../../src/providers/flutterwave/limits";
import { arm } from "../../support/faults";
import { control, envelope } from "../../support/sandbox";

const client = () =>
  flutterwaveClient(env, createExecutionContext(), requireConfig(env), {
    request_id: `charges-${randomBase32(8)}`,
  });

async function charge(tx_ref: string, amount: number, status = "successful"): Promise<string> {
  return String(
    (
      await envelope<{ id: number }>(
        await control("/transactions", { body: { tx_ref, amount, status } }),
      )
    ).data.id,
  );
}

describe("listCharges: every charge Flutterwave holds for a tx_ref", () => {
  it("reads every page, newest first, and nothing of another tx_ref", async () => {
    const tx_ref = `fnd_list${randomBase32(16)}`;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(await charge(tx_ref, 100 + i, i % 3 === 0 ? "failed" : "successful"));
    await charge(`fnd_other${randomBase32(16)}`, 500);
    const listed = await client().listCharges(tx_ref);
    expect(listed.ok).toBe(true);
    if (!listed.ok) return;
    expect(listed.value.map((f) => f.provider_ref)).toEqual([...ids].reverse());
    expect(listed.value.every((f) => f.our_ref === tx_ref)).toBe(true);
    expect(listed.value.filter((f) => f.outcome === "failed")).toHaveLength(4);
    expect(listed.value[0]).toMatchObject({
      found: true,
      amount_minor: 11_100,
      currency: "NGN",
      outcome: "succeeded",
    });
  });

  it("answers not_found for a tx_ref with no charge", async () => {
    expect(await client().listCharges(`fnd_none${randomBase32(16)}`)).toMatchObject({
      ok: false,
      kind: "not_found",
    });
  });

  it("answers unknown when the list goes unanswered, on every retry", async () => {
    const tx_ref = `fnd_hang${randomBase32(16)}`;
    await charge(tx_ref, 100);
    await arm(
      "flutterwave",
      "transactions.list",
      `tx_ref=${tx_ref}`,
      "http_500",
      1 + PROVIDER_READ_RETRIES,
    );
    expect(await client().listCharges(tx_ref)).toMatchObject({ ok: false, kind: "unknown" });
  });
});
