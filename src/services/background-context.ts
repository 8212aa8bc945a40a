/**
 * A context for the application services outside an HTTP request: a purchase
 * that the wallet's alarm starts (a scheduled top-up, a bulk line) runs the
 * same service code as a route (src/services/purchases.ts, ./bills.ts), with
 * every guarantee of a held payment, but from the queue's consumer.
 *
 * The services read only `env`, `var.config`, `var.request_id` and
 * `executionCtx` from their context (answerOrRedirect, which reads the
 * request, belongs to routes and is never called from here). Anything else
 * throws at once with its name, so a service that starts to need the request
 * fails its tests loudly instead of reading undefined.
 */
import { requireConfig } from "../lib/config";
import type { AppContext } from "../lib/http";

const PROVIDED = new Set(["env", "var", "executionCtx", "get"]);

export function backgroundContext(env: Env, ctx: ExecutionContext, request_id: string): AppContext {
  const vars = { config: requireConfig(env), request_id };
  const provided: Record<string, unknown> = {
    env,
    var: vars,
    executionCtx: ctx,
    get: (key: string) => (vars as Record<string, unknown>)[key],
  };
  return new Proxy(provided, {
    get(target, property) {
      if (typeof property === "string" && PROVIDED.has(property)) return target[property];
      throw new Error(
        `a background service call read c.${String(property)}, which only a request has`,
      );
    },
  }) as unknown as AppContext;
}
