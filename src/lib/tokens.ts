/**
 * Access tokens: JWTs signed with jose, HMAC only (`JWT_ALGORITHM`, HS256 by
 * default). Verification pins the algorithm (so `alg: none` and algorithm
 * confusion are refused by construction) and checks `iss`, `aud`, `exp`, `iat`
 * and `sub`.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import type { Config } from "./config";
import { USER_ID_PATTERN } from "./ids";

const encoder = new TextEncoder();
/** Tolerated clock skew between signer and verifier. */
const CLOCK_TOLERANCE_S = 5;

export type AccessToken = { access_token: string; token_type: "bearer"; expires_in: number };

export async function issueAccessToken(config: Config, user_id: string, now_s = Math.floor(Date.now() / 1000)): Promise<AccessToken> {
  const expires_in = config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
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

export type TokenCheck = { ok: true; user_id: string } | { ok: false; reason: "expired" | "invalid" };

export async function verifyAccessToken(config: Config, token: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(config.JWT_SECRET_KEY), {
      algorithms: [config.JWT_ALGORITHM],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    if (typeof payload.sub !== "string" || !USER_ID_PATTERN.test(payload.sub)) return { ok: false, reason: "invalid" };
    return { ok: true, user_id: payload.sub };
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

export async function issueWatchTicket(config: Config, user_id: string, tx_ref: string, ttl_s: number, now_s = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ tx_ref })
    .setProtectedHeader({ alg: config.JWT_ALGORITHM, typ: "JWT" })
    .setSubject(user_id)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(watchAudience(config))
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + ttl_s)
    .sign(encoder.encode(config.JWT_SECRET_KEY));
}

export type TicketCheck = { ok: true; user_id: string; tx_ref: string } | { ok: false; reason: "expired" | "invalid" };

export async function verifyWatchTicket(config: Config, ticket: string): Promise<TicketCheck> {
  try {
    const { payload } = await jwtVerify(ticket, encoder.encode(config.JWT_SECRET_KEY), {
      algorithms: [config.JWT_ALGORITHM],
      issuer: config.JWT_ISSUER,
      audience: watchAudience(config),
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    if (typeof payload.sub !== "string" || !USER_ID_PATTERN.test(payload.sub) || typeof payload.tx_ref !== "string") {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, user_id: payload.sub, tx_ref: payload.tx_ref };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}
