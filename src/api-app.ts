/**
 * The Hono application as production runs it: middleware in the order a
 * request meets it, the error handler, the routers, and the OpenAPI document
 * generated from their schemas.
 *
 *   request id + config gate + CORS preflight (and, on the way out: our
 *   headers, security headers, CORS, the request metric, the access log)
 *     -> 405 detection -> body size limit
 *       -> routers under /api/v1
 *   errors anywhere -> one handler -> RFC 9457 problem+json, never a stack trace
 *
 * It imports nothing from src/sandbox: the development app (src/app.ts) adds
 * the look-alikes on top, so the production entry (src/worker-production.ts)
 * can leave their code out of the bundle altogether.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { limitBody } from "./lib/body-limit";
import { configOf } from "./lib/config";
import { AppError, problemResponse, problemType } from "./lib/errors";
import { type AppEnv, validationHook } from "./lib/http";
import { newRequestId } from "./lib/ids";
import {
  BULK_BODY_MAX_BYTES,
  REQUEST_BODY_MAX_BYTES,
  REQUEST_ID_MAX_CHARS,
  WEBHOOK_BODY_MAX_BYTES,
} from "./lib/limits";
import { log, logEnabled } from "./lib/log";
import { recordRequest } from "./lib/request-metrics";
import {
  type CorsPolicy,
  corsPolicy,
  preflightResponse,
  setCorsHeaders,
  setSecurityHeaders,
} from "./lib/response-headers";
import { publicServerUrl } from "./lib/urls";
import { authRoutes } from "./routes/auth";
import { adminRoutes } from "./routes/admin";
import { bankRoutes } from "./routes/banks";
import { withdrawalRoutes } from "./routes/withdrawals";
import { catalogRoutes } from "./routes/catalog";
import { billCatalogRoutes } from "./routes/catalog/bills";
import { billRoutes } from "./routes/purchases/bills";
import { purchaseRoutes, VTPASS_CALLBACK_PATH } from "./routes/purchases";
import { docsRoutes } from "./routes/docs";
import { walletRoutes } from "./routes/wallet";
import { walletLimitRoutes } from "./routes/wallet/limits";
import { walletStatementRoutes } from "./routes/wallet/statement";
import { pagesRoutes } from "./routes/pages";
import { wsRoutes } from "./routes/ws";
import { bulkRoutes } from "./routes/bulk";
import { healthRoutes } from "./routes/health";
import { kycRoutes } from "./routes/kyc";
import { beneficiaryRoutes } from "./routes/beneficiaries";
import { scheduleRoutes } from "./routes/schedules";

export const API_BASE = "/api/v1";
const REQUEST_ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${REQUEST_ID_MAX_CHARS}}$`);

/** Names of misconfigured variables are logged once per isolate, values never. */
let configProblemsLogged = false;

/** CORS applies to the API's paths (what `${API_BASE}/*` matched as hono middleware). */
function underApi(path: string): boolean {
  return (
    path.startsWith(API_BASE) &&
    (path.length === API_BASE.length || path.charCodeAt(API_BASE.length) === 47) /* "/" */
  );
}

/**
 * The first and last thing every request meets: its id, the configuration
 * gate, a CORS preflight, and, once anything has answered, the headers every
 * answer carries, the request metric and the access log line. One layer for
 * all of it: each middleware layer is a cost every request pays.
 */
const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started_ms = Date.now();
  const incoming = c.req.header("x-request-id");
  const request_id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : newRequestId();
  c.set("request_id", request_id);
  let cors: CorsPolicy | null = null;
  try {
    const config = configOf(c.env);
    if (!config.ok) {
      if (!configProblemsLogged) {
        configProblemsLogged = true;
        log.error("configuration invalid; answering 503", {
          request_id,
          variables: config.problems,
        });
      }
      c.res = problemResponse({
        type: problemType("service_misconfigured"),
        title: "Service unavailable",
        status: 503,
        detail: "The service is not configured correctly.",
        code: "service_misconfigured",
        request_id,
      });
      return;
    }
    c.set("config", config.config);
    if (underApi(c.req.path)) {
      cors = corsPolicy(config.config.CORS_ORIGINS);
      if (c.req.method === "OPTIONS") {
        c.res = preflightResponse(cors, c.req.header("origin") ?? null);
        // Its CORS headers are complete: stamping them again would repeat `Vary`.
        cors = null;
        return;
      }
    }
    await next();
  } finally {
    stampHeaders(c, request_id, cors);
    // Workers' clock does not advance during computation (a Spectre
    // mitigation): it moves only while the request waits on I/O. So
    // duration_ms is the time spent waiting (storage, Durable Objects,
    // providers), not CPU time; the README says so too.
    const duration_ms = Date.now() - started_ms;
    const route = c.req.routePath;
    const status = c.res.status;
    recordRequest(c.env.REQUEST_METRICS, { route, method: c.req.method, status, duration_ms });
    // Checked here so that a level that drops the line costs nothing to build it.
    if (logEnabled("info")) {
      const user_id = c.get("user_id");
      log.info("request", {
        request_id,
        method: c.req.method,
        route,
        status,
        duration_ms,
        ...(user_id ? { user_id } : {}),
      });
    }
  }
};

/**
 * Our headers on every answer: the request id, `no-store` unless the route
 * chose, the security headers, and CORS under the API (src/lib/response-headers.ts).
 * A Response taken straight from `fetch` or from a Durable Object (a WebSocket
 * 101 passed through) has immutable headers, and setting one throws; such a
 * response is copied first. The copy keeps the status and the `webSocket`
 * (workerd copies both from a Response init), so a 101 stays a working upgrade.
 */
function stampHeaders(c: Context<AppEnv>, request_id: string, cors: CorsPolicy | null): void {
  let headers = c.res.headers;
  try {
    headers.set("x-request-id", request_id);
  } catch {
    c.res = new Response(c.res.body, c.res);
    headers = c.res.headers;
    headers.set("x-request-id", request_id);
  }
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  setSecurityHeaders(headers);
  if (cors) setCorsHeaders(headers, cors, c.req.header("origin") ?? null);
}

/**
 * Body size limits (src/lib/body-limit.ts): Content-Length is checked up front,
 * a streamed (chunked) body is counted as it arrives, and a refused body is
 * cancelled rather than left half-read. Webhooks carry provider payloads and get
 * a larger (still queue-sized) limit.
 */
const limitApiBody = limitBody(REQUEST_BODY_MAX_BYTES, () => tooLarge(REQUEST_BODY_MAX_BYTES));
const limitWebhookBody = limitBody(WEBHOOK_BODY_MAX_BYTES, () => tooLarge(WEBHOOK_BODY_MAX_BYTES));
/** A bulk top-up's file is larger than any other request's body. */
const limitBulkBody = limitBody(BULK_BODY_MAX_BYTES, () => tooLarge(BULK_BODY_MAX_BYTES));
const BULK_PATH = `${API_BASE}/wallet/bulk`;
const WEBHOOK_PATHS = new Set([`${API_BASE}/wallet/flutterwave/webhook`]);
/** Provider callbacks under a secret last segment get the webhook limit too. */
const CALLBACK_PREFIX = `${API_BASE}${VTPASS_CALLBACK_PATH}/`;
const limitBodyByPath: MiddlewareHandler<AppEnv> = (c, next) => {
  if (!c.req.raw.body) return next();
  const path = c.req.path.replace(/\/+$/, "");
  if (path === BULK_PATH) return limitBulkBody(c, next);
  return WEBHOOK_PATHS.has(path) || path.startsWith(CALLBACK_PREFIX)
    ? limitWebhookBody(c, next)
    : limitApiBody(c, next);
};

function tooLarge(max_bytes: number): AppError {
  return new AppError({
    status: 413,
    code: "payload_too_large",
    title: "Payload too large",
    detail: `The body must be at most ${max_bytes} bytes.`,
  });
}

function problemFromError(c: Context<AppEnv>, error: unknown): Response {
  const request_id = c.get("request_id") ?? newRequestId();
  if (error instanceof AppError) return problemResponse(error.toProblem(request_id), error.headers);
  if (error instanceof HTTPException) {
    const status = error.status;
    const code =
      status === 400
        ? "malformed_request"
        : status === 415
          ? "unsupported_media_type"
          : status === 413
            ? "payload_too_large"
            : `http_${status}`;
    return problemResponse({
      type: problemType(code),
      title: error.message || "Request refused",
      status,
      detail:
        status === 400
          ? "The body could not be parsed; send valid JSON or form data."
          : error.message,
      code,
      request_id,
    });
  }
  log.error("unhandled error", { request_id, route: c.req.routePath, error });
  return problemResponse({
    type: problemType("internal_error"),
    title: "Internal server error",
    status: 500,
    detail: "Something went wrong on our side. Quote the request id when you contact support.",
    code: "internal_error",
    request_id,
  });
}

/**
 * A guard the development app puts on a path of its own (the sandbox's), run
 * right after the request context and before 405 detection: a route the guard
 * hides must not be described by a 405 and its `Allow` list either.
 */
export type PathGuard = { path: string; guard: MiddlewareHandler<AppEnv> };

export function createApiApp(guards: readonly PathGuard[] = []): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => validationHook(result as never),
  });

  app.use("*", requestContext);
  for (const { path, guard } of guards) app.use(path, guard);
  app.use(
    "*",
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(
          {
            type: problemType("method_not_allowed"),
            title: "Method not allowed",
            status: 405,
            detail: `Use one of: ${methods.join(", ")}.`,
            code: "method_not_allowed",
            request_id: c.get("request_id"),
          },
          { allow: methods.join(", ") },
        ),
    }),
  );
  app.use("*", limitBodyByPath);

  app.route(API_BASE, healthRoutes);
  app.route(API_BASE, authRoutes);
  app.route(API_BASE, docsRoutes);
  app.route(API_BASE, walletLimitRoutes);
  app.route(API_BASE, walletStatementRoutes);
  app.route(API_BASE, walletRoutes);
  app.route(API_BASE, bankRoutes);
  app.route(API_BASE, withdrawalRoutes);
  app.route(API_BASE, catalogRoutes);
  app.route(API_BASE, purchaseRoutes);
  app.route(API_BASE, bulkRoutes);
  app.route(API_BASE, billCatalogRoutes);
  app.route(API_BASE, billRoutes);
  app.route(API_BASE, kycRoutes);
  app.route(API_BASE, beneficiaryRoutes);
  app.route(API_BASE, scheduleRoutes);
  app.route(API_BASE, adminRoutes);
  app.route(API_BASE, wsRoutes);
  app.route(API_BASE, pagesRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The `access_token` from POST /api/v1/auth/login.",
  });
  const documentRoute = createRoute({
    method: "get",
    path: `${API_BASE}/openapi.json`,
    tags: ["docs"],
    summary: "This OpenAPI 3.1 document",
    responses: {
      200: {
        description: "The document.",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
  app.openapi(documentRoute, (c) => {
    const document = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: c.var.config.APP_NAME,
        version: "1.0.0",
        description:
          "Wallet and airtime backend on Cloudflare Workers. Amounts are decimal naira strings on the wire and integer kobo inside. Every error is an RFC 9457 problem document.",
      },
      // From configuration, never from the request's Host (src/lib/urls.ts).
      servers: [{ url: publicServerUrl(c, c.var.config) }],
    });
    return c.json(document as unknown as Record<string, unknown>, 200);
  });

  app.notFound((c) =>
    problemResponse({
      type: problemType("not_found"),
      title: "Not found",
      status: 404,
      detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`,
      code: "not_found",
      request_id: c.get("request_id") ?? newRequestId(),
    }),
  );
  app.onError((error, c) => {
    // A header the route set with c.header() before it threw (Server-Timing on a
    // refused login, ...) is only "prepared" until a response exists: reading
    // c.res makes that response, and hono merges its headers into this answer.
    void c.res;
    return problemFromError(c, error);
  });
  return app;
}
