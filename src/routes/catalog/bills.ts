/**
 * The bills' catalogue (src/services/bills.ts):
 *   GET /catalog/electricity                          the DisCos with their ranges
 *   GET /catalog/electricity/verify?disco=&meter=&type=   a meter's customer (merchant-verify)
 *   GET /catalog/tv                                   the TV services and what each supports
 *   GET /catalog/tv/{provider}/bouquets               a service's bouquets (cached, stale while VTpass is down)
 *   GET /catalog/tv/verify?provider=&smartcard=       a smartcard's customer, bouquet, due date, renewal
 */
import { createRoute, z } from "@hono/zod-openapi";
import { BILLER_CODE_MAX_DIGITS } from "../../domain/limits";
import { formatMinor } from "../../domain/money";
import { errors } from "../../lib/errors";
import { bearerSecurity, newRouter, problems, requireUser } from "../../lib/http";
import {
  DISCO_IDS,
  METER_TYPES,
  TV_PROVIDER_IDS,
  TV_PROVIDERS,
  tvProvider,
} from "../../domain/bills";
import { VERIFY_CACHE_TTL_S as VTPASS_VERIFY_TTL_S } from "../../providers";
import { listDiscos, tvBouquets, verifyAccount } from "../../services/bills";

export const billCatalogRoutes = newRouter();

const auth = { security: bearerSecurity, middleware: requireUser };

export const DiscoField = z
  .enum(DISCO_IDS)
  .openapi({ description: "A DisCo (VTpass serviceID)", example: "ikeja-electric" });
export const MeterTypeField = z.enum(METER_TYPES).openapi({ description: "prepaid or postpaid" });
export const TvProviderField = z
  .enum(TV_PROVIDER_IDS)
  .openapi({ description: "dstv, gotv, startimes or showmax" });
export const BillerNumberField = (what: string, example: string) =>
  z
    .string()
    .trim()
    .regex(
      new RegExp(`^\\d{6,${BILLER_CODE_MAX_DIGITS}}$`),
      `${what}: 6 to ${BILLER_CODE_MAX_DIGITS} digits`,
    )
    .openapi({ description: what, example });

const naira = (minor: number | null) => (minor === null ? null : formatMinor(minor));

const DiscoList = z
  .object({
    object: z.literal("list"),
    source: z.enum(["vtpass_and_ours", "ours"]).openapi({
      description: "ours: VTpass's published ranges could not be read; ours alone apply",
    }),
    data: z.array(
      z.object({
        disco: DiscoField,
        name: z.string(),
        min: z.string(),
        min_minor: z.number().int(),
        max: z.string(),
        max_minor: z.number().int(),
      }),
    ),
  })
  .openapi("DiscoList");

billCatalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/electricity",
    tags: ["catalog"],
    summary: "The electricity distribution companies and the range a payment must fall in",
    ...auth,
    responses: {
      200: { description: "DisCos.", content: { "application/json": { schema: DiscoList } } },
      ...problems(401, 503),
    },
  }),
  async (c) => {
    const { discos, source } = await listDiscos(c);
    return c.json(
      {
        object: "list" as const,
        source,
        data: discos.map((d) => ({
          disco: d.disco,
          name: d.name,
          min: formatMinor(d.min_minor),
          min_minor: d.min_minor,
          max: formatMinor(d.max_minor),
          max_minor: d.max_minor,
        })),
      },
      200,
    );
  },
);

const AccountFields = {
  customer_name: z.string(),
  cached: z
    .boolean()
    .openapi({ description: `Answered from a verification at most ${VTPASS_VERIFY_TTL_S} s old` }),
};

const MeterAccount = z
  .object({
    disco: DiscoField,
    meter: z.string(),
    type: MeterTypeField,
    ...AccountFields,
    address: z.string().nullable(),
    min_amount: z
      .string()
      .nullable()
      .openapi({ description: "The meter's own minimum, when VTpass gives one" }),
    can_vend: z.boolean().nullable(),
  })
  .openapi("MeterVerification");

billCatalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/electricity/verify",
    tags: ["catalog"],
    summary: `Verify a meter with the DisCo (name and address; cached ${VTPASS_VERIFY_TTL_S} s per disco, meter and type); 422 meter_invalid for a wrong meter`,
    ...auth,
    request: {
      query: z.strictObject({
        disco: DiscoField,
        meter: BillerNumberField("Meter number", "1111111111111"),
        type: MeterTypeField,
      }),
    },
    responses: {
      200: {
        description: "The meter's customer.",
        content: { "application/json": { schema: MeterAccount } },
      },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const { disco, meter, type } = c.req.valid("query");
    const account = await verifyAccount(c, { service_id: disco, number: meter, type });
    return c.json(
      {
        disco,
        meter,
        type,
        customer_name: account.customer_name,
        cached: account.cached,
        address: account.address,
        min_amount: naira(account.min_amount_minor),
        can_vend: account.can_vend,
      },
      200,
    );
  },
);

const TvList = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        provider: TvProviderField,
        name: z.string(),
        renew: z.boolean().openapi({ description: "Renewing the current bouquet is offered" }),
        quantity: z.boolean().openapi({ description: "A change may buy several months" }),
        verify: z
          .boolean()
          .openapi({ description: "Smartcards can be verified (Showmax's number is a phone)" }),
      }),
    ),
  })
  .openapi("TvProviderList");

billCatalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/tv",
    tags: ["catalog"],
    summary: "The cable TV services and what each supports",
    ...auth,
    responses: {
      200: { description: "TV services.", content: { "application/json": { schema: TvList } } },
      ...problems(401),
    },
  }),
  async (c) =>
    c.json(
      {
        object: "list" as const,
        data: TV_PROVIDERS.map((p) => ({
          provider: p.service_id,
          name: p.name,
          renew: p.renew,
          quantity: p.quantity,
          verify: p.verify,
        })),
      },
      200,
    ),
);

const SmartcardAccount = z
  .object({
    provider: TvProviderField,
    smartcard: z.string(),
    ...AccountFields,
    status: z.string().nullable(),
    current_bouquet: z.string().nullable(),
    current_bouquet_code: z.string().nullable(),
    due_date: z
      .string()
      .nullable()
      .openapi({ description: "As VTpass writes it (DStv and GOtv use different formats)" }),
    renewal_amount: z.string().nullable(),
    renewal_amount_minor: z.number().int().nullable(),
  })
  .openapi("SmartcardVerification");

// Before /catalog/tv/{provider}/bouquets so "verify" is never read as a provider.
billCatalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/tv/verify",
    tags: ["catalog"],
    summary: `Verify a smartcard (name, current bouquet, due date, renewal amount where VTpass gives them; cached ${VTPASS_VERIFY_TTL_S} s)`,
    ...auth,
    request: {
      query: z.strictObject({
        provider: TvProviderField,
        smartcard: BillerNumberField("Smartcard or IUC number", "1212121212"),
      }),
    },
    responses: {
      200: {
        description: "The smartcard's customer.",
        content: { "application/json": { schema: SmartcardAccount } },
      },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const { provider, smartcard } = c.req.valid("query");
    if (!tvProvider(provider).verify)
      throw errors.unprocessable(
        "verify_unsupported",
        `${tvProvider(provider).name} has no smartcard to verify; its number is the subscriber's phone.`,
      );
    const account = await verifyAccount(c, { service_id: provider, number: smartcard });
    return c.json(
      {
        provider,
        smartcard,
        customer_name: account.customer_name,
        cached: account.cached,
        status: account.account_status,
        current_bouquet: account.current_bouquet,
        current_bouquet_code: account.current_bouquet_code,
        due_date: account.due_date,
        renewal_amount: naira(account.renewal_amount_minor),
        renewal_amount_minor: account.renewal_amount_minor,
      },
      200,
    );
  },
);

const BouquetList = z
  .object({
    object: z.literal("list"),
    provider: TvProviderField,
    stale: z
      .boolean()
      .openapi({ description: "VTpass is unreachable: a copy older than its cache time" }),
    data: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        price: z.string(),
        price_minor: z.number().int(),
      }),
    ),
  })
  .openapi("BouquetList");

billCatalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/catalog/tv/{provider}/bouquets",
    tags: ["catalog"],
    summary:
      "A TV service's bouquets with their prices (cached; a stale copy is served while VTpass is unreachable)",
    ...auth,
    request: { params: z.object({ provider: TvProviderField }) },
    responses: {
      200: { description: "Bouquets.", content: { "application/json": { schema: BouquetList } } },
      ...problems(401, 422, 503),
    },
  }),
  async (c) => {
    const { provider } = c.req.valid("param");
    const { bouquets, stale } = await tvBouquets(c, provider);
    return c.json(
      {
        object: "list" as const,
        provider,
        stale,
        data: bouquets.map((b) => ({
          code: b.code,
          name: b.name,
          price: b.price,
          price_minor: b.price_minor,
        })),
      },
      200,
    );
  },
);
