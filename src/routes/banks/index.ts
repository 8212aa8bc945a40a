/**
 * GET /wallet/flutterwave/get-banks and GET /wallet/flutterwave/verify-bank
 * (the FastAPI service's paths).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, newRouter, problems, requireUser, userIdOf } from "../../lib/http";
import { NUBAN_DIGITS } from "../../domain/limits";
import { BANK_COUNTRIES, listBanks, resolveAccount } from "../../services/banks";

export const bankRoutes = newRouter();

export const AccountNumber = z
  .string()
  .transform((v) => v.trim())
  .pipe(
    z.string().regex(new RegExp(`^\\d{${NUBAN_DIGITS}}$`), {
      message: `must be a ${NUBAN_DIGITS}-digit NUBAN account number`,
    }),
  )
  .openapi({ type: "string", example: "0690000031" });
export const BankCode = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string().regex(/^\d{3,6}$/, { message: "must be a bank code such as 044" }))
  .openapi({ type: "string", example: "044" });

const BankList = z
  .object({
    object: z.literal("list"),
    country: z.enum(BANK_COUNTRIES),
    data: z.array(z.object({ code: z.string(), name: z.string() })),
  })
  .openapi("BankList");

bankRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/flutterwave/get-banks",
    tags: ["banks"],
    summary: "Banks that can receive withdrawals (cached)",
    security: bearerSecurity,
    middleware: requireUser,
    request: { query: z.strictObject({ country: z.enum(BANK_COUNTRIES).default("NG") }) },
    responses: {
      200: {
        description: "Banks, by name.",
        content: { "application/json": { schema: BankList } },
      },
      ...problems(401, 422, 502, 503),
    },
  }),
  async (c) => {
    const { country } = c.req.valid("query");
    const { banks } = await listBanks(c, country);
    return c.json({ object: "list" as const, country, data: banks }, 200);
  },
);

const Resolved = z
  .object({
    account_number: z.string(),
    account_name: z.string(),
    account_bank: z.string(),
    bank_name: z.string(),
  })
  .openapi("ResolvedAccount");

bankRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/flutterwave/verify-bank",
    tags: ["banks"],
    summary: "Resolve an account number at a bank to its account name",
    security: bearerSecurity,
    middleware: requireUser,
    request: { query: z.strictObject({ account_number: AccountNumber, account_bank: BankCode }) },
    responses: {
      200: {
        description: "The account name.",
        content: { "application/json": { schema: Resolved } },
      },
      ...problems(401, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const resolved = await resolveAccount(c, userIdOf(c), q.account_number, q.account_bank);
    return c.json(
      {
        account_number: resolved.account_number,
        account_name: resolved.account_name,
        account_bank: resolved.bank.code,
        bank_name: resolved.bank.name,
      },
      200,
    );
  },
);
