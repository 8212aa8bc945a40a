/**
 * /pages: static assets of the server-rendered pages. Today only watch.js, the
 * status pages' live-update script (src/pages/watch-script.ts), served from our
 * origin so the pages' CSP can stay `script-src 'self'` with no inline script.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "../../lib/http";
import { WATCH_SCRIPT_MAX_AGE_S } from "../../pages/limits";
import { WATCH_SCRIPT } from "../../pages/watch-script";

export const pagesRoutes = newRouter();

pagesRoutes.openapi(
  createRoute({
    method: "get",
    path: "/pages/watch.js",
    tags: ["pages"],
    summary:
      "The status pages' live-update script (opens the watch WebSocket with the page's ticket)",
    responses: {
      200: { description: "JavaScript.", content: { "text/javascript": { schema: z.string() } } },
    },
  }),
  (c) =>
    c.body(WATCH_SCRIPT, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": `public, max-age=${WATCH_SCRIPT_MAX_AGE_S}`,
    }) as never,
);
