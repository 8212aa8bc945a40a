/**
 * `Authorization: Bearer <token>` (RFC 6750 §2.1): the token is a b64token
 * (letters, digits and `-._~+/=`). One parser for every place that reads a
 * bearer credential: users, operators, watchers and the sandbox's key check.
 */
const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i;

/** The token of a well-formed bearer header, or null (absent or malformed). */
export function bearerToken(header: string | null | undefined): string | null {
  if (header === null || header === undefined) return null;
  return BEARER.exec(header.trim())?.[1] ?? null;
}
