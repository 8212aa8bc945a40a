/**
 * ApiProblem: every refusal the API sends is an RFC 9457 problem document
 * (`application/problem+json`) with a stable snake_case `code` and the
 * `request_id` support asks for. The client turns each one into this error, so
 * callers branch on `error.code`, never on message text.
 */
import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type FieldProblem = { path: string; message: string };

export class ApiProblem extends Error {
  override readonly name = "ApiProblem";
  /** HTTP status of the answer (for a WebSocket refusal, the status its 44xx close code mirrors). */
  readonly status: number;
  /** Stable snake_case code, e.g. `insufficient_funds`, `validation_failed`, `rate_limited`. */
  readonly code: string;
  /** The server's request id (null only when no answer carried one). */
  readonly request_id: string | null;
  readonly type: string;
  readonly title: string;
  readonly detail: string | null;
  /** Field problems of a 422 `validation_failed`. */
  readonly errors: FieldProblem[];
  /** Seconds the server asked us to wait (`Retry-After`), when it said. */
  readonly retry_after_s: number | null;
  /** The whole document, for members this class does not name. */
  readonly problem: Record<string, unknown>;

  constructor(init: {
    status: number;
    code: string;
    request_id: string | null;
    type?: string;
    title?: string;
    detail?: string | null;
    errors?: FieldProblem[];
    retry_after_s?: number | null;
    problem?: Record<string, unknown>;
  }) {
    super(
      `${init.status} ${init.code}${init.detail ? `: ${init.detail}` : ""}${init.request_id ? ` (request ${init.request_id})` : ""}`,
    );
    this.status = init.status;
    this.code = init.code;
    this.request_id = init.request_id;
    this.type = init.type ?? "about:blank";
    this.title = init.title ?? `HTTP ${init.status}`;
    this.detail = init.detail ?? null;
    this.errors = init.errors ?? [];
    this.retry_after_s = init.retry_after_s ?? null;
    this.problem = init.problem ?? {};
  }

  /**
   * Build the error from a refused answer whose body has not been read yet.
   */
  static async fromResponse(response: Response): Promise<ApiProblem> {
    let body: unknown = null;
    try {
      body = await response.clone().json();
    } catch {
      // Not JSON: described by the status alone.
    }
    return ApiProblem.fromAnswer(response, body);
  }

  /**
   * Build the error from a refused answer and its already parsed body (as
   * openapi-fetch hands it over). A body that is not a problem document (a
   * proxy's HTML 502, say) still gives a usable error: the code is then
   * `http_<status>` and the request id comes from `X-Request-Id`.
   */
  static fromAnswer(response: Response, body: unknown): ApiProblem {
    const header_request_id = response.headers.get("x-request-id");
    const retry_after_ms = retryAfterMs(response.headers.get("retry-after"), Date.now());
    const retry_after_s = retry_after_ms === null ? null : Math.ceil(retry_after_ms / 1000);
    if (isProblem(body)) {
      return new ApiProblem({
        status: typeof body.status === "number" ? body.status : response.status,
        code: body.code,
        request_id: typeof body.request_id === "string" ? body.request_id : header_request_id,
        type: typeof body.type === "string" ? body.type : undefined,
        title: typeof body.title === "string" ? body.title : undefined,
        detail: typeof body.detail === "string" ? body.detail : null,
        errors: Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : [],
        retry_after_s,
        problem: body,
      });
    }
    return new ApiProblem({
      status: response.status,
      code: `http_${response.status}`,
      request_id: header_request_id,
      title: response.statusText || undefined,
      retry_after_s,
    });
  }
}

function isProblem(body: unknown): body is Record<string, unknown> & { code: string } {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { code?: unknown }).code === "string"
  );
}

/**
 * `Retry-After` (RFC 9110 10.2.3) in milliseconds from `now_ms`: delta-seconds
 * or an HTTP date. Null when absent or unreadable; never negative.
 */
export function retryAfterMs(header: string | null, now_ms: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date_ms = Date.parse(text);
  if (Number.isNaN(date_ms)) return null;
  return Math.max(0, date_ms - now_ms);
}
