/**
 * Operator routes for the MongoDB projection (all behind the admin guard):
 * - POST /admin/wallets/{user_id}/reproject: queue a fresh snapshot of one
 *   wallet (profile, wallet, its transactions a page at a time) through its
 *   change feed; 202 with what was queued and the cursor of the next page.
 * - GET /admin/wallets/{user_id}/projection: the consistency checker (one
 *   wallet's ledger against its documents) and the wallet's projection state.
 * - GET /admin/users: the users index, paged, which the rebuild command
 *   (scripts/projection-rebuild.mjs) walks to reproject every wallet. The
 *   index is sharded by user id; a page merges every shard's
 *   (src/services/operator-index.ts), in id order, each user once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { AppError, errors } from "../../lib/errors";
import { newRouter, problems } from "../../lib/http";
import { TX_REF_MAX_CHARS, USER_ID_PATTERN } from "../../lib/ids";
import { USERS_INDEX_PAGE_MAX } from "../../durable/operations/limits";
import { log } from "../../lib/log";
import { checkProjection } from "../../projection/check";
import { adminOnly } from "../../lib/admin-auth";
import { listUsers } from "../../services/operator-index";

export const projectionAdminRoutes = newRouter();

const UserParam = z.object({ user_id: z.string().regex(USER_ID_PATTERN) });

const projectionOff = () =>
  errors.conflict(
    "projection_off",
    "The MongoDB projection is off: MONGODB_URI (or MONGO_URI) is not set.",
  );
const projectionUnavailable = (reason: string) =>
  new AppError({
    status: 503,
    code: "projection_unavailable",
    title: "Service unavailable",
    detail: `MongoDB cannot be read now (${reason}). Try again later.`,
  });

const Reprojected = z
  .object({
    user_id: z.string(),
    queued: z.object({
      users: z.number().int(),
      wallets: z.number().int(),
      transactions: z.number().int(),
    }),
    has_more: z.boolean(),
    next_starting_after: z
      .string()
      .nullable()
      .openapi({ description: "Pass as starting_after to queue the next page of transactions." }),
  })
  .openapi("Reprojected");

projectionAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/wallets/{user_id}/reproject",
    tags: ["admin"],
    summary: "Queue a fresh snapshot of one wallet for the MongoDB projection",
    ...adminOnly,
    request: {
      params: UserParam,
      query: z.strictObject({ starting_after: z.string().max(TX_REF_MAX_CHARS).optional() }),
    },
    responses: {
      202: {
        description: "Queued; the wallet's change feed delivers it.",
        content: { "application/json": { schema: Reprojected } },
      },
      ...problems(401, 404, 409, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const { starting_after } = c.req.valid("query");
    const page = await c.env.WALLET.getByName(user_id).reproject(starting_after);
    if (page === "off") throw projectionOff();
    if (!page) throw errors.notFound("No such wallet.");
    log.info("wallet reprojection queued", {
      request_id: c.var.request_id,
      user_id,
      transactions: page.transactions,
      has_more: page.has_more,
    });
    const { users, wallets, transactions, has_more, next_starting_after } = page;
    return c.json(
      { user_id, queued: { users, wallets, transactions }, has_more, next_starting_after },
      202,
    );
  },
);

const Difference = z.object({
  collection: z.enum(["users", "wallets", "transactions"]),
  key: z.string(),
  problem: z.enum(["missing", "version", "fields"]),
  ledger_version: z.number().int().optional(),
  projected_version: z.number().int().nullable().optional(),
  version: z.number().int().optional(),
  fields: z.array(z.string()).optional(),
});

const ProjectionCheck = z
  .object({
    user_id: z.string(),
    consistent: z.boolean(),
    checked: z.object({
      users: z.number().int(),
      wallets: z.number().int(),
      transactions: z.number().int(),
    }),
    differences: z.array(Difference),
    more_differences: z.number().int(),
    stopped_short: z.boolean(),
    feed: z.object({
      backlog: z.number().int(),
      oldest_unprojected_at: z.string().nullable(),
      failures: z.number().int(),
      retry_at: z.string().nullable(),
    }),
  })
  .openapi("ProjectionCheck");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

projectionAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/wallets/{user_id}/projection",
    tags: ["admin"],
    summary: "Compare one wallet's ledger with its MongoDB documents",
    ...adminOnly,
    request: { params: UserParam },
    responses: {
      200: {
        description: "The comparison, and the wallet's projection backlog.",
        content: { "application/json": { schema: ProjectionCheck } },
      },
      ...problems(401, 404, 409, 422, 503),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const [result, state] = await Promise.all([
      checkProjection(c.env, c.var.config, user_id),
      c.env.WALLET.getByName(user_id).projectionState(),
    ]);
    if (!result.ok) {
      if (result.reason === "off") throw projectionOff();
      if (result.reason === "not_found") throw errors.notFound("No such wallet.");
      throw projectionUnavailable(result.reason);
    }
    const feed = state.on
      ? {
          backlog: state.backlog,
          oldest_unprojected_at: iso(state.oldest_at_ms),
          failures: state.failures,
          retry_at: iso(state.retry_at_ms),
        }
      : { backlog: 0, oldest_unprojected_at: null, failures: 0, retry_at: null };
    return c.json({ ...result.report, feed }, 200);
  },
);

projectionAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/users",
    tags: ["admin"],
    summary: "Registered user ids, in id order (the users index)",
    ...adminOnly,
    request: {
      query: z.strictObject({
        limit: z.coerce
          .number()
          .int()
          .min(1)
          .max(USERS_INDEX_PAGE_MAX)
          .default(USERS_INDEX_PAGE_MAX),
        starting_after: z.string().regex(USER_ID_PATTERN).optional(),
      }),
    },
    responses: {
      200: {
        description: "A page.",
        content: {
          "application/json": {
            schema: z.object({
              object: z.literal("list"),
              data: z.array(z.object({ user_id: z.string(), indexed_at: z.string() })),
              has_more: z.boolean(),
            }),
          },
        },
      },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const page = await listUsers(c.env, c.var.config.OPERATOR_INDEX_SHARDS, c.req.valid("query"));
    return c.json(
      {
        object: "list" as const,
        data: page.data.map((u) => ({
          user_id: u.user_id,
          indexed_at: new Date(u.indexed_at_ms).toISOString(),
        })),
        has_more: page.has_more,
      },
      200,
    );
  },
);
