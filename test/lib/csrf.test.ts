/**
 * The console forms' CSRF token: bound to the operator and the time window,
 * accepted in its window and the next one only, never for another operator
 * or under another secret; and the same-origin check on Origin or Referer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CSRF_WINDOW_MS, csrfToken, csrfTokenValid, sameOrigin } from "../../src/lib/csrf";

const SECRET = "a-signing-secret-of-enough-length-0123456789";

describe("console CSRF token", () => {
  it("is accepted in its window and the next, and refused after", () => {
    const t0 = Date.UTC(2026, 11, 6, 2);
    const token = csrfToken(SECRET, "ada@example.com", t0);
    expect(csrfTokenValid(SECRET, "ada@example.com", token, t0)).toBe(true);
    expect(csrfTokenValid(SECRET, "ada@example.com", token, t0 + CSRF_WINDOW_MS)).toBe(true);
    expect(csrfTokenValid(SECRET, "ada@example.com", token, t0 + 2 * CSRF_WINDOW_MS)).toBe(false);
    expect(csrfTokenValid(SECRET, "ada@example.com", token, t0 - CSRF_WINDOW_MS)).toBe(false);
  });

  it("never passes for another operator, another secret, or an altered token", () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.emailAddress(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (a, b, now) => {
          const token = csrfToken(SECRET, a, now);
          expect(csrfTokenValid(SECRET, a, token, now)).toBe(true);
          if (a !== b) expect(csrfTokenValid(SECRET, b, token, now)).toBe(false);
          expect(csrfTokenValid(`${SECRET}x`, a, token, now)).toBe(false);
          expect(csrfTokenValid(SECRET, a, `${token.slice(0, -2)}AA`, now)).toBe(
            token.endsWith("AA"),
          );
        },
      ),
    );
  });

  it("sameOrigin trusts Origin first, then Referer, and nothing else", () => {
    const o = "https://wallet.example";
    expect(sameOrigin(new Headers({ origin: o }), o)).toBe(true);
    expect(sameOrigin(new Headers({ origin: "https://evil.example", referer: `${o}/x` }), o)).toBe(
      false,
    );
    expect(sameOrigin(new Headers({ referer: `${o}/api/v1/admin/console` }), o)).toBe(true);
    expect(sameOrigin(new Headers({ referer: "https://wallet.example.evil.example/" }), o)).toBe(
      false,
    );
    expect(sameOrigin(new Headers({ origin: "null" }), o)).toBe(false);
    expect(sameOrigin(new Headers({ referer: "not a url" }), o)).toBe(false);
    expect(sameOrigin(new Headers(), o)).toBe(false);
  });
});
