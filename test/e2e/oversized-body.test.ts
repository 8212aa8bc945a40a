/**
 * An oversized body must cost only its own request. Behind `wrangler dev`'s
 * proxy, a chunked upload refused half-read used to lose the next request (it
 * hung until another request came, or got 503 "Your worker restarted
 * mid-request"). The body limit now drains a refused body before answering.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import { REQUEST_BODY_MAX_BYTES, WEBHOOK_BODY_MAX_BYTES } from "../../src/lib/limits";
import { origin } from "./helpers";

const { hostname, port } = new URL(origin);

/** POST `total_bytes` as a chunked body (no Content-Length) with node:http, on its own connection. */
function chunkedPost(
  path: string,
  total_bytes: number,
): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: "POST",
        path,
        agent: false,
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      },
      (res) => {
        let body = "";
        const decoder = new TextDecoder();
        res.on("data", (d: Uint8Array) => (body += decoder.decode(d, { stream: true })));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (error: Error) => resolve({ error: error.message }));
    const chunk = new TextEncoder().encode("a".repeat(4096));
    let sent = 0;
    const write = () => {
      while (sent < total_bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

/** A request that must answer promptly: a hang is a failure, not a slow pass. */
async function promptly(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
}

describe("an oversized chunked upload disturbs nobody else", () => {
  for (const [name, path, max_bytes] of [
    ["an API route", "/api/v1/auth/register", REQUEST_BODY_MAX_BYTES],
    ["the webhook route", "/api/v1/wallet/flutterwave/webhook", WEBHOOK_BODY_MAX_BYTES],
  ] as const) {
    it(`${name}: the upload gets 413 problem+json and the next requests succeed`, async () => {
      const refused = await chunkedPost(path, max_bytes * 4);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body!)).toMatchObject({ status: 413, code: "payload_too_large" });
      for (let i = 0; i < 3; i++) {
        const next = await promptly(`${origin}/api/v1/health`);
        expect(next.status).toBe(200);
        await next.arrayBuffer();
      }
      // A POST too: the proxy does not retry those, so a lost one would be a 503.
      const post = await promptly(`${origin}/api/v1/auth/login`, {
        method: "POST",
        body: new URLSearchParams({ username: "nobody@example.com", password: "x" }),
      });
      expect(post.status).toBe(401);
      await post.arrayBuffer();
    });
  }
});
