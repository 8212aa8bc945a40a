/**
 * The role rules (src/lib/operator-roles.ts): the order, and how OPS_ROLES
 * resolves an identity: its email (any case) or any of its groups, the
 * highest role matched winning, nothing matched meaning no role.
 */
import { describe, expect, it } from "vitest";
import { parseRoleMap, roleAtLeast, roleOf } from "../../src/lib/operator-roles";

describe("operator roles", () => {
  it("orders viewer < operator < approver", () => {
    expect(roleAtLeast("approver", "operator")).toBe(true);
    expect(roleAtLeast("operator", "operator")).toBe(true);
    expect(roleAtLeast("operator", "approver")).toBe(false);
    expect(roleAtLeast("viewer", "operator")).toBe(false);
  });

  it("resolves an email in any case or a group, the highest match winning, and nothing otherwise", () => {
    const parsed = parseRoleMap(
      JSON.stringify({
        "Ada@Example.com": "viewer",
        "group:ops": "operator",
        "group:approvers": "approver",
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const roles = parsed.roles;
    expect(roleOf(roles, "ADA@example.com", [])).toBe("viewer");
    expect(roleOf(roles, "ada@example.com", ["ops"])).toBe("operator");
    expect(roleOf(roles, "bob@example.com", ["approvers", "ops"])).toBe("approver");
    expect(roleOf(roles, "bob@example.com", ["Ops", "group:ops"])).toBe(null);
    expect(roleOf(roles, "bob@example.com", [])).toBe(null);
  });
});
