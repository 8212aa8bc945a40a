/**
 * Security: the forms a forged or misused bearer token can take, each sent to
 * a protected route of the real Worker. What test/lib/tokens.test.ts already
 * proves (alg none in its plain form, another key, HS512, tampered payload,
 * issuer, audience, missing subject, unknown user, expired, iat in the future,
 * lifetime) is listed in test/security/catalogue.ts, not repeated here.
 *
 * Tokens are built by hand where a library would refuse to build them (a
 * header naming RS256 over an HMAC signature, a non-string subject), so the
 * attack reaches our verifier exactly as an attacker would send it.
 */
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hmacSha256Base64 } from "../../src/lib/crypto";
import { requireConfig } from "../../src/lib/config";
import { issueAccessToken } from "../../src/lib/tokens";
import { api, bearerFor, env, expectProblem, newWallet } from "../support/helpers";
import { pendingFunding, ticketFor, upgrade } from "../support/realtime";

const config = requireConfig(env);
const OUR_KEY = new TextEncoder().encode(config.JWT_SECRET_KEY);
const now_s = () => Math.floor(Date.now() / 1000);

const b64url = (text: string) =>
  btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const toB64url = (b64: string) => b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Claims we would issue for this user, now. */
function claims(user_id: string, overrides: Record<string, unknown> = {}) {
  return {
    sub: user_id,
    iss: config.JWT_ISSUER,
    aud: config.JWT_AUDIENCE,
    iat: now_s(),
    exp: now_s() + 600,
    ...overrides,
  };
}

/** A compact JWT with any header and payload, its signature HMAC-SHA256 under `key` (our key unless told). */
function handMade(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key = config.JWT_SECRET_KEY,
): string {
  const signing_input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${signing_input}.${toB64url(hmacSha256Base64(key, new TextEncoder().encode(signing_input)))}`;
}

/** The control: a token of exactly this shape, built honestly, is accepted (so each refusal below is about the attack alone). */
async function expectAccepted(authorization: string) {
  const res = await api("/auth/me", { headers: { authorization } });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function expectRefused(authorization: string) {
  const res = await api("/auth/me", { headers: { authorization } });
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect((await expectProblem(res, 401)).code).toBe("unauthorized");
}

afterEach(() => vi.restoreAllMocks());

describe("JWT algorithm attacks", () => {
  it("accepts the hand-made HS256 token these attacks start from (the control)", async () => {
    const { user_id } = await newWallet();
    await expectAccepted(`Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id))}`);
  });

  it("refuses alg none in every spelling, with or without a signature segment", async () => {
    const { user_id } = await newWallet();
    const body = b64url(JSON.stringify(claims(user_id)));
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const header = b64url(JSON.stringify({ alg, typ: "JWT" }));
      await expectRefused(`Bearer ${header}.${body}.`);
      await expectRefused(`Bearer ${header}.${body}`);
      // A none header over a genuine HMAC signature of the same input.
      await expectRefused(`Bearer ${handMade({ alg, typ: "JWT" }, claims(user_id))}`);
    }
  });

  it("refuses an HS256 header with the signature segment left empty", async () => {
    const { user_id } = await newWallet();
    const token = handMade({ alg: "HS256", typ: "JWT" }, claims(user_id));
    await expectRefused(`Bearer ${token.slice(0, token.lastIndexOf(".") + 1)}`);
  });

  it("refuses algorithm confusion: an RS256, ES256 or PS256 header over an HMAC signature made with our own key", async () => {
    const { user_id } = await newWallet();
    for (const alg of ["RS256", "ES256", "PS256", "EdDSA"])
      await expectRefused(`Bearer ${handMade({ alg, typ: "JWT" }, claims(user_id))}`);
  });

  it("refuses HS384 and HS512 signed with our own key while HS256 is the configured algorithm", async () => {
    const { user_id } = await newWallet();
    expect(config.JWT_ALGORITHM).toBe("HS256");
    for (const alg of ["HS384", "HS512"]) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject(user_id)
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(OUR_KEY);
      await expectRefused(`Bearer ${token}`);
    }
  });

  it("refuses HS256 tokens signed with our other secrets (admin token, webhook hash) or an empty key", async () => {
    const { user_id } = await newWallet();
    for (const key of [config.ADMIN_API_TOKEN, config.FLUTTERWAVE_WEBHOOK_HASH, ""]) {
      await expectRefused(`Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id), key)}`);
    }
  });
});

describe("JWT header injection", () => {
  it("refuses kid, jku, x5u and embedded jwk headers that point at the attacker's key, and fetches nothing", async () => {
    const { user_id } = await newWallet();
    const fetched = vi.spyOn(globalThis, "fetch");
    const attacker_key = "attacker-controlled-hmac-key-0123456789abcdef";
    const jwk = { kty: "oct", k: b64url(attacker_key) };
    const headers: Record<string, unknown>[] = [
      { kid: "../../../../dev/null" },
      { kid: "' OR '1'='1" },
      { kid: "attacker" },
      { jku: "https://attacker.example/jwks.json" },
      { x5u: "https://attacker.example/cert.pem" },
      { jwk },
      { jku: "https://attacker.example/jwks.json", kid: "attacker", jwk },
    ];
    for (const extra of headers) {
      await expectRefused(
        `Bearer ${handMade({ alg: "HS256", typ: "JWT", ...extra }, claims(user_id), attacker_key)}`,
      );
      // kid "/dev/null" classically means "the empty key".
      await expectRefused(
        `Bearer ${handMade({ alg: "HS256", typ: "JWT", ...extra }, claims(user_id), "")}`,
      );
    }
    expect(
      fetched.mock.calls
        .map(([input]) => String(input instanceof Request ? input.url : input))
        .filter((u) => u.includes("attacker")),
    ).toEqual([]);
  });

  it("refuses a token that marks an unknown header extension as critical", async () => {
    const { user_id } = await newWallet();
    await expectRefused(
      `Bearer ${handMade({ alg: "HS256", typ: "JWT", crit: ["exp-attack"], "exp-attack": true }, claims(user_id))}`,
    );
  });
});

describe("JWT claims our signature does not vouch for", () => {
  it("refuses an nbf in the future", async () => {
    const { user_id } = await newWallet();
    await expectRefused(
      `Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id, { nbf: now_s() + 3600 }))}`,
    );
  });

  it("refuses an empty, non-string or padded subject", async () => {
    const { user_id } = await newWallet();
    for (const sub of [
      "",
      " ",
      12345,
      [user_id],
      { id: user_id },
      null,
      true,
      `${user_id} `,
      ` ${user_id}`,
      `${user_id}\n`,
      user_id.toUpperCase(),
    ]) {
      await expectRefused(
        `Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id, { sub }))}`,
      );
    }
  });

  it("refuses times that are not numbers", async () => {
    const { user_id } = await newWallet();
    for (const times of [
      { exp: String(now_s() + 600) },
      { iat: String(now_s()) },
      { exp: null },
      { iat: null },
      { exp: 1e308 },
    ]) {
      await expectRefused(
        `Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id, times))}`,
      );
    }
  });

  it("refuses the watch tickets' audience and a near miss of ours", async () => {
    const { user_id } = await newWallet();
    await expectRefused(
      `Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id, { aud: [`${config.JWT_AUDIENCE}:watch`] }))}`,
    );
    await expectRefused(
      `Bearer ${handMade({ alg: "HS256", typ: "JWT" }, claims(user_id, { aud: `${config.JWT_AUDIENCE} ` }))}`,
    );
  });
});

describe("JWT encoding tricks", () => {
  it("refuses malformed base64url in each segment, a trailing dot, extra segments and a JWE-shaped token", async () => {
    const { user_id } = await newWallet();
    const token = (await issueAccessToken(config, user_id)).access_token;
    await expectAccepted(`Bearer ${token}`);
    const [h, p, s] = token.split(".");
    for (const forged of [
      `${h}.${p}.${s}.`,
      `${h}.${p}.${s}..`,
      `.${h}.${p}.${s}`,
      `${h}..${p}.${s}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${p}.${s}`, // five segments: the JWE shape
      `${h}.${p}.${s.slice(0, -2)}`,
      `${h}.${p}.${s}AA`,
      `${h}.${p}.${s.toUpperCase()}`,
      `${h.slice(1)}.${p}.${s}`,
      `${h}.${p.slice(0, -1)}.${s}`,
      `${h}.${p}X.${s}`,
      `${h}.${b64url(`${JSON.stringify(claims(user_id))} `)}.${s}`,
      `${h}.${p}.${s}~`,
    ]) {
      await expectRefused(`Bearer ${forged}`);
    }
  });

  it("refuses whitespace and scheme tricks in the Authorization header", async () => {
    const { user_id } = await newWallet();
    const token = (await issueAccessToken(config, user_id)).access_token;
    // The scheme is case-insensitive (RFC 9110 §11.1) and surrounding spaces are not part of the value: these are the same credential.
    await expectAccepted(`bearer ${token}`);
    await expectAccepted(`  Bearer ${token}  `);
    for (const header of [
      `Bearer${token}`,
      `Bearer:${token}`,
      `BearerX ${token}`,
      `Token ${token}`,
      `JWT ${token}`,
      `Basic ${btoa(`${user_id}:${token}`)}`,
      `Bearer ${token} ${token}`,
      `Bearer ${token} x`,
      `Bearer "${token}"`,
      `Bearer ${token.slice(0, 20)} ${token.slice(20)}`,
      `Bearer ${token},Bearer ${token}`,
      `${token}`,
      `Bearer `,
      `Bearer`,
    ]) {
      await expectRefused(header);
    }
  });

  it("refuses two Authorization headers, even when both carry valid tokens of the same user", async () => {
    const { user_id } = await newWallet();
    const other = await newWallet();
    const mine = (await issueAccessToken(config, user_id)).access_token;
    const theirs = (await issueAccessToken(config, other.user_id)).access_token;
    for (const pair of [
      [mine, theirs],
      [theirs, mine],
      [mine, mine],
      [mine, "garbage"],
    ]) {
      const headers = new Headers();
      headers.append("authorization", `Bearer ${pair[0]}`);
      headers.append("authorization", `Bearer ${pair[1]}`);
      const res = await api("/auth/me", { headers });
      expect((await expectProblem(res, 401)).code).toBe("unauthorized");
    }
  });

  it("refuses a token in the query string or a cookie instead of the Authorization header", async () => {
    const { user_id } = await newWallet();
    const token = (await issueAccessToken(config, user_id)).access_token;
    for (const path of ["/auth/me", "/wallet/", "/wallet/transactions"]) {
      for (const name of ["access_token", "token", "bearer", "jwt", "authorization"]) {
        const res = await api(`${path}?${name}=${encodeURIComponent(token)}`);
        expect([401, 422], `${path}?${name}=`).toContain(res.status);
        await expectProblem(res, res.status);
      }
      await expectProblem(
        await api(path, { headers: { cookie: `access_token=${token}; token=${token}` } }),
        401,
      );
      await expectProblem(
        await api(path, { headers: { "x-access-token": token, "x-auth-token": token } }),
        401,
      );
    }
  });
});

describe("token-type confusion", () => {
  it("refuses a watch ticket as a bearer token, on the API and on the WebSocket upgrade", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const ticket = await ticketFor(user_id, tx_ref);
    await expectRefused(`Bearer ${ticket}`);
    const offers: Record<string, string>[] = [
      { authorization: `Bearer ${ticket}` },
      { "sec-websocket-protocol": `bearer, ${ticket}` },
    ];
    for (const headers of offers) {
      const { res, watcher } = await upgrade({ tx_ref }, headers);
      await expectProblem(res, 401);
      expect(watcher).toBeNull();
    }
  });

  it("refuses an access token as a watch ticket on the status pages", async () => {
    const { user_id, tx_ref } = await pendingFunding();
    const token = (await issueAccessToken(config, user_id)).access_token;
    const withTicket = await (
      await api(
        `/wallet/flutterwave/callback?tx_ref=${tx_ref}&ticket=${await ticketFor(user_id, tx_ref)}`,
      )
    ).text();
    expect(withTicket).toContain(tx_ref);
    const withToken = await (
      await api(`/wallet/flutterwave/callback?tx_ref=${tx_ref}&ticket=${token}`)
    ).text();
    expect(withToken).not.toContain(tx_ref);
    expect(withToken).toContain("could not tell which payment");
  });

  it("refuses the admin token as a user's bearer token, and a user's token on admin routes", async () => {
    const auth = await bearerFor((await newWallet()).user_id);
    await expectRefused(`Bearer ${config.ADMIN_API_TOKEN}`);
    await expectProblem(await api("/admin/operations", { headers: auth }), 401);
  });
});
