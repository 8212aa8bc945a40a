/**
 * The Durable Object classes production runs. Both entries (src/worker.ts and
 * src/worker-production.ts) re-export them: the runtime finds a class only
 * among the main module's exports.
 */
export { Credentials } from "./credentials";
export { LoginThrottle } from "./login-throttle";
export { Wallet } from "./wallet";
export { Room } from "./room";
export { DeadLetters } from "./dead-letters";
export { Operations } from "./operations";
export { ProviderRefs } from "./provider-refs";
export { MongoProjector } from "./mongo-projector";
