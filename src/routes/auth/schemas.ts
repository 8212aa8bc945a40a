/**
 * Account schemas: what the auth routes accept and answer.
 *
 * Emails are trimmed, lower-cased and must be plain ASCII addresses: letters
 * that merely look alike (Cyrillic "а" for Latin "a"), zero-width characters and
 * inner whitespace are refused rather than silently creating a look-alike account.
 */
import { z } from "@hono/zod-openapi";
import {
  EMAIL_MAX_CHARS,
  FULL_NAME_MAX_CHARS,
  OAUTH_FIELD_MAX_CHARS,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
} from "../../lib/limits";

const EMAIL_PATTERN =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

export const Email = z
  .string()
  .transform((raw) => raw.trim().toLowerCase())
  .pipe(
    z
      .string()
      .min(3)
      .max(EMAIL_MAX_CHARS)
      .regex(EMAIL_PATTERN, { message: "must be a plain ASCII email address" }),
  )
  .openapi({ type: "string", format: "email", example: "ada@example.com" });

/** Length is counted in code points, so an emoji counts once. */
export const Password = z
  .string()
  .refine((p) => [...p].length >= PASSWORD_MIN_CHARS, {
    message: `must be at least ${PASSWORD_MIN_CHARS} characters`,
  })
  .refine((p) => [...p].length <= PASSWORD_MAX_CHARS, {
    message: `must be at most ${PASSWORD_MAX_CHARS} characters`,
  })
  .openapi({
    type: "string",
    format: "password",
    minLength: PASSWORD_MIN_CHARS,
    maxLength: PASSWORD_MAX_CHARS,
  });

const FullName = z
  .string()
  .transform((raw) => raw.trim())
  .pipe(
    z
      .string()
      .max(FULL_NAME_MAX_CHARS)
      // Letters, marks, spaces and the punctuation names use; no control characters.
      .regex(/^[\p{L}\p{M}' .,-]*$/u, { message: "may contain letters, spaces and ' . , - only" }),
  )
  .openapi({ type: "string", example: "Ada Obi" });

export const RegisterBody = z
  .strictObject({ email: Email, password: Password, full_name: FullName.optional() })
  .openapi("RegisterRequest");

/**
 * The OAuth2 password form (RFC 6749 4.3) that FastAPI's OAuth2PasswordRequestForm
 * reads: `username` carries the email. JSON clients may say `email` instead.
 */
export const LoginBody = z
  .strictObject({
    username: z
      .string()
      .max(EMAIL_MAX_CHARS + 64)
      .optional(),
    email: z
      .string()
      .max(EMAIL_MAX_CHARS + 64)
      .optional(),
    password: z.string().max(PASSWORD_MAX_CHARS * 4),
    grant_type: z.literal("password").optional(),
    scope: z.string().max(OAUTH_FIELD_MAX_CHARS).optional(),
    client_id: z.string().max(OAUTH_FIELD_MAX_CHARS).optional(),
    client_secret: z.string().max(OAUTH_FIELD_MAX_CHARS).optional(),
  })
  .refine((b) => (b.username ?? b.email) !== undefined, {
    message: "username (the email) is required",
    path: ["username"],
  })
  .openapi("LoginRequest");

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the token expires." }),
  })
  .openapi("Token");

export const UserResponse = z
  .object({
    id: z.string().openapi({ example: "usr0k3j9m2x4q8r7t5v1" }),
    email: z.string(),
    full_name: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("User");
