/**
 * The Wallet's bulk part (src/durable/wallet/bulk.ts) through its RPC: a
 * batch is checked against the available balance less what running batches
 * still have to buy, a line is reported once, and storage itself refuses to
 * move a reported line back (schema step 13's trigger). Each batch change
 * reaches the feed as a 'batch' entity with counts that add up.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BulkOrder } from "../../../src/domain/bulk";
import { reportLine, startBatch, type StartBatchInput } from "../../../src/durable/wallet/bulk";
import type { WalletCore } from "../../../src/durable/wallet/core";
import type { Wallet } from "../../../src/durable/wallet/object";
import { newBatchId } from "../../../src/lib/ids";
import { fundedWallet } from "../../support/helpers";

const order = (phone: string): BulkOrder => ({ kind: "airtime", phone, amount_minor: 100_00 });
const lines = (n: number, price_minor = 100_00) =>
  Array.from({ length: n }, (_, i) => ({ line: i + 2, order: order("08011111111"), price_minor }));

/**
 * Start a batch inside the wallet without arming its alarm (the RPC arms it,
 * and the alarm would release and buy the lines while the test looks at them).
 * An alarm the funding left armed is cleared first, for the same reason: when
 * it fired mid-test it released the lines (a third version of the batch).
 */
function startQuietly(stub: DurableObjectStub<Wallet>, input: StartBatchInput) {
  return runInDurableObject(stub, async (instance, state) => {
    await state.storage.deleteAlarm();
    return startBatch((instance as unknown as { core: WalletCore }).core, input, Date.now());
  });
}

describe("Wallet bulk batches", () => {
  it("counts what running batches still have to buy against the balance of a new one", async () => {
    const w = await fundedWallet(500_00);
    const first = await startQuietly(w.stub, {
      batch_id: newBatchId(),
      partial: false,
      lines: lines(3),
    });
    expect(first).toMatchObject({ outcome: "started", batch: { counts: { queued: 3 } } });
    const second = await startQuietly(w.stub, {
      batch_id: newBatchId(),
      partial: false,
      lines: lines(3),
    });
    expect(second).toEqual({
      outcome: "not_covered",
      total_minor: 300_00,
      available_minor: 200_00,
      committed_minor: 300_00,
    });
    const partial = await startQuietly(w.stub, {
      batch_id: newBatchId(),
      partial: true,
      lines: lines(3),
    });
    expect(partial).toMatchObject({
      outcome: "started",
      batch: { counts: { queued: 2, skipped: 1 } },
    });
    // Nothing is held by starting a batch: each line holds its own when it is bought.
    expect((await w.stub.summary())?.held_minor).toBe(0);
  });

  it("records a line's report once, and storage refuses to move a reported line back", async () => {
    const w = await fundedWallet(500_00);
    const batch_id = newBatchId();
    // Started, reported early and marked released in one synchronous turn of the
    // object: an alarm the funding left running could otherwise release the
    // lines in between (and buy them), which is the drain's business, not this test's.
    const early = await runInDurableObject(w.stub, (instance, state) => {
      const core = (instance as unknown as { core: WalletCore }).core;
      startBatch(core, { batch_id, partial: false, lines: lines(2) }, Date.now());
      // A line not released is not reported (a forged or early message changes nothing).
      const outcome = reportLine(
        core,
        batch_id,
        2,
        { kind: "refused", code: "x", reason: "y" },
        Date.now(),
      );
      state.storage.sql.exec(
        "UPDATE bulk_lines SET state = 'sending', released_at_ms = ? WHERE batch_id = ?",
        Date.now(),
        batch_id,
      );
      return outcome;
    });
    expect(early).toBe("already");
    const report = { kind: "refused" as const, code: "wallet_frozen", reason: "Frozen." };
    expect(await w.stub.reportBulkLine(batch_id, 2, report)).toBe("recorded");
    expect(
      await w.stub.reportBulkLine(batch_id, 2, { kind: "refused", code: "other", reason: "z" }),
    ).toBe("already");
    expect(await w.stub.reportBulkLine(batch_id, 99, report)).toBe("unknown");
    const [line] = await w.stub.batchLines(batch_id, 0, 1);
    expect(line).toMatchObject({
      line: 2,
      status: "refused",
      code: "wallet_frozen",
      reason: "Frozen.",
    });
    await runInDurableObject(w.stub, (_i, state) => {
      expect(() =>
        state.storage.sql.exec("UPDATE bulk_lines SET state = 'sending' WHERE line = 2"),
      ).toThrow(/bulk_line_already_reported/);
      // Every version of the batch is on the feed, its counts adding up to its lines.
      const versions = state.storage.sql
        .exec<{ version: number; body: string }>(
          "SELECT version, body FROM changes WHERE entity = 'batch' AND entity_key = ? ORDER BY seq",
          batch_id,
        )
        .toArray();
      expect(
        versions.map((v) => v.version),
        JSON.stringify(versions),
      ).toEqual([1, 2]);
      for (const v of versions) {
        const body = JSON.parse(v.body) as { counts: Record<string, number>; lines: number };
        expect(Object.values(body.counts).reduce((a, b) => a + b, 0)).toBe(body.lines);
      }
      const last = JSON.parse(versions[1].body) as { changed: { line: number; status: string }[] };
      expect(last.changed).toMatchObject([{ line: 2, status: "refused" }]);
    });
  });
});
