/**
 * A small JSON Schema check (the subset our OpenAPI 3.1 document uses:
 * `$ref`, `type` and type lists, `properties`, `required`,
 * `additionalProperties`, `items`, `enum`, `const`, `anyOf`, `oneOf`, `allOf`,
 * `minimum`, `maximum`, `exclusiveMinimum`, `minLength`, `maxLength`,
 * `pattern`). It answers the list of places where a value breaks its schema,
 * so a fuzzer's failure says which field of which answer was wrong.
 *
 * A keyword it does not know fails the check rather than passing silently:
 * a schema the document grows later must be taught here before it is trusted.
 */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  example?: unknown;
  default?: unknown;
  description?: string;
};

export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
export type Parameter = {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Schema;
};
export type Operation = {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: Record<string, unknown>[];
};

/** Annotations and keywords that constrain nothing a JSON value can break. */
const INERT = new Set([
  "example",
  "default",
  "description",
  "format",
  "title",
  "deprecated",
  "readOnly",
  "writeOnly",
  "examples",
]);
const KNOWN = new Set([
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minLength",
  "maxLength",
  "pattern",
  ...INERT,
]);

export function resolveRef(document: OpenApiDocument, schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = document.components.schemas[name];
  if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
  return resolveRef(document, target);
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return actual === expected || (expected === "number" && actual === "integer");
}

/** Every place where `value` breaks `schema`; empty when it conforms. */
export function schemaErrors(
  document: OpenApiDocument,
  schema: Schema,
  value: unknown,
  path = "$",
): string[] {
  const s = resolveRef(document, schema);
  const unknown = Object.keys(s).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0)
    return [`${path}: schema keyword(s) this check does not know: ${unknown.join(", ")}`];
  const errors: string[] = [];
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeMatches(t, value)))
      return [`${path}: expected ${types.join("|")}, got ${typeOf(value)}`];
  }
  if (s.enum && !s.enum.some((e) => e === value))
    errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if ("const" in s && s.const !== value)
    errors.push(`${path}: expected const ${JSON.stringify(s.const)}`);
  if (
    s.anyOf &&
    !s.anyOf.some((branch) => schemaErrors(document, branch, value, path).length === 0)
  )
    errors.push(`${path}: matches no anyOf branch`);
  if (
    s.oneOf &&
    s.oneOf.filter((branch) => schemaErrors(document, branch, value, path).length === 0).length !==
      1
  )
    errors.push(`${path}: does not match exactly one oneOf branch`);
  for (const branch of s.allOf ?? []) errors.push(...schemaErrors(document, branch, value, path));
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum)
      errors.push(`${path}: ${value} < minimum ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum)
      errors.push(`${path}: ${value} > maximum ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum)
      errors.push(`${path}: ${value} <= exclusiveMinimum ${s.exclusiveMinimum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (s.minLength !== undefined && length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value))
      errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value) && s.items)
    value.forEach(
      (item, i) => void errors.push(...schemaErrors(document, s.items!, item, `${path}[${i}]`)),
    );
  if (typeOf(value) === "object") {
    const record = value as Record<string, unknown>;
    for (const key of s.required ?? [])
      if (!(key in record)) errors.push(`${path}: missing required ${key}`);
    for (const [key, item] of Object.entries(record)) {
      const declared = s.properties?.[key];
      if (declared) errors.push(...schemaErrors(document, declared, item, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property ${key}`);
      else if (typeof s.additionalProperties === "object")
        errors.push(...schemaErrors(document, s.additionalProperties, item, `${path}.${key}`));
    }
  }
  return errors;
}
