/**
 * The development entry (`npm run dev`, the tests): HTTP (`fetch`), the queue
 * consumer (`queue`), and the Durable Object classes, which must be exported
 * from the main module, the look-alikes' included. Production builds from
 * src/worker-production.ts instead, which leaves src/sandbox out.
 */
import { createApp } from "./app";
import { configOf } from "./lib/config";
import { registerSelf } from "./lib/self";
import { handleQueueBatch } from "./queue/consumer";
import { BENCH_BASE, benchBaseline } from "./sandbox/bench/routes";

// Listed one by one: `wrangler types` reads the classes' types from these exports.
export { Credentials } from "./durable/credentials";
export { LoginThrottle } from "./durable/login-throttle";
export { SocketLeases } from "./durable/socket-leases";
export { Wallet } from "./durable/wallet";
export { Room } from "./durable/room";
export { DeadLetters } from "./durable/dead-letters";
export { Operations } from "./durable/operations";
export { ProviderRefs } from "./durable/provider-refs";
export { MongoProjector } from "./durable/mongo-projector";
export { FlutterwaveSandbox } from "./sandbox/flutterwave/object";
export { VtpassSandbox } from "./sandbox/vtpass/object";
// Benchmark baseline object, development only (src/sandbox/bench/).
export { BenchBaseline } from "./sandbox/bench/object";

const app = createApp();
// Lets the sandbox and provider clients call this app in-process (src/lib/self.ts).
registerSelf((request, env, ctx) => Promise.resolve(app.fetch(request, env, ctx)));

/**
 * Benchmark baseline, development only: a route that does nothing, answered
 * before the app (no middleware), so benchmarks can report our routes as a
 * ratio of the bare platform cost measured in the same run.
 */
const BARE_ROUTE = "/__sandbox/bare";

export default {
  fetch: (request, env, ctx) => {
    if (request.url.endsWith(BARE_ROUTE) && new URL(request.url).pathname === BARE_ROUTE) {
      const config = configOf(env);
      if (config.ok && config.config.sandbox) return new Response("hello");
    }
    // ---- benchmark baselines (development only): src/sandbox/bench/routes.ts ----
    if (request.url.includes(BENCH_BASE)) {
      const config = configOf(env);
      const answer = config.ok && config.config.sandbox ? benchBaseline(request, new URL(request.url), env) : null;
      if (answer) return answer;
    }
    return app.fetch(request, env, ctx);
  },
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
} satisfies ExportedHandler<Env, unknown>;
