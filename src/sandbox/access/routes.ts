/**
 * The Cloudflare Access look-alike, at /__sandbox/access (its team domain is
 * `<origin>/__sandbox/access`, see src/lib/operator-access.ts):
 *
 * - GET  /cdn-cgi/access/certs   the signing keys, as Access serves them (`keys`)
 * - GET  /login                  a page to sign in as a named operator with a role
 * - POST /login                  sets the CF_Authorization cookie, redirects to whoami
 * - POST /token                  JSON {email, role} -> {token}, for tests and scripts
 *
 * The role is delivered as a group (`groups: ["wallet-approvers"]`) and the
 * development OPS_ROLES maps groups to roles, so development takes the same
 * path as production: a map lookup.
 */
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { html } from "hono/html";
import { API_BASE_PATH } from "../../lib/urls";
import type { AppContext, AppEnv } from "../../lib/http";
import { errors } from "../../lib/errors";
import { ACCESS_COOKIE, ACCESS_CERTS_PATH, accessTeamDomain } from "../../lib/operator-access";
import { OPERATOR_ROLES } from "../../lib/operator-roles";
import { ACCESS_SANDBOX_EMAIL_MAX_CHARS, ACCESS_SANDBOX_SESSION_S } from "./limits";
import { isOperatorRole, publicJwk, signAccessToken } from "./signer";

export const ACCESS_MOUNT = "/access";
/** Where a browser lands after signing in: who the Worker now thinks it is. */
const AFTER_SIGN_IN = `${API_BASE_PATH}/admin/whoami`;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}$/;

export const accessRoutes = new Hono<AppEnv>();

/** Signs for whatever team domain and AUD the verifier will expect on this origin. */
async function tokenFor(c: AppContext, email: unknown, role: unknown): Promise<string> {
  const access = c.var.config.access;
  if (!access) throw errors.notFound("The Access look-alike is off (no Access settings).");
  const fields = [];
  if (
    typeof email !== "string" ||
    email.length > ACCESS_SANDBOX_EMAIL_MAX_CHARS ||
    !EMAIL.test(email)
  )
    fields.push({ path: "email", message: "an email address" });
  if (!isOperatorRole(role))
    fields.push({ path: "role", message: `one of ${OPERATOR_ROLES.join(", ")}` });
  if (fields.length > 0 || typeof email !== "string" || !isOperatorRole(role))
    throw errors.validation(fields);
  return signAccessToken({
    email,
    role,
    team_domain: accessTeamDomain(c.var.config, access, new URL(c.req.url).origin),
    aud: access.aud,
  });
}

accessRoutes.get(ACCESS_CERTS_PATH, (c) => c.json({ keys: [publicJwk()] }));

accessRoutes.get("/login", (c) =>
  c.html(html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Sign in (Access look-alike)</title>
      </head>
      <body>
        <h1>Sign in as an operator</h1>
        <p>Development only: this stands in for Cloudflare Access.</p>
        <form method="post" action="login">
          <label>Email <input name="email" type="email" required /></label>
          <label
            >Role
            <select name="role">
              ${OPERATOR_ROLES.map((r) => html`<option value="${r}">${r}</option>`)}
            </select>
          </label>
          <button type="submit">Sign in</button>
        </form>
      </body>
    </html>`),
);

accessRoutes.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const token = await tokenFor(c, form.email, form.role);
  setCookie(c, ACCESS_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: ACCESS_SANDBOX_SESSION_S,
  });
  return c.redirect(AFTER_SIGN_IN, 303);
});

accessRoutes.post("/token", async (c) => {
  let body: { email?: unknown; role?: unknown };
  try {
    body = await c.req.json();
  } catch {
    throw errors.badRequest("invalid_json", "Send JSON {email, role}.");
  }
  return c.json({ token: await tokenFor(c, body?.email, body?.role) });
});
