/**
 * Cross-site request forgery defence for the operator console's forms.
 *
 * The console authenticates by a cookie (Cloudflare Access's
 * `CF_Authorization`), which a browser attaches to a form posted from any
 * site. Two independent checks stop such a post:
 * - the request's `Origin` (or, without one, `Referer`) must be our own
 *   origin (the route applies it; browsers always send Origin on a POST);
 * - the form carries a token bound to the signed-in operator and to a time
 *   window: HMAC-SHA256 of (operator id, window) under the Worker's signing
 *   secret. Another site can neither read it (same-origin policy) nor compute
 *   it. It is accepted in its window and the one before, so a form opened just
 *   before a window turns still posts.
 */
import { hmacSha256Base64, safeEqual } from "./crypto";

/** A token is good for at least one window and at most two. */
export const CSRF_WINDOW_MS = 2 * 60 * 60 * 1000;

const encoder = new TextEncoder();

function tokenFor(secret: string, operator_id: string, window: number): string {
  return hmacSha256Base64(secret, encoder.encode(`console-form\n${operator_id}\n${window}`));
}

export function csrfToken(secret: string, operator_id: string, now_ms: number): string {
  return tokenFor(secret, operator_id, Math.floor(now_ms / CSRF_WINDOW_MS));
}

export function csrfTokenValid(
  secret: string,
  operator_id: string,
  token: string,
  now_ms: number,
): boolean {
  const window = Math.floor(now_ms / CSRF_WINDOW_MS);
  // Both compared, always, so the time taken says nothing about which matched.
  const current = safeEqual(token, tokenFor(secret, operator_id, window));
  const previous = safeEqual(token, tokenFor(secret, operator_id, window - 1));
  return current || previous;
}

/** True when the request came from a page of `origin` (Origin, else Referer's origin). */
export function sameOrigin(headers: Headers, origin: string): boolean {
  const stated = headers.get("origin");
  if (stated !== null) return stated === origin;
  const referer = headers.get("referer");
  if (referer === null) return false;
  try {
    return new URL(referer).origin === origin;
  } catch {
    return false;
  }
}
