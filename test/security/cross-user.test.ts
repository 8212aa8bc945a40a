/**
 * Security: one user reaching another's transactions. Every way in that names
 * a tx_ref (the API, the status pages, the checkout's callback page, the
 * watch socket) must answer another user's reference exactly as it answers a
 * reference that does not exist, so ids cannot be enumerated; and the
 * client-chosen Idempotency-Key must never replay someone else's answer.
 *
 * The owner always goes first as the control: the same request with the
 * owner's credential shows the transaction, so each refusal is about whose
 * credential it is and nothing else.
 */
import { describe, expect, it } from "vitest";
import { newTxRef } from "../../src/lib/ids";
import {
  api,
  authedJson,
  bearerFor,
  expectProblem,
  fundedWallet,
  newWallet,
  type Problem,
} from "../support/helpers";
import { buyAirtime, type Purchase, uniqueNaira } from "../support/purchases";
import { pendingFunding, ticketFor, upgrade } from "../support/realtime";

type Tx = { tx_ref: string; status: string; amount: string };

function withdraw(
  auth: Record<string, string>,
  amount: string,
  headers: Record<string, string> = {},
) {
  return api(
    "/wallet/withdraw",
    authedJson(auth, { amount, account_bank: "044", account_number: "0690000031" }, headers),
  );
}

/** What a refusal says, without the parts that differ per request. */
const said = (p: Problem) => ({
  status: p.status,
  type: p.type,
  code: p.code,
  title: p.title,
  detail: p.detail,
  errors: p.errors,
});

/** A page's HTML with the reference it was asked about blanked out (a page may echo what it was asked). */
async function page(path: string, headers: Record<string, string>, tx_ref: string) {
  const res = await api(path, { headers });
  expect(res.status).toBe(200);
  return (await res.text()).replaceAll(tx_ref, "<tx_ref>");
}

/** An owner with a withdrawal and an airtime purchase, and a stranger with a wallet of their own. */
async function ownerAndStranger() {
  const owner = await fundedWallet(5_000_000);
  const w = await withdraw(owner.auth, "1000");
  expect(w.status).toBe(202);
  const withdrawal = (await w.json()) as Tx;
  const p = await buyAirtime(owner.auth, {
    phone: "08011111111",
    amount: uniqueNaira(),
    network: "mtn",
  });
  expect(p.status).toBe(202);
  const purchase = (await p.json()) as Purchase;
  const stranger = await newWallet();
  return {
    owner,
    withdrawal,
    purchase,
    stranger: { ...stranger, auth: await bearerFor(stranger.user_id) },
  };
}

describe("cross-user reads answer like a reference that does not exist", () => {
  it("GET /wallet/transactions/{tx_ref}: another user's transaction, an unused reference of theirs, and an unused one of the caller's get the same 404", async () => {
    const { owner, withdrawal, purchase, stranger } = await ownerAndStranger();
    expect(
      (await api(`/wallet/transactions/${withdrawal.tx_ref}`, { headers: owner.auth })).status,
    ).toBe(200);
    const answers: Problem[] = [];
    for (const tx_ref of [
      withdrawal.tx_ref,
      purchase.tx_ref,
      newTxRef("WITHDRAW", owner.user_id),
      newTxRef("FUND", stranger.user_id),
      "wdr_x",
    ]) {
      answers.push(
        await expectProblem(
          await api(`/wallet/transactions/${tx_ref}`, { headers: stranger.auth }),
          404,
        ),
      );
    }
    for (const a of answers) expect(said(a)).toEqual(said(answers[0]));
    for (const a of answers) expect(JSON.stringify(a)).not.toContain(owner.user_id);
  });

  it("GET /wallet/transactions?starting_after= another user's reference is refused exactly like an unknown one, and lists nothing of theirs", async () => {
    const { owner, withdrawal, stranger } = await ownerAndStranger();
    const own = await api(`/wallet/transactions?starting_after=${withdrawal.tx_ref}`, {
      headers: owner.auth,
    });
    expect(own.status).toBe(200);
    const theirs = await expectProblem(
      await api(`/wallet/transactions?starting_after=${withdrawal.tx_ref}`, {
        headers: stranger.auth,
      }),
      422,
    );
    const unknown = await expectProblem(
      await api(`/wallet/transactions?starting_after=${newTxRef("WITHDRAW", owner.user_id)}`, {
        headers: stranger.auth,
      }),
      422,
    );
    expect(said(theirs)).toEqual(said(unknown));
    const list = (await (
      await api("/wallet/transactions?limit=100", { headers: stranger.auth })
    ).json()) as { data: Tx[] };
    expect(list.data).toEqual([]);
  });

  it("the withdrawal and purchase status pages show a stranger's bearer or ticket the same page as for a reference that does not exist", async () => {
    const { owner, withdrawal, purchase, stranger } = await ownerAndStranger();
    const strangersFunding = await pendingFunding();
    const strangersTicket = await ticketFor(strangersFunding.user_id, strangersFunding.tx_ref);
    for (const [base, tx] of [
      ["/wallet/withdraw/success", withdrawal],
      ["/wallet/purchases", purchase],
    ] as const) {
      const ownerView = await page(`${base}/${tx.tx_ref}`, owner.auth, tx.tx_ref);
      expect(ownerView).toContain(tx.amount);
      const missing = newTxRef(base.includes("withdraw") ? "WITHDRAW" : "AIRTIME", owner.user_id);
      const nothing = await page(`${base}/${missing}`, stranger.auth, missing);
      expect(nothing).not.toContain(tx.amount);
      expect(await page(`${base}/${tx.tx_ref}`, stranger.auth, tx.tx_ref)).toBe(nothing);
      // The owner's own ticket is for another transaction; a stranger's ticket is for theirs.
      expect(await page(`${base}/${tx.tx_ref}?ticket=${strangersTicket}`, {}, tx.tx_ref)).toBe(
        await page(`${base}/${missing}?ticket=${strangersTicket}`, {}, missing),
      );
      expect(
        await page(`${base}/${tx.tx_ref}?ticket=${strangersTicket}`, {}, tx.tx_ref),
      ).not.toContain(tx.amount);
    }
  });

  it("the checkout callback page shows nothing of a funding named with someone else's ticket, exactly as for one that does not exist", async () => {
    const victim = await pendingFunding(777_700);
    const attacker = await pendingFunding();
    const own = await page(
      `/wallet/flutterwave/callback?tx_ref=${victim.tx_ref}&ticket=${await ticketFor(victim.user_id, victim.tx_ref)}`,
      {},
      victim.tx_ref,
    );
    expect(own).toContain("7777.00");
    const ticket = await ticketFor(attacker.user_id, attacker.tx_ref);
    const theirs = await page(
      `/wallet/flutterwave/callback?tx_ref=${victim.tx_ref}&ticket=${ticket}`,
      {},
      victim.tx_ref,
    );
    const missing = newTxRef("FUND", victim.user_id);
    expect(theirs).toBe(
      await page(`/wallet/flutterwave/callback?tx_ref=${missing}&ticket=${ticket}`, {}, missing),
    );
    expect(theirs).not.toContain("7777.00");
    // A bearer header does not open the callback page either: it is the ticket's page.
    expect(
      await page(
        `/wallet/flutterwave/callback?tx_ref=${victim.tx_ref}`,
        await bearerFor(victim.user_id),
        victim.tx_ref,
      ),
    ).not.toContain("7777.00");
  });

  it("the watch socket refuses a stranger's token offered as a subprotocol exactly like an unknown reference", async () => {
    const victim = await pendingFunding();
    const stranger = await newWallet();
    const token = (await bearerFor(stranger.user_id)).authorization.slice("Bearer ".length);
    const offer = { "sec-websocket-protocol": `bearer, ${token}` };
    const theirs = await upgrade({ tx_ref: victim.tx_ref }, offer);
    const unknown = await upgrade({ tx_ref: newTxRef("FUND", victim.user_id) }, offer);
    expect(theirs.watcher).toBeNull();
    expect(said(await expectProblem(theirs.res, 404))).toEqual(
      said(await expectProblem(unknown.res, 404)),
    );
    const owner = await upgrade(
      { tx_ref: victim.tx_ref },
      {
        "sec-websocket-protocol": `bearer, ${(await bearerFor(victim.user_id)).authorization.slice(7)}`,
      },
    );
    expect(owner.res.status).toBe(101);
    owner.watcher!.close();
  });
});

describe("Idempotency-Key is the caller's own", () => {
  it("another user's withdrawal key and body start the caller's own withdrawal, never a replay of theirs", async () => {
    const owner = await fundedWallet(500_000);
    const stranger = await fundedWallet(500_000);
    const key = `shared-${crypto.randomUUID()}`;
    const first = await withdraw(owner.auth, "1000", { "idempotency-key": key });
    expect(first.status).toBe(202);
    const ownerTx = (await first.json()) as Tx;
    const replay = await withdraw(owner.auth, "1000", { "idempotency-key": key });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const strangers = await withdraw(stranger.auth, "1000", { "idempotency-key": key });
    expect(strangers.status).toBe(202);
    expect(strangers.headers.get("idempotent-replayed")).toBeNull();
    const strangerTx = (await strangers.json()) as Tx;
    expect(strangerTx.tx_ref).not.toBe(ownerTx.tx_ref);
    expect(strangerTx.tx_ref).toContain(stranger.user_id);
    // And the stranger's different body under the same key is not "reused" against the owner's.
    const other = await withdraw((await fundedWallet(500_000)).auth, "2000", {
      "idempotency-key": key,
    });
    expect(other.status).toBe(202);
  });

  it("another user's purchase key and body start the caller's own purchase, never a replay of theirs", async () => {
    const owner = await fundedWallet(5_000_000);
    const stranger = await fundedWallet(5_000_000);
    const key = `shared-${crypto.randomUUID()}`;
    const owners = await buyAirtime(
      owner.auth,
      { phone: "08011111111", amount: uniqueNaira(), network: "mtn" },
      { "idempotency-key": key },
    );
    expect(owners.status).toBe(202);
    const ownerTx = (await owners.json()) as Purchase;
    const strangers = await buyAirtime(
      stranger.auth,
      { phone: "08011111111", amount: uniqueNaira(), network: "mtn" },
      { "idempotency-key": key },
    );
    expect(strangers.status).toBe(202);
    expect(strangers.headers.get("idempotent-replayed")).toBeNull();
    const strangerTx = (await strangers.json()) as Purchase;
    expect(strangerTx.tx_ref).not.toBe(ownerTx.tx_ref);
    expect(strangerTx.tx_ref).toContain(stranger.user_id);
  });
});
