/**
 * Access tokens: JWTs signed with jose, HMAC only (`JWT_ALGORITHM`, HS256 by
 * default). Verification pins the algorithm (so `alg: none` and algorithm
 * confusion are refused by construction) and checks `iss`, `aud`, `exp`, `iat`
 * and `sub`.
 *
 * A signature only proves that we signed the token, not that its times are the
 * ones we would have chosen: a token minted with a leaked key, or by a bug, may
 * claim to be issued tomorrow or to live for a year. So the times must also be
 * plausible for what we issue: `iat` not in the future, `exp - iat` no longer
 * than the lifetime we give (ACCESS_TOKEN_EXPIRE_MINUTES, or the watch ticket's
 * TTL), and the token no older than that lifetime, each within
 * TOKEN_CLOCK_SKEW_S. Lowering ACCESS_TOKEN_EXPIRE_MINUTES therefore also
 * retires tokens issued under the longer setting.
 */
import { type JWTPayload, SignJWT, jwtVerify, errors as joseErrors } from "jose";
import type { Config } from "./config";
import { USER_ID_PATTERN } from "./ids";
import { TOKEN_CLOCK_SKEW_S, WATCH_TICKET_TTL_S } from "./limits";

const encoder = new TextEncoder();

type TimeCheck = "ok" | "expired" | "invalid";

/**
 * Times jose has already checked for shape (`iat` and `exp` are numbers) and
 * `exp` against now; these are the checks it does not make.
 */
export function checkTokenTimes(
  payload: Pick<JWTPayload, "iat" | "exp">,
  lifetime_s: number,
  now_s = Math.floor(Date.now() / 1000),
): TimeCheck {
  const { iat, exp } = payload;
  if (typeof iat !== "number" || typeof exp !== "number") return "invalid";
  if (iat > now_s + TOKEN_CLOCK_SKEW_S) return "invalid";
  if (exp - iat > lifetime_s + TOKEN_CLOCK_SKEW_S) return "invalid";
  if (now_s - iat > lifetime_s + TOKEN_CLOCK_SKEW_S) return "expired";
  return "ok";
}

function accessTokenLifetime(config: Config): number {
  return config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
}

export type AccessToken = { access_token: string; token_type: "bearer"; expires_in: number };

export async function issueAccessToken(
  config: Config,
  user_id: string,
  now_s = Math.floor(Date.now() / 1000),
): Promise<AccessToken> {
  const expires_in = accessTokenLifetime(config);
  const access_token = await new SignJWT({})
    .setProtectedHeader({ alg: config.JWT_ALGORITHM, typ: "JWT" })
    .setSubject(user_id)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + expires_in)
    .sign(encoder.encode(config.JWT_SECRET_KEY));
  return { access_token, token_type: "bearer", expires_in };
}

/** `expires_at_s` is the token's `exp`: a WebSocket opened with it is closed then (src/durable/room/object.ts). */
export type TokenCheck =
  | { ok: true; user_id: string; expires_at_s: number }
  | { ok: false; reason: "expired" | "invalid" };

export async function verifyAccessToken(config: Config, token: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(config.JWT_SECRET_KEY), {
      algorithms: [config.JWT_ALGORITHM],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: TOKEN_CLOCK_SKEW_S,
    });
    const times = checkTokenTimes(payload, accessTokenLifetime(config));
    if (times !== "ok") return { ok: false, reason: times };
    if (typeof payload.sub !== "string" || !USER_ID_PATTERN.test(payload.sub))
      return { ok: false, reason: "invalid" };
    return { ok: true, user_id: payload.sub, expires_at_s: payload.exp! };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

/**
 * Watch tickets: short-lived JWTs scoped to ONE tx_ref, for pages a browser
 * reaches without our bearer token (the checkout redirect). Their audience is
 * distinct from access tokens, so one can never be used as the other.
 */
function watchAudience(config: Config): string {
  return `${config.JWT_AUDIENCE}:watch`;
}

export async function issueWatchTicket(
  config: Config,
  user_id: string,
  tx_ref: string,
  ttl_s: number,
  now_s = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT({ tx_ref })
    .setProtectedHeader({ alg: config.JWT_ALGORITHM, typ: "JWT" })
    .setSubject(user_id)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(watchAudience(config))
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + ttl_s)
    .sign(encoder.encode(config.JWT_SECRET_KEY));
}

export type TicketCheck =
  | { ok: true; user_id: string; tx_ref: string; expires_at_s: number }
  | { ok: false; reason: "expired" | "invalid" };

export async function verifyWatchTicket(config: Config, ticket: string): Promise<TicketCheck> {
  try {
    const { payload } = await jwtVerify(ticket, encoder.encode(config.JWT_SECRET_KEY), {
      algorithms: [config.JWT_ALGORITHM],
      issuer: config.JWT_ISSUER,
      audience: watchAudience(config),
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: TOKEN_CLOCK_SKEW_S,
    });
    const times = checkTokenTimes(payload, WATCH_TICKET_TTL_S);
    if (times !== "ok") return { ok: false, reason: times };
    if (
      typeof payload.sub !== "string" ||
      !USER_ID_PATTERN.test(payload.sub) ||
      typeof payload.tx_ref !== "string"
    ) {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, user_id: payload.sub, tx_ref: payload.tx_ref, expires_at_s: payload.exp! };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}
