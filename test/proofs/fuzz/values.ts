/**
 * Values for one field, from its schema, in three kinds:
 * - valid: what the schema allows (and, where a name says what the field
 *   means, a value the domain accepts too, so valid requests reach the money
 *   paths instead of stopping at validation);
 * - boundary: the edges of the schema and of text (limits and one past them,
 *   zero, negatives, huge and precise numbers, empty and very long strings,
 *   RTL, NUL, lone surrogates, percent-encoding, path traversal);
 * - hostile: the wrong type altogether.
 */
import fc from "fast-check";
import { resolveRef, type OpenApiDocument, type Schema } from "./schema-check";
import type { World } from "./world";

export type Kind = "valid" | "boundary" | "hostile";

/** Text that has broken parsers, loggers and path handling before. */
export const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "\u202eevil\u202c",
  "مرحبا بالعالم",
  "שלום",
  "👩🏽‍💻💸",
  "\u200b\u200b",
  "%00",
  "%2e%2e%2f%2e%2e%2f",
  "%252e%252e%252f",
  "../../../etc/passwd",
  "..\\..\\windows",
  "/api/v1/admin/users",
  "' OR 1=1; --",
  '"; DROP TABLE transactions; --',
  "<script>alert(1)</script>",
  "${7*7}{{7*7}}",
  "\r\nx-injected: 1",
  "__proto__",
  "constructor",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "0x64",
  "١٠٠٠",
  "１０００",
  "1,000.00",
  "100.001",
  "100.0000000000000000001",
  "  1000  ",
  "+1000",
  "1e5",
  ".5",
  "5.",
];

/** Numbers at and around the usual edges. */
export const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.1 + 0.2,
  0.005,
  99.999,
  100.004,
  1e-7,
  1e21,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
  2 ** 31,
  2 ** 53 + 1,
  5e-324,
];

/** Wrong JSON types for any field. */
export const WRONG_TYPES: unknown[] = [
  null,
  true,
  false,
  [],
  ["1000"],
  {},
  { amount: "1000" },
  { __proto__: { admin: true } },
  12,
  -12.5,
  "12",
  [null],
];

function stringArb(s: Schema): fc.Arbitrary<string> {
  if (s.enum) return fc.constantFrom(...(s.enum as string[]));
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  if (s.format === "date-time")
    return fc
      .date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString());
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 40, 40);
  return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min =
    s.minimum ??
    (s.exclusiveMinimum !== undefined
      ? s.exclusiveMinimum + (integer ? 1 : 0.01)
      : integer
        ? -1000
        : -1000);
  const max = s.maximum ?? min + 10_000;
  if (integer) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  // Two decimals at most: what money fields accept.
  return fc.integer({ min: Math.ceil(min * 100), max: Math.floor(max * 100) }).map((n) => n / 100);
}

/** A value the schema allows (generic: no knowledge of what the field means). */
export function schemaValueArb(document: OpenApiDocument, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolveRef(document, schema);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((branch) => schemaValueArb(document, branch)));
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return stringArb(s);
    case "integer":
      return numberArb(s, true);
    case "number":
      return numberArb(s, false);
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(s.items ? schemaValueArb(document, s.items) : fc.anything(), {
        maxLength: 3,
      });
    default:
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), {
        maxKeys: 3,
      });
  }
}

/** Decimal naira between two bounds, as a string with 0-2 decimals or as a JSON number. */
function nairaArb(min: number, max: number, asString: boolean): fc.Arbitrary<string | number> {
  // Mostly small amounts, so the funded wallet lasts the whole run.
  // Whole naira half the time: airtime is sold in whole naira only.
  // Bounds may be fractional naira (an adjustment's least is 0.01): generate in whole kobo.
  const kmin = Math.ceil(min * 100);
  const kmax = Math.floor(max * 100);
  const small = Math.min(kmax, Math.max(kmin, kmin * 20, 100 * 20));
  const nmin = Math.ceil(kmin / 100);
  const nmax = Math.floor(small / 100);
  const kobo = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: kmin, max: small }) },
    {
      weight: nmax >= nmin ? 4 : 0,
      arbitrary: fc.integer({ min: nmin, max: Math.max(nmin, nmax) }).map((n) => n * 100),
    },
    fc.integer({ min: kmin, max: kmax }),
  );
  return kobo.chain(
    (k): fc.Arbitrary<string | number> =>
      asString ? fc.constantFrom((k / 100).toFixed(2), String(k / 100)) : fc.constant(k / 100),
  );
}

/**
 * A valid value for a field that the world gives a meaning to (an identifier
 * of ours, a test account, a plan that exists), else the schema's own.
 */
export function validArb(
  document: OpenApiDocument,
  schema: Schema,
  name: string,
  world: World,
  where: "json" | "text",
): fc.Arbitrary<unknown> {
  const s = resolveRef(document, schema);
  switch (name) {
    case "tx_ref":
      return fc.constantFrom(...world.actor.tx_refs);
    case "user_id":
      // The lane's own user: an operator's valid act changes the wallet it names, and only the
      // lane's user is followed through its successes (the victim must never change).
      return fc.constant(world.actor.user_id);
    case "ticket":
      return fc.constant(world.actor.ticket);
    // A saved recipient's or a schedule's id: the actor's own (a lane's user answers 404 for it, like any id not its own).
    case "id":
      return fc.constantFrom(...world.actor.owned_ids);
    case "beneficiary_id":
      return fc.constant(world.actor.owned_ids[0]);
    case "secret":
      return fc.constant(world.vtpassCallbackSecret);
    case "phone":
      return fc.oneof(
        fc.constant("08011111111"),
        fc.integer({ min: 0, max: 9_999_999 }).map((n) => `0803${String(n).padStart(7, "0")}`),
      );
    case "plan":
      return fc.constantFrom(...world.plans);
    // The look-alike's test meters and smartcards (delivered at once), or a number merchant-verify refuses.
    case "meter":
      return fc.oneof(
        fc.constantFrom("1111111111111", "1010101010101"),
        fc.integer({ min: 0, max: 999_999_999 }).map((n) => `45${String(n).padStart(9, "0")}`),
      );
    case "smartcard":
      return fc.oneof(
        fc.constantFrom("1212121212", "08011111111"),
        fc.integer({ min: 0, max: 999_999_999 }).map((n) => `45${String(n).padStart(9, "0")}`),
      );
    case "bouquet":
      return fc.constantFrom(...world.bouquets);
    case "account_number":
      return fc.constantFrom("0690000031", "0690000033", "0690000034", "0690000035");
    case "account_bank":
      return fc.constant("044");
    case "email":
      return fc
        .integer({ min: 0, max: 2 ** 30 })
        .map((n) => `fuzz.${n.toString(36)}.${world.runTag}@example.com`);
    case "username":
      return fc.constantFrom(world.actor.email, world.loginOnlyEmail);
    case "name":
      return fc.constantFrom("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png");
    case "currency":
      return fc.constantFrom("NGN", "ngn");
    case "idempotency-key":
      return fc.stringMatching(/^[\x21-\x7e]{8,40}$/);
    case "upgrade":
      return fc.constant("websocket");
    case "verif-hash":
      return fc.constant(world.webhookHash);
    case "status":
      if (!s.enum) return fc.constantFrom("successful", "cancelled", "failed");
      break;
    case "amount": {
      const number = s.anyOf?.find((b) => b.type === "number");
      if (number?.minimum !== undefined && number.maximum !== undefined)
        return where === "text"
          ? nairaArb(number.minimum, number.maximum, true)
          : fc.boolean().chain((asString) => nairaArb(number.minimum!, number.maximum!, asString));
      break;
    }
  }
  return schemaValueArb(document, s);
}

/** A value at or just past an edge of the schema, or text that has broken things before. */
export function boundaryArb(document: OpenApiDocument, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolveRef(document, schema);
  const edges: unknown[] = [...NASTY_STRINGS];
  const numeric = [s, ...(s.anyOf ?? [])].find((b) => b.type === "number" || b.type === "integer");
  if (numeric) {
    for (const edge of [numeric.minimum, numeric.maximum, numeric.exclusiveMinimum]) {
      if (edge === undefined) continue;
      edges.push(
        edge,
        edge - 1,
        edge + 1,
        edge - 0.01,
        edge + 0.01,
        edge + 0.001,
        String(edge),
        (edge - 0.01).toFixed(2),
        (edge + 0.01).toFixed(2),
      );
    }
    edges.push(...NASTY_NUMBERS);
  }
  const textual = [s, ...(s.anyOf ?? [])].find((b) => b.type === "string");
  if (textual) {
    const max = textual.maxLength ?? 256;
    edges.push("x".repeat(max), "x".repeat(max + 1), "é".repeat(max + 1), "x".repeat(10_000));
    if (textual.minLength)
      edges.push("x".repeat(textual.minLength), "x".repeat(textual.minLength - 1));
  }
  if (s.enum)
    edges.push(
      ...(s.enum as string[]).map((e) => String(e).toUpperCase()),
      ...(s.enum as string[]).map((e) => ` ${e}`),
    );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...edges) },
    fc.string({ unit: "binary", maxLength: 64 }),
    fc.double(),
  );
}

export function hostileValueArb(): fc.Arbitrary<unknown> {
  return fc.constantFrom(...WRONG_TYPES);
}
