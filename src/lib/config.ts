/**
 * The environment, described once with zod.
 *
 * Names follow the FastAPI service where they still mean something
 * (`JWT_SECRET_KEY`, `FLUTTERWAVE_*`, `APP_ADDRESS`, ...). In development every
 * secret has a default so `npm run dev` works with no file made by hand (the dev
 * script also writes random ones into `.dev.vars`). In production a missing or
 * weak secret makes the whole service answer 503 and logs the variable's name,
 * never its value: a half-configured payments service must not take traffic.
 *
 * "Weak" in production means any of: shorter than its minimum, a visibly
 * guessable value (repetition, a sequence, few distinct characters: see
 * src/lib/secret-strength.ts), a development default or placeholder, the same
 * value as another secret, or a provider's test-mode credential (a Flutterwave
 * `FLWSECK_TEST-` key, VTpass sandbox mode). The VTpass callback secret, a URL
 * path segment, must also keep to the characters a segment carries unchanged.
 */
import { z } from "zod";
import {
  AIRTIME_MAX_MINOR,
  AIRTIME_MIN_MINOR,
  FUND_PENDING_MAX_CEILING,
  FUND_PENDING_MAX_DEFAULT,
  HELD_DEADLINE_MAX_S,
  HELD_DEADLINE_MIN_S,
  HELD_DEADLINE_PRODUCTION_MIN_S,
} from "../domain/limits";
import {
  MONGO_BATCH_TIMEOUT_MS,
  MONGO_SERVER_SELECTION_TIMEOUT_MS,
  OPERATOR_INDEX_SHARDS_DEFAULT,
  OPERATOR_INDEX_SHARDS_MAX,
  PRODUCTION_SECRET_MINIMUMS,
  PROVIDER_TIMEOUT_DEFAULT_MS,
  PROVIDER_TIMEOUT_MAX_MS,
  PROVIDER_TIMEOUT_MIN_MS,
  VTPASS_PAY_TIMEOUT_MS,
  WS_SOCKETS_LIMIT_CEILING,
  WS_SOCKETS_PER_ADDRESS_DEFAULT,
  WS_SOCKETS_PER_USER_DEFAULT,
} from "./limits";
import { DEV_DEFAULTS, FLUTTERWAVE_TEST_KEY, PLACEHOLDER, type SecretName } from "./config-values";
import { type VtpassConfig, vtpassConfig } from "./config-vtpass";

export { DEV_VTPASS_KEYS, VTPASS_LIVE_BASE, VTPASS_SANDBOX_BASE } from "./config-values";
import { FOUR_EYES_SETTINGS } from "./config-acts";
import { IDENTITY_SETTINGS, type IdentityConfig, identityConfig } from "./config-identity";
import { KYC_SETTINGS, kycPolicy, type TierPolicy } from "./config-kyc";
import { RUN_SETTINGS } from "./config-runs";
import { flag, milliseconds, minutes, optionalText } from "./config-shapes";
import { LOG_LEVELS } from "./log";
import { type AccessSettings, accessSettings } from "./access-config";
import { estimateSecretBits } from "./secret-strength";

const schema = z.object({
  ENVIRONMENT: z.enum(["development", "production"]).default("development"),
  APP_NAME: z.string().min(1).default("Airtime Wallet API"),
  /** Public base URL of the API including `/api/v1`; derived from the request in development. */
  APP_ADDRESS: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CORS_ORIGINS: z.string().default(""),
  SANDBOX_ENABLED: flag.default(false),
  /** Lines below this level are dropped (src/lib/log.ts reads it; here it is validated). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),

  JWT_SECRET_KEY: optionalText,
  JWT_ALGORITHM: z.enum(["HS256", "HS384", "HS512"]).default("HS256"),
  ACCESS_TOKEN_EXPIRE_MINUTES: minutes(30, 24 * 60),
  JWT_ISSUER: z.string().min(1).default("airtime-wallet"),
  JWT_AUDIENCE: z.string().min(1).default("airtime-wallet-api"),

  ADMIN_API_TOKEN: optionalText,
  /**
   * Cloudflare Access in front of the admin surface (src/lib/operator-access.ts):
   * the team domain (`https://<team>.cloudflareaccess.com`, the tokens' `iss`),
   * the Access application's AUD tag, and the role map. Development defaults
   * to the look-alike under /__sandbox/access.
   */
  ACCESS_TEAM_DOMAIN: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  ACCESS_AUD: optionalText,
  OPS_ROLES: optionalText,

  FLUTTERWAVE_SECRET_KEY: optionalText,
  FLUTTERWAVE_WEBHOOK_HASH: optionalText,
  /** Where the Flutterwave v3 API lives (without `/v3`); the sandbox in development. */
  FLUTTERWAVE_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  FLUTTERWAVE_LINK_EXPIRY_MINUTES: minutes(30, 24 * 60),
  FLUTTERWAVE_SESSION_DURATION_MINUTES: minutes(30, 24 * 60),
  FLUTTERWAVE_REDIRECT_URL: z.string().default("/wallet/flutterwave/callback"),
  FLUTTERWAVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(PROVIDER_TIMEOUT_MIN_MS)
    .max(PROVIDER_TIMEOUT_MAX_MS)
    .default(PROVIDER_TIMEOUT_DEFAULT_MS),
  /** Naira fee added to each withdrawal, as a decimal string; 0 by default. */
  WITHDRAWAL_FEE: z
    .string()
    .regex(/^\d{1,9}(\.\d{1,2})?$/)
    .default("0"),

  VTPASS_API_KEY: optionalText,
  VTPASS_PUBLIC_KEY: optionalText,
  VTPASS_SECRET_KEY: optionalText,
  /**
   * Without VTPASS_BASE_URL: VTpass's sandbox host when true, the live one when
   * false (development uses the look-alike). Unset means true in development and
   * false in production; true in production is refused.
   */
  VTPASS_SANDBOX_MODE: flag.optional(),
  /** Where VTpass lives (without `/api`); the embedded look-alike in development. */
  VTPASS_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  VTPASS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(PROVIDER_TIMEOUT_MIN_MS)
    .max(PROVIDER_TIMEOUT_MAX_MS)
    .default(VTPASS_PAY_TIMEOUT_MS),
  /** The secret last segment of the callback URL set in VTpass's dashboard (its callbacks carry no signature). */
  VTPASS_CALLBACK_SECRET: optionalText,
  /** Our own airtime bounds in naira (whole naira), inside which VTpass's published ones also apply. */
  AIRTIME_MIN_AMOUNT: z.coerce
    .number()
    .int()
    .min(AIRTIME_MIN_MINOR / 100)
    .max(AIRTIME_MAX_MINOR / 100)
    .default(AIRTIME_MIN_MINOR / 100),
  AIRTIME_MAX_AMOUNT: z.coerce
    .number()
    .int()
    .min(AIRTIME_MIN_MINOR / 100)
    .max(AIRTIME_MAX_MINOR / 100)
    .default(AIRTIME_MAX_MINOR / 100),

  /**
   * MongoDB projection (optional). The URI may hold a password: it is a secret,
   * and only its host names are ever logged. `MONGO_URI` is the seed's name for
   * it; `MONGODB_URI` wins when both are set. A malformed URI or database name
   * does not stop the service: the projector answers "misconfigured".
   */
  MONGODB_URI: optionalText,
  MONGO_URI: optionalText,
  MONGO_DB_NAME: optionalText,
  MONGO_SERVER_SELECTION_TIMEOUT_MS: milliseconds(MONGO_SERVER_SELECTION_TIMEOUT_MS),
  MONGO_BATCH_TIMEOUT_MS: milliseconds(MONGO_BATCH_TIMEOUT_MS),

  /** Sandbox only: seconds before a sandbox transfer settles. */
  WS_SOCKETS_PER_USER_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(WS_SOCKETS_LIMIT_CEILING)
    .default(WS_SOCKETS_PER_USER_DEFAULT),
  WS_SOCKETS_PER_ADDRESS_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(WS_SOCKETS_LIMIT_CEILING)
    .default(WS_SOCKETS_PER_ADDRESS_DEFAULT),
  FUND_PENDING_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(FUND_PENDING_MAX_CEILING)
    .default(FUND_PENDING_MAX_DEFAULT),
  /**
   * How many shards hold the operator index and the users index. Fixed once
   * the index holds data: the shards record the count and refuse another.
   */
  OPERATOR_INDEX_SHARDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(OPERATOR_INDEX_SHARDS_MAX)
    .default(OPERATOR_INDEX_SHARDS_DEFAULT),
  ...FOUR_EYES_SETTINGS,
  ...IDENTITY_SETTINGS,
  ...KYC_SETTINGS,
  ...RUN_SETTINGS,
  SANDBOX_TRANSFER_DELAY_S: z.coerce.number().int().min(0).max(3600).default(3),
  /** A held payment's deadline (operators told, and may decide), when not the product's (src/domain/limits.ts). */
  HELD_PAYMENT_DEADLINE_S: z.coerce
    .number()
    .int()
    .min(HELD_DEADLINE_MIN_S)
    .max(HELD_DEADLINE_MAX_S)
    .optional(),
});

type Parsed = z.infer<typeof schema>;

/** Where the projection goes, and how long the projector waits for it. */
export type MongoSettings = {
  uri: string;
  db: string;
  server_selection_timeout_ms: number;
  batch_timeout_ms: number;
};
/** The database the projection writes to when MONGO_DB_NAME is unset. */
export const MONGO_DEFAULT_DB = "airtime_wallet";

export type Config = Omit<Parsed, SecretName | "VTPASS_SANDBOX_MODE"> & {
  JWT_SECRET_KEY: string;
  FLUTTERWAVE_SECRET_KEY: string;
  FLUTTERWAVE_WEBHOOK_HASH: string;
  ADMIN_API_TOKEN: string;
  VTPASS_SANDBOX_MODE: boolean;
  /** True only outside production and only when SANDBOX_ENABLED says so. */
  sandbox: boolean;
  production: boolean;
  /** VTpass, when configured (always in development); null: purchases are unavailable. */
  vtpass: VtpassConfig | null;
  /** Our airtime bounds, in kobo. */
  airtime_bounds: { min_minor: number; max_minor: number };
  /** Null when no MongoDB URI is set: the projection is then switched off. */
  mongo: MongoSettings | null;
  /**
   * Operator sign-in through Cloudflare Access; null when it is not configured
   * (then only ADMIN_API_TOKEN's read-only access works).
   */
  access: AccessSettings | null;
  /** BVN/NIN verification: the hash key and the identity provider (src/lib/config-identity.ts). */
  identity: IdentityConfig;
  kyc: TierPolicy; // KYC tiers (./config-kyc.ts): the table in force, whether tier 0 may move money
};

export type { VtpassConfig } from "./config-vtpass";

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/**
 * What is wrong with one production secret, or null: missing, a development
 * default or placeholder, refused by `shape` (a rule of its own kind), too
 * short, or too predictable. The answer names the rule broken, never the value
 * or anything computed from it.
 */
function secretProblem(
  value: string | undefined,
  { min_chars, min_bits }: { readonly min_chars: number; readonly min_bits: number },
  development_default: string,
  shape: (value: string) => string | null = () => null,
): string | null {
  if (value === undefined) return "missing";
  if (value === development_default || PLACEHOLDER.test(value))
    return "a development default or placeholder";
  const refused = shape(value);
  if (refused) return refused;
  if ([...value].length < min_chars) return `too short (at least ${min_chars} characters)`;
  if (estimateSecretBits(value) < min_bits) {
    return `too predictable (repetition, a sequence or few distinct characters; generate ${min_chars}+ random characters)`;
  }
  return null;
}

/** Flutterwave's secret key must be a live one. */
const flutterwaveKeyShape = (value: string) =>
  FLUTTERWAVE_TEST_KEY.test(value) ? "a Flutterwave test-mode key (FLWSECK_TEST-...)" : null;

/**
 * Values that must each be their own: one leaked secret must not open the
 * others. VTpass's keys are here too, so that the callback secret, which
 * travels in a URL, is never one of them. A refusal names the later of the
 * two variables in this order.
 */
const DISTINCT_SECRETS = [
  ...(Object.keys(PRODUCTION_SECRET_MINIMUMS) as SecretName[]),
  "VTPASS_API_KEY",
  "VTPASS_PUBLIC_KEY",
  "VTPASS_SECRET_KEY",
  "VTPASS_CALLBACK_SECRET",
  "IDENTITY_HASH_KEY",
  "DOJAH_SECRET_KEY",
] as const;

/** Parse the environment. `problems` lists variable names and what is wrong, never values. */
export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (typeof value === "string") input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`),
    };
  }
  const values = parsed.data;
  const production = values.ENVIRONMENT === "production";
  const problems: string[] = [];
  const secrets = {} as Record<SecretName, string>;
  const names = Object.keys(PRODUCTION_SECRET_MINIMUMS) as SecretName[];
  for (const name of names) {
    const value = values[name];
    if (!production) {
      secrets[name] = value ?? DEV_DEFAULTS[name];
      continue;
    }
    const problem = secretProblem(
      value,
      PRODUCTION_SECRET_MINIMUMS[name],
      DEV_DEFAULTS[name],
      name === "FLUTTERWAVE_SECRET_KEY" ? flutterwaveKeyShape : undefined,
    );
    if (problem) problems.push(`${name}: ${problem}`);
    else secrets[name] = value!;
  }
  if (production) {
    DISTINCT_SECRETS.forEach((name, i) => {
      const twin = DISTINCT_SECRETS.slice(0, i).find(
        (other) => values[other] !== undefined && values[other] === values[name],
      );
      if (twin) problems.push(`${name}: same value as ${twin}`);
    });
    if (values.VTPASS_SANDBOX_MODE === true)
      problems.push("VTPASS_SANDBOX_MODE: sandbox mode in production");
    if (
      (values.HELD_PAYMENT_DEADLINE_S ?? HELD_DEADLINE_PRODUCTION_MIN_S) <
      HELD_DEADLINE_PRODUCTION_MIN_S
    )
      problems.push(
        `HELD_PAYMENT_DEADLINE_S: below ${HELD_DEADLINE_PRODUCTION_MIN_S} in production`,
      );
    if (values.APP_ADDRESS === undefined) problems.push("APP_ADDRESS: missing");
    else if (!values.APP_ADDRESS.startsWith("https://"))
      problems.push("APP_ADDRESS: must be https in production");
  }
  const sandbox = !production && values.SANDBOX_ENABLED;
  const vtpass = vtpassConfig(values, production, sandbox, problems, secretProblem);
  const access = accessSettings(values, production, sandbox, problems);
  const identity = identityConfig(values, production, sandbox, problems, secretProblem);
  const kyc = kycPolicy(values, production, problems);
  if (values.AIRTIME_MIN_AMOUNT > values.AIRTIME_MAX_AMOUNT)
    problems.push("AIRTIME_MIN_AMOUNT: above AIRTIME_MAX_AMOUNT");
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      ...values,
      ...secrets,
      VTPASS_SANDBOX_MODE: values.VTPASS_SANDBOX_MODE ?? !production,
      production,
      sandbox,
      vtpass,
      airtime_bounds: {
        min_minor: values.AIRTIME_MIN_AMOUNT * 100,
        max_minor: values.AIRTIME_MAX_AMOUNT * 100,
      },
      mongo: mongoSettings(values),
      access,
      identity,
      kyc,
    },
  };
}

function mongoSettings(values: Parsed): MongoSettings | null {
  const uri = values.MONGODB_URI ?? values.MONGO_URI;
  if (uri === undefined) return null;
  return {
    uri,
    db: values.MONGO_DB_NAME ?? MONGO_DEFAULT_DB,
    server_selection_timeout_ms: values.MONGO_SERVER_SELECTION_TIMEOUT_MS,
    batch_timeout_ms: values.MONGO_BATCH_TIMEOUT_MS,
  };
}

const cache = new WeakMap<object, ConfigResult>();

/** Parsed once per isolate per env object. */
export function configOf(env: object): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env as Record<string, unknown>);
    cache.set(env, result);
  }
  return result;
}

/** For code paths that run after the HTTP gate already checked the config (DOs, queue). */
export function requireConfig(env: object): Config {
  const result = configOf(env);
  if (!result.ok) throw new Error(`configuration invalid: ${result.problems.join("; ")}`);
  return result.config;
}

/**
 * OPERATOR_INDEX_SHARDS alone, or null when it is invalid: the wallets' feed
 * reader needs only this, and keeps working from the alarm whatever else of
 * the configuration is wrong (a weak secret in production stops requests,
 * not the operator index). Null stops that reader until it is fixed, rather
 * than sending facts to shards another count would choose.
 */
export function operatorIndexShards(env: object): number | null {
  const result = configOf(env);
  if (result.ok) return result.config.OPERATOR_INDEX_SHARDS;
  const alone = schema.shape.OPERATOR_INDEX_SHARDS.safeParse(
    (env as Record<string, unknown>).OPERATOR_INDEX_SHARDS,
  );
  return alone.success ? alone.data : null;
}
