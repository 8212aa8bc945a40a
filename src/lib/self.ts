/**
 * In-process calls into this Worker's own HTTP app.
 *
 * The development sandbox stands in for Flutterwave at `/__sandbox/...` on this
 * same Worker. Provider clients reach it through `providerFetch` (which routes
 * sandbox URLs here instead of the network), and the sandbox delivers webhooks to
 * our own webhook route the same way. That keeps `npm run dev` and the tests free
 * of network access and of port guessing, while every request still passes
 * through the full middleware stack exactly as an external one would.
 *
 * worker.ts registers the app at module load; Durable Objects share the module,
 * so they can call it too.
 */

export type SelfHandler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

let handler: SelfHandler | undefined;

export function registerSelf(h: SelfHandler): void {
  handler = h;
}

export function callSelf(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  if (!handler) throw new Error("callSelf before registerSelf: worker.ts did not load");
  return handler(request, env, ctx);
}

/** An ExecutionContext for calls made from inside a Durable Object. */
export function contextFromState(state: DurableObjectState): ExecutionContext {
  return {
    waitUntil: (promise: Promise<unknown>) => state.waitUntil(promise),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
}
