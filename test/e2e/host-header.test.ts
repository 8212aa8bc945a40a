/**
 * Against `wrangler dev`: a forged Host header does not steer the links we
 * hand out. The dev-server helper configures APP_ADDRESS for its own port.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import { origin } from "./helpers";

const { hostname, port } = new URL(origin);

/** GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method: "GET", path, agent: false, headers: { host } },
      (res) => {
        let body = "";
        const decoder = new TextDecoder();
        res.on("data", (d: Uint8Array) => (body += decoder.decode(d, { stream: true })));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("links over real HTTP follow APP_ADDRESS, not Host", () => {
  it("the OpenAPI servers name the dev server's own origin when the client claims evil.example", async () => {
    const res = await getWithHost("/api/v1/openapi.json", "evil.example");
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { servers: { url: string }[] }).servers).toEqual([
      { url: origin },
    ]);
  });
});
