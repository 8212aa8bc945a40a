/**
 * GET /admin/whoami: who the admin guards see (the operator's id, role and
 * how they came in). The console shows it; the Access look-alike lands here
 * after signing in.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly } from "../../lib/admin-auth";
import { newRouter, problems } from "../../lib/http";
import { OPERATOR_ROLES } from "../../lib/operator-roles";

export const whoamiRoutes = newRouter();

const Whoami = z
  .object({
    id: z.string().openapi({ example: "ada@example.com" }),
    role: z.enum(OPERATOR_ROLES),
    via: z.enum(["access", "token"]),
  })
  .openapi("Operator");

whoamiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/admin/whoami",
    tags: ["admin"],
    summary: "The operator making this request",
    ...adminOnly,
    responses: {
      200: { description: "The operator.", content: { "application/json": { schema: Whoami } } },
      ...problems(401, 403),
    },
  }),
  (c) => {
    const operator = c.var.operator;
    if (!operator) throw new Error("whoami without the admin guard");
    return c.json({ id: operator.id, role: operator.role, via: operator.via }, 200);
  },
);
