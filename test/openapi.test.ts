import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { api } from "./helpers";

/** Routes that are deliberately not part of the public contract. */
const UNDOCUMENTED = [/^\/__sandbox\//];

describe("the OpenAPI document", () => {
  it("lists every mounted route with its method", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const mounted = createApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.some((p) => p.test(r.path)))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(mounted.length).toBeGreaterThan(5);
    expect(new Set(documented)).toEqual(new Set(mounted));
  });

  it("describes every error response as a problem document", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400 && response.content && !("application/json" in response.content))
            expect(Object.keys(response.content), `${method} ${path} ${status}`).toContain("application/problem+json");
        }
      }
    }
  });
});

describe("the OpenAPI document: stages as data", () => {
  it("lists every flow stage as an enum on transactions and on the WebSocket status frame", async () => {
    const { STAGES } = await import("../src/domain/flows");
    const document = (await (await api("/openapi.json")).json()) as { components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> } };
    expect(document.components.schemas.Transaction.properties.stage.enum).toEqual(STAGES);
    expect(document.components.schemas.StatusFrame.properties.stage.enum).toEqual(STAGES);
    expect(document.components.schemas.StatusFrame.properties.version).toBeDefined();
  });
});
