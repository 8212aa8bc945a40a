/**
 * The kit's part of every look-alike's control API (test hooks the real
 * provider does not have), mounted by each vendor under its own
 * `__control/`, answered in that vendor's envelope:
 *
 *   POST   faults     {operation, match?, mode, times?}  arm a fault (kit/faults.ts)
 *   GET    faults                                        list armed faults
 *   DELETE faults?match=                                 clear faults with that match (all without)
 *   GET    deliveries?match=                             webhook delivery attempts, newest first
 *   GET    requests?operation=&match=                    how many requests were served, and the latest
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../lib/http";
import { FAULT_MODES } from "./faults";
import { FAULT_MATCH_MAX_CHARS, FAULT_TIMES_MAX } from "./limits";
import type { SandboxObject } from "./object";

/** How a vendor answers: its success and error envelopes, and how it parses a JSON body. */
export type Envelope = {
  ok: (message: string, data: unknown) => Response;
  error: (status: 400 | 404 | 409, message: string) => Response;
  parse: <S extends z.ZodType>(
    schema: S,
    raw: string,
  ) => { ok: true; value: z.output<S> } | { ok: false; response: Response };
};

export function faultBody<const Ops extends readonly [string, ...string[]]>(
  operations: Ops,
  create_operations: readonly Ops[number][],
) {
  return z
    .object({
      operation: z.enum(operations),
      match: z.string().max(FAULT_MATCH_MAX_CHARS).default(""),
      mode: z.enum(FAULT_MODES),
      times: z.coerce.number().int().min(1).max(FAULT_TIMES_MAX).default(1),
    })
    .refine((f) => !f.mode.startsWith("commit_then_") || create_operations.includes(f.operation), {
      message: `commit_then_* modes apply only to ${create_operations.join(" and ")}`,
      path: ["mode"],
    });
}

function bodyJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A body cut at DELIVERY_BODY_MAX_CHARS is no longer JSON; show it as text.
    return text;
  }
}

export function kitControlRoutes(
  stubOf: (env: Env) => DurableObjectStub<SandboxObject>,
  envelope: Envelope,
  faults: ReturnType<typeof faultBody>,
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const query = (c: Context<AppEnv>, name: string) =>
    (c.req.query(name) ?? "").slice(0, FAULT_MATCH_MAX_CHARS);

  routes.post("/faults", async (c) => {
    const parsed = envelope.parse(faults, await c.req.text());
    if (!parsed.ok) return parsed.response;
    const fault = await stubOf(c.env).armFault(parsed.value);
    if (!fault) return envelope.error(409, "Too many faults armed; clear some first");
    return envelope.ok("Fault armed", fault);
  });

  routes.get("/faults", async (c) => envelope.ok("Faults fetched", await stubOf(c.env).faults()));

  routes.delete("/faults", async (c) =>
    envelope.ok("Faults cleared", {
      cleared: await stubOf(c.env).clearFaults(c.req.query("match") ?? null),
    }),
  );

  routes.get("/deliveries", async (c) => {
    const records = await stubOf(c.env).deliveries(query(c, "match"));
    return envelope.ok(
      "Deliveries fetched",
      records.map(({ body, at_ms, ...rest }) => ({
        ...rest,
        body: bodyJson(body),
        at: new Date(at_ms).toISOString(),
      })),
    );
  });

  routes.get("/requests", async (c) => {
    const counted = await stubOf(c.env).requests(query(c, "operation"), query(c, "match"));
    return envelope.ok("Requests counted", {
      count: counted.count,
      recent: counted.recent.map(({ at_ms, ...rest }) => ({
        ...rest,
        at: new Date(at_ms).toISOString(),
      })),
    });
  });

  return routes;
}
