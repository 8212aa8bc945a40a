/**
 * A bill's status page through the real routes against the VTpass look-alike:
 * what was paid for (DisCo, meter, meter type, customer; TV service,
 * smartcard, bouquet), the prepaid token large and grouped in fours with its
 * units, and, on a page rendered before the token exists, the empty hidden
 * slot that watch.js fills from the status frame that brings it (its ids are
 * the ones the served script names). Everything shown is escaped.
 */
import { describe, expect, it } from "vitest";
import { newTxRef } from "../../../src/lib/ids";
import { groupToken, TOKEN_GROUP_SIZE } from "../../../src/pages/watch-script";
import { api, authedJson, form, fundedWallet, runReconciler } from "../../support/helpers";
import { uniqueMtnNumber, vtpassSettles } from "../../support/purchases";

const PREPAID = "1111111111111";
/** The look-alike's token for the prepaid test meter (VTpass's IKEDC sample). */
const DOCUMENTED_TOKEN = "26362054405982757802";

const decode = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The element with this id: its opening tag and its text (the page's own markup, not a DOM). */
function element(html: string, id: string): { tag: string; text: string } | null {
  const match = new RegExp(`(<(\\w+)[^>]*\\sid="${id}"[^>]*>)([\\s\\S]*?)</\\2>`).exec(html);
  return match ? { tag: match[1], text: decode(match[3]) } : null;
}
const textOf = (html: string, id: string) => element(html, id)?.text ?? null;
const isHidden = (html: string, id: string) => /\shidden(=""|\s|>)/.test(element(html, id)!.tag);

function uniqueAmount(): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return 1_000 + (n % 90_000);
}

/** The page a browser's form post lands on (303 with the watch ticket), as the browser gets it. */
async function pageAfterFormPost(
  auth: Record<string, string>,
  path: string,
  fields: Record<string, string>,
): Promise<string> {
  const res = await api(path, { ...form(fields, auth), redirect: "manual" });
  expect(res.status, await res.clone().text()).toBe(303);
  const location = new URL(res.headers.get("location")!);
  expect(location.pathname).toMatch(/^\/api\/v1\/wallet\/purchases\/(elc|tvs)_/);
  return (await api(location.pathname.replace("/api/v1", "") + location.search)).text();
}

/** The config watch.js was generated with (the JSON object it starts from). */
async function watchScriptConfig(): Promise<{
  tokenIds: Record<string, string>;
  tokenGroup: number;
}> {
  const js = await (await api("/pages/watch.js")).text();
  const match = /var C = (\{.*\});\n/.exec(js);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]);
}

describe("groupToken", () => {
  it("groups an all-digit token in fours and leaves anything else (a voucher) as it is", () => {
    expect(TOKEN_GROUP_SIZE).toBe(4);
    expect(groupToken(DOCUMENTED_TOKEN)).toBe("2636 2054 4059 8275 7802");
    expect(groupToken("123456")).toBe("1234 56");
    expect(groupToken("SHMV12345678901")).toBe("SHMV12345678901");
  });
});

describe("an electricity payment's status page", () => {
  it("shows the DisCo, meter, type and customer, and the prepaid token large, grouped in fours, with its units and a copy button", async () => {
    const { auth } = await fundedWallet(200_000_00);
    const amount = uniqueAmount();
    const html = await pageAfterFormPost(auth, "/wallet/electricity", {
      disco: "ikeja-electric",
      meter: PREPAID,
      type: "prepaid",
      amount: String(amount),
      phone: uniqueMtnNumber(),
    });
    expect(textOf(html, "status")).toBe("SUCCESS");
    expect(textOf(html, "service")).toBe("Ikeja Electric (IKEDC)");
    expect(textOf(html, "account")).toBe(PREPAID);
    expect(textOf(html, "product")).toBe("prepaid");
    expect(textOf(html, "customer")).toBe("TESTMETER1");
    expect(textOf(html, "body")).toBe(
      `NGN ${amount}.00 of prepaid electricity from Ikeja Electric (IKEDC) for meter ${PREPAID} was paid.`,
    );
    expect(textOf(html, "next")).toMatch(/^Enter the token on your meter's keypad/);
    expect(isHidden(html, "token-box")).toBe(false);
    expect(textOf(html, "token")).toBe("2636 2054 4059 8275 7802");
    // The copy button copies the digits, without the spaces shown for reading.
    expect(element(html, "token")!.tag).toContain(`data-token="${DOCUMENTED_TOKEN}"`);
    expect(textOf(html, "units")).toMatch(/^\d+\.\d kWh$/);
    expect(isHidden(html, "units")).toBe(false);
    // Hidden until watch.js wires it: without the script the token is still selectable text.
    expect(textOf(html, "token-copy")).toBe("Copy token");
    expect(isHidden(html, "token-copy")).toBe(true);
    // The page keeps its CSP: the script is watch.js from our origin, nothing inline.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it("renders an empty hidden slot before the token, with the ids watch.js fills, and the token once a requery brings it", async () => {
    const { auth, stub } = await fundedWallet(200_000_00);
    const res = await api(
      "/wallet/electricity",
      authedJson(auth, {
        disco: "eko-electric",
        meter: "201000000000",
        type: "prepaid",
        amount: uniqueAmount(),
        phone: uniqueMtnNumber(),
      }),
    );
    expect(res.status).toBe(202);
    const { tx_ref } = (await res.json()) as { tx_ref: string };
    const before = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(textOf(before, "status")).toBe("PENDING");
    expect(textOf(before, "headline")).toBe("Sending to Eko Electric (EKEDC)");
    expect(textOf(before, "account")).toBe("201000000000");
    // The slot is there, empty and hidden, for the frame that brings the token.
    const config = await watchScriptConfig();
    expect(config.tokenGroup).toBe(4);
    for (const id of Object.values(config.tokenIds))
      expect(element(before, id), `#${id} on the page`).not.toBeNull();
    expect(isHidden(before, config.tokenIds.box)).toBe(true);
    expect(textOf(before, config.tokenIds.token)).toBe("");
    // The page watches this transaction live (the frame carries the token: room/protocol.ts).
    expect(before).toContain(`data-tx-ref="${tx_ref}"`);
    expect(before).toMatch(/<script src="\/api\/v1\/pages\/watch\.js" defer/);

    await vtpassSettles((await stub.getTransaction(tx_ref))!.provider_ref!, "delivered");
    await runReconciler(stub).catch(() => undefined);
    const token = (await stub.getTransaction(tx_ref))!.details.token as string;
    expect(token).toMatch(/^\d{20}$/);
    const after = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(textOf(after, "status")).toBe("SUCCESS");
    expect(isHidden(after, "token-box")).toBe(false);
    expect(textOf(after, "token")).toBe(token.match(/.{4}/g)!.join(" "));
  });

  it("shows a postpaid payment without a token: the slot stays hidden", async () => {
    const { auth } = await fundedWallet(200_000_00);
    const html = await pageAfterFormPost(auth, "/wallet/electricity", {
      disco: "abuja-electric",
      meter: "1010101010101",
      type: "postpaid",
      amount: String(uniqueAmount()),
      phone: uniqueMtnNumber(),
    });
    expect(textOf(html, "status")).toBe("SUCCESS");
    expect(textOf(html, "product")).toBe("postpaid");
    expect(textOf(html, "customer")).toBe("NP NGEMA");
    expect(isHidden(html, "token-box")).toBe(true);
    expect(textOf(html, "token")).toBe("");
  });

  it("escapes the stored details and the token it shows", async () => {
    const { user_id, stub, auth } = await fundedWallet(100_000_00);
    // Written straight into the wallet: what a page would meet from a provider's odd answer.
    const tx_ref = newTxRef("ELECTRICITY", user_id);
    const opened = await stub.openHeld({
      tx_ref,
      type: "ELECTRICITY",
      amount_minor: 1_000_00,
      fee_minor: 0,
      currency: "NGN",
      details: {
        service_id: "ikeja-electric",
        billers_code: "<b>1111</b>",
        meter_type: "prepaid",
        phone: "08031234567",
        customer_name: '<img src=x onerror="alert(1)">',
        token: "<script>alert(1)</script>",
        units: "<i>5</i>",
      },
    });
    expect(opened.outcome).toBe("opened");
    const html = await (await api(`/wallet/purchases/${tx_ref}`, { headers: auth })).text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<i>");
    expect(textOf(html, "customer")).toBe('<img src=x onerror="alert(1)">');
    expect(textOf(html, "account")).toBe("<b>1111</b>");
    expect(textOf(html, "token")).toBe("<script>alert(1)</script>");
    expect(textOf(html, "units")).toBe("<i>5</i>");
  });
});

describe("a TV subscription's status page", () => {
  it("shows the service, smartcard, bouquet with its months and customer, and no token slot content", async () => {
    const { auth } = await fundedWallet(100_000_00);
    const html = await pageAfterFormPost(auth, "/wallet/tv", {
      provider: "dstv",
      smartcard: "1212121212",
      action: "change",
      bouquet: "dstv79",
      quantity: "2",
      phone: uniqueMtnNumber(),
    });
    expect(textOf(html, "status")).toBe("SUCCESS");
    expect(textOf(html, "service")).toBe("DStv");
    expect(textOf(html, "account")).toBe("1212121212");
    expect(textOf(html, "product")).toMatch(/, 2 months$/);
    expect(textOf(html, "customer")).toBe("TEST METER");
    expect(textOf(html, "body")).toMatch(
      /^NGN 15800\.00 of DStv \(.+, 2 months\) for smartcard 1212121212 was delivered\.$/,
    );
    expect(isHidden(html, "token-box")).toBe(true);
  });
});
