/**
 * Liveness and readiness.
 *
 * Liveness answers without touching anything. Readiness makes one round trip to
 * a Durable Object (proving the namespace binding and SQLite storage answer) and
 * sends one `ping` message to the queue (the consumer acks it and does nothing
 * else), so a binding that is missing or refusing shows up here first.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type AppContext, newRouter, problems } from "../../lib/http";
import { log } from "../../lib/log";
import type { QueueMessage } from "../../queue/messages";

export const healthRoutes = newRouter();

const Liveness = z
  .object({ status: z.literal("ok"), app: z.string(), environment: z.string(), time: z.string() })
  .openapi("Liveness");
const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), error: z.string().optional() });
const Readiness = z
  .object({
    status: z.enum(["ready", "degraded"]),
    checks: z.object({ durable_objects: Check, queue: Check }),
  })
  .openapi("Readiness");

const READINESS_PROBE_OBJECT = "__readiness-probe__";

async function timed(run: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const started = Date.now();
  try {
    await run();
    return { ok: true, latency_ms: Date.now() - started };
  } catch (error) {
    return { ok: false, latency_ms: Date.now() - started, error: error instanceof Error ? error.name : "error" };
  }
}

async function readiness(c: AppContext) {
  const ping: QueueMessage = { v: 1, kind: "ping", request_id: c.var.request_id, sent_at_ms: Date.now() };
  const [durable_objects, queue] = await Promise.all([
    timed(() => c.env.CREDENTIALS.getByName(READINESS_PROBE_OBJECT).ping()),
    timed(() => c.env.WALLET_EVENTS.send(ping)),
  ]);
  const ready = durable_objects.ok && queue.ok;
  if (!ready) log.warn("readiness degraded", { request_id: c.var.request_id, durable_objects, queue });
  return c.json({ status: ready ? ("ready" as const) : ("degraded" as const), checks: { durable_objects, queue } }, ready ? 200 : 503);
}

healthRoutes.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["health"],
    summary: "Liveness",
    responses: { 200: { description: "The Worker answers.", content: { "application/json": { schema: Liveness } } }, ...problems(503) },
  }),
  (c) =>
    c.json(
      { status: "ok" as const, app: c.var.config.APP_NAME, environment: c.var.config.ENVIRONMENT, time: new Date().toISOString() },
      200,
    ),
);

const readinessResponses = {
  200: { description: "Durable Objects and the queue answer.", content: { "application/json": { schema: Readiness } } },
  503: { description: "A binding failed.", content: { "application/json": { schema: Readiness } } },
};

healthRoutes.openapi(
  createRoute({ method: "get", path: "/health/ready", tags: ["health"], summary: "Readiness of the bindings", responses: readinessResponses }),
  readiness,
);

healthRoutes.openapi(
  createRoute({
    method: "get",
    path: "/ping-rabbitmq",
    tags: ["health"],
    summary: "Readiness, under the path the FastAPI clients probe (the queue replaced RabbitMQ)",
    responses: readinessResponses,
  }),
  readiness,
);
