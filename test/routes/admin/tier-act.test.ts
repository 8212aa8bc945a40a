/**
 * The KYC tier act (issue 21) through the real routes, signed in through the
 * Access look-alike: an operator proposes a downgrade, an upgrade to 3 or
 * lifting the override; the proposer may not approve it; a different
 * approver does, and the user's GET /wallet/limits, the audit log and the
 * change feed's wallet version show the new tier.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, bearerFor, expectProblem, newWallet } from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";

const unique = (who: string) => `${who}-${crypto.randomUUID().slice(0, 8)}@ops.test`;

async function send(path: string, method: string, headers: Record<string, string>, body?: unknown) {
  return api(path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

type Proposal = {
  id: string;
  kind: string;
  status: string;
  amount_minor: number;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
};

/** A wallet with a BVN and a NIN recorded through the Wallet's own method (the identity service's): tier 2. */
async function tier2Wallet() {
  const w = await newWallet();
  for (const kind of ["bvn", "nin"] as const) {
    const recorded = await w.stub.recordIdentity({
      kind,
      hash: `tier-act-${kind}-${w.user_id}`,
      last4: "0000",
      verified_name: "TEST USER",
      verified_dob: "1990-01-01",
      provider: "sandbox",
    });
    expect(recorded).toMatchObject({ outcome: "recorded" });
  }
  return w;
}

async function limitsOf(user_id: string) {
  const res = await api("/wallet/limits", { headers: await bearerFor(user_id) });
  expect(res.status).toBe(200);
  return (await res.json()) as { tier: number; daily_limit_minor?: number } & Record<
    string,
    unknown
  >;
}

describe("the tier act under four eyes", () => {
  it("a downgrade: proposed (202, nothing changes yet), self-approval refused, approved by another approver, the user's limits and the audit log show it", async () => {
    const { user_id, stub } = await tier2Wallet();
    expect((await limitsOf(user_id)).tier).toBe(2);
    const alice = await operatorHeaders(unique("alice"), "approver");
    const bob = await operatorHeaders(unique("bob"), "approver");

    const proposed = await send(`/admin/wallets/${user_id}/tier`, "POST", alice, {
      tier: 1,
      reason: "ticket 42: documents under review",
      evidence: "case-42",
    });
    expect(proposed.status).toBe(202);
    const proposal = (await proposed.json()) as Proposal;
    expect(proposal).toMatchObject({
      kind: "tier",
      status: "pending",
      amount_minor: 0,
      payload: { tier: 1 },
    });
    // Proposing changes nothing: the tier moves only on approval.
    expect((await limitsOf(user_id)).tier).toBe(2);

    const self = await send(
      `/admin/wallets/${user_id}/proposals/${proposal.id}/approve`,
      "POST",
      alice,
      {},
    );
    expect((await expectProblem(self, 403)).code).toBe("self_approval");
    expect((await limitsOf(user_id)).tier).toBe(2);

    const approved = await send(
      `/admin/wallets/${user_id}/proposals/${proposal.id}/approve`,
      "POST",
      bob,
      {
        reason: "checked",
      },
    );
    expect(approved.status).toBe(200);
    expect((await approved.json()) as Proposal).toMatchObject({
      status: "executed",
      result: { tier: 1, override: 1 },
    });
    const limits = await limitsOf(user_id);
    expect(limits.tier).toBe(1);
    expect(limits).toMatchObject({ daily_limit_minor: 50_000_00 });

    // Audited: proposed by alice, the refused self-approval, approved and executed by bob.
    const log = await send(`/admin/wallets/${user_id}/audit-log`, "GET", bob);
    expect(log.status).toBe(200);
    const entries = ((await log.json()) as { data: Record<string, unknown>[] }).data;
    const bobId = entries.find((e) => e.action === "approved")?.operator_id;
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "proposed", target: "tier", proposal_id: proposal.id }),
        expect.objectContaining({
          action: "refused",
          reason: "self_approval",
          proposal_id: proposal.id,
        }),
        expect.objectContaining({
          action: "executed",
          target: "tier_override",
          operator_id: bobId,
          reason: "ticket 42: documents under review",
          evidence: "case-42",
          before: { tier: 2 },
          after: { tier: 1, override: 1 },
          proposal_id: proposal.id,
        }),
      ]),
    );
    // On the change feed: the wallet's newest version carries the tier, the proposal its execution.
    const feed = await runInDurableObject(stub, async (_w, state) =>
      state.storage.sql
        .exec<{ entity: string; body: string }>(
          "SELECT entity, body FROM changes WHERE entity IN ('wallet', 'proposal') ORDER BY seq",
        )
        .toArray()
        .map((row) => ({
          entity: row.entity,
          ...(JSON.parse(row.body) as Record<string, unknown>),
        })),
    );
    expect(feed.filter((c) => c.entity === "wallet").at(-1)).toMatchObject({ tier: 1 });
    expect(feed.filter((c) => c.entity === "proposal").at(-1)).toMatchObject({
      id: proposal.id,
      status: "executed",
    });
    // The console's wallet page shows the tier and its limits, and the proposal in words.
    const page = await api(`/admin/console/wallets/${user_id}`, { headers: bob });
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('data-field="tier">1</b>');
    expect(html).toMatch(/data-field="tier-limits">daily 50,?000\.00/);
    expect(html).toContain("Set the KYC tier to 1: ticket 42: documents under review");
  });

  it("an upgrade to 3 is refused below tier 2 (422, nothing proposed) and granted over tier 2; lifting the override brings the identities' tier back", async () => {
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");

    const unverified = await newWallet();
    const refused = await send(`/admin/wallets/${unverified.user_id}/tier`, "POST", alice, {
      tier: 3,
      reason: "address verified",
    });
    expect(await expectProblem(refused, 422)).toMatchObject({
      code: "tier_upgrade_needs_tier_2",
      tier: 0,
    });
    const none = await send(`/admin/wallets/${unverified.user_id}/proposals`, "GET", bob);
    expect(((await none.json()) as { data: unknown[] }).data).toEqual([]);

    const { user_id } = await tier2Wallet();
    const approve = async (body: unknown) => {
      const res = await send(`/admin/wallets/${user_id}/tier`, "POST", alice, body);
      expect(res.status).toBe(202);
      const p = (await res.json()) as Proposal;
      const ok = await send(`/admin/wallets/${user_id}/proposals/${p.id}/approve`, "POST", bob, {});
      expect(ok.status).toBe(200);
      return (await ok.json()) as Proposal;
    };
    expect(await approve({ tier: 3, reason: "address verified" })).toMatchObject({
      status: "executed",
      result: { tier: 3 },
    });
    expect(await limitsOf(user_id)).toMatchObject({ tier: 3, daily_limit_minor: 5_000_000_00 });
    expect(await approve({ tier: 0, reason: "suspected fraud" })).toMatchObject({
      result: { tier: 0 },
    });
    expect((await limitsOf(user_id)).tier).toBe(0);
    expect(await approve({ tier: null, reason: "cleared" })).toMatchObject({
      result: { tier: 2, override: null },
    });
    expect((await limitsOf(user_id)).tier).toBe(2);
  });

  it("one override at a time: an upgrade approved after a downgrade replaces it (the identities still back tier 2)", async () => {
    const { user_id } = await tier2Wallet();
    const alice = await operatorHeaders(unique("alice"), "operator");
    const bob = await operatorHeaders(unique("bob"), "approver");
    const carol = await operatorHeaders(unique("carol"), "approver");
    const up = (await (
      await send(`/admin/wallets/${user_id}/tier`, "POST", alice, {
        tier: 3,
        reason: "address verified",
      })
    ).json()) as Proposal;
    // Meanwhile a downgrade is proposed and approved by another approver.
    const down = (await (
      await send(`/admin/wallets/${user_id}/tier`, "POST", alice, { tier: 1, reason: "review" })
    ).json()) as Proposal;
    expect(
      (await send(`/admin/wallets/${user_id}/proposals/${down.id}/approve`, "POST", carol, {}))
        .status,
    ).toBe(200);
    expect((await limitsOf(user_id)).tier).toBe(1);
    // Approving the upgrade replaces the downgrade: tier 3 over the identities' tier 2.
    const ok = await send(`/admin/wallets/${user_id}/proposals/${up.id}/approve`, "POST", bob, {});
    expect(ok.status).toBe(200);
    expect((await limitsOf(user_id)).tier).toBe(3);
  });

  it("a viewer may not propose (403), an operator may not approve (403), an unknown wallet is 404, a reason is required (422)", async () => {
    const { user_id } = await tier2Wallet();
    const viewer = await operatorHeaders(unique("vera"), "viewer");
    const alice = await operatorHeaders(unique("alice"), "operator");
    const dave = await operatorHeaders(unique("dave"), "operator");
    await expectProblem(
      await send(`/admin/wallets/${user_id}/tier`, "POST", viewer, { tier: 1, reason: "x" }),
      403,
    );
    await expectProblem(
      await send(`/admin/wallets/${user_id}/tier`, "POST", alice, { tier: 1 }),
      422,
    );
    await expectProblem(
      await send(`/admin/wallets/${user_id}/tier`, "POST", alice, { tier: 4, reason: "x" }),
      422,
    );
    const p = (await (
      await send(`/admin/wallets/${user_id}/tier`, "POST", alice, { tier: 1, reason: "review" })
    ).json()) as Proposal;
    await expectProblem(
      await send(`/admin/wallets/${user_id}/proposals/${p.id}/approve`, "POST", dave, {}),
      403,
    );
    expect((await limitsOf(user_id)).tier).toBe(2);
    const { newUserId } = await import("../../../src/lib/ids");
    await expectProblem(
      await send(`/admin/wallets/${newUserId()}/tier`, "POST", alice, {
        tier: 1,
        reason: "review",
      }),
      404,
    );
  });
});
