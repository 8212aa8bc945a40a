/**
 * The Worker's entry points: HTTP (`fetch`), the queue consumer (`queue`), and
 * the Durable Object classes, which must be exported from the main module.
 */
import { createApp } from "./app";
import { registerSelf } from "./lib/self";
import { handleQueueBatch } from "./queue/consumer";

export { Credentials } from "./durable/credentials";
export { Wallet } from "./durable/wallet";
export { Room } from "./durable/room";
export { DeadLetters } from "./durable/dead-letters";
export { ProviderSandbox } from "./sandbox/durable";

const app = createApp();
// Lets the sandbox and provider clients call this app in-process (src/lib/self.ts).
registerSelf((request, env, ctx) => Promise.resolve(app.fetch(request, env, ctx)));

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
} satisfies ExportedHandler<Env, unknown>;
