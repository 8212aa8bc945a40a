import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
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
    // The assets are swagger-ui-dist's own files, byte for byte.
    const dist = createRequire(import.meta.url)
      .resolve("swagger-ui-dist/package.json")
      .replace(/package\.json$/, "");
    for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
      const res = await fetch(`${origin}/api/v1/docs/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(
        Buffer.from(await res.arrayBuffer()).equals(readFileSync(`${dist}${name}`)),
        name,
      ).toBe(true);
    }
    // The start-up script points Swagger UI at this API's document.
    const init = await fetch(`${origin}/api/v1/docs/init.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toMatch(/SwaggerUIBundle\(\{ url: "\/api\/v1\/openapi\.json"/);
  });
});
