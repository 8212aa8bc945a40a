/**
 * Flutterwave's status words -> ours, every one its documentation (and the
 * community copies of it) names, charges and transfers apart; anything else
 * is an error, never a default. Then the same through the client: a verify
 * answer whose charge is `pending` is pending, never paid, and a status we do
 * not know is `unknown`, so nothing is credited on it. Flutterwave is the
 * outside world here: the client's `fetch` answers as its API would.
 */
import { describe, expect, it } from "vitest";
import type { ProviderOutcome } from "../../../src/domain/transactions";
import {
  FlutterwaveClient,
  mapChargeStatus,
  mapTransferStatus,
} from "../../../src/providers/flutterwave/client";

describe("Flutterwave charge statuses", () => {
  it.each<[string, ProviderOutcome]>([
    ["successful", "succeeded"], // v3 verify and charge.completed
    ["succeeded", "succeeded"], // v4's word
    ["SUCCESSFUL", "succeeded"], // case is not meaning
    ["failed", "failed"], // v3, also sent as charge.completed
    ["cancelled", "failed"], // the customer gave up (redirect status, community handlers)
    ["error", "failed"],
    ["pending", "pending"], // transaction lists carry pending rows
    ["Pending", "pending"],
    ["processing", "pending"],
    ["initiated", "pending"],
  ])("maps %s to %s", (status, outcome) => {
    expect(mapChargeStatus(status)).toBe(outcome);
  });

  // `success` is the envelope's word, not a charge's; `completed` is an event's and a refund's.
  it.each(["", "success", "completed", "paid", "reversed", "successful "])(
    "refuses %j instead of guessing",
    (status) => {
      expect(() => mapChargeStatus(status)).toThrow(/unknown charge status/);
    },
  );
});

describe("Flutterwave transfer statuses", () => {
  it.each<[string, ProviderOutcome]>([
    ["NEW", "pending"], // queued (and waiting for approval)
    ["PENDING", "pending"],
    ["SUCCESSFUL", "succeeded"],
    ["FAILED", "failed"],
    ["successful", "succeeded"],
  ])("maps %s to %s", (status, outcome) => {
    expect(mapTransferStatus(status)).toBe(outcome);
  });

  it.each(["", "SUCCESS", "COMPLETED", "REVERSED", "pending approval"])(
    "refuses %j instead of guessing",
    (status) => {
      expect(() => mapTransferStatus(status)).toThrow(/unknown transfer status/);
    },
  );
});

/** A client whose Flutterwave answers every verify with one charge of this status. */
function verifyingClient(status: string) {
  const fetch = async (request: Request): Promise<Response> => {
    expect(new URL(request.url).pathname).toBe("/v3/transactions/4242/verify");
    const data = {
      id: 4242,
      tx_ref: "fnd_ref",
      flw_ref: "FLW-1",
      amount: 1500,
      currency: "NGN",
      status,
      processor_response: "Awaiting the bank",
    };
    return new Response(
      JSON.stringify({ status: "success", message: "Transaction fetched successfully", data }),
      { headers: { "content-type": "application/json" } },
    );
  };
  return new FlutterwaveClient({
    base_url: "https://flutterwave.test",
    secret_key: "FLWSECK_TEST-x-X",
    timeout_ms: 1_000,
    fetch,
  });
}

describe("a verified charge, through the client", () => {
  it("that Flutterwave reports pending is pending, with its amount, never succeeded", async () => {
    const answer = await verifyingClient("pending").verifyTransaction("4242");
    expect(answer).toEqual({
      ok: true,
      value: {
        found: true,
        provider_ref: "4242",
        our_ref: "fnd_ref",
        outcome: "pending",
        amount_minor: 150_000,
        currency: "NGN",
        message: "Awaiting the bank",
      },
    });
  });

  it("whose status nobody documents is unknown, not a default", async () => {
    const answer = await verifyingClient("on-hold").verifyTransaction("4242");
    expect(answer).toMatchObject({
      ok: false,
      kind: "unknown",
      reason: 'unknown charge status "on-hold"',
    });
  });
});
