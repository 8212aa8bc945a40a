import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { builtinModules } from "node:module";
import { defineConfig } from "vitest/config";

/**
 * Dependencies Vite pre-bundles, one ESM file each, for the workers projects.
 *
 * Each test file runs in a fresh runtime that loads its modules one by one
 * from Vite; zod, @hono/zod-openapi and pdf-lib alone are hundreds of files.
 * Pre-bundled, six files that import the Worker loaded in 28.7 s instead of
 * 39.8 s (measured side by side). Every subpath our code or the JSX transform
 * imports is listed, so no library is loaded twice (once bundled, once not).
 *
 * The mongodb driver must be pre-bundled anyway: it is CommonJS, and loaded
 * file by file through the Workers pool's module fallback (0.15.1), its
 * `require("bson")` from lib/bson.js resolves to that same file (the fallback
 * tries `<dir>/bson.js` first) and recurses forever. Bundled as wrangler's
 * build does for production: Node built-ins stay external and are reached
 * through `createRequire` (node:module, which nodejs_compat provides), except
 * `process`, which that require() cannot load in this runner; the driver gets
 * the global `process`, the same object under nodejs_compat.
 */
const PROCESS_GLOBAL = "\0process-global";
/** FUND_USER_LIMITER in the workers projects (test/routes/wallet/fund-limit.test.ts names the same number). */
const TEST_FUND_USER_LIMIT = 120;
const prebundled = {
  enabled: true,
  include: [
    "mongodb",
    "zod",
    "hono",
    "hono/cookie",
    "hono/cors",
    "hono/html",
    "hono/http-exception",
    "hono/jsx",
    "hono/jsx/jsx-runtime",
    "hono/jsx/jsx-dev-runtime",
    "hono/method-not-allowed",
    "hono/secure-headers",
    "hono/utils/http-status",
    "@hono/zod-openapi",
    "@hono/zod-validator",
    "jose",
    "pdf-lib",
    "@noble/hashes/argon2.js",
    "@noble/hashes/hmac.js",
    "@noble/hashes/sha2.js",
    "fast-check",
  ],
  rolldownOptions: {
    platform: "node" as const,
    external: [
      /^node:(?!process$)/,
      ...(builtinModules as string[]).filter((name) => name !== "process"),
    ],
    plugins: [
      {
        name: "process-global",
        resolveId: (id: string) =>
          id === "process" || id === "node:process" ? PROCESS_GLOBAL : null,
        load: (id: string) =>
          id === PROCESS_GLOBAL ? "module.exports = globalThis.process;" : null,
      },
    ],
  },
};

/**
 * Projects:
 * - `workers`: the suite proper, inside workerd with the real bindings from
 *   wrangler.jsonc (Durable Objects, SQLite, queues, rate limits), and the
 *   MongoDB projection writing to the wire test double.
 * - `ledger`: the Wallet's property tests, the same way but with the
 *   projection off (LEDGER_PROPERTY_TESTS says why).
 * - `unit`: the pure tests (domain rules, leaf helpers) in Node.
 * - `static`: Node tests over the source tree itself (module sizes, import
 *   circles).
 * - `client`: Node unit tests of the TypeScript client (clients/typescript).
 * - `e2e`: Node tests that start `wrangler dev` (the same thing `npm run dev`
 *   runs) and drive it over real HTTP: OpenAPI validation, flows end to end,
 *   Flutterwave's own SDK against the sandbox, a real browser.
 */
/** The provider clients' timeout in the in-process projects: a "hang" fault costs this much. */
const PROVIDER_TIMEOUT_MS = 1_500;

/**
 * A project inside workerd with the real bindings from wrangler.jsonc. With
 * `mongo`, the MongoDB projection writes to the wire test double on loopback
 * (or to MONGODB_TEST_URI), which the global setup starts.
 */
function workersProject(options: {
  name: string;
  include: string[];
  exclude: string[];
  mongo: boolean;
  /** Run in the later group (beside e2e, whose server has its own storage), so no other file shares this project's objects. */
  quiet?: boolean;
  /**
   * The Flutterwave and VTpass clients' timeout. Short by default, so a "hang"
   * fault resolves in seconds; a project that runs beside the browser tests
   * needs more room, since an answer the look-alike gives in milliseconds can
   * wait over a second for the CPU there.
   */
  providerTimeoutMs?: number;
}) {
  const providerTimeout = String(options.providerTimeoutMs ?? PROVIDER_TIMEOUT_MS);
  return {
    plugins: [
      // A function, so the bindings can use what the global setup provided
      // (the MongoDB test double's URI, chosen when it starts on port 0).
      cloudflareTest(({ inject }) => ({
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
            FLUTTERWAVE_TIMEOUT_MS: providerTimeout,
            // The VTpass look-alike's "timeout" number holds its answer for a minute; the client gives up first.
            VTPASS_TIMEOUT_MS: providerTimeout,
            // The BVN/NIN keyed hash's key: random hex, strong enough that the production-config
            // tests which start from these bindings accept it. The look-alike's "slow" number outlasts the timeout.
            IDENTITY_HASH_KEY: "5f0c9a3e7b21d84c6e0a9f17b3d52c48e1a7096d3b8f2c5e",
            IDENTITY_TIMEOUT_MS: "1500",
            // Transfers settle when a test says so (control API or the alarm), not on a timer.
            SANDBOX_TRANSFER_DELAY_S: "3600",
            // The production default (FUND_PENDING_MAX_DEFAULT), not development's benchmark-sized one.
            FUND_PENDING_MAX: "10",
            WS_SOCKETS_PER_USER_MAX: "20",
            WS_SOCKETS_PER_ADDRESS_MAX: "200",
            // Short timeouts so outage tests answer in seconds.
            ...(options.mongo
              ? {
                  MONGODB_URI: inject("mongoUri"),
                  MONGO_SERVER_SELECTION_TIMEOUT_MS: "1500",
                  MONGO_BATCH_TIMEOUT_MS: "4000",
                }
              : {}),
            // The HTTP model's pending VTpass numbers stay pending until its own command settles
            // them: the look-alike's 20 s delivery timer is set past any sequence (src/sandbox/vtpass/object.ts).
            ...(options.name === "proofs" ? { SANDBOX_VTPASS_PENDING_DELIVER_S: "3600" } : {}),
            // `npm run test:soak` sets SOAK=1: the property tests run their long, seeded form.
            SOAK: process.env.SOAK === "1" ? "1" : "0",
            // scripts/model-soak.mjs: the model test's seed and sequence count for one shard.
            MODEL_SEED: process.env.MODEL_SEED ?? "",
            MODEL_SEQUENCES: process.env.MODEL_SEQUENCES ?? "",
          },
          // wrangler.jsonc's development limit is production's 10 a minute; the
          // suite opens more than FUND_PENDING_MAX fundings on one wallet within a
          // minute to reach that bound, so this one limiter is raised here
          // (merged by binding name over wrangler.jsonc's list).
          ratelimits: {
            FUND_USER_LIMITER: { simple: { limit: TEST_FUND_USER_LIMIT, period: 60 } },
          },
        },
      })),
    ],
    test: {
      name: options.name,
      include: options.include,
      exclude: options.exclude,
      ...(options.quiet ? QUIET_GROUP : IN_PROCESS_GROUP),
      ...EVERY_TEST_ASSERTS,
      testTimeout: 30_000,
      ...(options.mongo ? { globalSetup: ["test/support/mongo-double/global-setup.mjs"] } : {}),
      deps: { optimizer: { ssr: prebundled } },
    },
  };
}

/**
 * The ledger's property tests drive one Wallet object step by step and run
 * its alarm themselves (runDurableObjectAlarm). With the projection on, its
 * background drain re-arms the alarm when it ends, and the runtime may then
 * run that alarm on its own between two steps, which the model cannot see.
 * They prove the ledger's invariants, and the projection is never on the
 * money path (its own tests prove it), so they run with the projection off.
 */
const LEDGER_PROPERTY_TESTS = [
  "test/durable/wallet/property.test.ts",
  "test/durable/wallet/time-property.test.ts",
];

/**
 * The proofs over the whole API (test/proofs): the model-based HTTP test and
 * the schema-driven fuzzer. Their own project, so `npm run test:soak` can run
 * their long, seeded forms (SOAK=1) without the rest of the suite.
 */
const API_PROOFS = ["test/proofs/**/*.test.ts"];

/**
 * Tests of the deployment-wide operator counters (one Operations index for
 * every wallet). They compare totals before and after an action, so no other
 * file may move those totals meanwhile: their own project (its own objects),
 * run in the later group, beside the e2e files, whose server keeps its own storage.
 */
const DEPLOYMENT_TOTALS_TESTS = ["test/routes/admin/operator.test.ts"];

/**
 * Pure tests: the domain's rules and the leaf helpers that need no runtime.
 * They run in Node, where a file starts in milliseconds instead of booting
 * workerd with every binding; a test that needs a binding belongs elsewhere.
 */
const PURE_TESTS = [
  "test/domain/**/*.test.ts",
  "test/lib/errors.test.ts",
  "test/lib/http.test.ts",
  "test/lib/limits.test.ts",
];

/**
 * Two files at a time on two cores: vitest's default (cores - 1) left a core
 * idle, and the suite took about 14 minutes. The projects that run inside one
 * process each (workers, ledger, proofs, static, client) form the first group;
 * `e2e`, whose files drive one `wrangler dev` (two of them a browser), runs
 * after them, so its server never competes with that group; two files at a
 * time, since most of an e2e file's time is waiting (a deadline to pass, a
 * queue, a page to turn): one at a time took 132 s, two at a time 78 s.
 * Vitest requires one worker count per group.
 */
const IN_PROCESS_GROUP = { sequence: { groupOrder: 0 }, maxWorkers: 2 };
/** The later group's setting (see `e2e`), for a workers project that must run alone. */
const QUIET_GROUP = { sequence: { groupOrder: 1 }, maxWorkers: 2 };

/**
 * A test that asserts nothing proves nothing: every test must make at least
 * one assertion (vitest fails it otherwise), in every project.
 */
const EVERY_TEST_ASSERTS = { expect: { requireAssertions: true } };

export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      workersProject({
        name: "workers",
        include: ["test/**/*.test.ts"],
        exclude: [
          "test/e2e/**",
          "test/static/**",
          ...LEDGER_PROPERTY_TESTS,
          ...API_PROOFS,
          ...PURE_TESTS,
          ...DEPLOYMENT_TOTALS_TESTS,
        ],
        mongo: true,
      }),
      workersProject({
        name: "totals",
        include: DEPLOYMENT_TOTALS_TESTS,
        exclude: [],
        mongo: true,
        quiet: true,
        // Beside Chromium and `wrangler dev` on two cores, a 1.5 s timeout once cut off the
        // account check of a withdrawal (a 503 where the test needed 202). The driver's first
        // load on the same isolate was the main cause (stuckWithdrawal now loads it first);
        // this margin is for the browser's load. The file's four deliberate hangs cost 5 s
        // each instead of 1.5 s, off the suite's critical path.
        providerTimeoutMs: 5_000,
      }),
      workersProject({ name: "ledger", include: LEDGER_PROPERTY_TESTS, exclude: [], mongo: false }),
      workersProject({ name: "proofs", include: API_PROOFS, exclude: [], mongo: true }),
      {
        test: {
          name: "unit",
          include: PURE_TESTS,
          environment: "node",
          ...IN_PROCESS_GROUP,
          ...EVERY_TEST_ASSERTS,
        },
      },
      {
        test: {
          name: "static",
          include: ["test/static/**/*.test.ts"],
          environment: "node",
          ...IN_PROCESS_GROUP,
          ...EVERY_TEST_ASSERTS,
        },
      },
      {
        // The TypeScript client's unit tests (clients/typescript): Node, with the
        // API's answers scripted, since for the client the API is the outside world.
        test: {
          name: "client",
          include: ["clients/typescript/test/**/*.test.ts"],
          environment: "node",
          ...IN_PROCESS_GROUP,
          ...EVERY_TEST_ASSERTS,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          ...EVERY_TEST_ASSERTS,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
        },
      },
    ],
  },
});
