/**
 * Production's entry (wrangler.jsonc `env.production.main`): the API, the queue
 * consumer and the Durable Object classes, and nothing from src/sandbox. The
 * look-alikes' classes are refusing placeholders (src/durable/sandbox-placeholders.ts).
 * A test builds this bundle and checks that no look-alike code is in it
 * (test/static/production-bundle.test.ts).
 */
import { createApiApp } from "./api-app";
import { registerSelf } from "./lib/self";
import { handleQueueBatch } from "./queue/consumer";

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
export { BenchBaseline, FlutterwaveSandbox, VtpassSandbox } from "./durable/sandbox-placeholders";

const app = createApiApp();
// Provider clients may call this app in-process (src/lib/self.ts); with no sandbox, nothing routes there in practice.
registerSelf((request, env, ctx) => Promise.resolve(app.fetch(request, env, ctx)));

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
} satisfies ExportedHandler<Env, unknown>;
