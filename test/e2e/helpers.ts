/** Helpers for the Node end-to-end tests that drive `wrangler dev` over HTTP. */
import { expect, inject } from "vitest";
import WebSocket from "ws";
import {
  createWalletClient,
  type StatusFrame,
  type WebSocketConstructor,
} from "../../clients/typescript/src";

export const origin = inject("origin");
export const api = `${origin}/api/v1`;

/** Read until `done` says so or the time is up; returns the last value read. */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeout_ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The TypeScript client (clients/typescript) against this run's `wrangler dev`,
 * with `lastStatus()`: the HTTP status of the last answer it received. The
 * helpers return data, not responses, and the tests still assert on the
 * status each call answers with (201 for a funding, 202 for a withdrawal...).
 */
export function newClient() {
  let last: number | null = null;
  const client = createWalletClient({
    baseUrl: origin,
    // Node 20 has no global WebSocket: the `ws` package's has the same interface.
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    fetch: async (request) => {
      const response = await fetch(request);
      last = response.status;
      return response;
    },
  });
  return Object.assign(client, { lastStatus: () => last });
}

/** Every frame `watch()` yields, until the terminal one. */
export async function collect(frames: AsyncIterable<StatusFrame>): Promise<StatusFrame[]> {
  const seen: StatusFrame[] = [];
  for await (const frame of frames) seen.push(frame);
  return seen;
}

/** A fresh user, registered and logged in through the client. */
export async function registeredUser(tag: string) {
  const client = newClient();
  const email = `e2e.${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  await client.register({ email, password });
  if (client.lastStatus() !== 201) throw new Error(`register: ${client.lastStatus()}`);
  await client.login(email, password);
  return { email, password, client, auth: { authorization: `Bearer ${client.token}` } };
}

/**
 * Fund `amount_minor` through the Flutterwave look-alike's hosted checkout,
 * paid in full, and wait until the wallet's balance is exactly that.
 */
export async function fundThroughCheckout(
  client: ReturnType<typeof newClient>,
  amount_minor: number,
) {
  const funding = await client.fund({ amount: (amount_minor / 100).toFixed(2) });
  expect(client.lastStatus(), JSON.stringify(funding)).toBe(201);
  const paid = await fetch(funding.payment_link!, {
    method: "POST",
    body: new URLSearchParams({ outcome: "full" }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  const wallet = await poll(
    () => client.wallet(),
    (w) => w.balance_minor === amount_minor,
  );
  expect(wallet.balance_minor).toBe(amount_minor);
  return wallet;
}
