import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { TOKEN_CLOCK_SKEW_S, WATCH_TICKET_TTL_S } from "../../src/lib/limits";
import {
  issueAccessToken,
  issueWatchTicket,
  verifyAccessToken,
  verifyWatchTicket,
} from "../../src/lib/tokens";
import { api, env, expectProblem, registerAndLogin } from "../support/helpers";

const config = requireConfig(env);
const key = new TextEncoder().encode(config.JWT_SECRET_KEY);
const now_s = () => Math.floor(Date.now() / 1000);

function token(
  overrides: {
    alg?: string;
    key?: Uint8Array;
    sub?: string | null;
    iss?: string;
    aud?: string;
    iat?: number;
    exp?: number;
  } = {},
  sub = "usr000000000000000z",
) {
  const jwt = new SignJWT({});
  jwt.setProtectedHeader({ alg: overrides.alg ?? "HS256" });
  if (overrides.sub !== null) jwt.setSubject(overrides.sub ?? sub);
  jwt
    .setIssuer(overrides.iss ?? config.JWT_ISSUER)
    .setAudience(overrides.aud ?? config.JWT_AUDIENCE);
  jwt.setIssuedAt(overrides.iat ?? now_s()).setExpirationTime(overrides.exp ?? now_s() + 600);
  return jwt.sign(overrides.key ?? key);
}

async function expect401(authorization: string | undefined) {
  const res = await api("/auth/me", {
    headers: authorization === undefined ? {} : { authorization },
  });
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  await expectProblem(res, 401);
}

describe("bearer tokens on a protected route", () => {
  it("accepts a token it issued for a registered user", async () => {
    const { auth } = await registerAndLogin();
    expect((await api("/auth/me", { headers: auth })).status).toBe(200);
  });

  it("refuses a missing Authorization header", () => expect401(undefined));
  it("refuses a non-Bearer scheme", () => expect401("Basic dXNlcjpwYXNz"));
  it("refuses a malformed token", () => expect401("Bearer not.a.jwt"));
  it("refuses a token with only two segments", () =>
    expect401("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"));

  it("refuses an expired token", async () => {
    const { user_id } = await registerAndLogin();
    const expired = await token({ iat: now_s() - 3600, exp: now_s() - 60 }, user_id);
    const res = await api("/auth/me", { headers: { authorization: `Bearer ${expired}` } });
    expect((await expectProblem(res, 401)).detail).toMatch(/expired/);
  });

  it("refuses a token signed with another key", async () => {
    const { user_id } = await registerAndLogin();
    await expect401(
      `Bearer ${await token({ key: new TextEncoder().encode("another-secret-of-sufficient-length-000") }, user_id)}`,
    );
  });

  it("refuses an unsigned alg:none token", async () => {
    const { user_id } = await registerAndLogin();
    const unsigned = new UnsecuredJWT({})
      .setSubject(user_id)
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("10m")
      .encode();
    await expect401(`Bearer ${unsigned}`);
  });

  it("refuses a token whose header says another algorithm (HS512) than the configured one", async () => {
    const { user_id } = await registerAndLogin();
    await expect401(`Bearer ${await token({ alg: "HS512" }, user_id)}`);
  });

  it("refuses a token with a tampered payload", async () => {
    const { token: good } = await registerAndLogin();
    const other = await registerAndLogin();
    const [header, , signature] = good.split(".");
    const [, payload] = other.token.split(".");
    await expect401(`Bearer ${header}.${payload}.${signature}`);
  });

  it("refuses a token with the wrong issuer", async () => {
    const { user_id } = await registerAndLogin();
    await expect401(`Bearer ${await token({ iss: "someone-else" }, user_id)}`);
  });

  it("refuses a token with the wrong audience", async () => {
    const { user_id } = await registerAndLogin();
    await expect401(`Bearer ${await token({ aud: "another-api" }, user_id)}`);
  });

  it("refuses a token without a subject", async () => {
    await expect401(`Bearer ${await token({ sub: null })}`);
  });

  it("refuses a token whose subject is not a user id", async () => {
    await expect401(`Bearer ${await token({ sub: "../admin" })}`);
  });

  it("refuses a well-signed token for a user that does not exist", async () => {
    const issued = await issueAccessToken(config, "usr000000000000000y");
    await expect401(`Bearer ${issued.access_token}`);
  });
});

describe("token times must be plausible for what we issue", () => {
  const lifetime_s = config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const user = "usr000000000000000x";

  async function check(iat: number, exp: number) {
    return verifyAccessToken(config, await token({ iat, exp }, user));
  }

  it("accepts what the login route issues, and an iat within the clock skew", async () => {
    const issued_at_s = now_s();
    const issued = await issueAccessToken(config, user, issued_at_s);
    // The expiry comes back too: a WebSocket opened with the token is closed then.
    expect(await verifyAccessToken(config, issued.access_token)).toEqual({
      ok: true,
      user_id: user,
      expires_at_s: issued_at_s + lifetime_s,
    });
    const t = now_s() + TOKEN_CLOCK_SKEW_S - 1;
    expect(await check(t, t + lifetime_s)).toMatchObject({ ok: true });
  });

  it("refuses an iat in the future beyond the clock skew", async () => {
    const t = now_s() + TOKEN_CLOCK_SKEW_S + 60;
    expect(await check(t, t + 60)).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses a lifetime (exp - iat) longer than ACCESS_TOKEN_EXPIRE_MINUTES", async () => {
    const t = now_s();
    expect(await check(t, t + lifetime_s + TOKEN_CLOCK_SKEW_S + 1)).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await check(t, t + 365 * 24 * 3600)).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses a token older than its lifetime even while exp is inside the clock skew", async () => {
    // exp is 2 s past, which jose's own tolerance still accepts; the age bound does not.
    const iat = now_s() - lifetime_s - TOKEN_CLOCK_SKEW_S - 2;
    expect(await check(iat, iat + lifetime_s + TOKEN_CLOCK_SKEW_S)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuses an implausible token on a protected route with 401", async () => {
    const { user_id } = await registerAndLogin();
    const t = now_s();
    await expect401(`Bearer ${await token({ iat: t, exp: t + 10 * lifetime_s }, user_id)}`);
    await expect401(`Bearer ${await token({ iat: t + 3600, exp: t + 3600 + 60 }, user_id)}`);
  });

  describe("watch tickets, against their own TTL", () => {
    const tx_ref = "FUND-usr000000000000000x-0000000000000-abcd";
    async function ticket(iat: number, exp: number) {
      return new SignJWT({ tx_ref })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user)
        .setIssuer(config.JWT_ISSUER)
        .setAudience(`${config.JWT_AUDIENCE}:watch`)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
    }

    it("accepts a ticket issued as the funding route issues it", async () => {
      const issued_at_s = now_s();
      const issued = await issueWatchTicket(config, user, tx_ref, WATCH_TICKET_TTL_S, issued_at_s);
      expect(await verifyWatchTicket(config, issued)).toEqual({
        ok: true,
        user_id: user,
        tx_ref,
        expires_at_s: issued_at_s + WATCH_TICKET_TTL_S,
      });
    });

    it("refuses an iat in the future", async () => {
      const t = now_s() + TOKEN_CLOCK_SKEW_S + 60;
      expect(await verifyWatchTicket(config, await ticket(t, t + 60))).toEqual({
        ok: false,
        reason: "invalid",
      });
    });

    it("refuses a lifetime longer than WATCH_TICKET_TTL_S", async () => {
      const t = now_s();
      expect(
        await verifyWatchTicket(
          config,
          await ticket(t, t + WATCH_TICKET_TTL_S + TOKEN_CLOCK_SKEW_S + 1),
        ),
      ).toEqual({ ok: false, reason: "invalid" });
    });

    it("refuses a ticket older than WATCH_TICKET_TTL_S", async () => {
      const iat = now_s() - WATCH_TICKET_TTL_S - TOKEN_CLOCK_SKEW_S - 2;
      expect(
        await verifyWatchTicket(
          config,
          await ticket(iat, iat + WATCH_TICKET_TTL_S + TOKEN_CLOCK_SKEW_S),
        ),
      ).toEqual({ ok: false, reason: "expired" });
    });
  });
});
