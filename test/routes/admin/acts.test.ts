/**
 * Operators' acts through the real routes, signed in through the Access
 * look-alike: adjustments, four eyes and every refusal, freezes as users
 * meet them, and the audit log per wallet and across wallets.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adjust } from "../../../src/durable/wallet/adjustments";
import type { WalletCore } from "../../../src/durable/wallet/core";
import { newProposalId, newTxRef } from "../../../src/lib/ids";
import { OPS_PROPOSAL_TTL_S_DEFAULT } from "../../../src/lib/limits";
import {
  api,
  authedJson,
  bearerFor,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  form,
  fundedWallet,
  newWallet,
} from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS, operatorHeaders } from "../../support/operators";
import { buyAirtime, uniqueMtnNumber } from "../../support/purchases";
import { control, envelope } from "../../support/sandbox";

const unique = (who: string) => `${who}-${crypto.randomUUID().slice(0, 8)}@ops.test`;

async function send(path: string, method: string, headers: Record<string, string>, body?: unknown) {
  return api(path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const adjustment = (direction: "credit" | "debit", amount: string) => ({
  direction,
  amount,
  reason_code: "correction",
  reason: "ticket 7",
  user_note: "A correction to your balance",
});

describe("adjustments and four eyes through the routes", () => {
  it("credits below the threshold at once (201), shown in the user's history", async () => {
    const { user_id } = await newWallet();
    const alice = await operatorHeaders(unique("alice"), "operator");
    const res = await send(
      `/admin/wallets/${user_id}/adjustments`,
      "POST",
      alice,
      adjustment("credit", "1000"),
    );
    expect(res.status).toBe(201);
    const tx = (await res.json()) as { tx_ref: string; type: string; stage: string };
    expect(tx).toMatchObject({ type: "ADJUSTMENT", stage: "credited", amount_minor: 1_000_00 });
    const history = await api("/wallet/transactions?type=ADJUSTMENT", {
      headers: await bearerFor(user_id),
    });
    const listed = (await history.json()) as { data: { tx_ref: string; details: unknown }[] };
    expect(listed.data.map((t) => [t.tx_ref, t.details])).toEqual([
      [tx.tx_ref, { reason_code: "correction", note: "A correction to your balance" }],
    ]);
  });

  it("makes a debit a proposal and refuses self-approval, a viewer, the script token and a replay", async () => {
    const { user_id, stub } = await fundedWallet(5_000_00);
    const bob = unique("bob");
    const bobH = await operatorHeaders(bob, "approver");
    const proposed = await send(
      `/admin/wallets/${user_id}/adjustments`,
      "POST",
      bobH,
      adjustment("debit", "1000"),
    );
    expect(proposed.status).toBe(202);
    const { id } = (await proposed.json()) as { id: string };
    const approve = `/admin/wallets/${user_id}/proposals/${id}/approve`;
    expect((await expectProblem(await send(approve, "POST", bobH, {}), 403)).code).toBe(
      "self_approval",
    );
    const viewer = await operatorHeaders(unique("vic"), "viewer");
    expect((await expectProblem(await send(approve, "POST", viewer, {}), 403)).code).toBe(
      "role_required",
    );
    expect(
      (await expectProblem(await send(approve, "POST", ADMIN_TOKEN_HEADERS, {}), 403)).code,
    ).toBe("operator_required");
    const operator = await operatorHeaders(unique("op"), "operator");
    expect((await expectProblem(await send(approve, "POST", operator, {}), 403)).code).toBe(
      "role_required",
    );
    expect((await stub.summary())?.balance_minor).toBe(5_000_00);
    const carol = await operatorHeaders(unique("carol"), "approver");
    const ok = await send(approve, "POST", carol, { reason: "checked the ticket" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      status: "executed",
      decided_by: expect.stringMatching(/^carol-/),
    });
    expect((await stub.summary())?.balance_minor).toBe(4_000_00);
    expect((await expectProblem(await send(approve, "POST", carol, {}), 409)).code).toBe(
      "proposal_not_pending",
    );
    expect((await stub.summary())?.balance_minor).toBe(4_000_00);
    await expectLedgerConsistent(stub);
    // The audit log, per wallet and (through the operator index) across wallets.
    const log = await send(`/admin/wallets/${user_id}/audit-log`, "GET", ADMIN_TOKEN_HEADERS);
    const actions = ((await log.json()) as { data: { action: string }[] }).data.map(
      (e) => e.action,
    );
    // The wallet records the refusals that reach it (self-approval, the replay); the viewer,
    // the script token and the operator were turned away at the door (src/lib/admin-auth.ts).
    expect(actions.reverse()).toEqual(["proposed", "refused", "approved", "executed", "refused"]);
    await eventually(async () => {
      const all = await send(
        `/admin/audit?user_id=${user_id}&action=approved`,
        "GET",
        ADMIN_TOKEN_HEADERS,
      );
      const data = ((await all.json()) as { data: { proposal_id: string }[] }).data;
      expect(data.map((e) => e.proposal_id)).toEqual([id]);
    });
  });

  it("refuses a debit below zero, an expired proposal, and answers 404 for an unknown wallet", async () => {
    const { user_id, stub } = await fundedWallet(1_000_00);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const over = await send(
      `/admin/wallets/${user_id}/adjustments`,
      "POST",
      alice,
      adjustment("debit", "1000.01"),
    );
    expect((await expectProblem(over, 422)).code).toBe("insufficient_funds");
    const id = newProposalId();
    // A proposal made a TTL ago, by the object's own code at that instant.
    await runInDurableObject(stub, (instance) => {
      const core = (instance as unknown as { core: WalletCore }).core;
      adjust(
        core,
        { id: "old@ops.test", role: "operator" },
        {
          direction: "debit",
          amount_minor: 100,
          reason_code: "correction",
          reason: "r",
          user_note: "n",
        },
        { tx_ref: newTxRef("ADJUSTMENT", user_id), proposal_id: id },
        { threshold_minor: 0, ttl_ms: OPS_PROPOSAL_TTL_S_DEFAULT * 1000 },
        Date.now() - OPS_PROPOSAL_TTL_S_DEFAULT * 1000 - 1,
      );
    });
    const carol = await operatorHeaders(unique("carol"), "approver");
    const expired = await send(
      `/admin/wallets/${user_id}/proposals/${id}/approve`,
      "POST",
      carol,
      {},
    );
    expect((await expectProblem(expired, 410)).code).toBe("proposal_expired");
    const unknown = "usr0000000000000000";
    await expectProblem(
      await send(`/admin/wallets/${unknown}/proposals`, "GET", ADMIN_TOKEN_HEADERS),
      404,
    );
    await expectProblem(
      await send(`/admin/wallets/${unknown}/adjustments`, "POST", alice, adjustment("credit", "1")),
      404,
    );
  });

  it("lists the pending queue across wallets", async () => {
    const { user_id } = await fundedWallet(1_000_00);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const res = await send(
      `/admin/wallets/${user_id}/adjustments`,
      "POST",
      alice,
      adjustment("debit", "1"),
    );
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => {
      const queue = await send(
        "/admin/proposals?status=pending&limit=100",
        "GET",
        ADMIN_TOKEN_HEADERS,
      );
      const data = ((await queue.json()) as { data: { id: string; user_id: string }[] }).data;
      expect(data.find((p) => p.id === id)).toMatchObject({ user_id });
    });
  });
});

describe("freezes as a user meets them", () => {
  it("refuses a withdrawal, a purchase and (full) a funding with 422 wallet_frozen, and says why on GET /wallet", async () => {
    const { user_id, auth, stub } = await fundedWallet(10_000_00);
    const alice = await operatorHeaders(unique("alice"), "operator");
    const freeze = await send(`/admin/wallets/${user_id}/freeze`, "PUT", alice, {
      mode: "no_debit",
      reason: "Your account is under review",
      internal_reason: "fraud signal 12",
    });
    expect(freeze.status).toBe(200);
    const wallet = (await (await api("/wallet", { headers: auth })).json()) as { frozen: unknown };
    expect(wallet.frozen).toEqual({ mode: "no_debit", reason: "Your account is under review" });
    const withdraw = await api(
      "/wallet/withdraw",
      authedJson(auth, { amount: "500", account_number: "0690000031", account_bank: "044" }),
    );
    const problem = await expectProblem(withdraw, 422);
    expect(problem).toMatchObject({
      code: "wallet_frozen",
      reason: "Your account is under review",
    });
    const purchase = await buyAirtime(auth, { phone: uniqueMtnNumber(), amount: "500" });
    expect((await expectProblem(purchase, 422)).code).toBe("wallet_frozen");
    const funding = await api("/wallet/fund", form({ amount: "1500" }, auth));
    expect(funding.status).not.toBe(422);
    await funding.arrayBuffer();
    await send(`/admin/wallets/${user_id}/freeze`, "PUT", alice, {
      mode: "full",
      reason: "Closed",
      internal_reason: "court order",
    });
    expect(
      (await expectProblem(await api("/wallet/fund", form({ amount: "1500" }, auth)), 422)).code,
    ).toBe("wallet_frozen");
    expect(
      (
        await expectProblem(
          await send(`/admin/wallets/${user_id}/freeze`, "DELETE", ADMIN_TOKEN_HEADERS, {
            reason: "x",
          }),
          403,
        )
      ).code,
    ).toBe("operator_required");
    const lifted = await send(`/admin/wallets/${user_id}/freeze`, "DELETE", alice, {
      reason: "cleared",
    });
    expect(await lifted.json()).toEqual({ object: "freeze", frozen: null });
    expect((await stub.summary())?.balance_minor).toBe(10_000_00);
  });

  it("settles a withdrawal already in flight when the wallet is frozen in full: nothing is lost", async () => {
    const { user_id, auth, stub } = await fundedWallet(5_000_00);
    const res = await api(
      "/wallet/withdraw",
      authedJson(auth, { amount: "1000", account_number: "0690000031", account_bank: "044" }),
    );
    expect(res.status).toBe(202);
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const alice = await operatorHeaders(unique("alice"), "operator");
    const frozen = await send(`/admin/wallets/${user_id}/freeze`, "PUT", alice, {
      mode: "full",
      reason: "Under review",
      internal_reason: "case 9",
    });
    expect(frozen.status).toBe(200);
    const provider_ref = (await stub.getTransaction(tx_ref))?.provider_ref;
    await envelope(await control(`/transfers/${provider_ref}/settle`, { body: {} }));
    await control(`/transfers/${provider_ref}/deliver`, { body: {} });
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    expect(await stub.summary()).toMatchObject({
      balance_minor: 4_000_00,
      held_minor: 0,
      frozen: { mode: "full", reason: "Under review" },
    });
    await expectLedgerConsistent(stub);
  });
});
