/**
 * The configuration's fixed values: development defaults (which open nothing
 * outside development: production refuses every one of them), VTpass's hosts,
 * and the shapes secrets are checked against. Parsed and checked in ./config.ts.
 */
import type { PRODUCTION_SECRET_MINIMUMS } from "./limits";
import DEV_KEYS from "./dev-keys.json";

export const DEV_JWT_SECRET = "development-only-jwt-secret-not-for-production-0001";
export const DEV_WEBHOOK_HASH = "development-only-webhook-hash-0001";
/** The look-alikes' keys live in dev-keys.json, shared with `npm run dev`'s start banner. */
export const DEV_FLW_SECRET = DEV_KEYS.flutterwave_secret_key;
export const DEV_ADMIN_TOKEN = "development-only-admin-token-not-for-production-0001";
/** The keys the development VTpass look-alike accepts (src/sandbox/vtpass/): they open nothing anywhere else. */
export const DEV_VTPASS_KEYS: {
  readonly api_key: string;
  readonly public_key: string;
  readonly secret_key: string;
} = DEV_KEYS.vtpass;
export const DEV_VTPASS_CALLBACK_SECRET = "development-only-vtpass-callback-secret-0001";
/** VTpass's own hosts (docs/providers.md, §VTpass hosts and keys): its sandbox, and the live API. */
export const VTPASS_SANDBOX_BASE = "https://sandbox.vtpass.com";
export const VTPASS_LIVE_BASE = "https://vtpass.com";
/**
 * VTpass signs nothing (docs/providers.md, §VTpass callbacks): the only thing a callback can carry
 * is an unguessable URL, so the secret is the last segment of the path we
 * register with VTpass. In production it keeps to URL's unreserved characters
 * (RFC 3986 §2.3), the only ones a path segment carries as they are: a `/`
 * splits the segment, `%` is decoded, `?` and `#` end the path, so with any of
 * them no callback would ever reach our route (every one a 404).
 */
export const URL_SEGMENT_SAFE = /^[A-Za-z0-9._~-]+$/;

export type SecretName = keyof typeof PRODUCTION_SECRET_MINIMUMS;
export const DEV_DEFAULTS: Record<SecretName, string> = {
  JWT_SECRET_KEY: DEV_JWT_SECRET,
  FLUTTERWAVE_SECRET_KEY: DEV_FLW_SECRET,
  FLUTTERWAVE_WEBHOOK_HASH: DEV_WEBHOOK_HASH,
  ADMIN_API_TOKEN: DEV_ADMIN_TOKEN,
};
/** Values people paste from examples, or copy from development; refused in production whatever their length. */
export const PLACEHOLDER =
  /^(changeme|change-me|secret|password|example|your[-_ ]|xxx|todo|test|development-only)/i;
/** Flutterwave's test-mode secret keys (`FLWSECK_TEST-...`); live keys are `FLWSECK-...`. */
export const FLUTTERWAVE_TEST_KEY = /^FLWSECK_TEST\b|_TEST-/i;
