/**
 * Interactive API docs: Swagger UI, served from the Worker's own static assets
 * (the `swagger-ui-dist` package), so the page works offline and under a strict
 * Content-Security-Policy. The OpenAPI 3.1 document itself is mounted in app.ts,
 * where every router is known.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, problems } from "../../lib/http";
import { IDENTIFIER_MAX_CHARS } from "../../lib/limits";

export const docsRoutes = newRouter();

const ASSET_NAMES = new Set([
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "favicon-32x32.png",
  "favicon-16x16.png",
]);

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Airtime Wallet API docs</title>
<link rel="icon" href="/api/v1/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false });`;

const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

docsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/docs",
    tags: ["docs"],
    summary: "Interactive API documentation (Swagger UI)",
    responses: {
      200: { description: "HTML page.", content: { "text/html": { schema: z.string() } } },
    },
  }),
  (c) => c.html(PAGE, 200, { "content-security-policy": DOCS_CSP }),
);

docsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/docs/init.js",
    tags: ["docs"],
    summary: "Swagger UI start-up script",
    responses: {
      200: { description: "JavaScript.", content: { "text/javascript": { schema: z.string() } } },
    },
  }),
  (c) =>
    c.body(INIT, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
);

docsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/docs/assets/{name}",
    tags: ["docs"],
    summary: "Swagger UI static files",
    request: { params: z.object({ name: z.string().max(IDENTIFIER_MAX_CHARS) }) },
    responses: {
      200: {
        description: "The file.",
        content: { "application/octet-stream": { schema: z.string() } },
      },
      ...problems(404),
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!ASSET_NAMES.has(name)) return c.notFound();
    const asset = await c.env.ASSETS.fetch(new URL(`/${name}`, c.req.url));
    const response = new Response(asset.body, asset);
    response.headers.set("cache-control", "public, max-age=86400");
    return response as never;
  },
);
