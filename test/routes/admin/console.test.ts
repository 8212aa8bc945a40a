/**
 * The operator console's pages, through the real routes: the overview shows
 * what waits for a person (an escalated withdrawal, an overpayment's anomaly)
 * with links to each transaction, and the last day's settlements per hour as
 * inline SVG; a transaction's page lists every version the wallet still
 * holds. The pages refuse without an operator's credentials, and name no
 * transaction that is not ours.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../../src/lib/config";
import { newTxRef, randomBase32 } from "../../../src/lib/ids";
import { PAGE_CSP } from "../../../src/pages/layout";
import { overpaidFunding, stuckWithdrawal } from "../../support/escalations";
import { api, bearerFor, eventually, expectProblem, newWallet } from "../../support/helpers";

const ADMIN = { authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` };

async function page(path: string): Promise<{ res: Response; html: string }> {
  const res = await api(path, { headers: ADMIN });
  return { res, html: await res.text() };
}

/** The `data-value` of each bar of the chart whose aria-label starts with `title`. */
function bars(html: string, title: string): number[] {
  const start = html.indexOf(`aria-label="${title}, last 24 hours"`);
  expect(start).toBeGreaterThan(-1);
  const svg = html.slice(start, html.indexOf("</svg>", start));
  return [...svg.matchAll(/data-value="(\d+)"/g)].map((m) => Number(m[1]));
}

const count = (html: string, name: string) =>
  Number(new RegExp(`data-count="${name}">(\\d+)<`).exec(html)?.[1] ?? Number.NaN);

describe("operator console", () => {
  it("the overview links the escalated withdrawal and the overpayment, and charts the last day", async () => {
    const stuck = await stuckWithdrawal();
    const overpaid = await overpaidFunding();
    const { res, html } = await eventually(async () => {
      const p = await page("/admin/console");
      expect(p.html).toContain(`/admin/console/transactions/${stuck.tx_ref}`);
      expect(p.html).toContain(`/admin/console/transactions/${overpaid.tx_ref}`);
      return p;
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(html).not.toMatch(/<script/i);
    expect(count(html, "escalations")).toBeGreaterThanOrEqual(1);
    expect(count(html, "anomalies")).toBeGreaterThanOrEqual(1);
    // 24 hourly bars each; the overpaid funding settled within the last hour, in the last bar.
    const settled = bars(html, "Settled");
    expect(settled).toHaveLength(24);
    expect(settled[23]).toBeGreaterThanOrEqual(1);
    expect(bars(html, "Failed or reversed")).toHaveLength(24);
  });

  it("a transaction's page shows it now and every version, in order", async () => {
    const stuck = await stuckWithdrawal();
    const tx = await stuck.stub.getTransaction(stuck.tx_ref);
    expect(tx).not.toBeNull();
    const { res, html } = await page(`/admin/console/transactions/${stuck.tx_ref}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
    const versions = [...html.matchAll(/data-version="(\d+)"/g)].map((m) => Number(m[1]));
    expect(versions).toEqual(Array.from({ length: tx!.version }, (_, i) => i + 1));
    expect(html).toContain(`data-field="version">${tx!.version}<`);
    expect(html).toMatch(/data-field="status">PENDING \(/);
    expect(html).toContain("hold_placed");
    expect(html).toContain(stuck.user_id);
  });

  it("refuses without an operator's credentials, and names no transaction that is not ours", async () => {
    const w = await newWallet();
    for (const headers of [
      {},
      { authorization: "Bearer not-the-token" },
      await bearerFor(w.user_id),
    ])
      await expectProblem(await api("/admin/console", { headers }), 401);
    await expectProblem(
      await api(`/admin/console/transactions/${newTxRef("FUND", w.user_id)}`, { headers: ADMIN }),
      404,
    );
    await expectProblem(
      await api(`/admin/console/transactions/not-ours-${randomBase32(8)}`, { headers: ADMIN }),
      404,
    );
    const redirect = await api("/admin", { headers: ADMIN, redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/api/v1/admin/console");
  });
});
