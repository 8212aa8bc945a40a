/**
 * Security: login and registration must not let one person lock out another,
 * nor tell anyone which emails have accounts. What test/routes/auth/auth.test.ts
 * proves (several attacking addresses do not refuse the owner, the same 401
 * for an unknown email and a wrong password, the same throttling for both) is
 * listed in the catalogue. Here: a client naming someone else's address in
 * the forwarding headers, and email spellings that normalise to the owner's,
 * still delay only that client; the argon2id work is done for every login
 * whatever the email (the Server-Timing header development sets only after
 * the hash ran); a taken email's 409 says no more than the seed's did, and no
 * reset route exists to ask.
 */
import { describe, expect, it } from "vitest";
import { newUserId } from "../../src/lib/ids";
import { LOGIN_CLIENT_FREE_FAILURES } from "../../src/durable/login-throttle/limits";
import { hashPassword } from "../../src/lib/password";
import {
  api,
  env,
  expectProblem,
  form,
  json,
  PASSWORD,
  uniqueEmail,
  uniqueIp,
} from "../support/helpers";

const WRONG = "not the password";

function login(username: string, password: string, headers: Record<string, string>) {
  return api("/auth/login", form({ username, password }, headers));
}

async function registered(tag: string, full_name?: string) {
  const email = uniqueEmail(tag);
  const res = await api(
    "/auth/register",
    json({ email, password: PASSWORD, ...(full_name ? { full_name } : {}) }),
  );
  expect(res.status).toBe(201);
  return { email, user_id: ((await res.json()) as { id: string }).id };
}

/**
 * An account whose password is stored with cheap argon2id parameters (as an
 * account from before a parameter upgrade is), made through the real
 * Credentials and Wallet objects: a run of failures then costs little CPU.
 * Throttling does not depend on the hash, and the owner's success re-hashes.
 */
async function accountWithCheapHash(tag: string) {
  const email = uniqueEmail(tag);
  const user_id = newUserId();
  const credentials = env.CREDENTIALS.getByName(email);
  await credentials.claim({
    email,
    user_id,
    password_hash: hashPassword(PASSWORD, { m_kib: 64, t: 1, p: 1 }),
  });
  await env.WALLET.getByName(user_id).init({ user_id, email, full_name: null, currency: "NGN" });
  await credentials.activate(user_id);
  return { email, user_id };
}

describe("no lock-out of someone else", () => {
  it("a client that names the owner's address in X-Forwarded-For, X-Real-IP or True-Client-IP, and spells the email otherwise, delays only itself", async () => {
    const { email } = await accountWithCheapHash("owner");
    const owner_ip = uniqueIp();
    const attacker_ip = uniqueIp();
    const spoofed = {
      "x-forwarded-for": owner_ip,
      "x-real-ip": owner_ip,
      "true-client-ip": owner_ip,
      forwarded: `for=${owner_ip}`,
      "cf-connecting-ip": attacker_ip,
    };
    const spellings = [
      email,
      email.toUpperCase(),
      `  ${email}  `,
      email.replace("@", "@").replace(/^./, (c) => c.toUpperCase()),
    ];
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_CLIENT_FREE_FAILURES + 1; i++) {
      const res = await login(spellings[i % spellings.length], WRONG, spoofed);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // The failures counted, against the attacker's own address: its next attempt waits.
    expect(statuses).toEqual([...Array(LOGIN_CLIENT_FREE_FAILURES).fill(401), 429]);
    // The owner, from the address the attacker named, is not refused.
    const owner = await login(email, PASSWORD, { "cf-connecting-ip": owner_ip });
    expect(owner.status, await owner.clone().text()).toBe(200);
  });
});

describe("no user enumeration", () => {
  it("does the password hash's work for an unknown email, a malformed one and a wrong password, as for the right one", async () => {
    const { email } = await registered("timing");
    const attempts: [string, string, string, number][] = [
      ["the right password", email, PASSWORD, 200],
      ["a wrong password", email, WRONG, 401],
      ["an unknown email", uniqueEmail("nobody"), PASSWORD, 401],
      ["a string that is not an email", "not-an-email", PASSWORD, 401],
    ];
    for (const [what, username, password, status] of attempts) {
      const res = await api(
        "/auth/login",
        form({ username, password }, { "cf-connecting-ip": uniqueIp() }),
      );
      // Development sets this header right after the argon2id verification, on every path that reaches it.
      expect(res.headers.get("server-timing"), what).toMatch(/^argon2id;dur=\d+$/);
      if (status === 200) expect(res.status).toBe(200);
      else expect((await expectProblem(res, status)).code, what).toBe("unauthorized");
    }
  });

  it("answers a taken email with one 409 that names no account, whatever the spelling, the password or the name", async () => {
    const { email, user_id } = await registered("taken", "Ada Obi");
    const answers = [];
    for (const body of [
      { email, password: PASSWORD },
      {
        email: `  ${email.toUpperCase()} `,
        password: "another password entirely",
        full_name: "Someone Else",
      },
    ]) {
      const res = await api("/auth/register", json(body, { "cf-connecting-ip": uniqueIp() }));
      const text = await res.clone().text();
      for (const secret of [user_id, "Ada Obi", "argon2", "created_at", "pending", "active"])
        expect(text, secret).not.toContain(secret);
      const { request_id: _id, ...rest } = await expectProblem(res, 409);
      answers.push(rest);
    }
    for (const a of answers) expect(a).toEqual({ ...answers[0] });
    expect(answers[0].code).toBe("email_taken");
  });

  it("has no password-reset or account-lookup route that could answer per email (a new one must bring its own enumeration test)", async () => {
    const unknown = await expectProblem(await api("/no-such-route", { method: "POST" }), 404);
    for (const path of [
      "/auth/password-reset",
      "/auth/forgot-password",
      "/auth/reset-password",
      "/auth/recover",
      "/auth/exists",
      "/auth/check-email",
      "/users/lookup",
    ]) {
      for (const method of ["GET", "POST"]) {
        const res = await api(path, {
          ...json({ email: uniqueEmail() }),
          method,
          ...(method === "GET" ? { body: undefined } : {}),
        });
        const problem = await expectProblem(res, 404);
        expect({ code: problem.code, title: problem.title }, `${method} ${path}`).toEqual({
          code: unknown.code,
          title: unknown.title,
        });
      }
    }
  });
});
