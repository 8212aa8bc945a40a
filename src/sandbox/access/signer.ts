/**
 * The look-alike's signing key and its tokens, shaped like Cloudflare Access's
 * application tokens: RS256 with a `kid` header; claims aud (a list), email,
 * exp, iat, nbf, iss (the team domain), type "app", identity_nonce, sub,
 * country, and groups.
 *
 * The key pair is fixed, in dev-signing-key.json, rather than generated: every
 * isolate, every test worker and every restart of `npm run dev` must sign with
 * the key the verifier fetched, and a committed development key opens nothing
 * a development deployment's own sign-in page does not already open (anyone
 * reaching the look-alike can sign in as any role). Production never serves
 * the look-alike and trusts only the team domain's keys.
 */
import { type JWK, importJWK, SignJWT } from "jose";
import { OPERATOR_ROLES, type OperatorRole, DEV_ACCESS_GROUPS } from "../../lib/operator-roles";
import KEY from "./dev-signing-key.json";
import { ACCESS_SANDBOX_SESSION_S } from "./limits";

export const SANDBOX_ACCESS_KID: string = KEY.kid;

/** The public half, as Cloudflare's certs endpoint lists a key. */
export function publicJwk(): JWK {
  const { kty, n, e } = KEY.private_jwk;
  return { kid: KEY.kid, kty, alg: "RS256", use: "sig", e, n };
}

let privateKey: Promise<CryptoKey | Uint8Array> | undefined;
function signingKey() {
  privateKey ??= importJWK(KEY.private_jwk as JWK, "RS256");
  return privateKey;
}

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === "string" && (OPERATOR_ROLES as readonly string[]).includes(value);
}

/** A stable subject per email, as Access gives each identity one id. */
async function subjectOf(email: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email)),
  );
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A token for `email` with the role delivered as its development group. */
export async function signAccessToken(input: {
  email: string;
  role: OperatorRole;
  team_domain: string;
  aud: string;
  now_s?: number;
}): Promise<string> {
  const now = input.now_s ?? Math.floor(Date.now() / 1000);
  const email = input.email.trim().toLowerCase();
  return new SignJWT({
    email,
    type: "app",
    identity_nonce: crypto.randomUUID().replaceAll("-", ""),
    country: "NG",
    groups: [DEV_ACCESS_GROUPS[input.role]],
  })
    .setProtectedHeader({ alg: "RS256", kid: KEY.kid })
    .setAudience([input.aud])
    .setIssuer(input.team_domain)
    .setSubject(await subjectOf(email))
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ACCESS_SANDBOX_SESSION_S)
    .sign(await signingKey());
}
