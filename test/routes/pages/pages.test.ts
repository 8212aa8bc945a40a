import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE, PROTOCOL_VERSION } from "../../../src/durable/room/protocol";
import { TX_STATUSES } from "../../../src/domain/transactions";
import {
  liveTexts,
  statusMessages,
  WATCH_SCRIPT_PATH,
} from "../../../src/pages/transaction-status";
import { newTxRef } from "../../../src/lib/ids";
import { api, bearerFor, form, fundedWallet, newWallet } from "../../support/helpers";
import { buyAirtime, buyData, uniqueNaira } from "../../support/purchases";
import { control, envelope } from "../../support/sandbox";

/** The callback URL Flutterwave would send the browser to (our redirect_url, with its ticket). */
async function callbackPageFor(tx_ref: string): Promise<string> {
  const sent = (await envelope<any>(await control(`/payments/${tx_ref}`))).data;
  return (sent.request ?? sent).redirect_url as string;
}

function attribute(html: string, name: string): string | null {
  const match = new RegExp(`${name}="([^"]*)"`).exec(html);
  if (!match) return null;
  return match[1]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
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
    expect(js).toContain(
      `"finalCodes":[${CLOSE.malformed_frame.code},${CLOSE.unauthorized.code},${CLOSE.unknown_tx_ref.code},${CLOSE.frame_too_large.code}]`,
    );
    // The status frame's shape, generated from the zod schema.
    expect(js).toContain(
      '"required":["v","type","tx_ref","tx_type","status","amount","amount_minor","currency","failure_reason","stage","version","updated_at"]',
    );
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
    expect(texts.SUCCESS).toMatchObject({
      headline: "Payment received",
      body: "NGN 1200.00 has been added to your wallet.",
    });
    expect(texts.FAILED.reason_replaces_body).toBe(true);
  });

  it("has no script and no ticket when the page cannot tell which payment it is about", async () => {
    const html = await (
      await api("/wallet/flutterwave/callback?status=successful&tx_ref=fnd_x")
    ).text();
    expect(html).not.toContain("<script");
    expect(html).not.toContain("data-ticket");
  });
});

describe("liveTexts", () => {
  it("lets the browser say exactly what statusMessages says, for every kind, every status, with and without a reason", () => {
    const money = { amount_minor: 250_000, currency: "NGN", stage: "awaiting_payment" };
    const bought = {
      network: "mtn",
      phone: "08031234567",
      phone_input: "+2348031234567",
      plan_code: "mtn-100mb-1000",
      plan_name: "MTN N1000 1.5GB - 30 days",
    };
    const cases = [
      { kind: "funding", tx: money },
      { kind: "withdrawal", tx: money },
      { kind: "purchase", tx: { ...money, stage: "submitted", type: "AIRTIME", details: bought } },
      { kind: "purchase", tx: { ...money, stage: "submitted", type: "DATA", details: bought } },
    ] as const;
    for (const { kind, tx } of cases) {
      const texts = liveTexts(kind, tx);
      if (kind === "purchase") expect(texts.SUCCESS.body, tx.type).toContain("of MTN ");
      if (kind === "purchase")
        expect(texts.PENDING.body, tx.type).toContain("for +234 803 123 4567");
      for (const status of TX_STATUSES) {
        for (const failure_reason of [null, "The card was declined."]) {
          const server = statusMessages(kind, { ...tx, status, failure_reason });
          // watch.js's rule, applied to the serialised texts.
          const t = texts[status];
          const browser = {
            headline: t.headline,
            body: t.reason_replaces_body && failure_reason ? failure_reason : t.body,
            next: t.next,
          };
          expect(browser, `${kind} ${status} ${failure_reason}`).toEqual(server);
        }
      }
    }
  });
});

/** The text of the element with this id, entities decoded (the page's own markup, not a DOM). */
function elementText(html: string, id: string): string | null {
  const match = new RegExp(`<(\\w+)[^>]*\\sid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  if (!match) return null;
  return match[2]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

describe("the purchase status page says what was bought", () => {
  it("shows the network, the number as the user wrote it (grouped) and keeps them in the texts live updates switch to", async () => {
    const { auth } = await fundedWallet(100_000_00);
    const amount = uniqueNaira();
    // The sandbox's delivering number, written the international way: VTpass gets 08011111111.
    const res = await api("/wallet/airtime", {
      ...form({ phone: "+234-801-111-1111", amount, network: "mtn" }, auth),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    const html = await (
      await api(location.pathname.replace("/api/v1", "") + location.search)
    ).text();
    expect(elementText(html, "network")).toBe("MTN");
    expect(elementText(html, "phone")).toBe("+234 801 111 1111");
    expect(elementText(html, "plan")).toBeNull(); // airtime has no plan
    expect(elementText(html, "body")).toBe(
      `NGN ${amount}.00 of MTN airtime for +234 801 111 1111 was delivered.`,
    );
    // watch.js replaces the body with these texts when a status frame arrives: they say the same.
    const texts = JSON.parse(attribute(html, "data-texts")!);
    expect(texts.SUCCESS.body).toBe(
      `NGN ${amount}.00 of MTN airtime for +234 801 111 1111 was delivered.`,
    );
    expect(texts.PENDING.body).toBe(
      `We are sending NGN ${amount}.00 of MTN airtime for +234 801 111 1111 to the network.`,
    );
  });

  it("shows a data plan's name, for the owner's bearer token as for the ticket, and the PENDING page's texts name it too", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const plans = (await (
      await api("/catalog/data-plans?network=mtn", { headers: auth })
    ).json()) as { data: { code: string; name: string; price: string }[] };
    const plan = plans.data[0];
    // 201000000000 stays pending at the look-alike: the page a watcher sees before the network confirms.
    const res = await buyData(auth, { phone: "201000000000", plan: plan.code, network: "mtn" });
    expect(res.status).toBe(202);
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    expect((await stub.getTransaction(tx_ref))?.details).toMatchObject({
      phone: "201000000000",
      phone_input: "201000000000",
      plan_name: plan.name,
    });
    const html = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(elementText(html, "status")).toBe("PENDING");
    expect(elementText(html, "network")).toBe("MTN");
    expect(elementText(html, "phone")).toBe("201000000000");
    expect(elementText(html, "plan")).toBe(plan.name);
    const texts = JSON.parse(attribute(html, "data-texts")!);
    expect(texts.SUCCESS.body).toBe(
      `NGN ${plan.price} of MTN data (${plan.name}) for 201000000000 was delivered.`,
    );
    expect(elementText(html, "body")).toBe(
      `We are sending NGN ${plan.price} of MTN data (${plan.name}) for 201000000000 to the network.`,
    );
  });

  it("groups a local number the user typed without spaces", async () => {
    const { auth } = await fundedWallet(100_000_00);
    const res = await buyAirtime(auth, {
      phone: "08011111111",
      amount: uniqueNaira(),
      network: "mtn",
    });
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const html = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(elementText(html, "phone")).toBe("0801 111 1111");
  });

  it("escapes what it shows from stored details (an entry or a provider's plan name with markup)", async () => {
    const { user_id, stub, auth } = await fundedWallet(100_000_00);
    // Written straight into the wallet: the routes refuse such an entry, so this is what a page would
    // meet from a record the routes did not check (an older writer, a provider's plan name).
    const tx_ref = newTxRef("DATA", user_id);
    const opened = await stub.openHeld({
      tx_ref,
      type: "DATA",
      amount_minor: 100_00,
      fee_minor: 0,
      currency: "NGN",
      details: {
        network: "<i>mtn</i>",
        phone: "08031234567",
        phone_input: "<script>alert(1)</script>",
        plan_code: "x",
        plan_name: '<img src=x onerror="alert(1)">',
      },
    });
    expect(opened.outcome).toBe("opened");
    const html = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<i>");
    expect(html).toContain("&lt;img src=x onerror=");
    expect(elementText(html, "plan")).toBe('<img src=x onerror="alert(1)">');
    expect(elementText(html, "network")).toBe("<i>mtn</i>");
    // An entry that is not the number sent is never shown: the canonical number is.
    expect(elementText(html, "phone")).toBe("0803 123 4567");
  });
});
