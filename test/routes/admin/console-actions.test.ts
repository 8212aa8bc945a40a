/**
 * The operator console's forms, through the real routes, signed in as a
 * browser is (the `CF_Authorization` cookie from the Access look-alike): each
 * form posts to its confirmation page (which changes nothing), then the
 * confirmed post acts and redirects with a result banner. A post without the
 * form's token, with a wrong one (or another operator's), or from another
 * origin is a 403 problem and changes nothing; a viewer sees no form and is
 * refused if it posts anyway; an operator approving their own proposal reads
 * why it is refused.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { stuckWithdrawal } from "../../support/escalations";
import { expectProblem, fundedWallet, ORIGIN } from "../../support/helpers";
import { operatorToken } from "../../support/operators";
import { randomBase32 } from "../../../src/lib/ids";

type Who = { cookie: string };

async function signIn(role: "viewer" | "operator" | "approver"): Promise<Who> {
  const token = await operatorToken(`${role}.${randomBase32(8)}@ops.example`, role);
  return { cookie: `CF_Authorization=${token}` };
}

async function get(path: string, who: Who): Promise<string> {
  const res = await exports.default.fetch(`${ORIGIN}${path}`, { headers: who });
  const html = await res.text();
  expect(res.status, html).toBe(200);
  expect(html).not.toMatch(/<script/i);
  // The Worker's Referrer-Policy (no-referrer) would make a browser post these forms with
  // `Origin: null`, which the CSRF check refuses; the page narrows it to same-origin.
  expect(html).toContain('<meta name="referrer" content="same-origin"/>');
  return html;
}

function post(
  path: string,
  who: Who,
  fields: Record<string, string>,
  headers: Record<string, string> = { origin: ORIGIN },
): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { ...who, ...headers, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

const unescapeHtml = (s: string) =>
  s.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'");

/** The form marked `data-act` (or `data-confirm`) = `act`: its action and hidden fields. */
function form(html: string, attr: "data-act" | "data-confirm", act: string, nth = 0) {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  const found = forms.filter((f) => f.includes(`${attr}="${act}"`))[nth];
  expect(found, `no ${attr}=${act} form`).toBeDefined();
  const action = unescapeHtml(/action="([^"]+)"/.exec(found!)![1]);
  const hidden: Record<string, string> = {};
  for (const m of found!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    hidden[m[1]] = unescapeHtml(m[2]);
  return { action, hidden };
}

/** Fill `act`'s form on `page`, post it to its confirmation page, then confirm it. */
async function submit(
  page: string,
  who: Who,
  act: string,
  fields: Record<string, string>,
  nth = 0,
) {
  const first = form(await get(page, who), "data-act", act, nth);
  const confirmRes = await post(first.action, who, { ...first.hidden, ...fields });
  const confirmHtml = await confirmRes.text();
  expect(confirmRes.status, confirmHtml).toBe(200);
  const second = form(confirmHtml, "data-confirm", act);
  return { confirmHtml, confirmed: () => post(second.action, who, second.hidden), second };
}

const walletPage = (user_id: string) => `/api/v1/admin/console/wallets/${user_id}`;
const txPage = (tx_ref: string) => `/api/v1/admin/console/transactions/${tx_ref}`;
const APPROVALS = "/api/v1/admin/console/approvals";

describe("operator console: forms", () => {
  it("adjusts, freezes and unfreezes a wallet, each confirmed first, with a banner after", async () => {
    const w = await fundedWallet(100_000);
    const operator = await signIn("operator");
    const credit = await submit(walletPage(w.user_id), operator, "adjust", {
      direction: "credit",
      amount: "25.50",
      reason_code: "goodwill",
      reason: "late refund",
      user_note: "Sorry for the delay",
    });
    expect(credit.confirmHtml).toContain("Credit 25.50");
    expect(credit.second.hidden).toMatchObject({ amount: "25.50", reason_code: "goodwill" });
    // The confirmation page changed nothing.
    expect((await w.stub.summary())!.balance_minor).toBe(100_000);
    const done = await credit.confirmed();
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`${walletPage(w.user_id)}?done=adjusted`);
    expect((await w.stub.summary())!.balance_minor).toBe(102_550);
    const after = await get(`${walletPage(w.user_id)}?done=adjusted`, operator);
    expect(after).toContain('data-done="adjusted"');
    expect(after).toContain('data-field="balance">1025.50<');
    expect(after).toContain('data-audit="executed"');

    const freeze = await submit(walletPage(w.user_id), operator, "freeze", {
      mode: "no_debit",
      reason: "Under review",
      internal_reason: "ticket 42",
    });
    expect((await w.stub.summary())!.frozen).toBeNull();
    expect((await freeze.confirmed()).status).toBe(303);
    expect((await w.stub.summary())!.frozen).toEqual({ mode: "no_debit", reason: "Under review" });
    const unfreeze = await submit(walletPage(w.user_id), operator, "unfreeze", {
      reason: "cleared",
    });
    expect((await unfreeze.confirmed()).status).toBe(303);
    expect((await w.stub.summary())!.frozen).toBeNull();
  });

  it("a debit is a proposal: its proposer's approval is refused with the reason, an approver's executes it", async () => {
    const w = await fundedWallet(100_000);
    const operator = await signIn("operator");
    const debit = await submit(walletPage(w.user_id), operator, "adjust", {
      direction: "debit",
      amount: "100",
      reason_code: "chargeback",
      reason: "card chargeback",
      user_note: "Chargeback",
    });
    const proposed = await debit.confirmed();
    expect(proposed.headers.get("location")).toBe(`${walletPage(w.user_id)}?done=proposed`);
    const [p] = await w.stub.proposals({ limit: 5, status: "pending" });
    expect(p).toMatchObject({ kind: "adjust_debit", amount_minor: 10_000 });

    const queue = await get(APPROVALS, operator);
    expect(queue).toContain(`data-proposal="${p!.id}"`);
    const mine = await submit(APPROVALS, operator, "approve", {}, indexOf(queue, p!.id));
    expect(mine.confirmHtml).toContain(p!.id);
    const refused = await mine.confirmed();
    const page = await refused.text();
    expect(refused.status).toBe(403);
    expect(page).toContain("Self-approval refused");
    expect(page).toContain('data-problem="self_approval"');
    expect(page).not.toMatch(/at \w+ \(|Error:/);
    expect((await w.stub.proposal(p!.id))!.status).toBe("pending");

    const approver = await signIn("approver");
    const theirs = await submit(
      APPROVALS,
      approver,
      "approve",
      {
        reason: "checked",
      },
      indexOf(await get(APPROVALS, approver), p!.id),
    );
    const approved = await theirs.confirmed();
    expect(approved.status).toBe(303);
    expect(approved.headers.get("location")).toBe(`${APPROVALS}?done=approved`);
    expect((await w.stub.proposal(p!.id))!.status).toBe("executed");
    expect((await w.stub.summary())!.balance_minor).toBe(90_000);
  });

  it("an escalated withdrawal's page offers a decision; proposing it records the proposal and its audit entry on the page", async () => {
    const stuck = await stuckWithdrawal();
    const operator = await signIn("operator");
    const decide = await submit(txPage(stuck.tx_ref), operator, "decide", {
      decision: "void",
      evidence: "statement shows no debit",
    });
    expect(decide.confirmHtml).toContain(`VOID ${stuck.tx_ref}`);
    expect(await stuck.stub.proposals({ limit: 5 })).toHaveLength(0);
    const done = await decide.confirmed();
    expect(done.headers.get("location")).toBe(`${txPage(stuck.tx_ref)}?done=proposed`);
    const [p] = await stuck.stub.proposals({ limit: 5 });
    expect(p).toMatchObject({
      kind: "decide",
      tx_ref: stuck.tx_ref,
      amount_minor: 100_000,
      payload: { decision: "void", evidence: "statement shows no debit" },
    });
    const html = await get(`${txPage(stuck.tx_ref)}?done=proposed`, operator);
    expect(html).toContain('data-done="proposed"');
    expect(html).toContain(`data-proposal="${p!.id}"`);
    expect(html).toContain('data-audit="proposed"');
  });

  it("refuses a post without the token, with a wrong or another operator's token, or from another origin: 403, nothing changed", async () => {
    const w = await fundedWallet(100_000);
    const operator = await signIn("operator");
    const other = await signIn("operator");
    const mineForm = form(await get(walletPage(w.user_id), operator), "data-act", "adjust");
    const theirs = form(await get(walletPage(w.user_id), other), "data-act", "adjust");
    const fields = {
      direction: "credit",
      amount: "10",
      reason_code: "goodwill",
      reason: "r",
      user_note: "n",
    };
    const act = `${walletPage(w.user_id)}/acts/adjust`;
    const token = mineForm.hidden.csrf!;
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      [act, fields, { origin: ORIGIN }],
      [act, { ...fields, csrf: `${token.slice(0, -2)}AA` }, { origin: ORIGIN }],
      [act, { ...fields, csrf: theirs.hidden.csrf! }, { origin: ORIGIN }],
      [act, { ...fields, csrf: token }, { origin: "https://evil.example" }],
      [act, { ...fields, csrf: token }, { referer: "https://evil.example/x" }],
      [act, { ...fields, csrf: token }, {}],
      [mineForm.action, fields, { origin: ORIGIN }],
      [mineForm.action, { ...fields, csrf: token }, { origin: "https://evil.example" }],
    ];
    for (const [path, body, headers] of attempts) {
      const problem = await expectProblem(await post(path, operator, body, headers), 403);
      expect(problem.code, `${path} ${JSON.stringify(headers)}`).toBe("csrf_refused");
    }
    expect((await w.stub.summary())!.balance_minor).toBe(100_000);
    expect((await w.stub.auditLog({ limit: 10 }))!.data).toHaveLength(0);
    // The same token, from our origin, acts.
    const ok = await post(act, operator, { ...fields, csrf: token });
    expect(ok.status).toBe(303);
    expect((await w.stub.summary())!.balance_minor).toBe(101_000);
  });

  it("offers no decision on a funding, and a forced one is a readable refusal page that changes nothing", async () => {
    const w = await fundedWallet(100_000);
    const list = await w.stub.listTransactions({ limit: 1 });
    expect(list.ok).toBe(true);
    const tx_ref = list.ok ? list.data[0]!.tx_ref : "";
    const operator = await signIn("operator");
    const html = await get(txPage(tx_ref), operator);
    expect(html).not.toContain('data-act="decide"');
    const token = form(await get(walletPage(w.user_id), operator), "data-act", "adjust").hidden
      .csrf!;
    const forced = await post(`${walletPage(w.user_id)}/acts/decide`, operator, {
      csrf: token,
      tx_ref,
      decision: "void",
      evidence: "none",
    });
    const page = await forced.text();
    expect(forced.status).toBe(404);
    expect(forced.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page).toContain('data-problem="not_found"');
    expect(page).toContain("No held payment (withdrawal or purchase) with this reference.");
    expect(await w.stub.proposals({ limit: 5 })).toHaveLength(0);
    // An invalid form is a page too, with the fields that are wrong.
    const invalid = await post(`${walletPage(w.user_id)}/acts/adjust/confirm`, operator, {
      csrf: token,
      direction: "sideways",
    });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain("direction");
  });

  it("a viewer sees no form and is refused if it posts", async () => {
    const stuck = await stuckWithdrawal();
    const viewer = await signIn("viewer");
    for (const path of [walletPage(stuck.user_id), txPage(stuck.tx_ref), APPROVALS])
      expect(await get(path, viewer)).not.toContain("<form");
    const operator = await signIn("operator");
    const token = form(await get(walletPage(stuck.user_id), operator), "data-act", "freeze").hidden
      .csrf!;
    const res = await post(`${walletPage(stuck.user_id)}/acts/freeze`, viewer, {
      csrf: token,
      mode: "full",
      reason: "x",
      internal_reason: "y",
    });
    expect(res.status).toBe(403);
    expect((await stuck.stub.summary())!.frozen).toBeNull();
  });
});

/** Which of the queue's approve forms belongs to proposal `id`. */
function indexOf(queue: string, id: string): number {
  const forms = [...queue.matchAll(/<form\b[^>]*data-act="approve"[^>]*>[\s\S]*?<\/form>/g)];
  const i = forms.findIndex((m) => m[0].includes(`value="${id}"`));
  expect(i).toBeGreaterThan(-1);
  return i;
}
