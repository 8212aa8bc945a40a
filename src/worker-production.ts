/**
 * Production's entry (wrangler.jsonc `env.production.main`): the API, the queue
 * consumer and the Durable Object classes, and nothing from src/sandbox. The
 * look-alikes' classes are refusing placeholders (src/sandbox-placeholders.ts).
 * A test builds this bundle and checks that no look-alike code is in it
 * (test/static/production-bundle.test.ts).
 */
import { createApiApp } from "./api-app";
import { registerSelf } from "./lib/self";
import { handleQueueBatch } from "./queue/consumer";
import { scheduledReconciliation } from "./services/reconciliation";
import { ourTransactionsOfDay } from "./services/books";

// The application's classes (src/objects.ts, the same list the development entry exports), and
// refusing placeholders where development has the look-alikes.
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
export { BenchBaseline, FlutterwaveSandbox, VtpassSandbox } from "./sandbox-placeholders";

const app = createApiApp();
// Provider clients may call this app in-process (src/lib/self.ts); with no sandbox, nothing routes there in practice.
registerSelf((request, env, ctx) => Promise.resolve(app.fetch(request, env, ctx)));

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  // The nightly reconciliation of the Lagos day that just ended (wrangler.jsonc triggers.crons).
  scheduled: async (controller, env, ctx) => {
    await scheduledReconciliation(controller.scheduledTime, env, ctx, (day) =>
      ourTransactionsOfDay(env, day),
    );
  },
} satisfies ExportedHandler<Env, unknown>;
