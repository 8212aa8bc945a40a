import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, inject, it } from "vitest";

const origin = inject("origin");

describe("the OpenAPI document served by `wrangler dev`", () => {
  it("is valid OpenAPI 3.1 under a standard validator", async () => {
    const res = await fetch(`${origin}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string };
    expect(document.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("serves interactive docs that load their assets from the Worker", async () => {
    const page = await fetch(`${origin}/api/v1/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("swagger-ui");
    for (const asset of ["/api/v1/docs/assets/swagger-ui-bundle.js", "/api/v1/docs/assets/swagger-ui.css", "/api/v1/docs/init.js"]) {
      const res = await fetch(`${origin}${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(10);
    }
  });
});
