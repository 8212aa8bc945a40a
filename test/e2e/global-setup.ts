import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with the benchmark scripts
import { startDevServer } from "../../scripts/dev-server.mjs";

export const E2E_ADMIN_TOKEN = "e2e-admin-token-that-is-long-enough-0123456789";
/** The Flutterwave key the dev server (and so its sandbox) uses, for Flutterwave's own SDK in e2e tests. */
export const E2E_FLUTTERWAVE_SECRET_KEY = "FLWSECK_TEST-e2e0000000000000000000000000000000-X";

declare module "vitest" {
  export interface ProvidedContext {
    origin: string;
  }
}

let server: { origin: string; stop: () => Promise<void> } | undefined;

export async function setup(project: TestProject) {
  const started = await startDevServer({
    vars: {
      ADMIN_API_TOKEN: E2E_ADMIN_TOKEN,
      FLUTTERWAVE_SECRET_KEY: E2E_FLUTTERWAVE_SECRET_KEY,
      SANDBOX_TRANSFER_DELAY_S: "1",
      // Long enough for the other tests' withdrawals (settled in 1 s), short enough that the
      // console's walk (test/e2e/console.test.ts) sees its stuck withdrawal escalated soon.
      HELD_PAYMENT_DEADLINE_S: "8",
    },
  });
  server = started;
  project.provide("origin", started.origin);
}

export async function teardown() {
  await server?.stop();
}
