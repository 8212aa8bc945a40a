import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Two projects:
 * - `workers`: the suite proper, inside workerd with the real bindings from
 *   wrangler.jsonc (Durable Objects, SQLite, queues, rate limits).
 * - `static`: Node tests over the source tree itself (module sizes, import
 *   circles).
 * - `e2e`: Node tests that start `wrangler dev` (the same thing `npm run dev`
 *   runs) and drive it over real HTTP: OpenAPI validation, flows end to end,
 *   Flutterwave's own SDK against the sandbox, a real browser.
 */
export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: {
                JWT_SECRET_KEY: "test-jwt-secret-key-that-is-long-enough-0123456789",
                FLUTTERWAVE_WEBHOOK_HASH: "test-webhook-hash-0123456789",
                ADMIN_API_TOKEN: "test-admin-token-that-is-long-enough-0123456789",
                // Links (checkout redirect, watch URL, 303 Location, OpenAPI servers) come from
                // configuration, never from the request's Host: the tests' origin is this one.
                APP_ADDRESS: "http://wallet.test/api/v1",
                // Short provider timeout so sandbox "hang" faults resolve quickly in tests.
                FLUTTERWAVE_TIMEOUT_MS: "1500",
                // Transfers settle when a test says so (control API or the alarm), not on a timer.
                SANDBOX_TRANSFER_DELAY_S: "3600",
              },
            },
          }),
        ],
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**", "test/static/**"], testTimeout: 30_000 },
      },
      {
        test: { name: "static", include: ["test/static/**/*.test.ts"], environment: "node" },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
