/** Helpers for the Node end-to-end tests that drive `wrangler dev` over HTTP. */
import { inject } from "vitest";

export const origin = inject("origin");
export const api = `${origin}/api/v1`;

/** Read until `done` says so or the time is up; returns the last value read. */
export async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeout_ms = 20_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Register a fresh user with the seed's form and log in with the OAuth2 form. */
export async function registeredUser(tag: string) {
  const email = `e2e.${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  const registered = await fetch(`${api}/auth/register`, { method: "POST", body: new URLSearchParams({ email, password }) });
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
  const login = await fetch(`${api}/auth/login`, { method: "POST", body: new URLSearchParams({ username: email, password }) });
  const { access_token } = (await login.json()) as { access_token: string };
  return { email, password, auth: { authorization: `Bearer ${access_token}` } };
}
