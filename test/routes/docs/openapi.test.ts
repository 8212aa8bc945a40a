import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { api, bearerFor, newWallet } from "../../support/helpers";

/** Routes that are deliberately not part of the public contract. */
const UNDOCUMENTED = [/^\/__sandbox\//];

/**
 * Paths the document lists that no router registers: the app (`strict: false`)
 * answers them through the route without the trailing slash.
 */
const TRAILING_SLASH_ALIASES = ["get /api/v1/wallet/"];

type Schema = {
  $ref?: string;
  type?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  minimum?: number;
  maximum?: number;
};
type Operation = {
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
  summary?: string;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

async function openapiDocument(): Promise<Document> {
  return (await (await api("/openapi.json")).json()) as Document;
}

function resolve(document: Document, schema: Schema): Schema {
  return schema.$ref
    ? document.components.schemas[schema.$ref.replace("#/components/schemas/", "")]
    : schema;
}

describe("the OpenAPI document", () => {
  it("lists every mounted route with its method", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const mounted = createApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.some((p) => p.test(r.path)))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(mounted.length).toBeGreaterThan(5);
    expect(new Set(documented)).toEqual(new Set([...mounted, ...TRAILING_SLASH_ALIASES]));
  });

  it("documents the seed's GET /wallet/ as the same operation as GET /wallet, and the app serves it", async () => {
    const document = await openapiDocument();
    const canonical = document.paths["/api/v1/wallet"].get;
    const alias = document.paths["/api/v1/wallet/"].get;
    expect(alias.responses).toEqual(canonical.responses);
    const { user_id } = await newWallet();
    const auth = await bearerFor(user_id);
    const [viaAlias, viaCanonical] = await Promise.all([
      api("/wallet/", { headers: auth }),
      api("/wallet", { headers: auth }),
    ]);
    expect(viaAlias.status).toBe(200);
    expect(await viaAlias.json()).toEqual(await viaCanonical.json());
  });

  it("documents every JSON or form `amount` as a decimal string or a number, as the API accepts", async () => {
    const document = await openapiDocument();
    const accepting: string[] = [];
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [type, { schema }] of Object.entries(op.requestBody?.content ?? {})) {
          const amount = resolve(document, schema).properties?.amount;
          if (!amount) continue;
          accepting.push(`${method} ${path} ${type}`);
          expect(
            amount.anyOf?.map((s) => s.type),
            `${method} ${path} ${type}`,
          ).toEqual(["string", "number"]);
          // One list of alternatives only, with nothing beside it narrowing it back to a string.
          expect(amount.type, `${method} ${path} ${type}`).toBeUndefined();
          expect(amount.oneOf, `${method} ${path} ${type}`).toBeUndefined();
        }
      }
    }
    // Every money route, in both body types it takes; an operator's adjustment and settlement in JSON only.
    expect(accepting.sort()).toEqual([
      "post /api/v1/admin/wallets/{user_id}/adjustments application/json",
      "post /api/v1/admin/wallets/{user_id}/anomalies/{tx_ref}/{kind}/settlement application/json",
      ...[
        "/api/v1/wallet/airtime",
        "/api/v1/wallet/electricity",
        "/api/v1/wallet/fund",
        "/api/v1/wallet/withdraw",
      ].flatMap((path) => [
        `post ${path} application/json`,
        `post ${path} application/x-www-form-urlencoded`,
      ]),
    ]);
  });

  it("gives the number form of `amount` the same bounds the API enforces", async () => {
    const { FUND_MIN_MINOR, FUND_MAX_MINOR } = await import("../../../src/domain/limits");
    const document = await openapiDocument();
    const amount = document.components.schemas.FundRequest.properties!.amount;
    expect(amount.anyOf![1]).toMatchObject({
      type: "number",
      minimum: FUND_MIN_MINOR / 100,
      maximum: FUND_MAX_MINOR / 100,
    });
    const { user_id } = await newWallet();
    const auth = { ...(await bearerFor(user_id)), "content-type": "application/json" };
    const below = await api("/wallet/fund", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ amount: FUND_MIN_MINOR / 100 - 0.01 }),
    });
    expect(below.status).toBe(422);
  });

  it("describes every error response as a problem document", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (
            Number(status) >= 400 &&
            response.content &&
            !("application/json" in response.content)
          )
            expect(Object.keys(response.content), `${method} ${path} ${status}`).toContain(
              "application/problem+json",
            );
        }
      }
    }
  });
});

describe("the OpenAPI document: stages as data", () => {
  it("lists every flow stage as an enum on transactions and on the WebSocket status frame", async () => {
    const { STAGES } = await import("../../../src/domain/flows");
    const document = (await (await api("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    expect(document.components.schemas.Transaction.properties.stage.enum).toEqual(STAGES);
    expect(document.components.schemas.StatusFrame.properties.stage.enum).toEqual(STAGES);
    expect(document.components.schemas.StatusFrame.properties.version).toBeDefined();
  });
});
