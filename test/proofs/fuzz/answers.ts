/**
 * What every answer must be: never a 5xx; a 4xx is an RFC 9457 problem
 * document (application/problem+json, valid against the document's Problem
 * schema, its `status` the HTTP status, no stack trace); any other answer is a
 * status the operation documents, and a JSON body valid against that status's
 * schema.
 */
import type { Spec } from "./requests";
import { schemaErrors, type OpenApiDocument, type Operation } from "./schema-check";

const STACK_TRACE = /\bat .+:\d+:\d+|\n\s+at\s|Error: .*\n/;

export type Verdict = { problems: string[]; undocumented4xx: boolean };

export function judge(
  document: OpenApiDocument,
  op: Operation,
  status: number,
  contentType: string | null,
  text: string,
): Verdict {
  const problems: string[] = [];
  if (status >= 500) problems.push(`answered ${status}: ${text.slice(0, 300)}`);
  // Only where our own words are: a static asset (the Swagger bundle) may well contain "at x:1:2".
  const ours = status >= 400 || (contentType ?? "").includes("json");
  if (ours && STACK_TRACE.test(text))
    problems.push(`stack trace in the body: ${text.slice(0, 300)}`);
  if (status >= 400) {
    if (contentType !== "application/problem+json")
      problems.push(`${status} with content-type ${contentType}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`${status} body is not JSON: ${text.slice(0, 200)}`);
      return { problems, undocumented4xx: false };
    }
    problems.push(
      ...schemaErrors(document, { $ref: "#/components/schemas/Problem" }, body).map(
        (e) => `problem document: ${e}`,
      ),
    );
    if ((body as { status?: unknown }).status !== status)
      problems.push(
        `problem status ${(body as { status?: unknown }).status} on a ${status} answer`,
      );
    return { problems, undocumented4xx: status < 500 && !(String(status) in op.responses) };
  }
  const documented = op.responses[String(status)];
  if (!documented) {
    problems.push(`status ${status} is not documented for this operation`);
    return { problems, undocumented4xx: false };
  }
  // An operation documented as JSON may also document other media types for the
  // same status (a statement is JSON, CSV or PDF): the answer's own type must be
  // one of them, and a JSON answer is checked against its schema.
  const content = documented.content ?? {};
  const media = (contentType ?? "").split(";")[0].trim();
  const json = content["application/json"];
  if (json && !(media in content))
    problems.push(
      `${status} answered ${contentType}, documented as ${Object.keys(content).join(" or ")}`,
    );
  else if (json && media === "application/json") {
    try {
      problems.push(
        ...schemaErrors(document, json.schema, JSON.parse(text)).map((e) => `${status} body: ${e}`),
      );
    } catch {
      problems.push(`${status} body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { problems, undocumented4xx: false };
}

/** A request in one line, for failure messages: enough to replay it by hand. */
export function describe(spec: Spec): string {
  const query = spec.query.length ? `?${new URLSearchParams(spec.query).toString()}` : "";
  const body =
    spec.body.kind === "none"
      ? ""
      : spec.body.kind === "raw"
        ? typeof spec.body.text === "string"
          ? spec.body.text
          : `bytes[${spec.body.text.length}]`
        : JSON.stringify(spec.body.kind === "json" ? spec.body.value : spec.body.fields);
  const headers = Object.entries(spec.headers)
    .map(([k, v]) => `${k}: ${k === "authorization" ? `${v.slice(0, 20)}...` : v.slice(0, 80)}`)
    .join("; ");
  return `[${spec.kind}/${spec.attack}] ${spec.method} ${spec.path}${query} {${headers}} ${body.slice(0, 300)}`;
}
