/**
 * The Dojah adapter: its classification table (pure), and the client against
 * the look-alike and against scripted answers (the outside world), headers
 * and timeout included.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  classifyDojah,
  DojahClient,
  type DojahExchange,
  isoDate,
} from "../../../src/providers/identity/dojah/client";

const answered = (http_status: number, body: unknown): DojahExchange => ({
  answered: true,
  http_status,
  body_text: typeof body === "string" ? body : JSON.stringify(body),
});

describe("classifyDojah", () => {
  const person = {
    first_name: "Chidinma",
    middle_name: "Adaeze",
    last_name: "Okafor",
    date_of_birth: "1992-03-14",
  };
  const cases: [string, DojahExchange, unknown][] = [
    [
      "a BVN entity",
      answered(200, { entity: { bvn: "x", ...person } }),
      { outcome: "found", person },
    ],
    [
      "a NIN entity in the SDK model's names",
      answered(200, {
        entity: {
          first_name: "Chidinma",
          middle_name: "Adaeze",
          surname: "Okafor",
          birth_date: "14-03-1992",
        },
      }),
      { outcome: "found", person },
    ],
    [
      "no middle name",
      answered(200, { entity: { ...person, middle_name: "" } }),
      { outcome: "found", person: { ...person, middle_name: null } },
    ],
    ["400 BVN not found", answered(400, { error: "BVN not found" }), { outcome: "not_found" }],
    ["404 not found", answered(404, { error: "NIN not found" }), { outcome: "not_found" }],
    ["400 invalid", answered(400, { error: "Invalid BVN" }), { outcome: "not_found" }],
    [
      "400 something else",
      answered(400, { error: "Insufficient balance" }),
      { outcome: "unavailable", reason: "http_400" },
    ],
    [
      "401",
      answered(401, { error: "Unauthorized" }),
      { outcome: "unavailable", reason: "credentials_refused" },
    ],
    ["429", answered(429, "slow down"), { outcome: "unavailable", reason: "http_429" }],
    ["503 page", answered(503, "<html>503</html>"), { outcome: "unavailable", reason: "http_503" }],
    [
      "200 without entity",
      answered(200, { status: true }),
      { outcome: "unavailable", reason: "no_entity" },
    ],
    ["200 not JSON", answered(200, "<html>"), { outcome: "unavailable", reason: "no_entity" }],
    [
      "200 without a last name",
      answered(200, { entity: { ...person, last_name: "" } }),
      { outcome: "unavailable", reason: "unreadable_person" },
    ],
    [
      "200 with an impossible date",
      answered(200, { entity: { ...person, date_of_birth: "1992-02-30" } }),
      { outcome: "unavailable", reason: "unreadable_person" },
    ],
    [
      "a timeout",
      { answered: false, reason: "timeout" },
      { outcome: "unavailable", reason: "timeout" },
    ],
  ];
  it.each(cases)("%s", (_label, exchange, expected) => {
    expect(classifyDojah(exchange)).toEqual(expected);
  });

  it("reads the date forms Dojah writes", () => {
    expect(isoDate("1907-01-01")).toBe("1907-01-01");
    expect(isoDate("01-January-1907")).toBe("1907-01-01");
    expect(isoDate("01/02/1990")).toBe("1990-02-01");
    expect(isoDate("1990-13-01")).toBeNull();
    expect(isoDate("yesterday")).toBeNull();
  });
});

describe("DojahClient", () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends AppId and the raw secret as Authorization to Dojah's paths, and never logs the number", async () => {
    const seen: Request[] = [];
    const lines: string[] = [];
    for (const method of ["log", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const client = new DojahClient({
      base_url: "https://dojah.example/",
      app_id: "app-1",
      secret_key: "sk-1",
      timeout_ms: 1000,
      fetch: async (request) => {
        seen.push(request);
        return new Response(JSON.stringify({ error: "not found" }), { status: 404 });
      },
    });
    expect(await client.lookup("bvn", "12345678901")).toEqual({ outcome: "not_found" });
    expect(await client.lookup("nin", "10987654321")).toEqual({ outcome: "not_found" });
    expect(seen.map((r) => r.url)).toEqual([
      "https://dojah.example/api/v1/kyc/bvn/full?bvn=12345678901",
      "https://dojah.example/api/v1/kyc/nin?nin=10987654321",
    ]);
    expect(seen[0]!.headers.get("AppId")).toBe("app-1");
    expect(seen[0]!.headers.get("Authorization")).toBe("sk-1");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain("12345678901");
      expect(line).not.toContain("10987654321");
    }
  });

  it("gives up after its timeout: unavailable, not found never assumed", async () => {
    const client = new DojahClient({
      base_url: "https://dojah.example",
      app_id: "a",
      secret_key: "s",
      timeout_ms: 200,
      fetch: (request) =>
        new Promise((_resolve, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        }),
    });
    const started = Date.now();
    expect(await client.lookup("bvn", "22222222222")).toEqual({
      outcome: "unavailable",
      reason: "timeout",
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
