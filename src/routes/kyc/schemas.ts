/**
 * KYC schemas: what a user states to verify a BVN or NIN, and the standing
 * we answer. The number is validated here (11 digits) and never echoed back:
 * a validation problem names the field, not its value.
 */
import { z } from "@hono/zod-openapi";
import { IDENTITY_NUMBER_DIGITS, PERSON_NAME_MAX_CHARS } from "../../domain/limits";
import { IDENTITY_KINDS } from "../../domain/tiers";

const IdentityNumber = z
  .string()
  .transform((v) => v.trim())
  .pipe(
    z.string().regex(new RegExp(`^\\d{${IDENTITY_NUMBER_DIGITS}}$`), {
      message: `must be ${IDENTITY_NUMBER_DIGITS} digits`,
    }),
  )
  .openapi({ type: "string", example: "22222222222" });

/** Letters (any script, with their accents), spaces, hyphens, apostrophes and dots. */
const NAME = /^[\p{L}\p{M}][\p{L}\p{M} .'\u2019-]*$/u;
const nameField = (example: string) =>
  z
    .string()
    .transform((v) => v.trim())
    .pipe(
      z.string().min(1).max(PERSON_NAME_MAX_CHARS).regex(NAME, {
        message: "may contain letters, spaces, hyphens, apostrophes and dots only",
      }),
    )
    .openapi({ type: "string", example });

/** Empty (as a form sends an untouched field) means absent. */
const optionalName = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()))
  .pipe(
    z
      .string()
      .max(PERSON_NAME_MAX_CHARS)
      .regex(NAME, { message: "may contain letters, spaces, hyphens, apostrophes and dots only" })
      .optional(),
  )
  .openapi({ type: "string", example: "Adaeze" });

const DateOfBirth = z
  .string()
  .transform((v) => v.trim())
  .pipe(
    z.string().refine(
      (v) => {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
        if (!m) return false;
        const d = new Date(`${v}T00:00:00Z`);
        return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
      },
      { message: "must be a date, YYYY-MM-DD" },
    ),
  )
  .openapi({ type: "string", format: "date", example: "1992-03-14" });

export const KycBody = z
  .strictObject({
    number: IdentityNumber,
    first_name: nameField("Chidinma"),
    middle_name: optionalName,
    last_name: nameField("Okafor"),
    date_of_birth: DateOfBirth,
  })
  .openapi("KycRequest");

export const KycStatusResponse = z
  .object({
    tier: z.number().int().min(0).max(3),
    identities: z.array(
      z.object({
        kind: z.enum(IDENTITY_KINDS),
        /** The last four digits: all we keep of a number besides its keyed hash. */
        last4: z.string(),
        verified_at: z.string(),
      }),
    ),
  })
  .openapi("KycStatus");
