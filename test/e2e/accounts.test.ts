import { describe, expect, inject, it } from "vitest";

const origin = inject("origin");

describe("accounts over real HTTP against `wrangler dev`", () => {
  it("registers with the seed's form, logs in with the OAuth2 form and reads /auth/me", async () => {
    const email = `e2e.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    const password = "correct horse battery";
    const registered = await fetch(`${origin}/api/v1/auth/register`, {
      method: "POST",
      body: new URLSearchParams({ email, password }),
    });
    expect(registered.status).toBe(201);
    const login = await fetch(`${origin}/api/v1/auth/login`, {
      method: "POST",
      body: new URLSearchParams({ username: email, password, grant_type: "password" }),
    });
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${origin}/api/v1/auth/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(email);
  });
});
