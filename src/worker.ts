/**
 * The development entry (`npm run dev`, the tests): HTTP (`fetch`), the queue
 * consumer (`queue`), and the Durable Object classes, which must be exported
 * from the main module, the look-alikes' included. Production builds from
 * src/worker-production.ts instead, which leaves src/sandbox out.
 */
// First: with BENCH_COUNTERS=1 it hooks zod and the globals before any other module builds anything.
import {
  COUNTERS_PATH,
  countersRoute,
  instrumentHandlers,
  instrumentObjects,
  instrumentSelf,
} from "./sandbox/bench/counters";
import { createApp } from "./app";
import { configOf } from "./lib/config";
import { registerSelf } from "./lib/self";
import { handleQueueBatch } from "./queue/consumer";
import { scheduledReconciliation } from "./services/reconciliation";
import { ourTransactionsOfDay } from "./services/books";
import { BENCH_BASE, benchBaseline } from "./sandbox/bench/routes";

import * as objects from "./objects";
import { FlutterwaveSandbox } from "./sandbox/flutterwave/object";
import { VtpassSandbox } from "./sandbox/vtpass/object";
// Benchmark baseline object, development only (src/sandbox/bench/).
import { BenchBaseline } from "./sandbox/bench/object";

// The application's classes (src/objects.ts, the list production exports too) and the look-alikes'.
// Listed by name: `wrangler types` reads the classes from the entry's named exports (not `export *`).
export {
  Books,
  Credentials,
  DeadLetters,
  IdentityClaims,
  LoginThrottle,
  MongoProjector,
  Operations,
  ProviderRefs,
  Reconciliations,
  Room,
  SocketLeases,
  Wallet,
} from "./objects";
export { FlutterwaveSandbox, VtpassSandbox, BenchBaseline };

// Counted only with BENCH_COUNTERS=1 (the profiler); otherwise each call below changes nothing.
instrumentObjects({ ...objects, FlutterwaveSandbox, VtpassSandbox, BenchBaseline });

const app = createApp();
// Lets the sandbox and provider clients call this app in-process (src/lib/self.ts).
registerSelf(
  instrumentSelf((request: Request, env: Env, ctx: ExecutionContext) =>
    Promise.resolve(app.fetch(request, env, ctx)),
  ),
);

/**
 * Benchmark baseline, development only: a route that does nothing, answered
 * before the app (no middleware), so benchmarks can report our routes as a
 * ratio of the bare platform cost measured in the same run.
 */
const BARE_ROUTE = "/__sandbox/bare";

export default instrumentHandlers({
  fetch: (request, env, ctx) => {
    if (request.url.endsWith(BARE_ROUTE) && new URL(request.url).pathname === BARE_ROUTE) {
      const config = configOf(env);
      if (config.ok && config.config.sandbox) return new Response("hello");
    }
    // ---- benchmark baselines and the profiler's counters (development only): src/sandbox/bench/ ----
    if (request.url.includes(BENCH_BASE)) {
      const config = configOf(env);
      const url = new URL(request.url);
      if (config.ok && config.config.sandbox && url.pathname.startsWith(COUNTERS_PATH))
        return countersRoute(request);
      const answer =
        config.ok && config.config.sandbox ? benchBaseline(request, url, env, ctx) : null;
      if (answer) return answer;
    }
    return app.fetch(request, env, ctx);
  },
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  // The nightly reconciliation of the Lagos day that just ended (wrangler.jsonc triggers.crons).
  scheduled: async (controller, env, ctx) => {
    await scheduledReconciliation(controller.scheduledTime, env, ctx, (day) =>
      ourTransactionsOfDay(env, day),
    );
  },
} satisfies ExportedHandler<Env, unknown>);
