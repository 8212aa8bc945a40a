/**
 * The VTpass look-alike's answer shapes. VTpass answers almost everything,
 * refusals included, with HTTP 200 and a `code` in the body; only what sits in
 * front of its application (the web server, the gateway, the rate limiter)
 * answers with another status. Helpers build plain Responses so handlers,
 * fault modes and the error hook answer alike.
 *
 * The control API is ours, not VTpass's: it keeps VTpass's field names
 * (`code`, `response_description`, `content`) but says what went wrong with
 * the HTTP status, as the kit's control routes expect.
 */
import type { z } from "zod";
import type { Json } from "./model";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** A VTpass answer: HTTP 200, the body as the model rendered it. */
export function vtAnswer(body: Json): Response {
  return vtText(JSON.stringify(body));
}

/** The same, from JSON text already rendered (what crosses RPC from the object). */
export function vtText(json_text: string): Response {
  return new Response(json_text, { status: 200, headers: JSON_HEADERS });
}

/**
 * What VTpass's framework (Laravel) sends when its application fails: 500
 * with `{"message":"Server Error"}` when JSON was asked for.
 */
export function serverError(): Response {
  return new Response(JSON.stringify({ message: "Server Error" }), {
    status: 500,
    headers: JSON_HEADERS,
  });
}

/** The gateway in front of VTpass giving up on it: 504 with the web server's HTML page. */
export function gatewayTimeout(): Response {
  return new Response(
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n",
    {
      status: 504,
      headers: { "content-type": "text/html" },
    },
  );
}

/** Laravel's throttle answer: 429 `{"message":"Too Many Attempts."}`. */
export function tooManyAttempts(): Response {
  return new Response(JSON.stringify({ message: "Too Many Attempts." }), {
    status: 429,
    headers: { ...JSON_HEADERS, "retry-after": "60" },
  });
}

/** A path under /api that the look-alike does not imitate. */
export function notImitated(): Response {
  return new Response(
    JSON.stringify({ message: "This endpoint is not available in the sandbox" }),
    { status: 404, headers: JSON_HEADERS },
  );
}

// ---- The control API's envelope ------------------------------------------------------------

export function controlOk(message: string, data: unknown): Response {
  return new Response(
    JSON.stringify({ code: "000", response_description: message, content: data }),
    { status: 200, headers: JSON_HEADERS },
  );
}

/** `code: "error"` is not a VTpass code, so nobody mistakes a control refusal for one of VTpass's. */
export function controlError(status: 400 | 404 | 409, message: string): Response {
  return new Response(
    JSON.stringify({ code: "error", response_description: message, content: null }),
    { status, headers: JSON_HEADERS },
  );
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Parse a control body (an empty body reads as `{}`), answering 400 with the first problem. */
export function parseControlBody<S extends z.ZodType>(schema: S, raw: string): Parsed<z.output<S>> {
  let input: unknown = {};
  if (raw.trim() !== "") {
    try {
      input = JSON.parse(raw);
    } catch {
      return { ok: false, response: controlError(400, "Invalid JSON body") };
    }
  }
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join(".") ?? "";
  return {
    ok: false,
    response: controlError(
      400,
      path === ""
        ? `Invalid request body: ${issue?.message ?? "invalid"}`
        : `${path} is invalid: ${issue.message}`,
    ),
  };
}

/** A request body as JSON, or null when it is not: the model then answers 011 (after the key check). */
export function jsonOrNull(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}
