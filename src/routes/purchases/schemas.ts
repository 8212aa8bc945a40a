/** Request and answer shapes of the purchase routes (airtime, data, the VTpass callback). */
import { z } from "@hono/zod-openapi";
import { AIRTIME_MAX_MINOR, AIRTIME_MIN_MINOR, PHONE_INPUT_MAX_CHARS } from "../../domain/limits";
import { PLAN_CODE_MAX_CHARS } from "../../domain/limits";
import { NetworkField } from "../catalog";
import { amountField, TransactionResponse } from "../wallet/schemas";
import { BeneficiaryIdField } from "../beneficiaries/schemas";

/** Instead of the recipient's fields: a saved recipient of the caller's (GET /wallet/beneficiaries). */
export const RecipientIdField = BeneficiaryIdField.optional().openapi({
  description:
    "A saved recipient's id, instead of the recipient's fields (sending both is refused)",
});

const PhoneField = z.string().min(1).max(PHONE_INPUT_MAX_CHARS).openapi({
  description: "Any common Nigerian form: 0803 123 4567, +234 803 123 4567, 234-803-123-4567",
  example: "08031234567",
});

/** `network`: given, it wins over the prefix's suggestion (numbers are ported); a mismatch is reported, not refused. */
export const AirtimeBody = z
  .strictObject({
    phone: PhoneField.optional(),
    beneficiary_id: RecipientIdField,
    amount: amountField(AIRTIME_MIN_MINOR, AIRTIME_MAX_MINOR, { whole_naira: true }),
    network: NetworkField.optional(),
  })
  .openapi("AirtimeRequest");

export const DataBody = z
  .strictObject({
    phone: PhoneField.optional(),
    beneficiary_id: RecipientIdField,
    plan: z.string().trim().min(1).max(PLAN_CODE_MAX_CHARS).openapi({
      description: "A plan `code` from GET /catalog/data-plans",
      example: "mtn-100mb-1000",
    }),
    network: NetworkField.optional(),
  })
  .openapi("DataRequest");

export const PurchaseResponse = TransactionResponse.extend({
  network: NetworkField,
  phone: z.string(),
  plan: z.string().nullable(),
  network_note: z.string().nullable().openapi({
    description:
      "Set when the network asked for differs from the one the number's prefix suggests.",
  }),
  watch: z.object({ websocket_url: z.string(), ticket: z.string() }).optional(),
}).openapi("Purchase");

export const CallbackAck = z
  .object({ response: z.literal("success") })
  .openapi("VtpassCallbackAck");
