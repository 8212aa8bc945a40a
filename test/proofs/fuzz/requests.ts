/**
 * Requests for one operation of the OpenAPI document, generated from its
 * parameters and body schema: valid ones, ones with one field at an edge, and
 * hostile ones (wrong types, missing and extra fields, duplicated and
 * prototype keys, malformed or mislabelled bodies, stolen or broken
 * credentials, other users' identifiers).
 */
import fc from "fast-check";
import { PASSWORD } from "../../support/helpers";
import { resolveRef, type OpenApiDocument, type Operation, type Schema } from "./schema-check";
import { boundaryArb, hostileValueArb, validArb, type Kind } from "./values";
import type { World } from "./world";

export type Body =
  | { kind: "none" }
  | { kind: "json"; value: Record<string, unknown> }
  | { kind: "form"; fields: Record<string, string> }
  | { kind: "raw"; text: string | Uint8Array };

export type Spec = {
  op: string;
  kind: Kind;
  /** What the request tries, for the report and for a failure's message. */
  attack: string;
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: Body;
};

type Field = {
  name: string;
  where: "path" | "query" | "header" | "body";
  schema: Schema;
  required: boolean;
};

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const ABSENT = Symbol("absent");
type Values = Map<string, unknown>;

export function fieldsOf(
  document: OpenApiDocument,
  op: Operation,
): { fields: Field[]; bodyTypes: string[] } {
  const fields: Field[] = (op.parameters ?? []).map((p) => ({
    name: p.name,
    where: p.in,
    schema: p.schema,
    required: p.required === true,
  }));
  const content = op.requestBody?.content ?? {};
  const bodyTypes = Object.keys(content);
  if (bodyTypes.length > 0) {
    const schema = resolveRef(document, content[bodyTypes[0]].schema);
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      fields.push({
        name,
        where: "body",
        schema: property,
        required: schema.required?.includes(name) ?? false,
      });
  }
  return { fields, bodyTypes };
}

type Security = "user" | "admin" | "operator" | "none";

function securityOf(op: Operation): Security {
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  if (schemes.includes("adminAuth")) return "admin";
  // Acts (Access sign-in only, with a role): the valid request is an approver's.
  if (schemes.includes("accessAuth")) return "operator";
  if (schemes.includes("bearerAuth")) return "user";
  return "none";
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Credentials that must all be refused (401), for a user route, an admin route or an operator's act. */
function brokenAuthArb(
  world: World,
  security: Exclude<Security, "none">,
): fc.Arbitrary<[string, Record<string, string>]> {
  const common: [string, Record<string, string>][] = [
    ["no-auth", {}],
    ["empty-bearer", { authorization: "Bearer " }],
    ["basic-scheme", { authorization: `Basic ${btoa(`${world.actor.email}:${PASSWORD}`)}` }],
    ["token-without-scheme", { authorization: world.actor.token }],
    ["truncated-token", bearer(world.actor.token.slice(0, -5))],
    [
      "tampered-token",
      bearer(world.actor.token.replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}AA.`)),
    ],
    [
      "alg-none-token",
      bearer(
        `${btoa(JSON.stringify({ alg: "none", typ: "JWT" }))}.${btoa(JSON.stringify({ sub: world.actor.user_id }))}.`,
      ),
    ],
    ["two-tokens", { authorization: `Bearer ${world.actor.token}, Bearer ${world.adminToken}` }],
    ["garbage-token", bearer("x".repeat(5000))],
  ];
  const user: [string, Record<string, string>][] = [
    ["expired-token", bearer(world.expiredToken)],
    ["foreign-key-token", bearer(world.foreignKeyToken)],
    ["admin-token-as-user", bearer(world.adminToken)],
  ];
  const admin: [string, Record<string, string>][] = [
    ["user-token-on-admin", world.actor.auth],
    ["wrong-admin-token", bearer(`${world.adminToken}x`)],
    ["admin-token-prefix", bearer(world.adminToken.slice(0, 12))],
    ["admin-token-lowercase-scheme", { authorization: `bearer ${world.adminToken.toUpperCase()}` }],
  ];
  const access = world.operatorAuth["cf-access-jwt-assertion"];
  const operator: [string, Record<string, string>][] = [
    ["user-token-on-operator-act", world.actor.auth],
    ["tampered-access-token", { "cf-access-jwt-assertion": `${access.slice(0, -4)}AAAA` }],
    ["access-token-as-bearer", bearer(access)],
    [
      "access-header-and-cookie-differ",
      {
        "cf-access-jwt-assertion": access,
        cookie: `CF_Authorization=${access.slice(0, -4)}AAAA`,
      },
    ],
  ];
  const own = security === "user" ? user : security === "admin" ? admin : operator;
  return fc.constantFrom(...common, ...own);
}

function validAuth(world: World, security: Security): Record<string, string> {
  if (security === "admin") return bearer(world.adminToken);
  if (security === "operator") return world.operatorAuth;
  if (security === "user") return world.actor.auth;
  return {};
}

/** A Flutterwave-shaped event (or a VTpass update) that names our references, or someone else's. */
function providerEventArb(world: World, opPath: string): fc.Arbitrary<Record<string, unknown>> {
  const ref = fc.constantFrom(...world.actor.tx_refs, ...world.victim.tx_refs, "unknown-ref");
  if (opPath.includes("vtpass"))
    return ref.map((r) => ({
      type: "transaction-update",
      data: { requestId: r, content: { transactions: { status: "delivered" } } },
    }));
  return fc.record({
    event: fc.constantFrom("charge.completed", "transfer.completed", "unknown.event"),
    data: fc.record({
      id: fc.integer({ min: 1, max: 2 ** 31 }),
      tx_ref: ref,
      reference: ref,
      status: fc.constantFrom("successful", "SUCCESSFUL", "failed"),
      amount: fc.integer({ min: 1, max: 5_000_000 }),
      currency: fc.constantFrom("NGN", "USD"),
    }),
  });
}

/**
 * A purchase names its recipient by its fields or by `beneficiary_id`, never
 * both: a valid draft names it by its fields (always present, as they were
 * before saved recipients), and the hostile drafts try the victim's
 * `beneficiary_id`.
 */
const RECIPIENT_FIELDS: Record<string, readonly string[]> = {
  "/wallet/airtime": ["phone"],
  "/wallet/data": ["phone"],
  "/wallet/electricity": ["disco", "meter", "type"],
  "/wallet/tv": ["provider", "smartcard"],
};

function validValuesArb(
  document: OpenApiDocument,
  fields: Field[],
  world: World,
  opPath: string,
): fc.Arbitrary<Values> {
  const recipient = Object.entries(RECIPIENT_FIELDS).find(([path]) => opPath.endsWith(path))?.[1];
  const entries = fields.map((f) => {
    if (recipient && f.name === "beneficiary_id")
      return fc.constant([f.name, ABSENT as unknown] as const);
    let arb: fc.Arbitrary<unknown> = validArb(
      document,
      f.schema,
      f.name,
      world,
      f.where === "body" ? "json" : "text",
    );
    if (f.name === "password" && opPath.endsWith("/login"))
      arb = fc.oneof(fc.constant(PASSWORD), arb);
    // The callback's and the purchase page's `status` and `tx_ref` may be anything the provider appends.
    const value =
      f.required || recipient?.includes(f.name)
        ? arb
        : fc.option(arb, { nil: ABSENT as unknown as undefined, freq: 3 });
    return value.map((v) => [f.name, v] as const);
  });
  const drawn = fc.tuple(...entries).map((pairs) => new Map(pairs.filter(([, v]) => v !== ABSENT)));
  if (!opPath.endsWith("/wallet/tv")) return drawn;
  // A TV payment's fields must agree (a renewal only where the service has one, a
  // change naming that service's bouquet, months only for DStv and GOtv), which
  // independent draws seldom do: half of the valid ones are drawn agreeing.
  return fc.oneof(
    drawn,
    fc.tuple(drawn, tvAgreeingArb(world)).map(([values, agreeing]) => {
      const merged = new Map(values);
      merged.delete("quantity");
      merged.delete("bouquet");
      for (const [k, v] of Object.entries(agreeing)) merged.set(k, v);
      return merged;
    }),
  );
}

/** Provider, action, bouquet and months that VTpass's rules accept together. */
function tvAgreeingArb(world: World): fc.Arbitrary<Record<string, unknown>> {
  const change = (provider: string, months: boolean) =>
    fc
      .tuple(
        fc.constantFrom(...(world.bouquetsByProvider[provider] ?? ["none"])),
        months
          ? fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined })
          : fc.constant(undefined),
      )
      .map(([bouquet, quantity]) => ({
        provider,
        action: "change",
        bouquet,
        ...(quantity === undefined ? {} : { quantity }),
      }));
  return fc.oneof(
    fc.constantFrom("dstv", "gotv").map((provider) => ({ provider, action: "renew" })),
    change("dstv", true),
    change("gotv", true),
    change("startimes", false),
  );
}

type Draft = {
  kind: Kind;
  attack: string;
  values: Values;
  auth: Record<string, string>;
  bodyType: string | null;
  raw?: string | Uint8Array;
  contentType?: string | null;
  rawPath?: Map<string, string>;
  extraQuery?: [string, string][];
  extraHeaders?: Record<string, string>;
};

const MALFORMED_JSON = [
  "",
  "{",
  '{"amount": "1000",}',
  "{'amount': '1000'}",
  '{"amount": NaN}',
  '{"amount": 1e309}',
  '{"amount": -1e309}',
  '{"amount": 100000000000000000000000000000000000001}',
  '{"amount": 1000.000000000000000000001}',
  "null",
  "[]",
  '"amount"',
  "[".repeat(20_000),
  '{"a":'.repeat(5_000),
  "\ufeff{}",
  '{"amount": "10\u0000"}',
];

function jsonText(values: Values, fields: Field[]): string {
  return JSON.stringify(
    Object.fromEntries(
      fields
        .filter((f) => f.where === "body" && values.has(f.name))
        .map((f) => [f.name, values.get(f.name)]),
    ),
  );
}

/** One hostile change to a valid draft. */
function hostileArb(
  document: OpenApiDocument,
  method: string,
  fields: Field[],
  bodyTypes: string[],
  security: Security,
  world: World,
  base: Draft,
): fc.Arbitrary<Draft> {
  const options: fc.Arbitrary<Draft>[] = [];
  const bodyFields = fields.filter((f) => f.where === "body");
  if (security !== "none")
    options.push(
      brokenAuthArb(world, security).map(([attack, auth]) => ({
        ...base,
        kind: "hostile",
        attack,
        auth,
      })),
    );
  const idFields = fields.filter(
    (f) =>
      f.name === "tx_ref" ||
      f.name === "user_id" ||
      f.name === "ticket" ||
      f.name === "id" ||
      f.name === "beneficiary_id",
  );
  if (idFields.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...idFields),
          fc.constantFrom(...world.victim.tx_refs),
          fc.constantFrom(world.victim.user_id, world.ghostUserId),
          fc.constantFrom(...world.victim.owned_ids),
        )
        .map(([f, ref, user, owned]) => {
          const values = new Map(base.values);
          // An operator may act on any wallet (a freeze, an adjustment): naming the victim would be
          // an act, not a theft, so an operator's request names the ghost user (no wallet) instead.
          const named = security === "operator" ? world.ghostUserId : user;
          const stolen =
            f.name === "tx_ref"
              ? ref
              : f.name === "ticket"
                ? world.victim.ticket
                : f.name === "id"
                  ? owned
                  : f.name === "beneficiary_id"
                    ? world.victim.owned_ids[0]
                    : named;
          values.set(f.name, stolen);
          // Operators may name any user: stealing is a user's token naming another user's things.
          const auth =
            security === "admin" || security === "operator" ? world.actor.auth : base.auth;
          return {
            ...base,
            kind: "hostile" as const,
            attack: `other-users-${f.name}`,
            values,
            auth,
          };
        }),
    );
  if (bodyFields.length > 0) {
    options.push(
      fc.tuple(fc.constantFrom(...bodyFields), hostileValueArb()).map(([f, v]) => {
        const values = new Map(base.values);
        values.set(f.name, v);
        return {
          ...base,
          kind: "hostile" as const,
          attack: "wrong-type",
          values,
          bodyType: JSON_TYPE,
        };
      }),
      fc.constantFrom(...bodyFields).map((f) => {
        const values = new Map(base.values);
        values.delete(f.name);
        return { ...base, kind: "hostile" as const, attack: `missing-${f.name}`, values };
      }),
      fc
        .constantFrom("is_admin", "balance_minor", "user_id", "status", "tx_ref", "role")
        .map((extra) => {
          const values = new Map(base.values);
          values.set(extra, extra === "balance_minor" ? 10 ** 12 : "admin");
          return {
            ...base,
            kind: "hostile" as const,
            attack: "extra-field",
            values,
            bodyType: bodyTypes[0],
          };
        }),
      fc.constantFrom("__proto__", "constructor", "prototype").map((key) => {
        const inner = jsonText(base.values, fields).slice(1);
        const raw = `{"${key}": {"is_admin": true, "balance_minor": 1000000000, "prototype": {"polluted": 1}}${inner === "}" ? "" : ","}${inner}`;
        return {
          ...base,
          kind: "hostile" as const,
          attack: `${key}-key`,
          raw,
          contentType: JSON_TYPE,
        };
      }),
      fc.constantFrom(...bodyFields).chain((f) =>
        boundaryArb(document, f.schema).map((second) => {
          const first = jsonText(base.values, fields).slice(0, -1);
          const raw = `${first}${first === "{" ? "" : ","}"${f.name}": ${JSON.stringify(second) ?? "null"}}`;
          return {
            ...base,
            kind: "hostile" as const,
            attack: "duplicated-key",
            raw,
            contentType: JSON_TYPE,
          };
        }),
      ),
      fc.constantFrom(...MALFORMED_JSON).map((raw) => ({
        ...base,
        kind: "hostile" as const,
        attack: "malformed-json",
        raw,
        contentType: JSON_TYPE,
      })),
      // Bodies in the wrong encoding for their label, or with labels we do not take.
      fc
        .constantFrom(
          ["form-labelled-json", JSON_TYPE, "form"],
          ["json-labelled-form", FORM_TYPE, "json"],
          ["json-as-text-plain", "text/plain", "json"],
          ["json-without-content-type", null, "json"],
          ["form-without-content-type", null, "form"],
          ["multipart-without-boundary", "multipart/form-data", "form"],
          ["json-as-utf16", "application/json; charset=utf-16", "json"],
          ["duplicated-content-type", `${JSON_TYPE}, ${FORM_TYPE}`, "json"],
          ["json-with-garbage-params", "application/json; charset=\u00ff; x", "json"],
          ["xml-body", "application/xml", "xml"],
        )
        .map(([attack, contentType, encoding]) => {
          const json = jsonText(base.values, fields);
          const formText = new URLSearchParams(
            Object.entries(JSON.parse(json) as Record<string, unknown>).map(([k, v]) => [
              k,
              String(v),
            ]),
          ).toString();
          const raw =
            encoding === "json"
              ? json
              : encoding === "form"
                ? formText
                : `<?xml version="1.0"?><a>${formText}</a>`;
          return { ...base, kind: "hostile" as const, attack, raw, contentType };
        }),
      fc.constant({
        ...base,
        kind: "hostile" as const,
        attack: "invalid-utf8",
        raw: new Uint8Array([
          0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d,
        ]),
        contentType: JSON_TYPE,
      }),
    );
  } else if (method !== "get") {
    // A body where none is taken (only where the method can carry one).
    options.push(
      fc.constant({
        ...base,
        kind: "hostile" as const,
        attack: "unexpected-body",
        raw: '{"amount": "1000000", "is_active": true}',
        contentType: JSON_TYPE,
      }),
    );
  }
  const queryFields = fields.filter((f) => f.where === "query");
  if (queryFields.length > 0)
    options.push(
      fc
        .tuple(fc.constantFrom(...queryFields), boundaryArb(document, queryFields[0].schema))
        .map(([f, v]) => ({
          ...base,
          kind: "hostile" as const,
          attack: "duplicated-query",
          extraQuery: [[f.name, String(v)] as [string, string]],
        })),
      fc.tuple(fc.constantFrom(...queryFields), hostileValueArb()).map(([f, v]) => {
        const values = new Map(base.values);
        values.set(f.name, JSON.stringify(v));
        return { ...base, kind: "hostile" as const, attack: "query-wrong-type", values };
      }),
    );
  options.push(
    fc.constant({
      ...base,
      kind: "hostile" as const,
      attack: "unknown-query",
      extraQuery: [
        ["__proto__[admin]", "1"] as [string, string],
        ["constructor[prototype][x]", "1"] as [string, string],
        ["limit[]", "1"] as [string, string],
      ],
    }),
  );
  const pathFields = fields.filter((f) => f.where === "path");
  if (pathFields.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...pathFields),
          fc.constantFrom(
            "..",
            "..%2f..%2fadmin%2fusers",
            "%2e%2e%2f%2e%2e%2fadmin",
            "..%252f..%252f",
            "%00",
            "a%2fb",
            "%ff%fe",
            "....//....//",
            "%u002e%u002e",
            ";x=1",
            "a?b=c",
            "%23fragment",
          ),
        )
        .map(([f, raw]) => ({
          ...base,
          kind: "hostile" as const,
          attack: "path-traversal",
          rawPath: new Map([[f.name, raw]]),
        })),
    );
  return fc.oneof(...options);
}

/** One field at an edge of its schema (or nasty text), the rest valid. */
function boundaryDraftArb(
  document: OpenApiDocument,
  fields: Field[],
  base: Draft,
): fc.Arbitrary<Draft> {
  if (fields.length === 0)
    return fc.constant({
      ...base,
      kind: "boundary" as const,
      attack: "no-fields",
      extraHeaders: { "x-request-id": "x".repeat(300) },
    });
  return fc.tuple(fc.constantFrom(...fields), fc.nat()).chain(([f]) =>
    boundaryArb(document, f.schema).map((v) => {
      const values = new Map(base.values);
      values.set(f.name, v);
      return { ...base, kind: "boundary" as const, attack: `edge-${f.where}-${f.name}`, values };
    }),
  );
}

/** Header values must be Latin-1 without CR/LF/NUL, or fetch itself refuses them before they reach us. */
function headerSafe(value: unknown): string {
  return String(value).replace(/[^\t\x20-\x7e\x80-\xff]/g, "?");
}

/** A lone surrogate cannot travel in a URL (it has no UTF-8 form): it goes as U+FFFD, as a browser would send it. */
function encodePathSegment(value: unknown): string {
  return encodeURIComponent(
    String(value).replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      "\ufffd",
    ),
  );
}

function render(
  opKey: string,
  method: string,
  pathTemplate: string,
  fields: Field[],
  draft: Draft,
): Spec {
  let path = pathTemplate;
  const query: [string, string][] = [];
  const headers: Record<string, string> = { ...draft.auth, ...draft.extraHeaders };
  for (const f of fields) {
    const raw = draft.rawPath?.get(f.name);
    const present = draft.values.has(f.name);
    const value = draft.values.get(f.name);
    if (f.where === "path")
      path = path.replace(`{${f.name}}`, raw ?? (present ? encodePathSegment(value) : ""));
    else if (f.where === "query" && present)
      query.push([f.name, typeof value === "string" ? value : (JSON.stringify(value) ?? "")]);
    else if (f.where === "header" && present) headers[f.name] = headerSafe(value);
  }
  query.push(...(draft.extraQuery ?? []));
  let body: Body = { kind: "none" };
  if (draft.raw !== undefined) {
    body = { kind: "raw", text: draft.raw };
    if (draft.contentType) headers["content-type"] = draft.contentType;
  } else if (draft.bodyType) {
    const record = Object.fromEntries(
      [...draft.values].filter(
        ([name]) => !fields.some((f) => f.name === name && f.where !== "body"),
      ),
    );
    if (draft.bodyType === FORM_TYPE) {
      body = {
        kind: "form",
        fields: Object.fromEntries(
          Object.entries(record).map(([k, v]) => [
            k,
            typeof v === "string" ? v : (JSON.stringify(v) ?? ""),
          ]),
        ),
      };
      headers["content-type"] = FORM_TYPE;
    } else {
      body = { kind: "json", value: record };
      headers["content-type"] = JSON_TYPE;
    }
  }
  return {
    op: opKey,
    kind: draft.kind,
    attack: draft.attack,
    method: method.toUpperCase(),
    path,
    query,
    headers,
    body,
  };
}

/** Requests for one operation: about 40% valid, 25% at an edge, 35% hostile. */
export function specArb(
  document: OpenApiDocument,
  method: string,
  pathTemplate: string,
  op: Operation,
  world: World,
): fc.Arbitrary<Spec> {
  const opKey = `${method.toUpperCase()} ${pathTemplate}`;
  const { fields, bodyTypes } = fieldsOf(document, op);
  const security = securityOf(op);
  const isProviderHook = bodyTypes.length > 0 && fields.every((f) => f.where !== "body");
  const baseArb = fc
    .tuple(
      validValuesArb(document, fields, world, pathTemplate),
      bodyTypes.length > 0 ? fc.constantFrom(...bodyTypes) : fc.constant(null),
      isProviderHook ? providerEventArb(world, pathTemplate) : fc.constant(null),
    )
    .map(([values, bodyType, event]): Draft => {
      if (event) for (const [k, v] of Object.entries(event)) values.set(k, v);
      // An operator's act changes the wallet it names: only the actor's, since the victim's
      // state is the one that must never change.
      if (security === "operator" && values.has("user_id"))
        values.set("user_id", world.actor.user_id);
      return { kind: "valid", attack: "none", values, auth: validAuth(world, security), bodyType };
    });
  const hookFields = isProviderHook
    ? [
        ...fields,
        { name: "event", where: "body" as const, schema: { type: "string" }, required: false },
        { name: "data", where: "body" as const, schema: { type: "object" }, required: false },
      ]
    : fields;
  const draftArb = baseArb.chain((base) =>
    fc.oneof(
      { weight: 40, arbitrary: fc.constant(base) },
      { weight: 25, arbitrary: boundaryDraftArb(document, fields, base) },
      {
        weight: 35,
        arbitrary: hostileArb(document, method, hookFields, bodyTypes, security, world, base),
      },
    ),
  );
  return draftArb.map((draft) => render(opKey, method, pathTemplate, hookFields, draft));
}

export function toRequest(spec: Spec, ip: string): Request {
  const url = new URL(`http://wallet.test${spec.path}`);
  for (const [k, v] of spec.query) url.searchParams.append(k, v);
  const headers = new Headers({ "cf-connecting-ip": ip });
  for (const [k, v] of Object.entries(spec.headers)) headers.set(k, v);
  let body: BodyInit | undefined;
  if (spec.body.kind === "json") body = JSON.stringify(spec.body.value);
  else if (spec.body.kind === "form") body = new URLSearchParams(spec.body.fields).toString();
  else if (spec.body.kind === "raw") body = spec.body.text;
  const carries = spec.method !== "GET" && spec.method !== "HEAD";
  return new Request(url.toString(), {
    method: spec.method,
    headers,
    body: carries ? body : undefined,
    redirect: "manual",
  });
}
