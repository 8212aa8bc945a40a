/**
 * The development app: the API (src/api-app.ts) plus the provider look-alikes
 * under /__sandbox. `npm run dev` and the tests run this one; production runs
 * the API alone (src/worker-production.ts), so the look-alikes' pages, models
 * and objects are not even in its bundle.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApiApp } from "./api-app";
import type { AppEnv } from "./lib/http";
import { SANDBOX_BASE, sandboxRoutes } from "./sandbox";

export { API_BASE } from "./api-app";

export function createApp(): OpenAPIHono<AppEnv> {
  // Also refused here when the config says no sandbox (always so in production),
  // whatever SANDBOX_ENABLED says: a production config behind this entry stays safe.
  // A guard, so it runs before 405 detection, which would otherwise list a
  // hidden route's methods (a POST to a GET-only look-alike route).
  const app = createApiApp([
    {
      path: `${SANDBOX_BASE}/*`,
      guard: async (c, next) => {
        if (!c.var.config.sandbox) return c.notFound();
        await next();
      },
    },
  ]);
  app.route(SANDBOX_BASE, sandboxRoutes);
  return app;
}
