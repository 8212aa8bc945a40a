/**
 * Hono plumbing shared by every route: the context type, the router factory with
 * the one validation hook, body selection for form-or-JSON endpoints, the auth
 * guard, rate limiting and the problem responses each route documents.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "./config";
import { bearerToken } from "./bearer";
import { AppError, errors, type FieldError } from "./errors";
import { RATE_LIMIT_RETRY_AFTER_S } from "./limits";
import type { Operator } from "./operator-roles";
import { verifyAccessToken } from "./tokens";

export type AppVariables = {
  request_id: string;
  config: Config;
  user_id?: string;
  /** Set by the admin guards (src/lib/admin-auth.ts): who is acting, and with what role. */
  operator?: Operator;
};
export type AppEnv = { Bindings: Env; Variables: AppVariables };
export type AppContext = Context<AppEnv>;

/** zod issues -> our field errors (`path` in dotted form). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
    code: issue.code,
  }));
}

/** The one validation hook: every schema failure becomes a 422 problem. */
export function validationHook(result: { success: boolean; error?: z.ZodError }): void {
  if (!result.success && result.error) throw errors.validation(fieldErrors(result.error.issues));
}

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => validationHook(result as never),
  });
}

const FORM_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const JSON_TYPE = /^application\/([a-z-.]+\+)?json\b/i;

export function isFormRequest(c: Context): boolean {
  return FORM_TYPE.test(c.req.header("content-type") ?? "");
}

/**
 * Endpoints that take either a form (as the FastAPI clients send) or JSON. Both
 * media types are declared on the route, so the zod-openapi validators have
 * already checked whichever one arrived; this picks it. A request with neither
 * content type is refused with 415 rather than validated as an empty object.
 */
export function formOrJson<T>(c: Context, valid: { form: () => T; json: () => T }): T {
  const type = c.req.header("content-type") ?? "";
  if (FORM_TYPE.test(type)) return valid.form();
  if (JSON_TYPE.test(type)) return valid.json();
  throw new AppError({
    status: 415,
    code: "unsupported_media_type",
    title: "Unsupported media type",
    detail: "Send application/json or application/x-www-form-urlencoded.",
  });
}

export function bodyContent<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    content: {
      "application/json": { schema },
      "application/x-www-form-urlencoded": { schema },
    },
  };
}

/** Bearer-token guard: sets `user_id` or answers 401 with `WWW-Authenticate: Bearer`. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (!header) throw errors.unauthorized("A bearer token is required.", null);
  const token = bearerToken(header);
  if (!token)
    throw errors.unauthorized(
      "The Authorization header must be 'Bearer <token>'.",
      "invalid_request",
    );
  const check = await verifyAccessToken(c.var.config, token);
  if (!check.ok)
    throw errors.unauthorized(
      check.reason === "expired" ? "The token has expired." : "The token is not valid.",
    );
  c.set("user_id", check.user_id);
  // Answers about a user's own data must never be cached by anything in between.
  c.header("cache-control", "no-store");
  await next();
};

export function userIdOf(c: AppContext): string {
  const user_id = c.var.user_id;
  if (!user_id) throw new Error("userIdOf called on a route without requireUser");
  return user_id;
}

export function clientIp(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/**
 * The client, as login throttling counts it: an IPv4 address as it is, an IPv6
 * address by its /64 prefix (one subscriber usually holds a whole /64, so
 * counting single addresses would give one attacker 2^64 fresh clients).
 * IPv4-mapped IPv6 counts as the IPv4 address. Anything unparsable is its own key.
 */
export function clientAddressKey(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (!address.includes(":")) return address;
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1];
  const halves = address.split("::");
  if (halves.length > 2) return address;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return address;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return address;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * Route middleware that counts every attempt from a client IP before the body is
 * even validated, so malformed requests use up the allowance too.
 */
export function limitByIp(
  pick: (env: Env) => RateLimit,
  prefix: string,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await rateLimit(pick(c.env), `${prefix}:ip:${clientIp(c)}`);
    await next();
  };
}

/**
 * Route middleware, after `requireUser`, that counts every attempt by the
 * signed-in user (valid or not: the count comes before body validation).
 */
export function limitByUser(
  pick: (env: Env) => RateLimit,
  prefix: string,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await rateLimit(pick(c.env), `${prefix}:user:${userIdOf(c)}`);
    await next();
  };
}

/** Count one attempt against a rate limiter; 429 with Retry-After when over. */
export async function rateLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw errors.rateLimited(RATE_LIMIT_RETRY_AFTER_S);
}

// ---- OpenAPI fragments --------------------------------------------------------

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "tag:airtime-wallet,2026:problem:validation_failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().openapi({ description: "Stable snake_case error code." }),
    request_id: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional(),
  })
  .passthrough()
  .openapi("Problem");

const PROBLEM_TEXT: Record<number, string> = {
  400: "Malformed request (for example invalid JSON).",
  401: "Missing, malformed, expired or invalid credentials.",
  403: "Authenticated but not allowed.",
  404: "No such resource.",
  409: "Conflict with the current state.",
  413: "Body larger than the limit.",
  415: "Unsupported content type.",
  422: "Validation failed or the request cannot be processed.",
  429: "Rate limited; see Retry-After.",
  502: "The payment provider refused or failed.",
  503: "Service or dependency unavailable.",
};

export function problems(...statuses: number[]) {
  const out: Record<
    number,
    {
      description: string;
      content: { "application/problem+json": { schema: typeof ProblemSchema } };
    }
  > = {};
  for (const status of statuses) {
    out[status] = {
      description: PROBLEM_TEXT[status] ?? "Error.",
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return out;
}

export const bearerSecurity = [{ bearerAuth: [] as string[] }];

/** Hono's ExecutionContext type is narrower than the runtime's; they are the same object. */
export function executionCtx(c: Context): ExecutionContext {
  return c.executionCtx as unknown as ExecutionContext;
}
