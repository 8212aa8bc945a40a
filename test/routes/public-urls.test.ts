/**
 * Links we hand out follow configuration, never the request's Host: a client
 * that sends `Host: evil.example` must not get a checkout redirect, a watch
 * URL, a 303 Location or OpenAPI servers pointing there. The test project
 * configures APP_ADDRESS as http://wallet.test/api/v1 (vitest.config.ts).
 */
import { createExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { DEVELOPMENT_API_BASE } from "../../src/lib/urls";
import { env, form, fundedWallet, newWallet, bearerFor } from "../support/helpers";
import { control, envelope } from "../support/sandbox";

const EVIL = "http://evil.example";
const CONFIGURED = "http://wallet.test";

/** A request as it reaches the Worker when the client sends `Host: evil.example`. */
function fromEvilHost(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("host", "evil.example");
  return exports.default.fetch(`${EVIL}/api/v1${path}`, { ...init, headers, redirect: "manual" });
}

describe("links follow APP_ADDRESS, not the Host header", () => {
  it("a funding's checkout link, redirect_url and watch URL", async () => {
    const w = await newWallet();
    const res = await fromEvilHost(
      "/wallet/fund",
      form({ amount: "1500" }, await bearerFor(w.user_id)),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      tx_ref: string;
      payment_link: string;
      watch: { websocket_url: string };
    };
    expect(new URL(body.payment_link).origin).toBe(CONFIGURED);
    expect(body.watch.websocket_url).toBe(
      `ws://wallet.test/api/v1/ws/wallet?tx_ref=${body.tx_ref}`,
    );
    const sent = (await envelope(await control(`/payments/${body.tx_ref}`))).data as {
      request?: { redirect_url: string };
      redirect_url?: string;
    };
    const redirect_url = (sent.request ?? sent).redirect_url!;
    expect(
      redirect_url.startsWith(`${CONFIGURED}/api/v1/wallet/flutterwave/callback?ticket=`),
    ).toBe(true);
    expect(JSON.stringify(body)).not.toContain("evil.example");
  });

  it("the 303 Location after a browser's withdrawal form", async () => {
    const { auth } = await fundedWallet(500_000);
    const res = await fromEvilHost("/wallet/withdraw", {
      ...form(
        { amount: "1000", account_number: "0690000031", account_bank: "044" },
        { ...auth, accept: "text/html" },
      ),
    });
    expect(res.status).toBe(303);
    expect(
      res.headers.get("location")!.startsWith(`${CONFIGURED}/api/v1/wallet/withdraw/success/`),
    ).toBe(true);
  });

  it("the OpenAPI document's servers", async () => {
    const res = await fromEvilHost("/openapi.json");
    const document = (await res.json()) as { servers: { url: string }[] };
    expect(document.servers).toEqual([{ url: CONFIGURED }]);
  });

  describe("without APP_ADDRESS, development falls back to the fixed loopback address, still not the Host", () => {
    const unset = () => ({ ...env, APP_ADDRESS: undefined }) as unknown as Env;
    const LOOPBACK = new URL(DEVELOPMENT_API_BASE).origin;
    const call = (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("host", "evil.example");
      return createApp().fetch(
        new Request(`${EVIL}/api/v1${path}`, { ...init, headers, redirect: "manual" }),
        unset(),
        createExecutionContext(),
      );
    };

    it("in the OpenAPI servers", async () => {
      const document = (await (await call("/openapi.json")).json()) as {
        servers: { url: string }[];
      };
      expect(document.servers).toEqual([{ url: LOOPBACK }]);
    });

    it("in a funding's links", async () => {
      const w = await newWallet();
      const res = await call("/wallet/fund", form({ amount: "1500" }, await bearerFor(w.user_id)));
      expect(res.status).toBe(201);
      const body = (await res.json()) as {
        tx_ref: string;
        payment_link: string;
        watch: { websocket_url: string };
      };
      expect(new URL(body.payment_link).origin).toBe(LOOPBACK);
      expect(
        body.watch.websocket_url.startsWith(`ws://${new URL(LOOPBACK).host}/api/v1/ws/wallet?`),
      ).toBe(true);
      const sent = (await envelope(await control(`/payments/${body.tx_ref}`))).data as {
        request?: { redirect_url: string };
        redirect_url?: string;
      };
      expect(
        (sent.request ?? sent).redirect_url!.startsWith(
          `${DEVELOPMENT_API_BASE}/wallet/flutterwave/callback?`,
        ),
      ).toBe(true);
    });

    it("in the 303 Location", async () => {
      const { auth } = await fundedWallet(500_000);
      const res = await call(
        "/wallet/withdraw",
        form(
          { amount: "1000", account_number: "0690000031", account_bank: "044" },
          { ...auth, accept: "text/html" },
        ),
      );
      expect(res.status).toBe(303);
      expect(
        res.headers.get("location")!.startsWith(`${DEVELOPMENT_API_BASE}/wallet/withdraw/success/`),
      ).toBe(true);
    });
  });
});
