/**
 * Operator sign-in's settings (ACCESS_TEAM_DOMAIN, ACCESS_AUD, OPS_ROLES) as
 * config.ts hands them on: validated, with the development look-alike's
 * defaults when the sandbox is on.
 */
import { DEV_OPS_ROLES, parseRoleMap, type RoleMap } from "./operator-roles";

export type AccessSettings = {
  /**
   * The tokens' issuer, whose `/cdn-cgi/access/certs` holds the signing keys,
   * without a trailing slash. Null: the development look-alike on this Worker's
   * own origin (src/lib/operator-access.ts, `accessTeamDomain`).
   */
  team_domain: string | null;
  aud: string;
  roles: RoleMap;
};
/** The AUD tag the development look-alike signs for; it opens nothing anywhere else. */
export const DEV_ACCESS_AUD = "development-only-access-aud";

/**
 * Operator sign-in. A malformed OPS_ROLES is a problem anywhere (a typo must
 * not silently take someone's role away or hand one out). In production
 * without ACCESS_TEAM_DOMAIN and ACCESS_AUD, Access is off: null, and only the
 * read-only script token works (never an open door); the guards say so in
 * their answer and log. With the sandbox on, the defaults are the look-alike's.
 */
export function accessSettings(
  values: { ACCESS_TEAM_DOMAIN?: string; ACCESS_AUD?: string; OPS_ROLES?: string },
  production: boolean,
  sandbox: boolean,
  problems: string[],
): AccessSettings | null {
  let roles: RoleMap = sandbox ? DEV_OPS_ROLES : new Map();
  if (values.OPS_ROLES !== undefined) {
    const parsed = parseRoleMap(values.OPS_ROLES);
    if (parsed.ok) roles = parsed.roles;
    else problems.push(`OPS_ROLES: ${parsed.problem}`);
  }
  const domain = values.ACCESS_TEAM_DOMAIN?.replace(/\/+$/, "");
  if (production && domain !== undefined && !domain.startsWith("https://"))
    problems.push("ACCESS_TEAM_DOMAIN: must be https in production");
  if (production && values.ACCESS_AUD === DEV_ACCESS_AUD)
    problems.push("ACCESS_AUD: a development default or placeholder");
  if (sandbox) {
    return { team_domain: domain ?? null, aud: values.ACCESS_AUD ?? DEV_ACCESS_AUD, roles };
  }
  if (domain === undefined || values.ACCESS_AUD === undefined) return null;
  return { team_domain: domain, aud: values.ACCESS_AUD, roles };
}
