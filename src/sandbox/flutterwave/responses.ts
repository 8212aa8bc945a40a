/**
 * Flutterwave's answer shapes: every v3 answer is an envelope
 * `{status: "success" | "error", message, data}`; errors carry `data: null`.
 * Helpers build plain Responses so handlers, fault modes and the error hook
 * all answer the same way.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export function flwSuccess(
  message: string,
  data: unknown,
  extra: Record<string, unknown> = {},
): Response {
  return new Response(JSON.stringify({ status: "success", message, ...extra, data }), {
    status: 200,
    headers: JSON_HEADERS,
  });
}

export function flwError(status: ContentfulStatusCode, message: string): Response {
  return new Response(JSON.stringify({ status: "error", message, data: null }), {
    status,
    headers: JSON_HEADERS,
  });
}

/** Flutterwave's answer after its ~28 s gateway timeout (docs/providers.md, §Flutterwave keys, errors and timeouts). */
export function gatewayTimeout(): Response {
  return flwError(503, "An error occurred. Please contact support");
}

// ---- Request bodies -----------------------------------------------------------

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * Parse a raw JSON body against a schema, answering 400 in Flutterwave's shape
 * with one sentence about the first problem ("customer.email is required").
 * An empty body is read as `{}` so that missing fields are named.
 */
export function parseJsonBody<S extends z.ZodType>(schema: S, raw: string): Parsed<z.output<S>> {
  let input: unknown = {};
  if (raw.trim() !== "") {
    try {
      input = JSON.parse(raw);
    } catch {
      return { ok: false, response: flwError(400, "Invalid JSON body") };
    }
  }
  return parseValue(schema, input);
}

export function parseValue<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, response: flwError(400, describeIssue(result.error.issues[0], input)) };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue | undefined, input: unknown): string {
  if (!issue) return "Invalid request";
  const path = issue.path.map(String).join(".");
  if (path === "") return `Invalid request body: ${issue.message}`;
  if (valueAt(input, issue.path) === undefined) return `${path} is required`;
  return `${path} is invalid: ${issue.message}`;
}
