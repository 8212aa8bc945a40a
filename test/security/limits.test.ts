/**
 * Security: header and body limits on the money routes. What is already
 * proven elsewhere (a declared and a streamed oversized JSON registration, a
 * dropped connection, draining, an oversized upload over real HTTP) is listed
 * in the catalogue. Here: form bodies over the limit, declared and streamed,
 * on routes that move money; JSON built to hurt a parser (deep nesting,
 * numbers past float precision or range, thousands of fields, prototype
 * keys); and every header we read, sent oversized. After each refusal nothing
 * may have been recorded: the wallet's transaction list stays empty.
 */
import { describe, expect, it } from "vitest";
import { REQUEST_BODY_MAX_BYTES } from "../../src/lib/limits";
import { api, bearerFor, expectProblem, newWallet } from "../support/helpers";

async function user() {
  const w = await newWallet();
  return { ...w, auth: await bearerFor(w.user_id) };
}

/** The wallet recorded no transaction at all. */
async function expectNothingRecorded(auth: Record<string, string>) {
  const list = (await (await api("/wallet/transactions?limit=100", { headers: auth })).json()) as {
    data: unknown[];
  };
  expect(list.data).toEqual([]);
}

/** A body streamed in 4 KiB chunks (no Content-Length) until `total_bytes`, opening with `head`. */
function streamed(head: string, total_bytes: number, fill = "a") {
  const encoder = new TextEncoder();
  const chunk = encoder.encode(fill.repeat(4096));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(encoder.encode(head));
      if (sent >= total_bytes) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

const MONEY_ROUTES = ["/wallet/fund", "/wallet/withdraw", "/wallet/airtime", "/wallet/data"];

describe("body limits on the money routes", () => {
  it("refuses form bodies over the limit, declared or streamed, with 413, and records nothing", async () => {
    const u = await user();
    const padding = "x".repeat(REQUEST_BODY_MAX_BYTES);
    for (const path of MONEY_ROUTES) {
      const declared = new URLSearchParams({
        amount: "1000",
        account_number: "0690000031",
        account_bank: "044",
        phone: "08011111111",
        narration: padding,
      }).toString();
      const a = await api(path, {
        method: "POST",
        headers: { ...u.auth, "content-type": "application/x-www-form-urlencoded" },
        body: declared,
      });
      expect((await expectProblem(a, 413)).code, path).toBe("payload_too_large");
      const b = await api(path, {
        method: "POST",
        headers: { ...u.auth, "content-type": "application/x-www-form-urlencoded" },
        body: streamed("amount=1000&phone=08011111111&narration=", REQUEST_BODY_MAX_BYTES * 2),
        duplex: "half",
      } as RequestInit);
      expect((await expectProblem(b, 413)).code, path).toBe("payload_too_large");
    }
    // A multipart form too, and the login form (before any password is hashed).
    const multipart = new FormData();
    multipart.set("amount", "1000");
    multipart.set("narration", padding);
    await expectProblem(
      await api("/wallet/fund", { method: "POST", headers: u.auth, body: multipart }),
      413,
    );
    await expectProblem(
      await api("/auth/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `username=a%40b.co&password=${padding}`,
      }),
      413,
    );
    await expectNothingRecorded(u.auth);
  });

  it("refuses JSON nested thousands deep inside the limit with a 4xx problem, and records nothing", async () => {
    const u = await user();
    const depth = 4000;
    for (const body of [
      `{"amount":${"[".repeat(depth)}1${"]".repeat(depth)}}`,
      `{"amount":"1000","x":${'{"a":'.repeat(depth / 2)}1${"}".repeat(depth / 2)}}`,
      `${"[".repeat(depth * 2)}${"]".repeat(depth * 2)}`,
    ]) {
      expect(body.length).toBeLessThan(REQUEST_BODY_MAX_BYTES);
      const res = await api("/wallet/fund", {
        method: "POST",
        headers: { ...u.auth, "content-type": "application/json" },
        body,
      });
      expect([400, 422]).toContain(res.status);
      await expectProblem(res, res.status);
    }
    await expectNothingRecorded(u.auth);
  });

  it("refuses amounts past float range or precision, and odd spellings of numbers, with 422, and records nothing", async () => {
    const u = await user();
    const raw = [
      "1e308",
      "1e400",
      "-1e400",
      "9007199254740993",
      "1e21",
      "100000000000000000000000",
      "5000000.001",
      "1500.0000000000002",
      "1e-400",
      "-0",
      "-100",
      "0",
      "-0.0",
    ];
    const strings = [
      "1e3",
      "0x3e8",
      "1_000",
      "1,000",
      "١٠٠٠",
      "１０００",
      "+1000",
      "1000.",
      ".5e3",
      "NaN",
      "Infinity",
      "-Infinity",
      "",
      "1000\u0000",
      "100.001",
    ];
    for (const body of [
      ...raw.map((n) => `{"amount":${n}}`),
      ...strings.map((s) => JSON.stringify({ amount: s })),
      '{"amount":null}',
      '{"amount":true}',
      '{"amount":{}}',
    ]) {
      const res = await api("/wallet/fund", {
        method: "POST",
        headers: { ...u.auth, "content-type": "application/json" },
        body,
      });
      expect(res.status, body).toBe(422);
      await expectProblem(res, 422);
    }
    await expectNothingRecorded(u.auth);
  });

  it("refuses thousands of fields and prototype keys without polluting anything, and records nothing", async () => {
    const u = await user();
    const many = Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`f${i}`, "1"]));
    const bodies = [
      { type: "application/json", body: JSON.stringify({ amount: "1000", ...many }) },
      {
        type: "application/x-www-form-urlencoded",
        body: new URLSearchParams({ amount: "1000", ...many }).toString(),
      },
      {
        type: "application/json",
        body: '{"amount":"1000","__proto__":{"polluted":"yes","is_admin":true}}',
      },
      {
        type: "application/json",
        body: '{"amount":"1000","constructor":{"prototype":{"polluted":"yes"}}}',
      },
      {
        type: "application/x-www-form-urlencoded",
        body: "amount=1000&__proto__[polluted]=yes&constructor[prototype][polluted]=yes",
      },
    ];
    for (const { type, body } of bodies) {
      expect(body.length).toBeLessThan(REQUEST_BODY_MAX_BYTES);
      const res = await api("/wallet/fund", {
        method: "POST",
        headers: { ...u.auth, "content-type": type },
        body,
      });
      expect(res.status, body.slice(0, 60)).toBe(422);
      await expectProblem(res, 422);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).is_admin).toBeUndefined();
    await expectNothingRecorded(u.auth);
  });
});

describe("header limits: every header we read is bounded", () => {
  const huge = "A".repeat(64 * 1024);

  it("answers an oversized Authorization, WebSocket protocol or ticket with a plain 401 or 422 problem", async () => {
    await expectProblem(
      await api("/auth/me", { headers: { authorization: `Bearer ${huge}` } }),
      401,
    );
    await expectProblem(
      await api("/auth/me", { headers: { authorization: `Bearer ${"a.".repeat(32 * 1024)}a` } }),
      401,
    );
    const ws = { upgrade: "websocket" };
    await expectProblem(
      await api("/ws/wallet?tx_ref=fnd_x", {
        headers: { ...ws, "sec-websocket-protocol": `bearer, ${huge}` },
      }),
      401,
    );
    await expectProblem(await api(`/ws/wallet?tx_ref=fnd_x&ticket=${huge}`, { headers: ws }), 422);
    await expectProblem(await api(`/ws/wallet?tx_ref=${huge}`, { headers: ws }), 422);
  });

  it("refuses an oversized or non-printable Idempotency-Key with 422 before anything is recorded", async () => {
    const u = await user();
    for (const key of ["k".repeat(256), huge, "key with spaces", "key\u00e9"]) {
      const res = await api("/wallet/fund", {
        method: "POST",
        headers: { ...u.auth, "content-type": "application/json", "idempotency-key": key },
        body: '{"amount":"1000"}',
      });
      await expectProblem(res, 422);
    }
    await expectNothingRecorded(u.auth);
  });

  it("replaces an oversized X-Request-Id instead of echoing it, and ignores oversized headers it does not read", async () => {
    const res = await api("/health", {
      headers: {
        "x-request-id": huge,
        cookie: huge,
        "x-forwarded-for": huge,
        "user-agent": huge,
        referer: huge,
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{20}$/);
    const problem = await expectProblem(
      await api("/no-such-route", { headers: { "x-request-id": huge } }),
      404,
    );
    expect(problem.request_id).toMatch(/^req_[0-9a-z]{20}$/);
  });

  it("refuses oversized query values on the pages and the list with a problem or an empty page, never an echo", async () => {
    const u = await user();
    await expectProblem(
      await api(`/wallet/transactions?starting_after=${huge}`, { headers: u.auth }),
      422,
    );
    await expectProblem(await api(`/wallet/transactions?type=${huge}`, { headers: u.auth }), 422);
    const callback = await api(`/wallet/flutterwave/callback?tx_ref=${huge}&status=${huge}`);
    expect(callback.status).toBe(422);
    expect(await callback.text()).not.toContain(huge.slice(0, 1024));
    const page = await api(`/wallet/withdraw/success/${"w".repeat(8 * 1024)}`);
    expect([200, 404, 422]).toContain(page.status);
    expect(await page.text()).not.toContain("w".repeat(1024));
  });
});
