import { describe, expect, it } from "vitest";
import { newClient, origin } from "./helpers";

describe("accounts over real HTTP against `wrangler dev`", () => {
  // The seed's own clients post forms: kept as forms here, since that is what this test is about.
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
    // The form login's token works in the TypeScript client.
    const client = newClient();
    client.setToken(access_token);
    const me = await client.me();
    expect(client.lastStatus()).toBe(200);
    expect(me.email).toBe(email);
  });

  it("registers, logs in and reads /auth/me through the TypeScript client (JSON)", async () => {
    const client = newClient();
    const email = `e2e.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    const password = "correct horse battery";
    const user = await client.register({ email, password });
    expect(client.lastStatus()).toBe(201);
    expect(user.email).toBe(email);
    const token = await client.login(email, password);
    expect(client.lastStatus()).toBe(200);
    expect(token.token_type).toBe("bearer");
    const me = await client.me();
    expect(client.lastStatus()).toBe(200);
    expect(me.email).toBe(email);
  });
});
