/**
 * Verifying a Cloudflare Access application token (the `Cf-Access-Jwt-Assertion`
 * header, or the `CF_Authorization` cookie a browser sends): RS256 only,
 * signed by a key from `<team domain>/cdn-cgi/access/certs`, `iss` the team
 * domain, `aud` holding the application's AUD tag, `exp`/`nbf` within a small
 * tolerance, and an `email` (service tokens carry none and are refused: an
 * operator is a person).
 *
 * The same code checks the development look-alike's tokens (src/sandbox/access/):
 * its keys are fetched through the same door the provider clients use
 * (src/providers/http.ts): `/__sandbox/` URLs are served in-process when the
 * sandbox is on, everything else goes to the network. That door is rebuilt
 * here from lib/self.ts because lib may not import providers (the layering
 * test); it is the same rule in a few lines.
 *
 * The key set is cached per isolate per team domain (jose keeps the keys, and
 * refetches, at most every 30 s, when a token names a key it does not hold,
 * which is how Cloudflare's rotation is followed).
 */
import {
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  type FetchImplementation,
  jwtVerify,
} from "jose";
import type { AccessSettings } from "./access-config";
import type { Config } from "./config";
import {
  ACCESS_CLOCK_TOLERANCE_S,
  ACCESS_JWKS_CACHE_MAX,
  ACCESS_JWKS_TIMEOUT_MS,
  ACCESS_JWT_MAX_CHARS,
} from "./limits";
import { callSelf } from "./self";

/** Where the development look-alike lives on this Worker; its team domain is the origin plus this. */
export const SANDBOX_ACCESS_PATH = "/__sandbox/access";
/** Cloudflare's path for a team's signing keys. */
export const ACCESS_CERTS_PATH = "/cdn-cgi/access/certs";
/** The cookie Cloudflare Access sets for a signed-in browser. */
export const ACCESS_COOKIE = "CF_Authorization";
export const ACCESS_HEADER = "cf-access-jwt-assertion";

/**
 * The team domain tokens must come from. Configured, it is that; otherwise
 * (development with the sandbox) the look-alike on this Worker's public origin:
 * APP_ADDRESS's when set, else the request's. The look-alike signs with the same
 * answer, so issuer and verifier always agree.
 */
export function accessTeamDomain(
  config: Pick<Config, "APP_ADDRESS">,
  access: AccessSettings,
  request_origin: string,
): string {
  if (access.team_domain !== null) return access.team_domain;
  const origin = config.APP_ADDRESS ? new URL(config.APP_ADDRESS).origin : request_origin;
  return `${origin}${SANDBOX_ACCESS_PATH}`;
}

export type AccessIdentity = { email: string; groups: string[] };
export type AccessCheck =
  | { ok: true; identity: AccessIdentity }
  | { ok: false; reason: "expired" | "invalid" | "keys_unavailable" };

type Door = { fetch: FetchImplementation };
const keySets = new Map<string, { jwks: ReturnType<typeof createRemoteJWKSet>; door: Door }>();

/**
 * The fetch the key set uses: sandbox URLs in-process (only when the sandbox
 * is on, never in production), the rest over the network.
 */
export function accessKeysFetch(
  env: Env,
  ctx: ExecutionContext,
  sandbox: boolean,
): FetchImplementation {
  return (url, options) => {
    const request = new Request(url, options);
    if (sandbox && new URL(url).pathname.startsWith("/__sandbox/"))
      return callSelf(request, env, ctx);
    return fetch(request);
  };
}

function keySet(team_domain: string, fetcher: FetchImplementation) {
  let entry = keySets.get(team_domain);
  if (!entry) {
    if (keySets.size >= ACCESS_JWKS_CACHE_MAX) {
      const oldest = keySets.keys().next().value;
      if (oldest !== undefined) keySets.delete(oldest);
    }
    const door: Door = { fetch: fetcher };
    const jwks = createRemoteJWKSet(new URL(`${team_domain}${ACCESS_CERTS_PATH}`), {
      timeoutDuration: ACCESS_JWKS_TIMEOUT_MS,
      // Through the door of the request at hand (its ExecutionContext), not the first one's.
      [customFetch]: (url, options) => door.fetch(url, options),
    });
    entry = { jwks, door };
    keySets.set(team_domain, entry);
  }
  entry.door.fetch = fetcher;
  return entry.jwks;
}

/** Checks one token; the answer says why it failed, never anything from the token. */
export async function verifyAccessJwt(
  token: string,
  expect: { team_domain: string; aud: string },
  fetcher: FetchImplementation,
): Promise<AccessCheck> {
  if (token.length > ACCESS_JWT_MAX_CHARS) return { ok: false, reason: "invalid" };
  try {
    const { payload } = await jwtVerify(token, keySet(expect.team_domain, fetcher), {
      algorithms: ["RS256"],
      issuer: expect.team_domain,
      audience: expect.aud,
      clockTolerance: ACCESS_CLOCK_TOLERANCE_S,
      requiredClaims: ["exp"],
    });
    const email = typeof payload.email === "string" ? payload.email.trim().toLowerCase() : "";
    if (email === "" || !email.includes("@")) return { ok: false, reason: "invalid" };
    const groups = Array.isArray(payload.groups)
      ? payload.groups.filter((g): g is string => typeof g === "string")
      : [];
    return { ok: true, identity: { email, groups } };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    if (
      error instanceof joseErrors.JWKSTimeout ||
      error instanceof joseErrors.JWKSInvalid ||
      (error instanceof Error && !(error instanceof joseErrors.JOSEError))
    )
      return { ok: false, reason: "keys_unavailable" };
    return { ok: false, reason: "invalid" };
  }
}
