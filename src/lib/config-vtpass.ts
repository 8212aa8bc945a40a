/**
 * The VTpass part of the configuration (./config.ts): its keys, base URL and
 * callback secret, checked like the rest; problems name variables, never values.
 */
import type { SecretCheck } from "./config-identity";
import {
  DEV_VTPASS_CALLBACK_SECRET,
  DEV_VTPASS_KEYS,
  URL_SEGMENT_SAFE,
  VTPASS_LIVE_BASE,
  VTPASS_SANDBOX_BASE,
} from "./config-values";
import { VTPASS_CALLBACK_SECRET_MINIMUMS, VTPASS_READ_TIMEOUT_MS } from "./limits";

/** The parsed variables this part reads. */
type VtpassValues = {
  VTPASS_API_KEY?: string;
  VTPASS_PUBLIC_KEY?: string;
  VTPASS_SECRET_KEY?: string;
  VTPASS_CALLBACK_SECRET?: string;
  VTPASS_BASE_URL?: string;
  VTPASS_SANDBOX_MODE?: boolean;
  VTPASS_TIMEOUT_MS: number;
};

export type VtpassConfig = {
  /** Null: the embedded look-alike, on the request's origin. */
  base_url: string | null;
  api_key: string;
  public_key: string;
  secret_key: string;
  timeout_ms: number;
  read_timeout_ms: number;
  callback_secret: string;
};

/**
 * VTpass is optional: a deployment without its keys runs funding and
 * withdrawals, and answers purchases 503. Keys given in production must come
 * complete, with a strong callback secret, and not in sandbox mode.
 */
export function vtpassConfig(
  values: VtpassValues,
  production: boolean,
  sandbox: boolean,
  problems: string[],
  secretProblem: SecretCheck,
): VtpassConfig | null {
  const keys = {
    api_key: values.VTPASS_API_KEY,
    public_key: values.VTPASS_PUBLIC_KEY,
    secret_key: values.VTPASS_SECRET_KEY,
  };
  const common = { timeout_ms: values.VTPASS_TIMEOUT_MS, read_timeout_ms: VTPASS_READ_TIMEOUT_MS };
  if (!production) {
    return {
      base_url:
        values.VTPASS_BASE_URL ??
        (sandbox
          ? null
          : (values.VTPASS_SANDBOX_MODE ?? true)
            ? VTPASS_SANDBOX_BASE
            : VTPASS_LIVE_BASE),
      api_key: keys.api_key ?? DEV_VTPASS_KEYS.api_key,
      public_key: keys.public_key ?? DEV_VTPASS_KEYS.public_key,
      secret_key: keys.secret_key ?? DEV_VTPASS_KEYS.secret_key,
      callback_secret: values.VTPASS_CALLBACK_SECRET ?? DEV_VTPASS_CALLBACK_SECRET,
      ...common,
    };
  }
  // Checked whenever it is set: without the keys it is unused, but a weak
  // value must not wait in the environment for the keys to arrive.
  const callback = values.VTPASS_CALLBACK_SECRET;
  const configured =
    keys.api_key !== undefined || keys.public_key !== undefined || keys.secret_key !== undefined;
  if (configured || callback !== undefined) {
    const problem = secretProblem(
      callback,
      VTPASS_CALLBACK_SECRET_MINIMUMS,
      DEV_VTPASS_CALLBACK_SECRET,
      (value) =>
        URL_SEGMENT_SAFE.test(value)
          ? null
          : "characters other than A-Z a-z 0-9 . _ ~ - (it is a URL path segment)",
    );
    if (problem) problems.push(`VTPASS_CALLBACK_SECRET: ${problem}`);
  }
  if (!configured) return null;
  for (const [name, value] of [
    ["VTPASS_API_KEY", keys.api_key],
    ["VTPASS_PUBLIC_KEY", keys.public_key],
    ["VTPASS_SECRET_KEY", keys.secret_key],
  ] as const) {
    if (value === undefined) problems.push(`${name}: missing (the other VTpass keys are set)`);
  }
  if (!keys.api_key || !keys.public_key || !keys.secret_key || !callback) return null;
  return {
    base_url: values.VTPASS_BASE_URL ?? VTPASS_LIVE_BASE,
    api_key: keys.api_key,
    public_key: keys.public_key,
    secret_key: keys.secret_key,
    callback_secret: callback,
    ...common,
  };
}
