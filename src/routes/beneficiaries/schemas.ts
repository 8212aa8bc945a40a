/** Request and answer shapes of the saved recipients' routes. */
import { z } from "@hono/zod-openapi";
import { PHONE_INPUT_MAX_CHARS } from "../../domain/limits";
import { BENEFICIARY_NICKNAME_MAX_CHARS } from "../../durable/wallet/limits";
import { IDENTIFIER_MAX_CHARS } from "../../lib/limits";
import { NetworkField } from "../catalog";
import { BillerNumberField, DiscoField, MeterTypeField, TvProviderField } from "../catalog/bills";

export const NicknameField = z.string().trim().min(1).max(BENEFICIARY_NICKNAME_MAX_CHARS).openapi({
  description: "What the user calls this recipient",
  example: "Mum",
});

export const BeneficiaryIdField = z.string().min(1).max(IDENTIFIER_MAX_CHARS).openapi({
  description: "A saved recipient's id (GET /wallet/beneficiaries)",
  example: "ben_0123456789abcdefghjk",
});

export const BeneficiaryIdParam = z.object({ id: BeneficiaryIdField });

export const BeneficiaryBody = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("phone"),
      nickname: NicknameField,
      phone: z.string().min(1).max(PHONE_INPUT_MAX_CHARS),
      network: NetworkField.optional(),
    }),
    z.strictObject({
      kind: z.literal("meter"),
      nickname: NicknameField,
      disco: DiscoField,
      meter: BillerNumberField("Meter number", "1111111111111"),
      meter_type: MeterTypeField,
    }),
    z.strictObject({
      kind: z.literal("smartcard"),
      nickname: NicknameField,
      provider: TvProviderField,
      smartcard: BillerNumberField("Smartcard or IUC number", "1212121212"),
    }),
  ])
  .openapi("BeneficiaryRequest");

export const BeneficiaryPatchBody = z
  .strictObject({
    nickname: NicknameField.optional(),
    network: NetworkField.optional().openapi({ description: "A phone's network only" }),
  })
  .openapi("BeneficiaryChange");

export const BeneficiaryResponse = z
  .object({
    id: z.string(),
    nickname: z.string(),
    kind: z.enum(["phone", "meter", "smartcard"]),
    phone: z.string().optional(),
    network: z.string().optional(),
    disco: z.string().optional(),
    meter: z.string().optional(),
    meter_type: z.string().optional(),
    provider: z.string().optional(),
    smartcard: z.string().optional(),
    verified_name: z.string().nullable().openapi({
      description: "The provider's name for a meter or smartcard when saved; null for a phone",
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Beneficiary");

export const BeneficiaryList = z
  .object({ beneficiaries: z.array(BeneficiaryResponse), limit: z.number().int() })
  .openapi("BeneficiaryList");

export const SuggestedList = z
  .object({
    suggested: z.array(
      z.object({
        kind: z.enum(["phone", "meter", "smartcard"]),
        phone: z.string().optional(),
        network: z.string().optional(),
        disco: z.string().optional(),
        meter: z.string().optional(),
        meter_type: z.string().optional(),
        provider: z.string().optional(),
        smartcard: z.string().optional(),
        last_used_at: z.string(),
      }),
    ),
  })
  .openapi("SuggestedRecipients");
