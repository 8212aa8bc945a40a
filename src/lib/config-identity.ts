/**
 * Identity verification's configuration (issue 21: BVN and NIN), part of the
 * configuration's schema (./config.ts), kept here so that file stays small.
 *
 * - IDENTITY_HASH_KEY: the key of the keyed hash (HMAC-SHA256) that stands
 *   for a BVN or NIN wherever we keep one (src/lib/identity-hash.ts). A
 *   secret: required and strength-checked in production like the others
 *   (whoever holds it can test guessed numbers against stored hashes, and an
 *   11-digit space is small). Changing it orphans every stored hash: the
 *   "one number, one user" index would no longer find the numbers claimed
 *   before, so it is set once.
 * - DOJAH_APP_ID, DOJAH_SECRET_KEY, DOJAH_BASE_URL: the identity provider
 *   (src/providers/identity/dojah/). Development defaults to the look-alike
 *   (src/sandbox/identity/); production without the keys answers every
 *   verification 503 `identity_provider_unavailable`.
 * - IDENTITY_TIMEOUT_MS: the bound on one lookup.
 */
import { z } from "zod";
import DEV_KEYS from "./dev-keys.json";
import {
  IDENTITY_HASH_KEY_MINIMUMS,
  IDENTITY_TIMEOUT_DEFAULT_MS,
  PROVIDER_TIMEOUT_MAX_MS,
  PROVIDER_TIMEOUT_MIN_MS,
} from "./limits";

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

export const IDENTITY_SETTINGS = {
  IDENTITY_HASH_KEY: optionalText,
  DOJAH_APP_ID: optionalText,
  DOJAH_SECRET_KEY: optionalText,
  /** Where Dojah's API lives (without `/api`); the look-alike in development. */
  DOJAH_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  IDENTITY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(PROVIDER_TIMEOUT_MIN_MS)
    .max(PROVIDER_TIMEOUT_MAX_MS)
    .default(IDENTITY_TIMEOUT_DEFAULT_MS),
};

/** Opens nothing outside development: production refuses it (a development default). */
export const DEV_IDENTITY_HASH_KEY = "development-only-identity-hash-key-not-for-production-0001";
/** The keys the development Dojah look-alike accepts (src/sandbox/identity/); in dev-keys.json, shared with the start banner. */
export const DEV_DOJAH_KEYS: { readonly app_id: string; readonly secret_key: string } =
  DEV_KEYS.dojah;
/** Dojah's live API (providers reference, section 19.3). */
export const DOJAH_LIVE_BASE = "https://api.dojah.io";

export type IdentityConfig = {
  hash_key: string;
  /** Null when no provider is configured (production without Dojah's keys). */
  provider: {
    /** Null: the embedded look-alike, on the request's origin. */
    base_url: string | null;
    app_id: string;
    secret_key: string;
    timeout_ms: number;
  } | null;
};

type IdentityValues = {
  IDENTITY_HASH_KEY?: string;
  DOJAH_APP_ID?: string;
  DOJAH_SECRET_KEY?: string;
  DOJAH_BASE_URL?: string;
  IDENTITY_TIMEOUT_MS: number;
};

/** How config.ts checks one production secret: a problem's words, or null. */
export type SecretCheck = (
  value: string | undefined,
  minimums: { readonly min_chars: number; readonly min_bits: number },
  development_default: string,
  /** A rule of the secret's own kind: its refusal's words, or null. */
  shape?: (value: string) => string | null,
) => string | null;

/** The identity settings, checked; problems name variables, never values. */
export function identityConfig(
  values: IdentityValues,
  production: boolean,
  sandbox: boolean,
  problems: string[],
  secretProblem: SecretCheck,
): IdentityConfig {
  const timeout_ms = values.IDENTITY_TIMEOUT_MS;
  if (!production) {
    return {
      hash_key: values.IDENTITY_HASH_KEY ?? DEV_IDENTITY_HASH_KEY,
      provider: {
        base_url: values.DOJAH_BASE_URL ?? (sandbox ? null : DOJAH_LIVE_BASE),
        app_id: values.DOJAH_APP_ID ?? DEV_DOJAH_KEYS.app_id,
        secret_key: values.DOJAH_SECRET_KEY ?? DEV_DOJAH_KEYS.secret_key,
        timeout_ms,
      },
    };
  }
  const problem = secretProblem(
    values.IDENTITY_HASH_KEY,
    IDENTITY_HASH_KEY_MINIMUMS,
    DEV_IDENTITY_HASH_KEY,
  );
  if (problem) problems.push(`IDENTITY_HASH_KEY: ${problem}`);
  const app_id = values.DOJAH_APP_ID;
  const secret_key = values.DOJAH_SECRET_KEY;
  if ((app_id === undefined) !== (secret_key === undefined)) {
    problems.push(
      `${app_id === undefined ? "DOJAH_APP_ID" : "DOJAH_SECRET_KEY"}: missing (the other Dojah key is set)`,
    );
  }
  if (secret_key === DEV_DOJAH_KEYS.secret_key) {
    problems.push("DOJAH_SECRET_KEY: a development default or placeholder");
  }
  return {
    hash_key: values.IDENTITY_HASH_KEY ?? "",
    provider:
      app_id && secret_key
        ? { base_url: values.DOJAH_BASE_URL ?? DOJAH_LIVE_BASE, app_id, secret_key, timeout_ms }
        : null,
  };
}
