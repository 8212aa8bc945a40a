import { createExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/lib/config";
import { PRODUCTION_SECRET_MINIMUMS } from "../../src/lib/limits";
import { estimateSecretBits, shortestPeriod } from "../../src/lib/secret-strength";
import { env, expectProblem, ORIGIN } from "../support/helpers";

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A production environment whose every secret is fresh random text. */
function productionVars(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    ENVIRONMENT: "production",
    APP_ADDRESS: "https://wallet.example/api/v1",
    JWT_SECRET_KEY: randomHex(32),
    ADMIN_API_TOKEN: crypto.randomUUID(),
    FLUTTERWAVE_SECRET_KEY: `FLWSECK-${randomHex(16)}-X`,
    // 32 hex characters: at its 16-character minimum a random hash scores
    // under the strength floor about once in 200,000 (see the property below).
    FLUTTERWAVE_WEBHOOK_HASH: randomHex(16),
    IDENTITY_HASH_KEY: randomHex(32),
    ...overrides,
  };
}

/** VTpass's keys as VTpass hands them out, and a callback secret made as the README says. */
function vtpassVars(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    VTPASS_API_KEY: randomHex(16),
    VTPASS_PUBLIC_KEY: `PK_${randomHex(16)}`,
    VTPASS_SECRET_KEY: `SK_${randomHex(16)}`,
    VTPASS_CALLBACK_SECRET: randomHex(32),
    ...overrides,
  };
}

function problemsOf(vars: Record<string, string | undefined>): string[] {
  const result = parseConfig(vars);
  return result.ok ? [] : result.problems;
}

describe("the secret-strength estimate", () => {
  it("finds the shortest repeating unit, a partial last repetition included", () => {
    const codes = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
    expect(shortestPeriod(codes("aaaa"))).toBe(1);
    expect(shortestPeriod(codes("abcabcab"))).toBe(3);
    expect(shortestPeriod(codes("abcd"))).toBe(4);
  });

  it("scores repetition, sequences and few distinct characters near zero, and random text high", () => {
    expect(estimateSecretBits("a".repeat(32))).toBe(0);
    expect(estimateSecretBits("1111111111111111")).toBe(0);
    expect(estimateSecretBits("admin".repeat(8))).toBeLessThan(16);
    expect(estimateSecretBits("abcdefghijklmnopqrstuvwxyz012345")).toBeLessThan(24);
    expect(estimateSecretBits(`${"a".repeat(31)}b`)).toBeLessThan(16);
    expect(estimateSecretBits(randomHex(16))).toBeGreaterThan(
      PRODUCTION_SECRET_MINIMUMS.JWT_SECRET_KEY.min_bits,
    );
  });
});

// ---- Random strong configurations --------------------------------------------------

/** Fixed, so the property sees the same 200 configurations in every run (and a failure replays). */
const PROPERTY_SEED = 170_017;

/** Uniform random bytes, as a CSPRNG gives them: fast-check's bias towards small and repeated values is off. */
const randomBytes = (min_bytes: number, max_bytes: number) =>
  fc.noBias(fc.uint8Array({ minLength: min_bytes, maxLength: max_bytes }));
const hexOf = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Random hex of `min_chars` to 128 characters, as `openssl rand -hex` makes
 * it (the README's advice). Each secret's shortest length is where random hex
 * clears its floor with room to spare, measured over 500,000 values: 32
 * characters never scored under 87 bits (floor 80), 20 never under 43 (floor
 * 32). At the webhook hash's 16-character minimum one value in about 200,000
 * scores under 32 bits, so the property would be false for some seeds; that
 * length is left to a fixed example in the test.
 */
const randomHexText = (min_chars: number) => randomBytes(min_chars / 2, 64).map(hexOf);

const strongProductionVars = fc
  .record({
    JWT_SECRET_KEY: randomHexText(32),
    ADMIN_API_TOKEN: fc.oneof(
      randomHexText(32),
      // A UUID, as crypto.randomUUID() makes one (122 random bits; never under 107 estimated).
      randomBytes(16, 16).map((b) =>
        hexOf(b).replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12})$/, "$1-$2-4$3-a$4-$5"),
      ),
    ),
    FLUTTERWAVE_SECRET_KEY: randomBytes(16, 16).map((b) => `FLWSECK-${hexOf(b)}-X`),
    FLUTTERWAVE_WEBHOOK_HASH: randomHexText(20),
    VTPASS_CALLBACK_SECRET: randomHexText(32),
    IDENTITY_HASH_KEY: randomHexText(32),
    vtpass_key: randomBytes(16, 16).map(hexOf),
  })
  .map(({ vtpass_key, ...secrets }) => ({
    ENVIRONMENT: "production",
    APP_ADDRESS: "https://wallet.example/api/v1",
    VTPASS_API_KEY: vtpass_key,
    VTPASS_PUBLIC_KEY: `PK_${vtpass_key}`,
    VTPASS_SECRET_KEY: `SK_${vtpass_key}`,
    ...secrets,
  }));

describe("production refuses weak secrets and test-mode credentials", () => {
  const hex = randomHex(16);
  const cases: [string, Record<string, string | undefined>, string, RegExp][] = [
    [
      "a JWT secret of one repeated letter",
      { JWT_SECRET_KEY: "a".repeat(32) },
      "JWT_SECRET_KEY",
      /too predictable/,
    ],
    [
      "a JWT secret of a repeated pair",
      { JWT_SECRET_KEY: "ab".repeat(24) },
      "JWT_SECRET_KEY",
      /too predictable/,
    ],
    [
      "a JWT secret that is the alphabet",
      { JWT_SECRET_KEY: "abcdefghijklmnopqrstuvwxyz012345" },
      "JWT_SECRET_KEY",
      /too predictable/,
    ],
    ["a short JWT secret", { JWT_SECRET_KEY: randomHex(8) }, "JWT_SECRET_KEY", /too short/],
    [
      "the development JWT default",
      { JWT_SECRET_KEY: "development-only-jwt-secret-not-for-production-0001" },
      "JWT_SECRET_KEY",
      /development default/,
    ],
    ["a missing JWT secret", { JWT_SECRET_KEY: undefined }, "JWT_SECRET_KEY", /missing/],
    [
      "a webhook hash of sixteen ones",
      { FLUTTERWAVE_WEBHOOK_HASH: "1111111111111111" },
      "FLUTTERWAVE_WEBHOOK_HASH",
      /too predictable/,
    ],
    [
      "a webhook hash that counts",
      { FLUTTERWAVE_WEBHOOK_HASH: "0123456789abcdef" },
      "FLUTTERWAVE_WEBHOOK_HASH",
      /too predictable/,
    ],
    [
      "a placeholder webhook hash",
      { FLUTTERWAVE_WEBHOOK_HASH: `changeme-${hex}` },
      "FLUTTERWAVE_WEBHOOK_HASH",
      /placeholder/,
    ],
    [
      "an admin token that repeats a word",
      { ADMIN_API_TOKEN: "admin".repeat(8) },
      "ADMIN_API_TOKEN",
      /too predictable/,
    ],
    [
      "an admin token that repeats a word with a digit in it",
      { ADMIN_API_TOKEN: "Adm1n".repeat(8) },
      "ADMIN_API_TOKEN",
      /too predictable/,
    ],
    [
      "an admin token equal to the JWT secret",
      { JWT_SECRET_KEY: hex + hex, ADMIN_API_TOKEN: hex + hex },
      "ADMIN_API_TOKEN",
      /same value as JWT_SECRET_KEY/,
    ],
    [
      "a Flutterwave test-mode key",
      { FLUTTERWAVE_SECRET_KEY: `FLWSECK_TEST-${hex}-X` },
      "FLUTTERWAVE_SECRET_KEY",
      /test-mode/,
    ],
    [
      "a Flutterwave key padded with one letter",
      { FLUTTERWAVE_SECRET_KEY: `FLWSECK-${"a".repeat(32)}-X` },
      "FLUTTERWAVE_SECRET_KEY",
      /too predictable/,
    ],
    [
      "VTpass sandbox mode switched on",
      { VTPASS_SANDBOX_MODE: "true" },
      "VTPASS_SANDBOX_MODE",
      /sandbox mode in production/,
    ],
    [
      "a plain-http APP_ADDRESS",
      { APP_ADDRESS: "http://wallet.example/api/v1" },
      "APP_ADDRESS",
      /https/,
    ],
  ];
  for (const [name, overrides, variable, reason] of cases) {
    it(`refuses ${name}, naming ${variable} and never the value`, () => {
      const problems = problemsOf(productionVars(overrides));
      const problem = problems.find((p) => p.startsWith(`${variable}:`));
      expect(problem, problems.join("; ")).toMatch(reason);
      for (const value of Object.values(overrides)) {
        if (value !== undefined && value.length >= 4)
          expect(problems.join("\n")).not.toContain(value);
      }
    });
  }

  it("refuses a weak, shared or URL-unsafe VTPASS_CALLBACK_SECRET, naming the variable and never a value", () => {
    const base = { ...productionVars(), ...vtpassVars() };
    const strong = randomHex(20);
    const cases: [string, string | undefined, RegExp][] = [
      ["32 times the same letter", "a".repeat(32), /too predictable/],
      ["a run of digits", "12345678901234567890123456789012", /too predictable/],
      ["a repeated placeholder", "changeme-changeme-changeme-changeme", /placeholder/],
      [
        "the development default",
        "development-only-vtpass-callback-secret-0001",
        /development default/,
      ],
      ["the admin token's value", base.ADMIN_API_TOKEN, /same value as ADMIN_API_TOKEN/],
      ["the JWT key's value", base.JWT_SECRET_KEY, /same value as JWT_SECRET_KEY/],
      ["VTpass's own secret key", base.VTPASS_SECRET_KEY, /same value as VTPASS_SECRET_KEY/],
      [
        "a strong value with a slash, which splits the URL path",
        `${strong.slice(0, 20)}/${strong.slice(20)}`,
        /A-Z a-z 0-9 \. _ ~ -/,
      ],
      [
        "a strong value with a percent sign, which the path decodes",
        `${strong}%2F`,
        /URL path segment/,
      ],
      [
        "a strong value with a question mark, which ends the path",
        `${strong}?x`,
        /URL path segment/,
      ],
      ["a strong value with a space", `${strong} x`, /URL path segment/],
      ["a short random value", randomHex(8), /too short \(at least 32 characters\)/],
      ["no value while the keys are set", undefined, /missing/],
    ];
    for (const [name, value, reason] of cases) {
      const problems = problemsOf({ ...base, VTPASS_CALLBACK_SECRET: value });
      const problem = problems.find((p) => p.startsWith("VTPASS_CALLBACK_SECRET:"));
      expect(problem, `${name}: ${problems.join("; ")}`).toMatch(reason);
      for (const secret of [
        value,
        base.JWT_SECRET_KEY,
        base.ADMIN_API_TOKEN,
        base.VTPASS_SECRET_KEY,
      ]) {
        if (secret !== undefined) expect(problems.join("\n"), name).not.toContain(secret);
      }
    }
    // Set without VTpass's keys it is unused, and still refused when weak.
    const without = {
      ...base,
      VTPASS_API_KEY: undefined,
      VTPASS_PUBLIC_KEY: undefined,
      VTPASS_SECRET_KEY: undefined,
    };
    expect(problemsOf({ ...without, VTPASS_CALLBACK_SECRET: "a".repeat(32) })).toEqual([
      expect.stringMatching(/^VTPASS_CALLBACK_SECRET: too predictable/),
    ]);
    expect(problemsOf({ ...without, VTPASS_CALLBACK_SECRET: undefined })).toEqual([]);
    // The control: every character of the unreserved set is accepted.
    const unreserved = `${randomHex(16)}-._~${randomHex(4)}`;
    const accepted = parseConfig({ ...base, VTPASS_CALLBACK_SECRET: unreserved });
    expect(accepted.ok ? [] : accepted.problems).toEqual([]);
    expect(accepted.ok && accepted.config.vtpass?.callback_secret).toBe(unreserved);
  });

  it("accepts 200 random production configurations, VTpass included, every secret random hex as `openssl rand -hex` makes it (no false refusals at these minimums)", () => {
    fc.assert(
      fc.property(strongProductionVars, (vars) => {
        const parsed = parseConfig(vars);
        expect(parsed.ok ? [] : parsed.problems).toEqual([]);
        // Accepted and used as given.
        expect(parsed.ok && parsed.config.JWT_SECRET_KEY).toBe(vars.JWT_SECRET_KEY);
        expect(parsed.ok && parsed.config.FLUTTERWAVE_WEBHOOK_HASH).toBe(
          vars.FLUTTERWAVE_WEBHOOK_HASH,
        );
        expect(parsed.ok && parsed.config.vtpass?.callback_secret).toBe(
          vars.VTPASS_CALLBACK_SECRET,
        );
      }),
      // No shrinking: it would walk the random bytes towards zeros, which are rightly refused as predictable.
      { seed: PROPERTY_SEED, numRuns: 200, endOnFailure: true },
    );
    // The webhook hash at its 16-character minimum: a value from `openssl rand -hex 8`.
    expect(problemsOf(productionVars({ FLUTTERWAVE_WEBHOOK_HASH: "e49e295179516d8b" }))).toEqual(
      [],
    );
  });

  it("turns VTpass sandbox mode off by default in production, on in development", () => {
    const production = parseConfig(productionVars());
    const development = parseConfig({});
    expect(production.ok && production.config.VTPASS_SANDBOX_MODE).toBe(false);
    expect(development.ok && development.config.VTPASS_SANDBOX_MODE).toBe(true);
  });

  it("applies none of this outside production", () => {
    const result = parseConfig({
      JWT_SECRET_KEY: "a".repeat(32),
      FLUTTERWAVE_SECRET_KEY: "FLWSECK_TEST-x",
      VTPASS_SANDBOX_MODE: "true",
    });
    expect(result.ok).toBe(true);
  });

  it("answers every request 503 with a problem that names no variable and no value", async () => {
    const weak = {
      ...env,
      ...productionVars({ JWT_SECRET_KEY: "a".repeat(32) }),
    } as unknown as Env;
    for (const path of ["/api/v1/health", "/api/v1/auth/login", "/api/v1/openapi.json"]) {
      const res = await createApp().fetch(
        new Request(`${ORIGIN}${path}`),
        weak,
        createExecutionContext(),
      );
      const problem = await expectProblem(res, 503);
      expect(problem.code).toBe("service_misconfigured");
      expect(JSON.stringify(problem)).not.toMatch(/JWT|aaaa/);
    }
  });
});

describe("identity verification settings (IDENTITY_HASH_KEY, DOJAH_*)", () => {
  it("requires a strong, own IDENTITY_HASH_KEY in production, naming the variable and never a value", () => {
    const jwt = randomHex(32);
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ IDENTITY_HASH_KEY: undefined }, /^IDENTITY_HASH_KEY: missing/],
      [{ IDENTITY_HASH_KEY: "a".repeat(40) }, /^IDENTITY_HASH_KEY: too predictable/],
      [{ IDENTITY_HASH_KEY: randomHex(8) }, /^IDENTITY_HASH_KEY: too short/],
      [
        { IDENTITY_HASH_KEY: "development-only-identity-hash-key-not-for-production-0001" },
        /^IDENTITY_HASH_KEY: a development default/,
      ],
      [
        { JWT_SECRET_KEY: jwt, IDENTITY_HASH_KEY: jwt },
        /^IDENTITY_HASH_KEY: same value as JWT_SECRET_KEY/,
      ],
    ];
    for (const [overrides, expected] of cases) {
      const problems = problemsOf(productionVars(overrides));
      expect(problems, JSON.stringify(overrides)).toEqual([expect.stringMatching(expected)]);
      const value = overrides.IDENTITY_HASH_KEY;
      if (value !== undefined) expect(problems.join("\n")).not.toContain(value);
    }
    const good = randomHex(32);
    const parsed = parseConfig(productionVars({ IDENTITY_HASH_KEY: good }));
    expect(parsed.ok && parsed.config.identity.hash_key).toBe(good);
    // No Dojah keys in production: no provider (verifications answer 503), not a refusal to start.
    expect(parsed.ok && parsed.config.identity.provider).toBeNull();
  });

  it("wants both Dojah keys or neither in production, and points development at the look-alike", () => {
    expect(problemsOf(productionVars({ DOJAH_APP_ID: "app" }))).toEqual([
      expect.stringMatching(/^DOJAH_SECRET_KEY: missing/),
    ]);
    const both = parseConfig(
      productionVars({ DOJAH_APP_ID: "app", DOJAH_SECRET_KEY: `live_sk_${randomHex(16)}` }),
    );
    expect(both.ok && both.config.identity.provider?.base_url).toBe("https://api.dojah.io");
    const development = parseConfig({ SANDBOX_ENABLED: "true" });
    expect(development.ok && development.config.identity.provider?.base_url).toBeNull();
    expect(development.ok && development.config.identity.hash_key.length).toBeGreaterThan(0);
  });
});

describe("operator sign-in settings (ACCESS_TEAM_DOMAIN, ACCESS_AUD, OPS_ROLES)", () => {
  const access = {
    ACCESS_TEAM_DOMAIN: "https://wallet-team.cloudflareaccess.com/",
    ACCESS_AUD: randomHex(32),
    OPS_ROLES: JSON.stringify({ "Ada@Example.com": "approver", "group:wallet-ops": "operator" }),
  };

  it("reads them in production: the domain without its trailing slash, emails lower-cased, groups as written", () => {
    const result = parseConfig(productionVars(access));
    expect(result.ok).toBe(true);
    const settings = result.ok ? result.config.access : null;
    expect(settings?.team_domain).toBe("https://wallet-team.cloudflareaccess.com");
    expect(settings?.aud).toBe(access.ACCESS_AUD);
    expect([...(settings?.roles ?? [])]).toEqual([
      ["ada@example.com", "approver"],
      ["group:wallet-ops", "operator"],
    ]);
  });

  it("leaves Access off in production without the team domain or the AUD: the service runs, only the script token works", () => {
    for (const missing of ["ACCESS_TEAM_DOMAIN", "ACCESS_AUD"] as const) {
      const result = parseConfig(productionVars({ ...access, [missing]: undefined }));
      expect(result.ok && result.config.access).toBe(null);
    }
  });

  it("refuses an http team domain in production, the development AUD, and a malformed OPS_ROLES anywhere, naming no entry", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { ACCESS_TEAM_DOMAIN: "http://wallet-team.cloudflareaccess.com" },
        /ACCESS_TEAM_DOMAIN: must be https/,
      ],
      [{ ACCESS_AUD: "development-only-access-aud" }, /ACCESS_AUD: a development default/],
      [{ OPS_ROLES: "{not json" }, /OPS_ROLES: not valid JSON/],
      [{ OPS_ROLES: '["ada@example.com"]' }, /OPS_ROLES: not a JSON object/],
      [{ OPS_ROLES: '{"ada@example.com":"admin"}' }, /OPS_ROLES: a value is not one of/],
      [{ OPS_ROLES: '{"ada":"viewer"}' }, /OPS_ROLES: a key is neither an email nor group/],
    ];
    for (const [overrides, problem] of cases) {
      const result = parseConfig(productionVars({ ...access, ...overrides }));
      expect(result.ok).toBe(false);
      const problems = result.ok ? "" : result.problems.join("; ");
      expect(problems).toMatch(problem);
      expect(problems).not.toMatch(/ada/);
    }
    const development = parseConfig({ OPS_ROLES: '{"x@y.z":"root"}' });
    expect(development.ok).toBe(false);
  });

  it("points development at the look-alike, with groups mapped to roles", () => {
    const result = parseConfig({ SANDBOX_ENABLED: "true" });
    const settings = result.ok ? result.config.access : null;
    expect(settings?.team_domain).toBe(null);
    expect(settings?.aud).toBe("development-only-access-aud");
    expect(Object.fromEntries(settings?.roles ?? [])).toEqual({
      "group:wallet-viewers": "viewer",
      "group:wallet-operators": "operator",
      "group:wallet-approvers": "approver",
    });
  });
});

describe("HELD_PAYMENT_DEADLINE_S", () => {
  it("is the product's deadline unless set; production refuses less than an hour, development takes seconds", () => {
    const unset = parseConfig({});
    expect(unset.ok && unset.config.HELD_PAYMENT_DEADLINE_S).toBeUndefined();
    const short = parseConfig({ HELD_PAYMENT_DEADLINE_S: "5" });
    expect(short.ok && short.config.HELD_PAYMENT_DEADLINE_S).toBe(5);
    expect(problemsOf(productionVars({ HELD_PAYMENT_DEADLINE_S: "600" }))).toEqual([
      "HELD_PAYMENT_DEADLINE_S: below 3600 in production",
    ]);
    expect(problemsOf(productionVars({ HELD_PAYMENT_DEADLINE_S: "3600" }))).toEqual([]);
    for (const bad of ["4", "604801", "1.5", "soon"])
      expect(parseConfig({ HELD_PAYMENT_DEADLINE_S: bad }).ok).toBe(false);
  });
});
