/**
 * Liveness and readiness.
 *
 * Liveness answers without touching anything. Readiness makes one round trip to
 * a Durable Object (proving the namespace binding answers) and sends one `ping`
 * message to the queue (the consumer acks it and does nothing else), so a
 * binding that is missing or refusing shows up here first.
 *
 * It also says how the providers are doing, without failing readiness for it
 * (the money paths that do not need them keep working): a provider problem
 * that is ours to fix (VTpass's float running low, refused credentials) seen
 * within PROVIDER_PROBLEM_RECENT_MS marks that provider `degraded`.
 *
 * And how the MongoDB projection is doing, also without failing readiness
 * (MongoDB is never on the money path): `off` when no URI is set, `degraded`
 * when any wallet's projection is failing, with the changes waiting and the
 * age of the oldest. Those numbers come from one aggregate in the Operations
 * object, which each wallet updates when its projection state changes and,
 * while behind, from its alarm (src/projection/wallet-reader.ts): readiness
 * never visits wallets, and the backlog is as fresh as each lagging wallet's
 * last retry.
 *
 * Both probes are unauthenticated, and each queue message is billed and
 * consumed: a flood of readiness requests must not become a flood of messages.
 * So a result is kept per isolate for READINESS_CACHE_TTL_MS, and requests that
 * arrive while a check runs wait for that one check: at most one probe per TTL
 * per isolate, whatever the request rate. `checked_at` says how old it is.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  OPERATIONS_OBJECT,
  type ProjectionLag,
  type ProviderProblem,
} from "../../durable/operations/object";
import type { Config } from "../../lib/config";
import { type AppContext, newRouter, problems } from "../../lib/http";
import { READINESS_CACHE_TTL_MS } from "../../lib/limits";
import { log } from "../../lib/log";
import type { QueueMessage } from "../../queue/messages";

export const healthRoutes = newRouter();

const Liveness = z
  .object({ status: z.literal("ok"), app: z.string(), environment: z.string(), time: z.string() })
  .openapi("Liveness");
const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), error: z.string().optional() });
const ProviderStatus = z.object({
  status: z.enum(["ok", "degraded", "not_configured"]),
  problems: z.array(
    z.object({
      kind: z.string(),
      detail: z.string(),
      last_at: z.string(),
      count: z.number().int(),
    }),
  ),
});
const ProjectionStatus = z
  .object({
    status: z.enum(["off", "ok", "degraded"]),
    wallets_behind: z
      .number()
      .int()
      .openapi({ description: "Wallets whose changes are failing to reach MongoDB." }),
    wallets_behind_capped: z
      .boolean()
      .openapi({ description: "More wallets are behind than are counted (the count is a floor)." }),
    backlog_changes: z
      .number()
      .int()
      .openapi({ description: "Changes waiting for MongoDB across those wallets." }),
    oldest_unprojected_age_ms: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Age of the oldest change waiting for MongoDB." }),
  })
  .openapi("ProjectionStatus");
const Readiness = z
  .object({
    status: z.enum(["ready", "degraded"]),
    checks: z.object({ durable_objects: Check, queue: Check }),
    providers: z.object({ vtpass: ProviderStatus }).openapi({
      description: "Provider problems that are ours to fix; they do not make the service unready.",
    }),
    projection: ProjectionStatus.openapi({
      description: "The MongoDB projection; its lag does not make the service unready.",
    }),
    checked_at: z.string().openapi({
      format: "date-time",
      description: "When the bindings were last probed (results are reused for a few seconds).",
    }),
  })
  .openapi("Readiness");

const READINESS_PROBE_OBJECT = "__readiness-probe__";

async function timed(run: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const started = Date.now();
  try {
    await run();
    return { ok: true, latency_ms: Date.now() - started };
  } catch (error) {
    return {
      ok: false,
      latency_ms: Date.now() - started,
      error: error instanceof Error ? error.name : "error",
    };
  }
}

type ReadinessResult = z.infer<typeof Readiness>;
type ReadinessState = {
  result?: ReadinessResult;
  checked_at_ms?: number;
  running?: Promise<ReadinessResult>;
};

/** Per isolate and per environment object (the bindings probed belong to it). */
const readinessByEnv = new WeakMap<object, ReadinessState>();

async function providerProblems(env: Env, request_id: string): Promise<ProviderProblem[]> {
  try {
    return await env.OPERATIONS.getByName(OPERATIONS_OBJECT).recentProviderProblems();
  } catch (error) {
    log.warn("readiness could not read provider problems", { request_id, error });
    return [];
  }
}

async function projectionLag(
  env: Env,
  config: Config,
  request_id: string,
): Promise<ProjectionLag | null> {
  if (!config.mongo) return null;
  try {
    return await env.OPERATIONS.getByName(OPERATIONS_OBJECT).projectionLag();
  } catch (error) {
    log.warn("readiness could not read the projection lag", { request_id, error });
    return null;
  }
}

function projectionStatus(
  config: Config,
  lag: ProjectionLag | null,
  now_ms: number,
): z.infer<typeof ProjectionStatus> {
  const behind = lag !== null && lag.wallets_behind > 0;
  return {
    status: !config.mongo ? "off" : behind || lag === null ? "degraded" : "ok",
    wallets_behind: lag?.wallets_behind ?? 0,
    wallets_behind_capped: lag?.capped ?? false,
    backlog_changes: lag?.backlog_changes ?? 0,
    oldest_unprojected_age_ms:
      lag?.oldest_at_ms == null ? null : Math.max(0, now_ms - lag.oldest_at_ms),
  };
}

async function probe(env: Env, config: Config, request_id: string): Promise<ReadinessResult> {
  const ping: QueueMessage = { v: 1, kind: "ping", request_id, sent_at_ms: Date.now() };
  const [durable_objects, queue, problems, lag] = await Promise.all([
    timed(() => env.CREDENTIALS.getByName(READINESS_PROBE_OBJECT).ping()),
    timed(() => env.WALLET_EVENTS.send(ping)),
    providerProblems(env, request_id),
    projectionLag(env, config, request_id),
  ]);
  const ready = durable_objects.ok && queue.ok;
  if (!ready) log.warn("readiness degraded", { request_id, durable_objects, queue });
  const vtpass_problems = problems
    .filter((p) => p.provider === "vtpass")
    .map((p) => ({
      kind: p.kind,
      detail: p.detail,
      last_at: new Date(p.last_at_ms).toISOString(),
      count: p.count,
    }));
  const vtpass = {
    status: !config.vtpass
      ? ("not_configured" as const)
      : vtpass_problems.length > 0
        ? ("degraded" as const)
        : ("ok" as const),
    problems: vtpass_problems,
  };
  return {
    status: ready ? "ready" : "degraded",
    checks: { durable_objects, queue },
    providers: { vtpass },
    projection: projectionStatus(config, lag, Date.now()),
    checked_at: new Date().toISOString(),
  };
}

/** The cached result while fresh; else the running check; else a new one, shared by everyone who asks meanwhile. */
export function cachedReadiness(
  env: Env,
  config: Config,
  request_id: string,
  now_ms = Date.now(),
): Promise<ReadinessResult> {
  let state = readinessByEnv.get(env);
  if (!state) {
    state = {};
    readinessByEnv.set(env, state);
  }
  if (
    state.result &&
    state.checked_at_ms !== undefined &&
    now_ms - state.checked_at_ms < READINESS_CACHE_TTL_MS
  ) {
    return Promise.resolve(state.result);
  }
  if (state.running) return state.running;
  const owner = state;
  owner.running = probe(env, config, request_id)
    .then((result) => {
      owner.result = result;
      owner.checked_at_ms = Date.now();
      return result;
    })
    .finally(() => {
      owner.running = undefined;
    });
  return owner.running;
}

async function readiness(c: AppContext) {
  const result = await cachedReadiness(c.env, c.var.config, c.var.request_id);
  return c.json(result, result.status === "ready" ? 200 : 503);
}

healthRoutes.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["health"],
    summary: "Liveness",
    responses: {
      200: {
        description: "The Worker answers.",
        content: { "application/json": { schema: Liveness } },
      },
      ...problems(503),
    },
  }),
  (c) =>
    c.json(
      {
        status: "ok" as const,
        app: c.var.config.APP_NAME,
        environment: c.var.config.ENVIRONMENT,
        time: new Date().toISOString(),
      },
      200,
    ),
);

const readinessResponses = {
  200: {
    description: "Durable Objects and the queue answer.",
    content: { "application/json": { schema: Readiness } },
  },
  503: { description: "A binding failed.", content: { "application/json": { schema: Readiness } } },
};

healthRoutes.openapi(
  createRoute({
    method: "get",
    path: "/health/ready",
    tags: ["health"],
    summary: "Readiness of the bindings",
    responses: readinessResponses,
  }),
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
