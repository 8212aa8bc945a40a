import { describe, expect, it } from "vitest";
import {
  ARGON2_BUSY_RETRY_AFTER_S,
  ARGON2_CONCURRENT_MAX,
  ARGON2_WAITERS_MAX,
} from "../../../src/lib/limits";
import {
  api,
  expectProblem,
  form,
  json,
  PASSWORD,
  uniqueEmail,
  uniqueIp,
} from "../../support/helpers";

/**
 * A burst of concurrent logins in one isolate: argon2id holds 19 MiB per hash
 * against 128 MB, so at most ARGON2_CONCURRENT_MAX hash at once, at most
 * ARGON2_WAITERS_MAX wait their turn, and the rest are told to come back
 * (src/lib/password.ts). Every request is answered; none is lost.
 */
const USERS = 4;
const BURST = ARGON2_CONCURRENT_MAX + ARGON2_WAITERS_MAX + 16;

async function login(email: string): Promise<Response> {
  return api(
    "/auth/login",
    form({ username: email, password: PASSWORD }, { "cf-connecting-ip": uniqueIp() }),
  );
}

describe("login bursts are bounded per isolate", () => {
  it("answers a burst past the slots and their queue with 200s and 503 + Retry-After, and every 503 succeeds on retry", {
    timeout: 120_000,
  }, async () => {
    const emails: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = uniqueEmail("burst");
      const res = await api(
        "/auth/register",
        json({ email, password: PASSWORD }, { "cf-connecting-ip": uniqueIp() }),
      );
      expect(res.status).toBe(201);
      await res.arrayBuffer();
      emails.push(email);
    }

    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => login(emails[i % USERS])),
    );
    expect(answers).toHaveLength(BURST);
    const ok = answers.filter((r) => r.status === 200);
    const busy = answers.filter((r) => r.status === 503);
    // Nothing but the two answers: no 500, no dropped connection, no 401 for a right password.
    expect(ok.length + busy.length).toBe(BURST);
    // The queue was full when the first 503 was given, and everyone inside it was served.
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThanOrEqual(ARGON2_CONCURRENT_MAX + ARGON2_WAITERS_MAX);
    for (const res of ok)
      expect(((await res.json()) as { access_token: string }).access_token).toBeTruthy();
    for (const res of busy) {
      expect(res.headers.get("retry-after")).toBe(String(ARGON2_BUSY_RETRY_AFTER_S));
      expect((await expectProblem(res, 503)).code).toBe("hashing_busy");
    }

    // As a client honouring Retry-After would: each refused login comes back and succeeds.
    // Refused before the throttle began an attempt, a 503 never counted as a failure.
    await new Promise((resolve) => setTimeout(resolve, ARGON2_BUSY_RETRY_AFTER_S * 1000));
    const retried = await Promise.all(busy.map((_, i) => login(emails[i % USERS])));
    for (const res of retried) {
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("lets 20 simultaneous logins through the queue: all answered 200", {
    timeout: 60_000,
  }, async () => {
    const email = uniqueEmail("burst20");
    const res = await api(
      "/auth/register",
      json({ email, password: PASSWORD }, { "cf-connecting-ip": uniqueIp() }),
    );
    expect(res.status).toBe(201);
    await res.arrayBuffer();
    expect(20).toBeLessThanOrEqual(ARGON2_CONCURRENT_MAX + ARGON2_WAITERS_MAX);
    const answers = await Promise.all(Array.from({ length: 20 }, () => login(email)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const r of answers) await r.arrayBuffer();
  });
});
