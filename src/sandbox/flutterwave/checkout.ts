/**
 * The hosted checkout page that `POST /v3/payments` links to, standing in for
 * checkout.flutterwave.com. Server-rendered, no script: four plain forms post
 * the customer's choice back to the same URL.
 *
 *   full    pay the whole amount         -> transaction "successful", webhook, 303 status=successful
 *   less    pay half (rounded to kobo)   -> transaction "successful" for less, webhook, 303 status=successful
 *   fail    card declined                -> transaction "failed", webhook, 303 status=failed; the link
 *                                           stays open until max_retry_attempt failures
 *   cancel  customer gives up            -> no transaction, no webhook, 303 status=cancelled
 *
 * A link that is no longer open (paid, cancelled, out of retries, or past its
 * session) renders a page that says so (200 on GET); a POST to it changes
 * nothing and answers that page with 409. Real Flutterwave instead sends the
 * customer to redirect_url with status=failed when a session expires; the
 * sandbox keeps the customer on the page so a test can see why.
 *
 * The webhook is answered before the browser is redirected (or after
 * CHECKOUT_WEBHOOK_WAIT_MS at most): Flutterwave sends both at about the same
 * time, and a wallet that waits for its webhook should find it already there.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../lib/http";
import type { CheckoutChoice } from "./charges";
import { CHECKOUT_WEBHOOK_WAIT_MS } from "./limits";
import { amountText, halfMinor, type LinkRow } from "./model";
import { checkoutPath } from "./paths";
import { sleep } from "../../lib/time";
import { deliverAndRecord, sandboxStub, type SandboxContext } from "./runtime";

export const checkoutRoutes = new Hono<AppEnv>();

const CHOICES: readonly CheckoutChoice[] = ["full", "less", "fail", "cancel"];

const CLOSED_TEXT: Record<Exclude<LinkRow["status"], "open">, string> = {
  completed: "This payment link has already been paid.",
  cancelled: "This payment was cancelled.",
  failed: "This payment link has run out of attempts.",
  expired: "This payment link has expired.",
};

/** Append Flutterwave's redirect parameters, keeping any query the merchant put in redirect_url. */
function redirectTarget(redirect_url: string, params: Record<string, string>): string {
  const url = new URL(redirect_url);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f5f5f7; color: #1d1d1f; }
  .banner { background: #b00020; color: #fff; font-weight: 700; text-align: center; padding: .75rem; letter-spacing: .05em; }
  main { max-width: 28rem; margin: 2rem auto; background: #fff; border-radius: .75rem; padding: 1.5rem 2rem; box-shadow: 0 1px 4px #0002; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .4rem 1rem; }
  dt { color: #6e6e73; } dd { margin: 0; font-weight: 600; word-break: break-all; }
  form { margin: .6rem 0; } button { width: 100%; padding: .75rem; font-size: 1rem; border: 0; border-radius: .5rem; cursor: pointer; }
  .full { background: #f5a623; } .less { background: #ffe2a8; } .fail { background: #fde0e0; } .cancel { background: #e8e8ed; }
  .state { padding: 1rem; border-radius: .5rem; background: #e8e8ed; font-weight: 600; }
`;

function layout(link: LinkRow | null, content: ReturnType<typeof html>) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>SANDBOX checkout${link ? ` – ${link.tx_ref}` : ""}</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <div class="banner" id="sandbox-banner" data-sandbox="flutterwave">SANDBOX — Flutterwave look-alike. No real money moves.</div>
        <main>${content}</main>
      </body>
    </html>`;
}

function summary(link: LinkRow) {
  return html`<h1>${link.title ?? "Complete your payment"}</h1>
    ${link.description ? html`<p>${link.description}</p>` : ""}
    <dl>
      <dt>Amount</dt>
      <dd id="amount" data-amount="${(link.amount_minor / 100).toFixed(2)}" data-currency="${link.currency}">${link.currency} ${amountText(link.amount_minor)}</dd>
      <dt>Reference</dt>
      <dd id="tx-ref">${link.tx_ref}</dd>
      <dt>Customer</dt>
      <dd id="customer-email">${link.customer_email}</dd>
    </dl>`;
}

function openPage(link: LinkRow) {
  const action = checkoutPath(link.link_id);
  const button = (choice: CheckoutChoice, label: string) =>
    html`<form method="post" action="${action}">
      <input type="hidden" name="outcome" value="${choice}" />
      <button type="submit" class="${choice}" id="pay-${choice}" data-outcome="${choice}">${label}</button>
    </form>`;
  const attempts_left = link.max_retry_attempt - link.failed_attempts;
  return layout(
    link,
    html`${summary(link)}
      <p id="link-state" data-status="open">Attempts left: ${attempts_left}</p>
      ${button("full", `Pay in full (${link.currency} ${amountText(link.amount_minor)})`)}
      ${button("less", `Pay less than asked (${link.currency} ${amountText(halfMinor(link.amount_minor))})`)}
      ${button("fail", "Fail (card declined)")} ${button("cancel", "Cancel")}`,
  );
}

function closedPage(link: LinkRow) {
  const status = link.status === "open" ? "expired" : link.status;
  return layout(
    link,
    html`${summary(link)}<p class="state" id="link-state" data-status="${status}">${CLOSED_TEXT[status]}</p>`,
  );
}

function notFoundPage() {
  return layout(
    null,
    html`<h1>Payment link not found</h1><p class="state" id="link-state" data-status="not_found">No such payment link.</p>`,
  );
}

checkoutRoutes.get("/:link_id", async (c) => {
  const link = await sandboxStub(c.env).checkoutLink(c.req.param("link_id"));
  if (!link) return c.html(notFoundPage(), 404);
  return c.html(link.status === "open" ? openPage(link) : closedPage(link), 200);
});

checkoutRoutes.post("/:link_id", async (c) => {
  const form = await c.req.parseBody();
  const choice = CHOICES.find((o) => o === form.outcome);
  if (!choice)
    return c.html(
      layout(null, html`<h1>Unknown choice</h1><p class="state">Use one of the buttons.</p>`),
      400,
    );
  const result = await sandboxStub(c.env).checkout(
    c.req.param("link_id"),
    choice,
    c.req.header("cf-connecting-ip") ?? "127.0.0.1",
  );
  switch (result.kind) {
    case "not_found":
      return c.html(notFoundPage(), 404);
    case "closed":
      return c.html(closedPage(result.link), 409);
    case "cancelled":
      return c.redirect(
        redirectTarget(result.link.redirect_url, {
          status: "cancelled",
          tx_ref: result.link.tx_ref,
        }),
        303,
      );
    case "charged": {
      await deliverBeforeRedirect(c, result.webhook);
      return c.redirect(
        redirectTarget(result.link.redirect_url, {
          status: result.transaction.status, // "successful" or "failed"
          tx_ref: result.transaction.tx_ref,
          transaction_id: String(result.transaction.id),
        }),
        303,
      );
    }
    default: {
      const unknown: never = result;
      throw new Error(`unknown checkout result ${JSON.stringify(unknown)}`);
    }
  }
});

async function deliverBeforeRedirect(
  c: SandboxContext,
  webhook: Parameters<typeof deliverAndRecord>[1],
): Promise<void> {
  const delivery = deliverAndRecord(c, webhook).then(
    () => undefined,
    () => undefined, // already logged by deliverAndRecord; the redirect goes ahead
  );
  const give_up = new AbortController();
  await Promise.race([delivery, sleep(CHECKOUT_WEBHOOK_WAIT_MS, give_up.signal)]);
  give_up.abort(); // clears the timer when the webhook was answered first
}
