import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE, PROTOCOL_VERSION } from "../../src/durable/room-protocol";
import { TX_STATUSES } from "../../src/domain/transactions";
import { liveTexts, statusMessages, WATCH_SCRIPT_PATH } from "../../src/pages/transaction-status";
import { api, bearerFor, form, newWallet } from "../helpers";
import { control, envelope } from "../sandbox/helpers";

/** The callback URL Flutterwave would send the browser to (our redirect_url, with its ticket). */
async function callbackPageFor(tx_ref: string): Promise<string> {
  const sent = (await envelope<any>(await control(`/payments/${tx_ref}`))).data;
  return (sent.request ?? sent).redirect_url as string;
}

function attribute(html: string, name: string): string | null {
  const match = new RegExp(`${name}="([^"]*)"`).exec(html);
  if (!match) return null;
  return match[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

describe("GET /pages/watch.js", () => {
  it("serves the live-update script as JavaScript, with the protocol constants the server uses", async () => {
    const res = await api("/pages/watch.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const js = await res.text();
    expect(js).toContain(`protocol v${PROTOCOL_VERSION}`);
    expect(js).toContain(`"settledCode":${CLOSE.settled.code}`);
    expect(js).toContain(`"finalCodes":[${CLOSE.malformed_frame.code},${CLOSE.unauthorized.code},${CLOSE.unknown_tx_ref.code},${CLOSE.frame_too_large.code}]`);
    // The status frame's shape, generated from the zod schema.
    expect(js).toContain('"required":["v","type","tx_ref","tx_type","status","amount","amount_minor","currency","failure_reason","stage","version","updated_at"]');
  });
});

describe("the funding callback page", () => {
  it("includes watch.js (no inline script) with the ticket, tx_ref and the texts of every status when the ticket is valid", async () => {
    const { user_id } = await newWallet();
    const res = await api("/wallet/fund", form({ amount: "1200" }, await bearerFor(user_id)));
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const url = await callbackPageFor(tx_ref);
    const page = await exports.default.fetch(url);
    const html = await page.text();
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(html).toMatch(new RegExp(`<script src="${WATCH_SCRIPT_PATH}" defer(="")?></script>`));
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(attribute(html, "data-tx-ref")).toBe(tx_ref);
    expect(attribute(html, "data-ticket")).toBe(new URL(url).searchParams.get("ticket"));
    expect(attribute(html, "data-ws-path")).toBe("/api/v1/ws/wallet");
    const texts = JSON.parse(attribute(html, "data-texts")!);
    expect(texts.SUCCESS).toMatchObject({ headline: "Payment received", body: "NGN 1200.00 has been added to your wallet." });
    expect(texts.FAILED.reason_replaces_body).toBe(true);
  });

  it("has no script and no ticket when the page cannot tell which payment it is about", async () => {
    const html = await (await api("/wallet/flutterwave/callback?status=successful&tx_ref=fnd_x")).text();
    expect(html).not.toContain("<script");
    expect(html).not.toContain("data-ticket");
  });
});

describe("liveTexts", () => {
  it("lets the browser say exactly what statusMessages says, for both kinds, every status, with and without a reason", () => {
    const tx = { amount_minor: 250_000, currency: "NGN", stage: "awaiting_payment" };
    for (const kind of ["funding", "withdrawal"] as const) {
      const texts = liveTexts(kind, tx);
      for (const status of TX_STATUSES) {
        for (const failure_reason of [null, "The card was declined."]) {
          const server = statusMessages(kind, { ...tx, status, failure_reason });
          // watch.js's rule, applied to the serialised texts.
          const t = texts[status];
          const browser = { headline: t.headline, body: t.reason_replaces_body && failure_reason ? failure_reason : t.body, next: t.next };
          expect(browser, `${kind} ${status} ${failure_reason}`).toEqual(server);
        }
      }
    }
  });
});
