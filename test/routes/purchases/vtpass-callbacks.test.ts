/**
 * VTpass's callbacks through the real route, queue and consumer, against the
 * look-alike: repeats for one purchase are folded into at most two requeries
 * per CALLBACK_REQUERY_INTERVAL_MS (the first at once, one more at the
 * interval's end), and a request_id we could not have sent is answered,
 * never queued, never requeried and never used to name an object.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { providerRefName, providerRefsShardName } from "../../../src/durable/provider-refs/object";
import { requireConfig } from "../../../src/lib/config";
import { CALLBACK_REQUERY_INTERVAL_MS } from "../../../src/durable/provider-refs/limits";
import { parseCallback } from "../../../src/providers/vtpass";
import { newRequestId } from "../../../src/providers/vtpass/request-id";
import { api, env, eventually, expectLedgerConsistent, fundedWallet } from "../../support/helpers";
import { buyAirtime, uniqueNaira, type Purchase } from "../../support/purchases";
import { controlData, requestCount, vtControl } from "../../support/vtpass-sandbox";

const SECRET = () => requireConfig(env).vtpass!.callback_secret;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A delivered airtime purchase (the look-alike delivers 08011111111 at once) and its VTpass request_id. */
async function deliveredPurchase() {
  const { auth, stub } = await fundedWallet(100_000_00);
  const amount = uniqueNaira();
  const res = await buyAirtime(auth, { phone: "08011111111", amount, network: "mtn" });
  const text = await res.text();
  expect(res.status, text).toBe(202);
  const p = JSON.parse(text) as Purchase;
  expect(p.status).toBe("SUCCESS");
  const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
  return { stub, tx_ref: p.tx_ref, request_id, amount_minor: Number(amount) * 100 };
}

/** The look-alike sends its transaction-update callback for a purchase again, to our secret URL. */
async function lookAlikeCallsBack(request_id: string): Promise<void> {
  const sent = await controlData<{ status_code: number | null; error: string | null }>(
    await vtControl(`/purchases/${encodeURIComponent(request_id)}/callback`, { body: {} }),
  );
  // Our answer was {"response":"success"}: VTpass counts it received and will not send it again.
  expect(sent).toMatchObject({ status_code: 200, error: null });
}

/** A transaction-update as VTpass words it, naming `request_id`. */
function updateBody(request_id: string): string {
  return JSON.stringify({
    type: "transaction-update",
    data: {
      code: "000",
      response_description: "TRANSACTION SUCCESSFUL",
      requestId: request_id,
      content: { transactions: { status: "delivered" } },
    },
  });
}

function postCallback(body: string): Promise<Response> {
  return api(`/wallet/vtpass/callback/${SECRET()}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the ProviderRefs object of that name holds (an object never written holds nothing). */
async function refsStored(name: string): Promise<number> {
  return runInDurableObject(
    env.PROVIDER_REFS.getByName(name),
    async (_refs, state) => (await state.storage.list()).size,
  );
}

/** The rows the reference's shard holds for it (a shard never bound into has no table at all). */
async function shardRows(reference: string): Promise<number> {
  return runInDurableObject(
    env.PROVIDER_REFS.getByName(providerRefsShardName("vtpass", reference)),
    async (_refs, state) => {
      const sql = state.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'refs'").toArray().length === 0)
        return 0;
      return sql.exec("SELECT 1 FROM refs WHERE reference = ?", reference).toArray().length;
    },
  );
}

describe("VTpass callbacks: repeats are folded into a bounded number of requeries", () => {
  it("requeries a delivered purchase once for 20 callbacks, once more at the interval's end, and again for a callback after it", async () => {
    const { stub, tx_ref, request_id, amount_minor } = await deliveredPurchase();
    expect(await requestCount("requery", request_id)).toBe(0);

    const first_at_ms = Date.now();
    for (let i = 0; i < 20; i++) await lookAlikeCallsBack(request_id);
    // The first callback is requeried at once (after the queue's batch timeout) ...
    await eventually(async () => expect(await requestCount("requery", request_id)).toBe(1));
    await sleep(2_000);
    expect(Date.now() - first_at_ms).toBeLessThan(CALLBACK_REQUERY_INTERVAL_MS);
    expect(await requestCount("requery", request_id)).toBe(1);
    // ... the 19 repeats by one more requery at the end of the interval (a change they announced is not lost).
    await eventually(
      async () => expect(await requestCount("requery", request_id)).toBe(2),
      CALLBACK_REQUERY_INTERVAL_MS + 5_000,
      250,
    );
    expect(Date.now() - first_at_ms).toBeGreaterThanOrEqual(CALLBACK_REQUERY_INTERVAL_MS);

    // A callback once that requery's interval is over is requeried at once, never dropped.
    await sleep(Math.max(0, first_at_ms + 2 * CALLBACK_REQUERY_INTERVAL_MS + 200 - Date.now()));
    await lookAlikeCallsBack(request_id);
    await eventually(async () => expect(await requestCount("requery", request_id)).toBe(3));

    expect(await stub.getTransaction(tx_ref)).toMatchObject({
      status: "SUCCESS",
      stage: "settled",
    });
    expect(await expectLedgerConsistent(stub)).toMatchObject({
      balance_minor: 100_000_00 - amount_minor,
      held_minor: 0,
    });
  }, 60_000);

  it("gives the claim back when the queue refuses a callback (503), so VTpass's retry is requeried at once", async () => {
    const { request_id } = await deliveredPurchase();
    const send = vi.spyOn(env.WALLET_EVENTS, "send").mockRejectedValueOnce(new Error("queue down"));
    const refused = await postCallback(updateBody(request_id));
    expect(refused.status).toBe(503);
    await refused.arrayBuffer();
    const retried = await postCallback(updateBody(request_id));
    expect(await retried.json()).toEqual({ response: "success" });
    // Queued at once, with no delay: the refused one left no claim behind.
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[1][1]).toBeUndefined();
    await eventually(async () => expect(await requestCount("requery", request_id)).toBe(1));
  });
});

describe("VTpass callbacks: a request_id we could not have sent is never used", () => {
  const unique = () => crypto.randomUUID().replaceAll("-", "");

  it("answers a 60 KB, a path-like or a dateless requestId with success, and queues nothing, requeries nothing and names no object", async () => {
    const tag = unique();
    const ids = [
      `202611271200${tag}${"a".repeat(60_000)}`,
      "../x",
      `../${tag}`,
      `202611271200/../${tag}`,
      `x${tag}`.slice(0, 32),
    ];
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    for (const id of ids) {
      const body = updateBody(id);
      // The body is a well-formed update: the id alone is what is refused.
      expect(parseCallback(body)).toMatchObject({ kind: "bad_request_id" });
      const res = await postCallback(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ response: "success" });
    }
    expect(send).not.toHaveBeenCalled();
    for (const id of ids.slice(1)) {
      expect(await refsStored(providerRefName("vtpass", id))).toBe(0);
      expect(await shardRows(id)).toBe(0);
    }
    await sleep(1_500);
    expect(await requestCount("requery", tag)).toBe(0);
    expect(await requestCount("requery", "../x")).toBe(0);
  });

  it("never names an object from such an id even when it reaches the consumer (a message queued before this check)", async () => {
    const tag = unique();
    const ids = [`202611271200${tag}${"b".repeat(60_000)}`, `../${tag}`];
    const { default: worker } = await import("../../../src/worker");
    const batch = createMessageBatch(
      "wallet-events",
      ids.map((id, i) => ({
        id: `old-${i}-${tag}`,
        timestamp: new Date(),
        attempts: 1,
        body: {
          v: 1,
          kind: "vtpass.callback",
          request_id: `req_${tag}`,
          received_at_ms: Date.now(),
          raw_body: updateBody(id),
        },
      })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    const result = (await getQueueResult(batch, ctx)) as unknown as {
      explicitAcks: string[];
      retryMessages: unknown[];
    };
    expect(result.explicitAcks).toHaveLength(ids.length);
    expect(result.retryMessages).toHaveLength(0);
    expect(await refsStored(providerRefName("vtpass", ids[1]))).toBe(0);
    expect(await shardRows(ids[1])).toBe(0);
    expect(await requestCount("requery", tag)).toBe(0);
  });

  it("drops a well-formed request_id we never sent at intake, writing nothing for it", async () => {
    const id = newRequestId(Date.now());
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const res = await postCallback(updateBody(id));
    expect(await res.json()).toEqual({ response: "success" });
    expect(send).not.toHaveBeenCalled();
    expect(await refsStored(providerRefName("vtpass", id))).toBe(0);
    expect(await shardRows(id)).toBe(0);
    expect(await requestCount("requery", id)).toBe(0);
  });
});
