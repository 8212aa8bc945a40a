/**
 * GET /admin/accounts: the books' system accounts (src/domain/books.ts),
 * summed over the Books shards, what we owe users (the sum of the wallet
 * accounts), and the identity between them; when it does not hold, an
 * anomaly with the posting sets that explain it. Read-only (viewer or the
 * script token), like the other admin reads.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { MONEY_EVENTS, SYSTEM_ACCOUNTS, type SystemAccount } from "../../domain/books";
import { adminOnly } from "../../lib/admin-auth";
import { newRouter, problems } from "../../lib/http";
import { accountsView } from "../../services/books";

export const accountsRoutes = newRouter();

const minor = z.number().int();

const PostingSet = z
  .object({
    tx_ref: z.string(),
    event: z.enum(MONEY_EVENTS),
    version: z.number().int(),
    sum_minor: minor,
    at: z.string().openapi({ format: "date-time" }),
    postings: z.array(z.object({ account: z.string(), amount_minor: minor })),
  })
  .openapi("PostingSet");

const Accounts = z
  .object({
    accounts: z
      .array(
        z.object({
          account: z.enum(SYSTEM_ACCOUNTS),
          balance_minor: minor.openapi({
            description: "Credits minus debits: a negative balance is money held (collections).",
          }),
        }),
      )
      .openapi({ description: "Each system account, summed over the books' shards." }),
    wallets_total_minor: minor.openapi({
      description: "The sum of every wallet account in the books: what we owe users.",
    }),
    posting_sets: z.number().int(),
    identity: z
      .object({
        collections_minor: minor,
        payouts_minor: minor,
        purchases_minor: minor,
        fees_minor: minor,
        refunds_payable_minor: minor,
        adjustments_minor: minor,
        expected_wallets_minor: minor.openapi({
          description:
            "collections - payouts - purchases - fees - refunds payable + adjustments: what the system accounts say we owe.",
        }),
        difference_minor: minor,
        holds: z.boolean(),
      })
      .openapi("BooksIdentity"),
    anomaly: z
      .object({
        difference_minor: minor,
        entries: z.array(PostingSet),
        truncated: z.boolean(),
      })
      .nullable()
      .openapi({ description: "Null while the identity holds." }),
  })
  .openapi("SystemAccounts");

accountsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/accounts",
    tags: ["admin"],
    summary: "The books: system accounts, what we owe users, and the identity between them",
    ...adminOnly,
    responses: {
      200: {
        description: "The books, summed over their shards.",
        content: { "application/json": { schema: Accounts } },
      },
      ...problems(401, 403),
    },
  }),
  async (c) => {
    const view = await accountsView(c.env);
    const { wallets_total_minor: _, ...identity } = view.identity;
    return c.json(
      {
        accounts: SYSTEM_ACCOUNTS.map((account: SystemAccount) => ({
          account,
          balance_minor: view.balances[account],
        })),
        wallets_total_minor: view.wallets_total_minor,
        posting_sets: view.posting_sets,
        identity,
        anomaly: view.anomaly && {
          difference_minor: view.anomaly.difference_minor,
          truncated: view.anomaly.truncated,
          entries: view.anomaly.entries.map((s) => ({
            tx_ref: s.tx_ref,
            event: s.event,
            version: s.version,
            sum_minor: s.sum_minor,
            at: new Date(s.at_ms).toISOString(),
            postings: s.postings,
          })),
        },
      },
      200,
    );
  },
);
