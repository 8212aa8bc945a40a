/**
 * The application's Durable Object classes: the one list both entry points
 * export (src/worker.ts for development and tests, src/worker-production.ts
 * for production). Each class must be exported from the Worker's main module
 * under the `class_name` wrangler.jsonc binds; the development entry adds the
 * look-alikes' classes, production their refusing placeholders.
 */
export { Books } from "./durable/books/object";
export { Credentials } from "./durable/credentials/object";
export { DeadLetters } from "./durable/dead-letters/object";
export { IdentityClaims } from "./durable/identity-claims/object";
export { LoginThrottle } from "./durable/login-throttle/object";
export { Operations } from "./durable/operations/object";
export { ProviderRefs } from "./durable/provider-refs/object";
export { Room } from "./durable/room/object";
export { SocketLeases } from "./durable/socket-leases/object";
export { Wallet } from "./durable/wallet/object";
export { MongoProjector } from "./projection/object";
export { Reconciliations } from "./durable/reconciliations/object";
