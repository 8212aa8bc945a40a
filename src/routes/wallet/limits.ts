/**
 * GET /wallet/limits: the wallet's KYC tier (issue 21), its limits, what is
 * used and left today (the Africa/Lagos day), when the day resets, and what
 * the next tier needs. The numbers come from the Wallet object, which
 * enforces them; money as decimal naira beside its `_minor` kobo.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../lib/errors";
import { bearerSecurity, newRouter, problems, requireUser, userIdOf } from "../../lib/http";
import { standingBody } from "../../services/tier-answers";

export const walletLimitRoutes = newRouter();

const naira = (description: string) => z.string().openapi({ description, example: "50000.00" });
const cap = z.string().nullable().openapi({ description: "Null: no balance cap." });

const NextTier = z
  .object({
    tier: z.number().int().min(1).max(3),
    daily_limit: naira("The next tier's daily limit."),
    daily_limit_minor: z.number().int(),
    max_balance: cap,
    max_balance_minor: z.number().int().nullable(),
    needs: z.string().openapi({ description: "What reaching it takes." }),
  })
  .nullable()
  .openapi("NextTier", { description: "Null at tier 3." });

export const LimitsResponse = z
  .object({
    tier: z.number().int().min(0).max(3),
    daily_limit: naira(
      "What may move in one Lagos day (money in and out); 0 while KYC is required and the wallet is unverified.",
    ),
    daily_limit_minor: z.number().int(),
    max_balance: cap,
    max_balance_minor: z.number().int().nullable(),
    used_today: naira(
      "Counted today: fundings, purchases, withdrawals, adjustments; voids and reversals given back.",
    ),
    used_today_minor: z.number().int(),
    remaining_today: naira("What may still move today."),
    remaining_today_minor: z.number().int(),
    resets_at: z
      .string()
      .openapi({ description: "The next Africa/Lagos midnight (ISO 8601, UTC)." }),
    next_tier: NextTier,
  })
  .openapi("WalletLimits");

walletLimitRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/limits",
    tags: ["wallet"],
    summary: "The wallet's KYC tier, its limits, and what is used and left today",
    security: bearerSecurity,
    middleware: requireUser,
    responses: {
      200: {
        description: "The tier's limits and today's totals.",
        content: { "application/json": { schema: LimitsResponse } },
      },
      ...problems(401, 404),
    },
  }),
  async (c) => {
    const standing = await c.env.WALLET.getByName(userIdOf(c)).tierStanding(c.var.config.kyc);
    if (!standing) throw errors.notFound("No wallet for this user.");
    return c.json(standingBody(standing), 200);
  },
);
