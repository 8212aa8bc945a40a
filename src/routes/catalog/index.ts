/**
 * GET /catalog/networks, GET /catalog/data-plans?network=, GET /catalog/phone-lookup?phone=:
 * what a user can buy and for which number, before buying it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { formatMinor } from "../../domain/money";
import { NETWORKS } from "../../domain/phone";
import { errors } from "../../lib/errors";
import { bearerSecurity, newRouter, problems, requireUser } from "../../lib/http";
import { PHONE_INPUT_MAX_CHARS } from "../../domain/limits";
import { dataPlans, listNetworks, lookupPhone } from "../../services/catalogue";

export const catalogRoutes = newRouter();

const auth = { security: bearerSecurity, middleware: requireUser };

export const NetworkField = z
  .enum(NETWORKS)
  .openapi({ description: "mtn, airtel, glo or 9mobile" });

const Range = z.object({
  min: z.string(),
  min_minor: z.number().int(),
  max: z.string(),
  max_minor: z.number().int(),
});

const NetworkList = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        network: NetworkField,
        airtime: Range.extend({
          source: z.enum(["vtpass_and_ours", "ours"]).openapi({
            description: "ours: VTpass's published bounds could not be read; ours alone apply",
          }),
        }),
      }),
    ),
  })
  .openapi("NetworkList");

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/networks",
    tags: ["catalog"],
    summary: "The four networks and the airtime range a purchase must fall in",
    ...auth,
    responses: {
      200: { description: "Networks.", content: { "application/json": { schema: NetworkList } } },
      ...problems(401, 503),
    },
  }),
  async (c) => {
    const networks = await listNetworks(c);
    return c.json(
      {
        object: "list" as const,
        data: networks.map((n) => ({
          network: n.network,
          airtime: {
            min: formatMinor(n.airtime.min_minor),
            min_minor: n.airtime.min_minor,
            max: formatMinor(n.airtime.max_minor),
            max_minor: n.airtime.max_minor,
            source: n.airtime.source,
          },
        })),
      },
      200,
    );
  },
);

const PlanList = z
  .object({
    object: z.literal("list"),
    network: NetworkField,
    data: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        price: z.string(),
        price_minor: z.number().int(),
      }),
    ),
  })
  .openapi("DataPlanList");

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/data-plans",
    tags: ["catalog"],
    summary:
      "A network's data plans with their prices (cached; a stale copy is served while VTpass is unreachable)",
    ...auth,
    request: { query: z.strictObject({ network: NetworkField }) },
    responses: {
      200: { description: "Plans.", content: { "application/json": { schema: PlanList } } },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const { network } = c.req.valid("query");
    const plans = await dataPlans(c, network);
    return c.json(
      {
        object: "list" as const,
        network,
        data: plans.map((p) => ({
          code: p.code,
          name: p.name,
          price: p.price,
          price_minor: p.price_minor,
        })),
      },
      200,
    );
  },
);

const PhoneLookupResponse = z
  .object({
    phone: z.string().openapi({
      description: "Canonical local form, as purchases use it",
      example: "08031234567",
    }),
    e164: z.string().openapi({ example: "+2348031234567" }),
    network: NetworkField.nullable().openapi({
      description: "The network the prefix suggests; null when no prefix matches",
    }),
    confidence: z
      .string()
      .openapi({ description: "prefix, disputed_prefix, unknown_prefix (or sandbox_test_number)" }),
    note: z.string().openapi({
      description: "A ported number may belong to another network: let the user confirm it.",
    }),
  })
  .openapi("PhoneLookup");

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/phone-lookup",
    tags: ["catalog"],
    summary: "Normalise a Nigerian mobile number and suggest its network from the prefix",
    ...auth,
    request: { query: z.strictObject({ phone: z.string().min(1).max(PHONE_INPUT_MAX_CHARS) }) },
    responses: {
      200: {
        description: "The number, canonical, and a suggested network.",
        content: { "application/json": { schema: PhoneLookupResponse } },
      },
      ...problems(401, 422),
    },
  }),
  async (c) => {
    const looked = lookupPhone(c, c.req.valid("query").phone);
    if (!looked.ok)
      throw errors.validation(
        [{ path: "phone", message: looked.message, code: looked.reason }],
        "That is not a Nigerian mobile number.",
      );
    return c.json(
      {
        phone: looked.phone.local,
        e164: looked.phone.e164,
        network: looked.network,
        confidence: looked.confidence,
        note: looked.note,
      },
      200,
    );
  },
);
