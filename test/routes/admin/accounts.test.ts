/**
 * GET /admin/accounts through the real route: the admin guard, the books
 * after a funding, an airtime purchase (the VTpass look-alike) and a
 * withdrawal (the Flutterwave look-alike) made through the real routes, and
 * the anomaly the route reports when a shard's books stop balancing.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { booksShardName, booksShardOf, walletAccount } from "../../../src/domain/books";
import { BOOKS_SHARDS } from "../../../src/durable/books/limits";
import { entriesOf, walletAccountsOf } from "../../../src/services/books";
import { booksCaughtUp } from "../../support/books";
import { api, authedJson, env, expectProblem, fundedWallet } from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS } from "../../support/operators";
import { buyAirtime, uniqueMtnNumber } from "../../support/purchases";

type AccountsBody = {
  accounts: { account: string; balance_minor: number }[];
  wallets_total_minor: number;
  posting_sets: number;
  identity: { holds: boolean; difference_minor: number; expected_wallets_minor: number };
  anomaly: null | {
    difference_minor: number;
    entries: { tx_ref: string; event: string; sum_minor: number; postings: unknown[] }[];
  };
};

const accounts = async () => {
  const response = await api("/admin/accounts", { headers: ADMIN_TOKEN_HEADERS });
  expect(response.status).toBe(200);
  return (await response.json()) as AccountsBody;
};

describe("GET /admin/accounts", () => {
  it("refuses a caller without the admin guard's credentials, and a user's bearer token", async () => {
    await expectProblem(await api("/admin/accounts"), 401);
    const { auth } = await fundedWallet(1_000_00);
    await expectProblem(await api("/admin/accounts", { headers: auth }), 401);
  });

  it("books money moved through the real routes: each set balanced, the wallet account equal to the balance, the identity holding", async () => {
    const { stub, user_id, auth } = await fundedWallet(50_000_00);
    const purchase = await buyAirtime(auth, { phone: uniqueMtnNumber(), amount: "500" });
    expect([200, 201, 202]).toContain(purchase.status);
    const bought = (await purchase.json()) as { tx_ref: string };
    const withdrawal = await api(
      "/wallet/withdraw",
      authedJson(auth, { amount: "1000", account_number: "0690000031", account_bank: "044" }),
    );
    expect([200, 201, 202]).toContain(withdrawal.status);
    const withdrawn = (await withdrawal.json()) as { tx_ref: string };
    await booksCaughtUp([stub]);

    const balance = (await stub.summary())!.balance_minor;
    expect((await walletAccountsOf(env, [user_id]))[user_id]).toBe(balance);
    const listed = await stub.listTransactions({ limit: 10 });
    if (!listed.ok) throw new Error("listing refused");
    expect(listed.data).toHaveLength(3);
    const sets = await entriesOf(
      env,
      listed.data.map((t) => t.tx_ref),
    );
    for (const set of sets) expect(set.postings.reduce((s, p) => s + p.amount_minor, 0)).toBe(0);
    // The purchase, once delivered, was paid from the VTpass float; the withdrawal, once paid, from payouts.
    for (const [tx_ref, account] of [
      [bought.tx_ref, "vtpass:float"],
      [withdrawn.tx_ref, "flutterwave:payouts"],
    ] as const) {
      const tx = (await stub.getTransaction(tx_ref))!;
      const post = sets.find((s) => s.tx_ref === tx_ref && s.event === "post");
      if (tx.status === "SUCCESS")
        expect(post?.postings).toContainEqual({ account, amount_minor: tx.amount_minor });
      else expect(post).toBeUndefined();
    }

    const body = await accounts();
    expect(body.accounts.map((a) => a.account)).toEqual([
      "flutterwave:collections",
      "flutterwave:payouts",
      "flutterwave:fees",
      "vtpass:float",
      "refunds:payable",
      "adjustments",
      "revenue:fees",
    ]);
    // Every wallet's funding is in collections: at least this one's 50,000.
    expect(body.accounts[0].balance_minor).toBeLessThanOrEqual(-50_000_00);
    expect(body.wallets_total_minor).toBeGreaterThanOrEqual(balance);
    expect(body.identity.holds).toBe(true);
    expect(body.identity.expected_wallets_minor).toBe(body.wallets_total_minor);
    expect(body.anomaly).toBeNull();
  });

  it("reports an unbalanced posting set as the anomaly that explains the difference", async () => {
    const tx_ref = "fnd_books_unbalanced_test";
    const shard = env.BOOKS.getByName(booksShardName(booksShardOf(tx_ref, BOOKS_SHARDS)));
    const corrupt = (sign: 1 | -1) =>
      runInDurableObject(shard, (_instance, state) => {
        const sql = state.storage.sql;
        if (sign === 1) {
          // What a wrong rule would write: the wallet credited 7 kobo more than collections was debited.
          sql.exec(
            "INSERT INTO book_sets (tx_ref, event, version, sum_minor, at_ms) VALUES (?, 'credit', 2, 7, ?)",
            tx_ref,
            Date.now(),
          );
          sql.exec(
            "INSERT INTO book_postings (tx_ref, event, account, amount_minor) VALUES (?, 'credit', ?, 107), (?, 'credit', 'flutterwave:collections', -100)",
            tx_ref,
            walletAccount("usr_books_test"),
            tx_ref,
          );
        } else {
          sql.exec("DELETE FROM book_sets WHERE tx_ref = ?", tx_ref);
          sql.exec("DELETE FROM book_postings WHERE tx_ref = ?", tx_ref);
        }
        sql.exec(
          `INSERT INTO book_wallets (user_id, balance_minor) VALUES ('usr_books_test', ?)
           ON CONFLICT (user_id) DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor`,
          sign * 107,
        );
        sql.exec(
          `INSERT INTO book_accounts (account, balance_minor) VALUES ('flutterwave:collections', ?)
           ON CONFLICT (account) DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor`,
          sign * -100,
        );
      });
    // Other files' wallets share these shards: the broken state lasts one request.
    await corrupt(1);
    let body: AccountsBody;
    try {
      body = await accounts();
    } finally {
      await corrupt(-1);
    }
    expect(body.identity.holds).toBe(false);
    expect(body.identity.difference_minor).toBe(7);
    expect(body.anomaly?.difference_minor).toBe(7);
    expect(body.anomaly?.entries).toContainEqual(
      expect.objectContaining({ tx_ref, event: "credit", sum_minor: 7 }),
    );
    expect((await accounts()).identity.holds).toBe(true);
  });
});
