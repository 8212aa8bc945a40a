/**
 * The ports in our words (src/providers/port.ts), through the adapters that
 * serve them: a raw event becomes a neutral hint (or is ignored, or refused
 * as forged without carrying what it named), a reference the purchases port
 * names is one its own events are parsed back to, a quote is the provider's
 * product and price, a reference is bound once in the real ProviderRefs
 * object, and a queued event keeps the wire kind it had before ports (so
 * messages queued across a deploy are still read). VTpass is a fake fetch
 * (the outside world); nothing of ours is replaced.
 */
import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { eventPortFor, type ProviderDeps } from "../../src/providers";
import { referenceIndex } from "../../src/providers/references";
import { clearCatalogueCache, VTPASS, vtpassPurchases } from "../../src/providers/vtpass";
import { eventMessageFor, eventSource, QueueMessage } from "../../src/queue/messages";
import { env } from "../support/helpers";
import { client, fakeVtpass, json } from "../support/vtpass-fake";

const deps = (): ProviderDeps => ({
  env,
  ctx: createExecutionContext(),
  config: requireConfig(env),
  request_id: "ports-test",
});

/** A VTpass purchases port over a fake VTpass, its references in the real ProviderRefs object. */
const purchases = (fetch: (request: Request) => Promise<Response>) =>
  vtpassPurchases(client(fetch), { references: referenceIndex(env, VTPASS) });
const noVtpass = () => purchases(async () => new Response("not expected", { status: 599 }));

/** A transaction-update as VTpass words it, naming `request_id`. */
const updateBody = (request_id: string) =>
  JSON.stringify({
    type: "transaction-update",
    data: {
      code: "000",
      response_description: "TRANSACTION SUCCESSFUL",
      requestId: request_id,
      content: { transactions: { status: "delivered" } },
    },
  });

afterEach(() => clearCatalogueCache());

describe("ports: parseEvent turns a raw body into neutral facts", () => {
  it("reads a VTpass callback as a hint that names only the reference the port itself named", () => {
    const port = noVtpass();
    const reference = port.newReference(Date.now());
    expect(port.parseEvent(updateBody(reference))).toEqual({
      kind: "event",
      event: { provider_ref: reference, event_key: `vtpass:transaction-update:${reference}` },
    });
    expect(port.parseEvent(JSON.stringify({ type: "something-else" }))).toMatchObject({
      kind: "ignored",
    });
  });

  it("refuses a VTpass reference it could never have named as forged, without carrying it on", () => {
    const forged = `202611271200${"a".repeat(60_000)}`;
    const parsed = noVtpass().parseEvent(updateBody(forged));
    expect(parsed).toEqual({ kind: "forged", reason: "length", length: forged.length });
    expect(JSON.stringify(parsed).length).toBeLessThan(200);
  });

  it("reads a Flutterwave webhook by its source's port: a charge names a funding by our tx_ref", () => {
    const port = eventPortFor("flutterwave", deps());
    expect(port?.name).toBe("flutterwave");
    const charge = {
      event: "charge.completed",
      data: { id: 4242, tx_ref: "FUND-x", status: "successful", amount: 1, currency: "NGN" },
    };
    expect(port!.parseEvent(JSON.stringify(charge))).toEqual({
      kind: "event",
      event: {
        type: "FUND",
        our_ref: "FUND-x",
        provider_ref: "4242",
        event_key: "flw:charge.completed:4242:successful",
      },
    });
    expect(port!.parseEvent("not json")).toEqual({ kind: "ignored", reason: "not json" });
    expect(port!.references).toBeUndefined();
  });

  it("serves VTpass's events through the purchases port, which indexes its references", () => {
    const port = eventPortFor(VTPASS, deps());
    expect(port?.name).toBe(VTPASS);
    expect(port?.references).toBeDefined();
  });
});

describe("ports: the purchases port quotes from the provider's catalogue", () => {
  const plans = () =>
    fakeVtpass(() =>
      json({
        response_description: "000",
        content: {
          ServiceName: "MTN Data",
          serviceID: "mtn-data",
          varations: [
            {
              variation_code: "mtn-1gb",
              name: "1GB - 30 days",
              variation_amount: "300.00",
              fixedPrice: "Yes",
            },
          ],
        },
      }),
    );

  it("prices a data plan by the provider's list, and says when the plan is not on it", async () => {
    const vt = plans();
    const port = purchases(vt.fetch);
    expect(await port.quote({ kind: "data", network: "mtn", plan_code: "mtn-1gb" })).toEqual({
      ok: true,
      quote: {
        service_id: "mtn-data",
        variation_code: "mtn-1gb",
        amount_minor: 300_00,
        plan_name: "1GB - 30 days",
      },
    });
    expect(await port.quote({ kind: "data", network: "mtn", plan_code: "mtn-9tb" })).toEqual({
      ok: false,
      kind: "plan_unknown",
    });
  });

  it("quotes airtime as the provider's product for the network at the amount asked, and a plan as unavailable when the list cannot be read", async () => {
    expect(
      await noVtpass().quote({ kind: "airtime", network: "glo", amount_minor: 500_00 }),
    ).toEqual({
      ok: true,
      quote: { service_id: "glo", variation_code: null, amount_minor: 500_00, plan_name: null },
    });
    const down = fakeVtpass(() => new Response("down", { status: 503 }));
    expect(
      await purchases(down.fetch).quote({ kind: "data", network: "airtel", plan_code: "any" }),
    ).toEqual({ ok: false, kind: "unavailable" });
  });
});

describe("ports: a named reference is bound once", () => {
  it("binds a reference to one transaction, finds it again, and refuses a second transaction", async () => {
    const port = noVtpass();
    const reference = port.newReference(Date.now());
    expect(await port.references.transactionFor(reference)).toBeNull();
    expect(await port.references.bind(reference, "AIRTIME-one")).toBe("bound");
    expect(await port.references.bind(reference, "AIRTIME-one")).toBe("bound");
    expect(await port.references.bind(reference, "AIRTIME-two")).toBe("conflict");
    expect(await port.references.transactionFor(reference)).toBe("AIRTIME-one");
  });
});

describe("ports: a queued event keeps its wire kind", () => {
  it("queues each source under the kind it had before ports, and reads the source back from it", () => {
    for (const [source, kind] of [
      ["flutterwave", "flutterwave.webhook"],
      ["vtpass", "vtpass.callback"],
    ] as const) {
      const message = QueueMessage.parse(eventMessageFor(source, "req-1", "{}", 1));
      expect(message.kind).toBe(kind);
      expect(eventSource(message)).toBe(source);
    }
    expect(
      eventSource(QueueMessage.parse({ v: 1, kind: "ping", request_id: "r", sent_at_ms: 1 })),
    ).toBeNull();
  });
});
