/**
 * Operator routes, behind the admin guards (src/lib/admin-auth.ts): an
 * operator signed in through Cloudflare Access, or ADMIN_API_TOKEN (read-only). Dead letters can be listed and replayed; a
 * wallet can be audited; the operator view and the metrics are in
 * ./operator.ts; the MongoDB projection can be checked and rebuilt
 * (./projection.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  DEAD_LETTERS_OBJECT,
  type DeadLetter as DeadLetterRecord,
} from "../../durable/dead-letters/object";
import { adminOnly, operatorOnly } from "../../lib/admin-auth";
import { errors } from "../../lib/errors";
import { newRouter, problems } from "../../lib/http";
import { USER_ID_PATTERN } from "../../lib/ids";
import {
  DEAD_LETTERS_PAGE_DEFAULT,
  DEAD_LETTERS_PAGE_MAX,
  IDENTIFIER_MAX_CHARS,
} from "../../lib/limits";
import { log } from "../../lib/log";
import { QueueMessage } from "../../queue/messages";
import { consoleRoutes } from "./console";
import { consoleActsRoutes } from "./console-acts";
import { actsRoutes } from "./acts";
import { actProposalRoutes } from "./act-proposals";
import { operatorRoutes } from "./operator";
import { whoamiRoutes } from "./whoami";
import { projectionAdminRoutes } from "./projection";
import { accountsRoutes } from "./accounts";
import { reconciliationRoutes } from "./reconciliations";

export const adminRoutes = newRouter();
adminRoutes.route("/", operatorRoutes);

adminRoutes.openAPIRegistry.registerComponent("securitySchemes", "adminAuth", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_API_TOKEN: scripts only, read-only (viewer); every action refuses it.",
});
adminRoutes.openAPIRegistry.registerComponent("securitySchemes", "accessAuth", {
  type: "apiKey",
  in: "header",
  name: "Cf-Access-Jwt-Assertion",
  description:
    "A Cloudflare Access application token (or the CF_Authorization cookie); the role comes from OPS_ROLES.",
});
adminRoutes.route("/", whoamiRoutes);
// Routes that keep their own file, under the same guard (src/lib/admin-auth.ts).
adminRoutes.route("/", projectionAdminRoutes);
adminRoutes.route("/", consoleRoutes);
adminRoutes.route("/", consoleActsRoutes);
adminRoutes.route("/", actsRoutes);
adminRoutes.route("/", actProposalRoutes);
adminRoutes.route("/", accountsRoutes);
adminRoutes.route("/", reconciliationRoutes);

const DeadLetter = z
  .object({
    id: z.string(),
    source: z.string(),
    reason: z.string(),
    body: z.unknown(),
    attempts: z.number().int(),
    received_at: z.string(),
    replay_count: z.number().int(),
    replayed_at: z.string().nullable(),
  })
  .openapi("DeadLetter");

const letterView = (l: DeadLetterRecord) => ({
  id: l.id,
  source: l.source,
  reason: l.reason,
  body: JSON.parse(l.body_json) as unknown,
  attempts: l.attempts,
  received_at: new Date(l.received_at_ms).toISOString(),
  replay_count: l.replay_count,
  replayed_at: l.replayed_at_ms === null ? null : new Date(l.replayed_at_ms).toISOString(),
});

adminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/dead-letters",
    tags: ["admin"],
    summary: "Dead-lettered queue messages, newest first",
    ...adminOnly,
    request: {
      query: z.strictObject({
        limit: z.coerce
          .number()
          .int()
          .min(1)
          .max(DEAD_LETTERS_PAGE_MAX)
          .default(DEAD_LETTERS_PAGE_DEFAULT),
        starting_after: z.string().max(IDENTIFIER_MAX_CHARS).optional(),
      }),
    },
    responses: {
      200: {
        description: "A page.",
        content: {
          "application/json": {
            schema: z.object({
              object: z.literal("list"),
              data: z.array(DeadLetter),
              has_more: z.boolean(),
            }),
          },
        },
      },
      ...problems(401, 422),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT).list(q);
    if (!page)
      throw errors.validation([{ path: "starting_after", message: "unknown dead letter id" }]);
    return c.json(
      { object: "list" as const, data: page.data.map(letterView), has_more: page.has_more },
      200,
    );
  },
);

adminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/dead-letters/{id}/replay",
    tags: ["admin"],
    summary: "Send a dead letter back to the wallet-events queue (processing is idempotent)",
    ...operatorOnly,
    request: { params: z.object({ id: z.string().max(IDENTIFIER_MAX_CHARS) }) },
    responses: {
      202: { description: "Re-queued.", content: { "application/json": { schema: DeadLetter } } },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const store = c.env.DEAD_LETTERS.getByName(DEAD_LETTERS_OBJECT);
    const letter = await store.get(id);
    if (!letter) throw errors.notFound("No such dead letter.");
    const message = QueueMessage.safeParse(JSON.parse(letter.body_json));
    if (!message.success)
      throw errors.unprocessable(
        "not_replayable",
        "This dead letter is not a valid queue message; inspect it instead.",
      );
    await c.env.WALLET_EVENTS.send(message.data);
    const updated = await store.markReplayed(id);
    log.info("dead letter replayed", { request_id: c.var.request_id, dead_letter_id: id });
    return c.json(letterView(updated ?? letter), 202);
  },
);

adminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/wallets/{user_id}/audit",
    tags: ["admin"],
    summary: "Ledger audit of one wallet: balance against the journal, holds, anomalies",
    ...adminOnly,
    request: { params: z.object({ user_id: z.string().regex(USER_ID_PATTERN) }) },
    responses: {
      200: {
        description: "The audit.",
        content: {
          "application/json": {
            schema: z.object({
              balance_minor: z.number().int(),
              journal_balance_minor: z.number().int(),
              held_minor: z.number().int(),
              available_minor: z.number().int(),
              journal_rows: z.number().int(),
              ok: z.boolean(),
              anomalies: z.array(
                z.object({
                  tx_ref: z.string(),
                  kind: z.string(),
                  ref: z.string(),
                  detail: z.string(),
                  created_at_ms: z.number(),
                }),
              ),
            }),
          },
        },
      },
      ...problems(401, 404, 422),
    },
  }),
  async (c) => {
    const { user_id } = c.req.valid("param");
    const wallet = c.env.WALLET.getByName(user_id);
    if (!(await wallet.profile())) throw errors.notFound("No such wallet.");
    const [audit, anomalies] = await Promise.all([wallet.audit(), wallet.anomalies()]);
    return c.json({ ...audit, anomalies }, 200);
  },
);
