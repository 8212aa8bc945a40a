/**
 * Bills from the wallet, through the purchases port (src/services/bills.ts):
 *   POST /wallet/electricity   disco, meter, type, amount, phone (form or JSON, Idempotency-Key)
 *   POST /wallet/tv            provider, smartcard, action renew|change, bouquet, quantity, phone
 *
 * Like airtime: JSON clients get 202 with the payment and how to watch it; a
 * browser's form post gets 303 to the purchase status page. Counted by the
 * same per-user purchase limiter as airtime and data (one key).
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  ELECTRICITY_MAX_MINOR,
  ELECTRICITY_MIN_MINOR,
  PHONE_INPUT_MAX_CHARS,
  PLAN_CODE_MAX_CHARS,
  TV_QUANTITY_MAX,
} from "../../domain/limits";
import {
  bearerSecurity,
  bodyContent,
  formOrJson,
  limitByUser,
  newRouter,
  problems,
  requireUser,
  userIdOf,
  type AppContext,
} from "../../lib/http";
import { payBill } from "../../services/bills";
import { answerOrRedirect } from "../../services/held-payment-runner";
import { withWatch } from "../../services/watch";
import { BillerNumberField, DiscoField, MeterTypeField, TvProviderField } from "../catalog/bills";
import { amountField, IdempotencyHeader, TransactionResponse } from "../wallet/schemas";
import { PURCHASE_PAGE_PATH } from "./index";
import { RecipientIdField } from "./schemas";
import { withRecipient } from "../../services/beneficiaries";
import type { ElectricityInput, TvInput } from "../../services/bills";

export const billRoutes = newRouter();

const PhoneField = z.string().min(1).max(PHONE_INPUT_MAX_CHARS).openapi({
  description: "The customer's Nigerian mobile number (VTpass's `phone`)",
  example: "08031234567",
});

export const ElectricityBody = z
  .strictObject({
    disco: DiscoField.optional(),
    meter: BillerNumberField("Meter number", "1111111111111").optional(),
    type: MeterTypeField.optional(),
    beneficiary_id: RecipientIdField,
    amount: amountField(ELECTRICITY_MIN_MINOR, ELECTRICITY_MAX_MINOR, { whole_naira: true }),
    phone: PhoneField,
  })
  .openapi("ElectricityRequest");

export const TvBody = z
  .strictObject({
    provider: TvProviderField.optional(),
    smartcard: BillerNumberField(
      "Smartcard or IUC number (Showmax: the phone)",
      "1212121212",
    ).optional(),
    beneficiary_id: RecipientIdField,
    action: z.enum(["renew", "change"]).openapi({
      description:
        "renew: the current bouquet at VTpass's renewal amount; change: the bouquet named",
    }),
    bouquet: z.string().trim().min(1).max(PLAN_CODE_MAX_CHARS).optional().openapi({
      description: "A bouquet `code` from GET /catalog/tv/{provider}/bouquets (change only)",
      example: "dstv-padi",
    }),
    quantity: z.coerce.number().int().min(1).max(TV_QUANTITY_MAX).optional().openapi({
      description: "Months (a DStv or GOtv change only)",
    }),
    phone: PhoneField,
  })
  .openapi("TvRequest");

export const BillResponse = TransactionResponse.extend({
  service: z.string().nullable().openapi({ description: "The DisCo or TV service" }),
  account: z.string().nullable().openapi({ description: "The meter or smartcard" }),
  customer_name: z.string().nullable(),
  token: z.string().nullable().openapi({
    description:
      "A prepaid meter's token (a Showmax voucher), once delivered; it may arrive later, on requery",
  }),
  units: z
    .string()
    .nullable()
    .openapi({ description: "The token's units, where VTpass gives them" }),
  watch: z.object({ websocket_url: z.string(), ticket: z.string() }).optional(),
}).openapi("BillPayment");

const responses = {
  202: {
    description:
      "Accepted: PENDING (held) until VTpass confirms; `watch` says how to follow it live.",
    content: { "application/json": { schema: BillResponse } },
  },
  303: { description: "Browser form posts are redirected to the purchase's status page." },
  ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
};

const limitPurchases = limitByUser((env) => env.PURCHASE_USER_LIMITER, "purchase");

async function answer(
  c: AppContext,
  order: Parameters<typeof payBill>[2],
  key: string | undefined,
) {
  const user_id = userIdOf(c);
  let result = await payBill(c, user_id, order, key);
  if (result.status === 202) result = { ...result, ...(await withWatch(c, user_id, result)) };
  return answerOrRedirect(c, user_id, result, PURCHASE_PAGE_PATH);
}

billRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/electricity",
    tags: ["purchases"],
    summary: "Pay electricity (prepaid token or postpaid bill) from the wallet balance",
    security: bearerSecurity,
    middleware: [requireUser, limitPurchases] as const,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(ElectricityBody, "DisCo, meter, meter type, amount in whole naira, phone."),
    },
    responses,
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    const input = (await withRecipient(
      c,
      userIdOf(c),
      body,
      ["disco", "meter", "type"],
      "meter",
      (t) => (t.kind === "meter" ? { disco: t.disco, meter: t.meter, type: t.meter_type } : {}),
    )) as ElectricityInput;
    return (await answer(
      c,
      { kind: "electricity", input },
      c.req.valid("header")["idempotency-key"],
    )) as never;
  },
);

billRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/tv",
    tags: ["purchases"],
    summary:
      "Renew or change a cable TV subscription from the wallet balance (priced by VTpass, never by the client)",
    security: bearerSecurity,
    middleware: [requireUser, limitPurchases] as const,
    request: {
      headers: IdempotencyHeader,
      body: bodyContent(
        TvBody,
        "Provider, smartcard, renew or change (with a bouquet code and months), phone.",
      ),
    },
    responses,
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    const input = (await withRecipient(
      c,
      userIdOf(c),
      body,
      ["provider", "smartcard"],
      "smartcard",
      (t) => (t.kind === "smartcard" ? { provider: t.provider, smartcard: t.smartcard } : {}),
    )) as TvInput;
    return (await answer(
      c,
      { kind: "tv", input },
      c.req.valid("header")["idempotency-key"],
    )) as never;
  },
);
