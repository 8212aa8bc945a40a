/**
 * GET /wallet/statement: the caller's statement for a period of Lagos days,
 * `from` to `to` inclusive, as JSON (the default), CSV or PDF. Opening
 * balance, every journal entry, closing balance, all from the wallet's
 * journal (src/services/statements.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { STATEMENT_RANGE_DAYS_MAX } from "../../domain/limits";
import { TX_TYPES } from "../../domain/transactions";
import { STATEMENT_ENTRIES_MAX } from "../../durable/wallet/limits";
import {
  bearerSecurity,
  limitByUser,
  newRouter,
  problems,
  requireUser,
  userIdOf,
} from "../../lib/http";
import {
  periodOrThrow,
  STATEMENT_CSV_COLUMNS,
  statementCsv,
  statementFileName,
  statementFilePdf,
  statementOf,
  statementView,
} from "../../services/statements";

export const walletStatementRoutes = newRouter();

const day = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a day, YYYY-MM-DD" })
    .openapi({ description: what, example: "2026-12-01", format: "date" });

export const StatementQuery = z.strictObject({
  from: day("The first Lagos day of the period (YYYY-MM-DD, Africa/Lagos)."),
  to: day(
    `The last Lagos day of the period, included; at most ${STATEMENT_RANGE_DAYS_MAX} days after from.`,
  ),
  format: z
    .enum(["json", "csv", "pdf"])
    .default("json")
    .openapi({ description: "json (default), csv (text/csv) or pdf (application/pdf)." }),
});

const naira = z.string().openapi({ example: "2500.00" });

export const StatementResponse = z
  .object({
    object: z.literal("statement"),
    from: z.string(),
    to: z.string(),
    period_start: z.string().openapi({ description: "The start of `from` in Lagos (ISO, UTC)." }),
    period_end: z
      .string()
      .openapi({ description: "The start of the day after `to` in Lagos (ISO, UTC), excluded." }),
    currency: z.string(),
    opening_balance: naira,
    opening_balance_minor: z.number().int(),
    total_credits: naira,
    total_credits_minor: z.number().int(),
    total_debits: naira,
    total_debits_minor: z.number().int(),
    closing_balance: naira,
    closing_balance_minor: z.number().int().openapi({
      description: "opening_balance_minor + total_credits_minor - total_debits_minor, always.",
    }),
    entries: z.array(
      z
        .object({
          seq: z.number().int().openapi({ description: "The journal entry's sequence number." }),
          created_at: z.string(),
          tx_ref: z.string(),
          type: z.enum(TX_TYPES),
          entry: z.enum(["credit", "debit"]),
          description: z.string().openapi({
            description:
              "The product and recipient, or the bank account; a credit on a payment is its reversal.",
          }),
          amount: naira,
          amount_minor: z.number().int(),
          balance_after: naira,
          balance_after_minor: z.number().int(),
        })
        .openapi("StatementEntry"),
    ),
  })
  .openapi("Statement");

walletStatementRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/statement",
    tags: ["wallet"],
    summary: "The wallet's statement for a period: opening balance, every entry, closing balance",
    description: `Lagos days \`from\` to \`to\`, both included, at most ${STATEMENT_RANGE_DAYS_MAX} days (422 \`statement_period_too_long\`). At most ${STATEMENT_ENTRIES_MAX} entries: a longer period is refused (422 \`statement_too_long\`), never cut. Money held for payments in flight is not on a statement until it is debited.`,
    security: bearerSecurity,
    // A statement reads up to STATEMENT_ENTRIES_MAX journal rows and may draw a
    // PDF: STATEMENT_USER_LIMITER bounds how often one user can ask (429 past it).
    middleware: [
      requireUser,
      limitByUser((env) => env.STATEMENT_USER_LIMITER, "statement"),
    ] as const,
    request: { query: StatementQuery },
    responses: {
      200: {
        description: "The statement.",
        content: {
          "application/json": { schema: StatementResponse },
          "text/csv": {
            schema: z.string().openapi({
              description: `An attachment: a header row (${STATEMENT_CSV_COLUMNS.join(", ")}), an \`opening\` row, one row per entry, a \`closing\` row; naira with 2 decimals and kobo.`,
            }),
          },
          "application/pdf": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...problems(401, 404, 422, 429),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const statement = await statementOf(c, userIdOf(c), periodOrThrow(q.from, q.to));
    // A statement is private: no shared cache may keep it.
    const headers = { "cache-control": "private, no-store" };
    if (q.format === "csv")
      return c.body(statementCsv(statement), 200, {
        ...headers,
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${statementFileName(statement, "csv")}"`,
      }) as never;
    if (q.format === "pdf")
      // pdf-lib hands back a plain Uint8Array over an ArrayBuffer of its own.
      return c.body((await statementFilePdf(statement)) as Uint8Array<ArrayBuffer>, 200, {
        ...headers,
        "content-type": "application/pdf",
        "content-disposition": `inline; filename="${statementFileName(statement, "pdf")}"`,
      }) as never;
    return c.json(statementView(statement), 200, headers);
  },
);
