/**
 * Who an operator is and what they may do: the roles, their order, and the
 * `OPS_ROLES` map from an Access identity (an email, or a group the token
 * names) to a role. Pure: config.ts parses the map with it, admin-auth.ts
 * applies it.
 */
import { OPS_ROLES_MAX_ENTRIES } from "./limits";

/** Ordered: each role may do everything the ones before it may. */
export const OPERATOR_ROLES = ["viewer", "operator", "approver"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/**
 * The one acting on the admin surface. `access`: a person signed in through
 * Cloudflare Access, `id` their email (lower-cased). `token`: a script holding
 * ADMIN_API_TOKEN, always `script:admin-token` and never more than a viewer.
 */
export type Operator = { id: string; role: OperatorRole; via: "access" | "token" };

export const SCRIPT_OPERATOR: Operator = { id: "script:admin-token", role: "viewer", via: "token" };

export function roleAtLeast(role: OperatorRole, needed: OperatorRole): boolean {
  return OPERATOR_ROLES.indexOf(role) >= OPERATOR_ROLES.indexOf(needed);
}

/** Keys: a lower-cased email, or `group:<name>` (the name as the token's `groups` claim spells it). */
export type RoleMap = ReadonlyMap<string, OperatorRole>;

/**
 * The groups the development Access look-alike puts in its tokens for the role
 * picked on its sign-in page, and the development `OPS_ROLES` that maps them
 * back: development exercises the same map lookup production does.
 */
export const DEV_ACCESS_GROUPS: Readonly<Record<OperatorRole, string>> = {
  viewer: "wallet-viewers",
  operator: "wallet-operators",
  approver: "wallet-approvers",
};
export const DEV_OPS_ROLES: RoleMap = new Map(
  OPERATOR_ROLES.map((role) => [`group:${DEV_ACCESS_GROUPS[role]}`, role] as const),
);

const GROUP_KEY = /^group:[^\s]{1,256}$/;
const EMAIL_KEY = /^[^\s@]{1,128}@[^\s@]{1,253}$/;

/**
 * `OPS_ROLES` as written in the environment: a JSON object whose keys are
 * emails or `group:<name>` and whose values are roles. The problem names the
 * rule broken, never an entry (emails are personal data in logs).
 */
export function parseRoleMap(
  text: string,
): { ok: true; roles: RoleMap } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: "not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, problem: "not a JSON object of email or group:<name> to role" };
  const entries = Object.entries(value);
  if (entries.length > OPS_ROLES_MAX_ENTRIES)
    return { ok: false, problem: `more than ${OPS_ROLES_MAX_ENTRIES} entries` };
  const roles = new Map<string, OperatorRole>();
  for (const [key, role] of entries) {
    if (!OPERATOR_ROLES.includes(role as OperatorRole))
      return { ok: false, problem: `a value is not one of ${OPERATOR_ROLES.join(", ")}` };
    const normal = key.startsWith("group:") ? key : key.toLowerCase();
    if (!GROUP_KEY.test(normal) && !EMAIL_KEY.test(normal))
      return { ok: false, problem: "a key is neither an email nor group:<name>" };
    roles.set(normal, role as OperatorRole);
  }
  return { ok: true, roles };
}

/** The highest role the map grants this email or any of its groups; null: none. */
export function roleOf(
  roles: RoleMap,
  email: string,
  groups: readonly string[],
): OperatorRole | null {
  let best: OperatorRole | null = roles.get(email.toLowerCase()) ?? null;
  for (const group of groups) {
    const role = roles.get(`group:${group}`);
    if (role && (best === null || roleAtLeast(role, best))) best = role;
  }
  return best;
}
