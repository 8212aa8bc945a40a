/**
 * One error class and one way to answer it: RFC 9457 problem details.
 *
 * `AppError` is for operating errors we expect (bad input, auth, conflicts,
 * provider refusals); its fields become the problem document. Anything else that
 * reaches the error handler is a bug: it is logged with its stack and answered
 * as a bare 500 whose body says nothing about the cause.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type FieldError = { path: string; message: string; code?: string };

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  request_id: string;
  errors?: FieldError[];
  [extra: string]: unknown;
};

/** Problem types are tag URIs (RFC 4151), which RFC 9457 allows for non-resolvable types. */
export function problemType(code: string): string {
  return `tag:airtime-wallet,2026:problem:${code}`;
}

export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;

  constructor(init: {
    status: ContentfulStatusCode;
    code: string;
    title: string;
    detail?: string;
    errors?: FieldError[];
    headers?: Record<string, string>;
    extra?: Record<string, unknown>;
  }) {
    super(init.detail ?? init.title);
    this.name = "AppError";
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extra = init.extra ?? {};
  }

  toProblem(request_id: string): ProblemBody {
    return {
      ...this.extra,
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      code: this.code,
      request_id,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

export function problemResponse(
  problem: ProblemBody,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** A sentence's end: a stop, a question or exclamation mark, or an ellipsis, before any closing quotes or brackets. */
const SENTENCE_END = /[.!?\u2026]["'\u201d\u2019)\]]*$/;

/**
 * Sentences joined for a problem's `detail` or a failure reason, with one stop
 * between them whatever each part brought: provider messages come with and
 * without their own full stop ("...wait 30 seconds before repeating it." and
 * "Payout was made to a blacklisted account number"), and gluing ". " after
 * the first kind read "it.. Nothing". Each part is trimmed, a trailing comma,
 * colon or semicolon dropped, a doubled stop made single (an ellipsis is
 * kept), a stop added where none ends it; empty parts are left out.
 */
export function sentences(...parts: readonly (string | null | undefined)[]): string {
  return parts
    .map((part) =>
      (part ?? "")
        .trim()
        .replace(/[\s,;:]+$/, "")
        .replace(/(^|[^.])\.\.$/, "$1."),
    )
    .filter((part) => part !== "")
    .map((part) => (SENTENCE_END.test(part) ? part : `${part}.`))
    .join(" ");
}

// ---- Constructors for the errors every route shares -------------------------

export const errors = {
  validation: (fields: FieldError[], detail = "The request has invalid fields.") =>
    new AppError({
      status: 422,
      code: "validation_failed",
      title: "Validation failed",
      detail,
      errors: fields,
    }),
  badRequest: (code: string, detail: string) =>
    new AppError({ status: 400, code, title: "Bad request", detail }),
  unauthorized: (
    detail = "A valid bearer token is required.",
    error: "invalid_token" | "invalid_request" | null = "invalid_token",
  ) =>
    new AppError({
      status: 401,
      code: "unauthorized",
      title: "Unauthorized",
      detail,
      headers: { "www-authenticate": error ? `Bearer error="${error}"` : "Bearer" },
    }),
  forbidden: (detail: string) =>
    new AppError({ status: 403, code: "forbidden", title: "Forbidden", detail }),
  notFound: (detail = "No such resource.") =>
    new AppError({ status: 404, code: "not_found", title: "Not found", detail }),
  conflict: (code: string, detail: string) =>
    new AppError({ status: 409, code, title: "Conflict", detail }),
  unprocessable: (code: string, detail: string, extra?: Record<string, unknown>) =>
    new AppError({ status: 422, code, title: "Unprocessable request", detail, extra }),
  rateLimited: (retry_after_s: number) =>
    new AppError({
      status: 429,
      code: "rate_limited",
      title: "Too many requests",
      detail: `Too many attempts; try again in ${retry_after_s} seconds.`,
      headers: { "retry-after": String(retry_after_s) },
    }),
  upstream: (code: string, detail: string, status: 502 | 503 | 504 = 502) =>
    new AppError({ status, code, title: "Upstream provider error", detail }),
  unavailable: (code: string, detail: string) =>
    new AppError({ status: 503, code, title: "Service unavailable", detail }),
};
