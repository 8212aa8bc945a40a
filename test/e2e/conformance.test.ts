/**
 * Conformance: a realistic client's traffic through a validating proxy
 * (Stoplight Prism, proxy mode) in front of `wrangler dev`. Prism checks every
 * request and every response against the document the API serves and reports
 * what breaks it in an `sl-violations` header; the test collects those headers
 * and expects none. So the document is held true for inputs (what the API
 * accepts) as well as for answers.
 *
 * The traffic is the TypeScript client's (JSON bodies, numbers and strings as
 * amounts), a form post as the seed's clients send, the seed's `GET /wallet/`,
 * and refusals (problem documents are part of the contract too). The
 * WebSocket and the sandbox checkout are not HTTP API routes a proxy can
 * check: they go to `wrangler dev` directly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient } from "../../clients/typescript/src";
// @ts-expect-error plain ESM helper shared with the benchmark scripts
import { freePort } from "../../scripts/dev-server.mjs";
import { origin, poll } from "./helpers";

const PRISM_READY_TIMEOUT_MS = 60_000;

let prism: ChildProcess | undefined;
let prismOrigin = "";
let scratch = "";
let prismOutput = "";

beforeAll(async () => {
  // The live document, as a client would download it, not the committed copy.
  const document = await (await fetch(`${origin}/api/v1/openapi.json`)).json();
  scratch = mkdtempSync(join(tmpdir(), "conformance-"));
  const file = join(scratch, "openapi.json");
  writeFileSync(file, JSON.stringify(document));
  const port = (await freePort()) as number;
  prismOrigin = `http://127.0.0.1:${port}`;
  prism = spawn(
    join(process.cwd(), "node_modules", ".bin", "prism"),
    ["proxy", file, origin, "--host", "127.0.0.1", "--port", String(port)],
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const keep = (chunk: Buffer) => (prismOutput = (prismOutput + chunk.toString()).slice(-50_000));
  prism.stdout!.on("data", keep);
  prism.stderr!.on("data", keep);
  const deadline = Date.now() + PRISM_READY_TIMEOUT_MS;
  for (;;) {
    if (prism.exitCode !== null) throw new Error(`prism exited early:\n${prismOutput}`);
    try {
      if ((await fetch(`${prismOrigin}/api/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prism did not become ready:\n${prismOutput}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, PRISM_READY_TIMEOUT_MS + 5_000);

afterAll(async () => {
  if (prism && prism.exitCode === null) {
    const exited = new Promise((resolve) => prism!.once("exit", resolve));
    stop(prism, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (prism.exitCode === null) stop(prism, "SIGKILL");
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Signal Prism's process group (it was started detached, as its own group). */
function stop(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

type Violation = { location: string[]; code: string | number; message: string };
type Report = { request: string; status: number; violations: Violation[] };

/** Every answer on which Prism reported violations, with the request it was about. */
let reports: Report[] = [];
let checked = 0;

async function throughPrism(request: Request): Promise<Response> {
  const response = await fetch(request);
  checked++;
  const header = response.headers.get("sl-violations");
  if (header)
    reports.push({
      request: `${request.method} ${new URL(request.url).pathname}`,
      status: response.status,
      violations: JSON.parse(header) as Violation[],
    });
  return response;
}

function prismClient() {
  return createWalletClient({
    baseUrl: prismOrigin,
    fetch: throughPrism,
    retry: { max_attempts: 1 },
  });
}

async function newUser(client: ReturnType<typeof prismClient>) {
  const email = `e2e.conformance.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  await client.register({ email, password: "correct horse battery", full_name: "Ada Obi" });
  await client.login(email, "correct horse battery");
  return email;
}

describe("the API's traffic through a validating proxy (Prism) breaks nothing in the document", () => {
  it("carries accounts, funding, purchases, withdrawals, reads and refusals without one violation", async () => {
    const client = prismClient();
    await newUser(client);
    const bearer = { authorization: `Bearer ${client.token}` };
    await client.me();
    await client.wallet();
    // The seed's path, with its trailing slash.
    expect(
      (await throughPrism(new Request(`${prismOrigin}/api/v1/wallet/`, { headers: bearer })))
        .status,
    ).toBe(200);

    // Funding: a JSON number, a JSON string, and the seed's form.
    const funding = await client.fund({ amount: 20_000 });
    await client.fund({ amount: "150.50", currency: "NGN" });
    const form = await throughPrism(
      new Request(`${prismOrigin}/api/v1/wallet/fund`, {
        method: "POST",
        headers: bearer,
        body: new URLSearchParams({ amount: "200" }),
      }),
    );
    expect(form.status).toBe(201);
    await fetch(funding.payment_link!, {
      method: "POST",
      body: new URLSearchParams({ outcome: "full" }),
      redirect: "manual",
    });
    await poll(
      () => client.wallet(),
      (w) => w.balance_minor === 2_000_000,
    );

    // Catalogue and purchases: airtime with a number, data with a plan from the catalogue.
    await client.api.GET("/api/v1/catalog/networks");
    const { data: plans } = await client.api.GET("/api/v1/catalog/data-plans", {
      params: { query: { network: "mtn" } },
    });
    await client.api.GET("/api/v1/catalog/phone-lookup", {
      params: { query: { phone: "0803 123 4567" } },
    });
    await client.buyAirtime({
      phone: "08011111111",
      amount: 100 + Math.floor(Math.random() * 5_000),
      network: "mtn",
    });
    await client.buyData({ phone: "08011111111", plan: plans!.data[0].code });

    // Withdrawal: banks, account resolution, the transfer; then the reads.
    await client.api.GET("/api/v1/wallet/flutterwave/get-banks");
    await client.api.GET("/api/v1/wallet/flutterwave/verify-bank", {
      params: { query: { account_number: "0690000031", account_bank: "044" } },
    });
    const withdrawal = await client.withdraw({
      amount: 1500.5,
      account_number: "0690000031",
      account_bank: "044",
      narration: "conformance",
    });
    await poll(
      () => client.transaction(withdrawal.tx_ref),
      (tx) => tx.status !== "PENDING",
    );
    await client.transactions({ limit: 5, type: "FUND" });
    await client.transactions({ status: "SUCCESS", created_gte: "2020-01-01T00:00:00Z" });

    // Refusals of valid requests are answers the document describes too.
    const broke = prismClient();
    await newUser(broke);
    await expect(
      broke.withdraw({ amount: "4999999", account_number: "0690000031", account_bank: "044" }),
    ).rejects.toMatchObject({ code: "insufficient_funds" });
    await expect(client.transaction("wdr_doesnotexist")).rejects.toMatchObject({
      code: "not_found",
    });

    expect(checked).toBeGreaterThan(20);
    expect(reports).toEqual([]);
  }, 90_000);

  it("flags requests the API refuses as invalid on the request side only: the refusal itself conforms", async () => {
    reports = [];
    const client = prismClient();
    await newUser(client);
    await expect(client.fund({ amount: 1 })).rejects.toMatchObject({
      status: 422,
      code: "validation_failed",
    });
    await expect(prismClient().wallet()).rejects.toMatchObject({
      status: 401,
      code: "unauthorized",
    });
    // Prism saw both requests break the document (as they should) and nothing wrong with the answers.
    expect(reports.map((r) => [r.request, r.status])).toEqual([
      ["POST /api/v1/wallet/fund", 422],
      ["GET /api/v1/wallet", 401],
    ]);
    expect(reports.flatMap((r) => r.violations).filter((v) => v.location[0] !== "request")).toEqual(
      [],
    );
  }, 90_000);
});
