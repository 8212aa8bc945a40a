/**
 * The environment, described once with zod.
 *
 * Names follow the FastAPI service where they still mean something
 * (`JWT_SECRET_KEY`, `FLUTTERWAVE_*`, `APP_ADDRESS`, ...). In development every
 * secret has a default so `npm run dev` works with no file made by hand (the dev
 * script also writes random ones into `.dev.vars`). In production a missing or
 * weak secret makes the whole service answer 503 and logs the variable's name,
 * never its value: a half-configured payments service must not take traffic.
 */
import { z } from "zod";
import { MONGO_BATCH_TIMEOUT_MS, MONGO_SERVER_SELECTION_TIMEOUT_MS } from "./limits";

const DEV_JWT_SECRET = "development-only-jwt-secret-not-for-production-0001";
const DEV_WEBHOOK_HASH = "development-only-webhook-hash-0001";
const DEV_FLW_SECRET = "FLWSECK_TEST-sandbox0000000000000000000000000000-X";
const DEV_ADMIN_TOKEN = "development-only-admin-token-not-for-production-0001";

/** Secrets that must be strong in production, with their minimum length. */
export const PRODUCTION_SECRETS = {
  JWT_SECRET_KEY: 32,
  FLUTTERWAVE_SECRET_KEY: 16,
  FLUTTERWAVE_WEBHOOK_HASH: 16,
  ADMIN_API_TOKEN: 32,
} as const;
const DEV_DEFAULTS: Record<keyof typeof PRODUCTION_SECRETS, string> = {
  JWT_SECRET_KEY: DEV_JWT_SECRET,
  FLUTTERWAVE_SECRET_KEY: DEV_FLW_SECRET,
  FLUTTERWAVE_WEBHOOK_HASH: DEV_WEBHOOK_HASH,
  ADMIN_API_TOKEN: DEV_ADMIN_TOKEN,
};

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const minutes = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const milliseconds = (fallback: number) => z.coerce.number().int().min(100).max(60_000).default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const schema = z.object({
  ENVIRONMENT: z.enum(["development", "production"]).default("development"),
  APP_NAME: z.string().min(1).default("Airtime Wallet API"),
  /** Public base URL of the API including `/api/v1`; derived from the request in development. */
  APP_ADDRESS: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CORS_ORIGINS: z.string().default(""),
  SANDBOX_ENABLED: flag.default(false),

  JWT_SECRET_KEY: optionalText,
  JWT_ALGORITHM: z.enum(["HS256", "HS384", "HS512"]).default("HS256"),
  ACCESS_TOKEN_EXPIRE_MINUTES: minutes(30, 24 * 60),
  JWT_ISSUER: z.string().min(1).default("airtime-wallet"),
  JWT_AUDIENCE: z.string().min(1).default("airtime-wallet-api"),

  ADMIN_API_TOKEN: optionalText,

  FLUTTERWAVE_SECRET_KEY: optionalText,
  FLUTTERWAVE_WEBHOOK_HASH: optionalText,
  /** Where the Flutterwave v3 API lives (without `/v3`); the sandbox in development. */
  FLUTTERWAVE_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  FLUTTERWAVE_LINK_EXPIRY_MINUTES: minutes(30, 24 * 60),
  FLUTTERWAVE_SESSION_DURATION_MINUTES: minutes(30, 24 * 60),
  FLUTTERWAVE_REDIRECT_URL: z.string().default("/wallet/flutterwave/callback"),
  FLUTTERWAVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  /** Naira fee added to each withdrawal, as a decimal string; 0 by default. */
  WITHDRAWAL_FEE: z
    .string()
    .regex(/^\d{1,9}(\.\d{1,2})?$/)
    .default("0"),

  VTPASS_API_KEY: optionalText,
  VTPASS_PUBLIC_KEY: optionalText,
  VTPASS_SECRET_KEY: optionalText,
  VTPASS_SANDBOX_MODE: flag.default(true),

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
  SANDBOX_TRANSFER_DELAY_S: z.coerce.number().int().min(0).max(3600).default(3),
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

export type Config = Omit<Parsed, keyof typeof PRODUCTION_SECRETS> & {
  JWT_SECRET_KEY: string;
  FLUTTERWAVE_SECRET_KEY: string;
  FLUTTERWAVE_WEBHOOK_HASH: string;
  ADMIN_API_TOKEN: string;
  /** True only outside production and only when SANDBOX_ENABLED says so. */
  sandbox: boolean;
  production: boolean;
  /** Null when no MongoDB URI is set: the projection is then switched off. */
  mongo: MongoSettings | null;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parse the environment. `problems` lists variable names and what is wrong, never values. */
export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (typeof value === "string") input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`) };
  }
  const values = parsed.data;
  const production = values.ENVIRONMENT === "production";
  const problems: string[] = [];
  const secrets = {} as Record<keyof typeof PRODUCTION_SECRETS, string>;
  for (const [name, min_chars] of Object.entries(PRODUCTION_SECRETS) as [keyof typeof PRODUCTION_SECRETS, number][]) {
    const value = values[name];
    if (production) {
      if (value === undefined) problems.push(`${name}: missing`);
      else if (value.length < min_chars || value === DEV_DEFAULTS[name] || /^(changeme|secret|password)/i.test(value))
        problems.push(`${name}: too weak (at least ${min_chars} random characters)`);
      else secrets[name] = value;
    } else {
      secrets[name] = value ?? DEV_DEFAULTS[name];
    }
  }
  if (production && values.APP_ADDRESS === undefined) problems.push("APP_ADDRESS: missing");
  if (production && values.APP_ADDRESS !== undefined && !values.APP_ADDRESS.startsWith("https://"))
    problems.push("APP_ADDRESS: must be https in production");
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: { ...values, ...secrets, production, sandbox: !production && values.SANDBOX_ENABLED, mongo: mongoSettings(values) },
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
