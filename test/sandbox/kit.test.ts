/**
 * The sandbox kit, through the Flutterwave look-alike's control API: every
 * request a look-alike serves is counted (with the fault that answered it, if
 * any), so tests can prove at the provider that something was called once.
 */
import { describe, expect, it } from "vitest";
import { control, envelope, flw, transferBody, uniqueRef } from "../support/sandbox";

type Counted = { count: number; recent: { operation: string; fault: string | null; at: string }[] };

async function counted(operation: string, match: string): Promise<Counted> {
  return (
    await envelope<Counted>(
      await control(`/requests?operation=${operation}&match=${encodeURIComponent(match)}`),
    )
  ).data;
}

describe("sandbox kit: request counts", () => {
  it("counts each request per operation and match, including the ones a fault answered", async () => {
    const reference = uniqueRef("kit-count");
    expect(await counted("transfers.create", reference)).toEqual({ count: 0, recent: [] });
    await envelope(
      await control("/faults", {
        body: { operation: "transfers.create", match: reference, mode: "http_500" },
      }),
    );
    expect((await flw("/transfers", { body: transferBody(reference) })).status).toBe(500);
    expect((await flw("/transfers", { body: transferBody(reference) })).status).toBe(200);
    const after = await counted("transfers.create", reference);
    expect(after.count).toBe(2);
    expect(after.recent.map((r) => r.fault)).toEqual([null, "http_500"]);
    // Another operation with the same reference is counted apart.
    await flw(`/transfers?reference=${reference}`);
    expect((await counted("transfers.list", reference)).count).toBe(1);
    expect((await counted("transfers.create", reference)).count).toBe(2);
  });

  it("refuses a fault for an operation the look-alike does not have, or a commit mode on a read", async () => {
    expect(
      (await control("/faults", { body: { operation: "nope", mode: "http_500" } })).status,
    ).toBe(400);
    expect(
      (await control("/faults", { body: { operation: "transfers.get", mode: "commit_then_500" } }))
        .status,
    ).toBe(400);
  });
});
