import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clientDelaySeconds } from "../../../src/durable/login-throttle/object";
import {
  LOGIN_CLIENT_DELAY_BASE_S,
  LOGIN_CLIENT_DELAY_MAX_S,
  LOGIN_CLIENT_FREE_FAILURES,
  LOGIN_EMAIL_FAILURE_WINDOW_S,
  LOGIN_EMAIL_FAILURES_MAX,
  LOGIN_FAILURE_MEMORY_S,
} from "../../../src/durable/login-throttle/limits";
import {
  EMAIL_MAX_CHARS,
  PASSWORD_MAX_CHARS,
  REQUEST_BODY_MAX_BYTES,
} from "../../../src/lib/limits";
import {
  api,
  env,
  expectProblem,
  form,
  json,
  PASSWORD,
  registerAndLogin,
  uniqueEmail,
  uniqueIp,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";

describe("registration", () => {
  it("creates a user from the seed's form and initialises an empty NGN wallet", async () => {
    const email = uniqueEmail();
    const res = await api(
      "/auth/register",
      form({ email, password: PASSWORD, full_name: "Ada Obi" }),
    );
    expect(res.status).toBe(201);
    const user = (await res.json()) as { id: string; email: string; full_name: string };
    expect(user).toMatchObject({ email, full_name: "Ada Obi" });
    expect(user.id).toMatch(/^usr[0-9a-z]{16}$/);
    const account = await env.CREDENTIALS.getByName(email).lookup();
    expect(account?.state).toBe("active");
    expect(account?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await env.WALLET.getByName(user.id).profile()).toMatchObject({
      user_id: user.id,
      email,
    });
  });

  it("accepts JSON and normalises the email (trimmed, lower-cased)", async () => {
    const email = uniqueEmail();
    const res = await api(
      "/auth/register",
      json({ email: `  ${email.toUpperCase()}\t`, password: PASSWORD }),
    );
    expect(res.status).toBe(201);
    expect(((await res.json()) as { email: string }).email).toBe(email);
  });

  it("refuses a taken email whatever its case, with 409 problem+json", async () => {
    const email = uniqueEmail();
    expect((await api("/auth/register", json({ email, password: PASSWORD }))).status).toBe(201);
    const again = await api(
      "/auth/register",
      json({ email: email.toUpperCase(), password: "another password" }),
    );
    expect((await expectProblem(again, 409)).code).toBe("email_taken");
  });

  it("gives exactly one 201 and nineteen 409s to 20 simultaneous registrations of one email", async () => {
    const email = uniqueEmail("race");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api("/auth/register", json({ email, password: PASSWORD }))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = responses.find((r) => r.status === 201)!;
    const user = (await winner.json()) as { id: string };
    expect((await env.CREDENTIALS.getByName(email).lookup())?.user_id).toBe(user.id);
    // Twenty password hashes at once are seconds of CPU, more on a loaded machine.
  }, 90_000);

  it("lets a retry with the same password finish a registration that died after claiming the email", async () => {
    const email = uniqueEmail("halfdone");
    const credentials = env.CREDENTIALS.getByName(email);
    // Step 1 of a registration that then crashed: the claim exists, the wallet does not.
    const { hashPassword } = await import("../../../src/lib/password");
    const claim = await credentials.claim({
      email,
      user_id: "usr000000000000000a",
      password_hash: hashPassword(PASSWORD),
    });
    expect(claim.outcome).toBe("claimed");
    // While the lease runs, a second attempt is a conflict.
    await expectProblem(await api("/auth/register", json({ email, password: PASSWORD })), 409);
    // Let the lease pass (as if 30 s went by).
    await runInDurableObject(credentials, (_instance, state) => {
      state.storage.sql.exec("UPDATE account SET lease_until_ms = 0");
    });
    // A different password cannot take the registration over.
    await expectProblem(
      await api("/auth/register", json({ email, password: "someone else entirely" })),
      409,
    );
    const resumed = await api("/auth/register", json({ email, password: PASSWORD }));
    expect(resumed.status).toBe(201);
    expect(((await resumed.json()) as { id: string }).id).toBe("usr000000000000000a");
    expect((await credentials.lookup())?.state).toBe("active");
  });

  describe("refuses malformed input with problem+json and stores nothing", () => {
    const cases: [string, () => { init: RequestInit; email: string }, number][] = [
      [
        "invalid JSON",
        () => ({
          email: uniqueEmail(),
          init: {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: '{"email": "a@b.co", "password": ',
          },
        }),
        400,
      ],
      [
        "a text/plain body",
        () => {
          const email = uniqueEmail();
          return {
            email,
            init: {
              method: "POST",
              headers: { "content-type": "text/plain" },
              body: `email=${email}&password=${PASSWORD}`,
            },
          };
        },
        415,
      ],
      [
        "no content type and no body",
        () => ({ email: uniqueEmail(), init: { method: "POST" } }),
        415,
      ],
      [
        "a missing password",
        () => {
          const email = uniqueEmail();
          return { email, init: json({ email }) };
        },
        422,
      ],
      [
        "a missing email",
        () => ({ email: uniqueEmail(), init: json({ password: PASSWORD }) }),
        422,
      ],
      [
        "an extra field",
        () => {
          const email = uniqueEmail();
          return { email, init: json({ email, password: PASSWORD, is_admin: true }) };
        },
        422,
      ],
      [
        "a wrong type",
        () => {
          const email = uniqueEmail();
          return { email, init: json({ email, password: 12345678 }) };
        },
        422,
      ],
      ["a JSON array", () => ({ email: uniqueEmail(), init: json([1, 2]) }), 422],
      [
        "a short password",
        () => {
          const email = uniqueEmail();
          return { email, init: json({ email, password: "short" }) };
        },
        422,
      ],
      [
        "a password over the limit",
        () => {
          const email = uniqueEmail();
          return { email, init: json({ email, password: "x".repeat(PASSWORD_MAX_CHARS + 1) }) };
        },
        422,
      ],
      [
        "an email over the limit",
        () => {
          const email = `${"a".repeat(EMAIL_MAX_CHARS)}@example.com`;
          return { email, init: json({ email, password: PASSWORD }) };
        },
        422,
      ],
      [
        "a body over the size limit",
        () => {
          const email = uniqueEmail();
          return {
            email,
            init: json({
              email,
              password: PASSWORD,
              full_name: "a".repeat(REQUEST_BODY_MAX_BYTES),
            }),
          };
        },
        413,
      ],
    ];
    for (const [name, build, status] of cases) {
      it(`${name} -> ${status}`, async () => {
        const { init, email } = build();
        const headers = new Headers(init.headers);
        headers.set("cf-connecting-ip", uniqueIp());
        const problem = await expectProblem(
          await api("/auth/register", { ...init, headers }),
          status,
        );
        if (status === 422) expect(problem.errors?.length).toBeGreaterThan(0);
        expect(await env.CREDENTIALS.getByName(email.trim().toLowerCase()).lookup()).toBeNull();
      });
    }

    const oddEmails: [string, string][] = [
      ["inner whitespace", "ada obi@example.com"],
      ["a zero-width space", "ada\u200b@example.com"],
      ["a Cyrillic look-alike letter", "\u0430da@example.com"],
      ["a non-breaking space inside", "ada\u00a0obi@example.com"],
      ["a right-to-left override", "\u202eada@example.com"],
      ["a NUL character", "ada\u0000@example.com"],
      ["no domain dot", "ada@localhost"],
      ["two at signs", "ada@@example.com"],
      ["only whitespace", " \t "],
    ];
    for (const [name, email] of oddEmails) {
      it(`an email with ${name} -> 422`, async () => {
        const problem = await expectProblem(
          await api("/auth/register", json({ email, password: PASSWORD })),
          422,
        );
        expect(problem.errors?.[0].path).toBe("email");
        expect(await env.CREDENTIALS.getByName(email.trim().toLowerCase()).lookup()).toBeNull();
      });
    }

    it("a streamed body over the limit without Content-Length -> 413", async () => {
      const chunk = new TextEncoder().encode("a".repeat(4096));
      let sent = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (sent > REQUEST_BODY_MAX_BYTES * 2) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const res = await api("/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      await expectProblem(res, 413);
    });
  });
});

describe("login", () => {
  it("follows the OAuth2 password form and returns a bearer token", async () => {
    const email = uniqueEmail();
    await api("/auth/register", json({ email, password: PASSWORD }));
    const res = await api(
      "/auth/login",
      form({ username: email, password: PASSWORD, grant_type: "password" }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const token = (await res.json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect(token.token_type).toBe("bearer");
    expect(token.expires_in).toBe(30 * 60);
    expect(token.access_token.split(".")).toHaveLength(3);
  });

  it("accepts JSON with `email` or `username`", async () => {
    const email = uniqueEmail();
    await api("/auth/register", json({ email, password: PASSWORD }));
    expect((await api("/auth/login", json({ email, password: PASSWORD }))).status).toBe(200);
    expect(
      (await api("/auth/login", json({ username: email.toUpperCase(), password: PASSWORD })))
        .status,
    ).toBe(200);
  });

  it("answers an unknown email and a wrong password with the same 401", async () => {
    const email = uniqueEmail();
    await api("/auth/register", json({ email, password: PASSWORD }));
    const wrong = await api("/auth/login", form({ username: email, password: "not the password" }));
    const unknown = await api(
      "/auth/login",
      form({ username: uniqueEmail("nobody"), password: PASSWORD }),
    );
    const malformed = await api(
      "/auth/login",
      form({ username: "not-an-email", password: PASSWORD }),
    );
    const bodies = [];
    for (const res of [wrong, unknown, malformed]) {
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      const { request_id: _id, ...rest } = await expectProblem(res, 401);
      bodies.push(rest);
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it("stores nothing for an unknown email: its Credentials object stays without tables", async () => {
    const email = uniqueEmail("nobody");
    await expectProblem(
      await api("/auth/login", form({ username: email, password: PASSWORD })),
      401,
    );
    expect(await env.CREDENTIALS.getByName(email).lookup()).toBeNull();
    const tables = await runInDurableObject(env.CREDENTIALS.getByName(email), (_instance, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray(),
    );
    expect(tables).toEqual([]);
    // The same object still registers normally afterwards.
    expect((await api("/auth/register", json({ email, password: PASSWORD }))).status).toBe(201);
    expect((await api("/auth/login", form({ username: email, password: PASSWORD }))).status).toBe(
      200,
    );
  });

  it("re-hashes a password stored with weaker argon2id parameters on the next successful login", async () => {
    const email = uniqueEmail("rehash");
    const { hashPassword } = await import("../../../src/lib/password");
    const { newUserId } = await import("../../../src/lib/ids");
    const user_id = newUserId();
    const weak = hashPassword(PASSWORD, { m_kib: 8192, t: 1, p: 1 });
    const credentials = env.CREDENTIALS.getByName(email);
    await credentials.claim({ email, user_id, password_hash: weak });
    await env.WALLET.getByName(user_id).init({ user_id, email, full_name: null, currency: "NGN" });
    await credentials.activate(user_id);
    expect((await api("/auth/login", form({ username: email, password: PASSWORD }))).status).toBe(
      200,
    );
    const upgraded = (await credentials.lookup())!.password_hash;
    expect(upgraded).not.toBe(weak);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // A wrong password never triggers a re-hash.
    expect(
      (await api("/auth/login", form({ username: email, password: "wrong password" }))).status,
    ).toBe(401);
    expect((await credentials.lookup())!.password_hash).toBe(upgraded);
  });

  it("does not let an unfinished (pending) registration log in", async () => {
    const email = uniqueEmail("pending");
    const { hashPassword } = await import("../../../src/lib/password");
    await env.CREDENTIALS.getByName(email).claim({
      email,
      user_id: "usr000000000000000b",
      password_hash: hashPassword(PASSWORD),
    });
    await expectProblem(
      await api("/auth/login", form({ username: email, password: PASSWORD })),
      401,
    );
  });

  it(
    "rate-limits attempts per client IP across different emails",
    async () => {
      const ip = uniqueIp();
      const statuses: number[] = [];
      await withinOneRateWindow(15_000);
      for (let i = 0; i < 22; i++) {
        const res = await api(
          "/auth/login",
          form({ username: uniqueEmail("spray"), password: PASSWORD }, { "cf-connecting-ip": ip }),
        );
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      // The development limit is 20 per minute per IP.
      expect(statuses.filter((s) => s === 401)).toHaveLength(20);
      expect(statuses.slice(20)).toEqual([429, 429]);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );

  it(
    "rate-limits registrations per email, from any address",
    async () => {
      const email = uniqueEmail("regmail");
      await withinOneRateWindow(20_000);
      const statuses: number[] = [];
      // The development limit is 25 per minute per email.
      for (let i = 0; i < 27; i++) {
        const res = await api("/auth/register", json({ email, password: PASSWORD }));
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses[0]).toBe(201);
      expect(statuses.slice(1, 25).every((s) => s === 409)).toBe(true);
      expect(statuses.slice(25)).toEqual([429, 429]);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );

  it(
    "rate-limits registrations per client IP",
    async () => {
      const ip = uniqueIp();
      const statuses: number[] = [];
      await withinOneRateWindow(5_000);
      for (let i = 0; i < 21; i++) {
        // Invalid passwords keep this cheap: the limit is counted before any hashing.
        const res = await api(
          "/auth/register",
          json({ email: uniqueEmail("reg"), password: "short" }, { "cf-connecting-ip": ip }),
        );
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.filter((s) => s === 422)).toHaveLength(20);
      expect(statuses[20]).toBe(429);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );
});

describe("login throttling: per (email, client address), never a lock-out of someone else", () => {
  const wrong = "not the password";
  const login = (email: string, password: string, ip: string) =>
    api("/auth/login", form({ username: email, password }, { "cf-connecting-ip": ip }));
  async function statusOf(res: Response): Promise<number> {
    await res.arrayBuffer();
    return res.status;
  }
  /** Move a client's failure record (and its ceiling rows) back in time, as if `ms` had passed. */
  async function letTimePass(email: string, ms: number) {
    await runInDurableObject(env.LOGIN_THROTTLE.getByName(email), (_instance, state) => {
      state.storage.sql.exec("UPDATE clients SET last_failure_at_ms = last_failure_at_ms - ?", ms);
      state.storage.sql.exec("UPDATE failures SET at_ms = at_ms - ?", ms);
    });
  }
  /**
   * Retry-After counts down from the failure that set the delay: it is the
   * whole delay when the refusal follows at once, and on a loaded machine a
   * second or two less. Bounded by what elapsed since before that failure's request.
   */
  function expectRetryAfter(res: Response, delay_s: number, failure_sent_at_ms: number) {
    const said = Number(res.headers.get("retry-after"));
    const elapsed_s = (Date.now() - failure_sent_at_ms) / 1000;
    expect(Number.isInteger(said), `retry-after ${said}`).toBe(true);
    expect(said).toBeLessThanOrEqual(delay_s);
    expect(said).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(delay_s - elapsed_s)));
  }
  async function registered(tag: string) {
    const email = uniqueEmail(tag);
    expect((await api("/auth/register", json({ email, password: PASSWORD }))).status).toBe(201);
    return email;
  }

  it("wrong passwords from several addresses do not refuse the owner's right one", async () => {
    const email = await registered("target");
    const attackers = [uniqueIp(), uniqueIp(), uniqueIp(), uniqueIp()];
    for (const ip of attackers) {
      const statuses: number[] = [];
      for (let i = 0; i < LOGIN_CLIENT_FREE_FAILURES + 2; i++)
        statuses.push(await statusOf(await login(email, wrong, ip)));
      expect(statuses).toEqual([...Array(LOGIN_CLIENT_FREE_FAILURES).fill(401), 429, 429]);
    }
    // The owner, from an address that has never logged in before, is not refused.
    expect((await login(email, PASSWORD, uniqueIp())).status).toBe(200);
  });

  it("gives one client progressive delays with Retry-After, refusing even its right password while it waits", async () => {
    const email = await registered("slow");
    const ip = uniqueIp();
    let last_failure_sent_at_ms = 0;
    for (let i = 0; i < LOGIN_CLIENT_FREE_FAILURES; i++) {
      last_failure_sent_at_ms = Date.now();
      expect(await statusOf(await login(email, wrong, ip))).toBe(401);
    }
    let delay_s = clientDelaySeconds(LOGIN_CLIENT_FREE_FAILURES);
    expect(delay_s).toBe(LOGIN_CLIENT_DELAY_BASE_S);
    // While it waits, even the right password is refused before it is checked: the 429 is no oracle.
    const refused = await login(email, PASSWORD, ip);
    expectRetryAfter(refused, delay_s, last_failure_sent_at_ms);
    expect((await expectProblem(refused, 429)).code).toBe("rate_limited");
    for (let round = 0; round < 3; round++) {
      await letTimePass(email, delay_s * 1000);
      const failure_sent_at_ms = Date.now();
      expect(await statusOf(await login(email, wrong, ip))).toBe(401);
      const next_delay_s = delay_s * 2;
      const limited = await login(email, wrong, ip);
      expect(limited.status).toBe(429);
      expectRetryAfter(limited, next_delay_s, failure_sent_at_ms);
      await limited.arrayBuffer();
      delay_s = next_delay_s;
    }
    // Another client is unaffected throughout.
    expect((await login(email, PASSWORD, uniqueIp())).status).toBe(200);
    // Once the wait is over the right password works, and it clears the client's record.
    await letTimePass(email, delay_s * 1000);
    expect((await login(email, PASSWORD, ip)).status).toBe(200);
    expect(await statusOf(await login(email, wrong, ip))).toBe(401);
    expect(await statusOf(await login(email, wrong, ip))).toBe(401);
  });

  it("caps the delay at LOGIN_CLIENT_DELAY_MAX_S", () => {
    expect(clientDelaySeconds(LOGIN_CLIENT_FREE_FAILURES - 1)).toBe(0);
    expect(clientDelaySeconds(LOGIN_CLIENT_FREE_FAILURES + 1)).toBe(LOGIN_CLIENT_DELAY_BASE_S * 2);
    expect(clientDelaySeconds(LOGIN_CLIENT_FREE_FAILURES + 1000)).toBe(LOGIN_CLIENT_DELAY_MAX_S);
  });

  it("throttles an unknown email exactly like a registered one, so a 429 reveals nothing", async () => {
    const answers = async (email: string) => {
      const ip = uniqueIp();
      const seen: unknown[] = [];
      for (let i = 0; i < LOGIN_CLIENT_FREE_FAILURES + 1; i++) {
        const res = await login(email, wrong, ip);
        const { request_id: _id, ...problem } = await expectProblem(res, res.status);
        seen.push({ status: res.status, retry_after: res.headers.get("retry-after"), problem });
      }
      return seen;
    };
    expect(await answers(uniqueEmail("nobody"))).toEqual(
      await answers(await registered("somebody")),
    );
  });

  it("counts only failures towards the per-email ceiling, then refuses new addresses but never known ones", async () => {
    const email = await registered("ceiling");
    const owner = uniqueIp();
    for (let i = 0; i < 3; i++) expect((await login(email, PASSWORD, owner)).status).toBe(200);
    const throttle = env.LOGIN_THROTTLE.getByName(email);
    const failureRows = () =>
      runInDurableObject(
        throttle,
        (_i, state) =>
          state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM failures").one().n,
      );
    expect(await failureRows()).toBe(0);
    // Failures from many addresses within the window, one short of the ceiling...
    await runInDurableObject(throttle, (_i, state) => {
      for (let i = 0; i < LOGIN_EMAIL_FAILURES_MAX - 1; i++)
        state.storage.sql.exec(
          "INSERT INTO failures (client, at_ms) VALUES (?, ?)",
          `10.99.0.${i}`,
          Date.now(),
        );
    });
    // ... and one more, answered 401 like any failure.
    expect(await statusOf(await login(email, wrong, uniqueIp()))).toBe(401);
    // Now a new address is refused before its password is checked, even the right one ...
    const refused = await login(email, PASSWORD, uniqueIp());
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(
      LOGIN_EMAIL_FAILURE_WINDOW_S - 60,
    );
    expect((await expectProblem(refused, 429)).code).toBe("rate_limited");
    // ... while the owner's known address still logs in.
    expect((await login(email, PASSWORD, owner)).status).toBe(200);
    // The window passing lifts the ceiling.
    await letTimePass(email, LOGIN_EMAIL_FAILURE_WINDOW_S * 1000);
    expect((await login(email, PASSWORD, uniqueIp())).status).toBe(200);
  });

  it("keeps an unknown email's failure record only until it expires, then no storage at all", async () => {
    const email = uniqueEmail("ghost");
    expect(await statusOf(await login(email, wrong, uniqueIp()))).toBe(401);
    const throttle = env.LOGIN_THROTTLE.getByName(email);
    const tables = () =>
      runInDurableObject(
        throttle,
        (_i, state) =>
          state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()
            .length,
      );
    expect(await tables()).toBeGreaterThan(0);
    await letTimePass(email, Math.max(LOGIN_FAILURE_MEMORY_S, LOGIN_EMAIL_FAILURE_WINDOW_S) * 1000);
    expect(await runDurableObjectAlarm(throttle)).toBe(true);
    expect(await tables()).toBe(0);
  });
});

describe("GET /auth/me", () => {
  it("returns the current user for a valid bearer token", async () => {
    const { email, user_id, auth } = await registerAndLogin();
    const res = await api("/auth/me", { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toMatchObject({ id: user_id, email });
  });
});
