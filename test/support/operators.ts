/**
 * Operators for tests: an Access token from the look-alike (src/sandbox/access/),
 * asked for through the real Worker, exactly as a browser or script would get
 * one in development; and the read-only script token.
 */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { requireConfig } from "../../src/lib/config";
import type { OperatorRole } from "../../src/lib/admin-auth";
import { ORIGIN } from "./helpers";

/** A token for `email` with `role`, signed by the look-alike. */
export async function operatorToken(email: string, role: OperatorRole): Promise<string> {
  const response = await exports.default.fetch(`${ORIGIN}/__sandbox/access/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, role }),
  });
  expect(response.status).toBe(200);
  const { token } = (await response.json()) as { token: string };
  return token;
}

/** Headers that sign a request in as `email` with `role`, as Cloudflare Access would. */
export async function operatorHeaders(
  email: string,
  role: OperatorRole,
): Promise<Record<string, string>> {
  return { "cf-access-jwt-assertion": await operatorToken(email, role) };
}

/** The script token (ADMIN_API_TOKEN): read-only, `script:admin-token`. */
export const ADMIN_TOKEN_HEADERS: Readonly<Record<string, string>> = {
  authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}`,
};
