/** @jsxImportSource hono/jsx */
/**
 * The operator console: server-rendered pages under /admin/console (no build
 * step, same origin, no script), behind the same guard as the admin API. In
 * production Cloudflare Access signs operators in (its cookie reaches these
 * pages); the pages render what src/services/console.ts gathers.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly } from "../../lib/admin-auth";
import { newRouter, problems, type AppContext } from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { OPERATOR_LIST_DEFAULT } from "../../durable/operations/limits";
import { PAGE_CSP } from "../../pages/layout";
import { OverviewPage } from "../../pages/console/overview";
import { CONSOLE_PATH } from "../../pages/console/paths";
import { TransactionPage } from "../../pages/console/transaction";
import { consoleOverview, consoleTransaction } from "../../services/console";
import { csrfToken } from "../../lib/csrf";
import { roleAtLeast } from "../../lib/operator-roles";
import { DONE_MESSAGES, type DoneFlag } from "../../pages/console/parts";

export const consoleRoutes = newRouter();

export const HTML = { "text/html": { schema: z.string() } };
export const pageHeaders = { "content-security-policy": PAGE_CSP, "cache-control": "no-store" };

/** Who is signed in, as the header shows it (the guard always sets it). */
export const who = (c: AppContext) => {
  const operator = c.var.operator;
  return operator ? `${operator.id} (${operator.role})` : "";
};

/** A form token for an operator signed in through Access; null for viewers and the script token (no forms). */
export function formToken(c: AppContext): string | null {
  const operator = c.var.operator;
  if (!operator || operator.via !== "access" || !roleAtLeast(operator.role, "operator"))
    return null;
  return csrfToken(c.var.config.JWT_SECRET_KEY, operator.id, Date.now());
}

/** The result banner's flag: one of a fixed list (the page never echoes what the URL says). */
export const DoneQuery = z.object({ done: z.string().max(32).optional() });
export const doneFlag = (raw: string | undefined): DoneFlag | undefined =>
  raw !== undefined && Object.hasOwn(DONE_MESSAGES, raw) ? (raw as DoneFlag) : undefined;

consoleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/console",
    tags: ["admin"],
    summary: "Operator console: overview (HTML)",
    ...adminOnly,
    responses: { 200: { description: "The overview page.", content: HTML }, ...problems(401, 503) },
  }),
  async (c) => {
    const data = await consoleOverview(
      c.env,
      c.var.config.OPERATOR_INDEX_SHARDS,
      OPERATOR_LIST_DEFAULT,
    );
    return c.html(<OverviewPage data={data} operator={who(c)} />, 200, pageHeaders) as never;
  },
);

consoleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/console/transactions/{tx_ref}",
    tags: ["admin"],
    summary:
      "Operator console: one transaction, its versions, provider events and anomalies (HTML)",
    ...adminOnly,
    request: {
      params: z.object({ tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS) }),
      query: DoneQuery,
    },
    responses: {
      200: { description: "The transaction page.", content: HTML },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const data = await consoleTransaction(c.env, c.req.valid("param").tx_ref);
    return c.html(
      <TransactionPage
        data={data}
        operator={who(c)}
        csrf={formToken(c)}
        done={doneFlag(c.req.valid("query").done)}
      />,
      200,
      pageHeaders,
    ) as never;
  },
);

consoleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin",
    tags: ["admin"],
    summary: "The console's address: redirects to its overview",
    responses: { 302: { description: "To /admin/console (which asks for sign-in)." } },
  }),
  (c) => c.redirect(CONSOLE_PATH, 302) as never,
);
