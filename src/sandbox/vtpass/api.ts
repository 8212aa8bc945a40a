/**
 * The VTpass API look-alike: `<origin>/__sandbox/vtpass/api/...` answers as
 * `https://sandbox.vtpass.com/api/...` does (docs/providers.md, §VTpass): same
 * paths, headers, fields, codes and test numbers. The rules are the model's
 * (model.ts, catalogue.ts); this file only reads requests and writes answers.
 *
 * Keys are checked by the model, per method, with VTpass's own answer (087,
 * HTTP 200), not by a middleware: a wrong key is an answer VTpass gives, and
 * it is counted like any other request. Every handler reads the raw body once
 * so an armed fault can match on it (faults.ts).
 *
 * The test numbers that misbehave on purpose:
 * - 500000000000 (`unexpected`): 200 with `000` and no transaction in it.
 * - 400000000000 (`no_response`): processed and stored, then 200 with an empty
 *   body. Holding the answer is already the timeout number's behaviour; a
 *   thrown error would become a 500 page (an answer); a body stream that errors
 *   does cut the answer, but workerd logs an uncaught exception for every use.
 *   An empty body is the remaining way "no response" reaches a client (a proxy
 *   that lost the upstream answer), it is deterministic and costs a test no
 *   waiting; a client must read it as unknown, as it must a dropped connection.
 * - 300000000000 (`timeout`): processed and stored as pending, then the answer
 *   is held for TIMEOUT_HANG_MS, or until the request is aborted, so the
 *   client's own timeout fires; a client that outlasts it gets the gateway's 504.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../lib/http";
import { sleep } from "../../lib/time";
import { renderServices, renderVariations } from "./catalogue";
import { answerWithFaults } from "./faults";
import { TIMEOUT_HANG_MS } from "./limits";
import { renderVerify } from "./bills";
import { findService } from "./catalogue";
import { decideRead, keysAccepted, renderBalance, renderError } from "./model";
import type { KeyHeaders, PayAnswer } from "./object";
import { gatewayTimeout, jsonOrNull, notImitated, vtAnswer, vtText } from "./responses";
import { originOf, vtpassStub, type SandboxContext } from "./runtime";

export const apiRoutes = new Hono<AppEnv>();

function keysOf(c: SandboxContext): KeyHeaders {
  return {
    "api-key": c.req.header("api-key") ?? null,
    "public-key": c.req.header("public-key") ?? null,
    "secret-key": c.req.header("secret-key") ?? null,
  };
}

// ---- Reads (api-key + public-key) ---------------------------------------------------------

apiRoutes.get("/services", async (c) =>
  answerWithFaults(c, "services", "", async () =>
    vtAnswer(decideRead(c.req.raw.headers, () => renderServices(c.req.query("identifier") ?? ""))),
  ),
);

apiRoutes.get("/service-variations", async (c) =>
  answerWithFaults(c, "variations", "", async () =>
    vtAnswer(decideRead(c.req.raw.headers, () => renderVariations(c.req.query("serviceID") ?? ""))),
  ),
);

apiRoutes.get("/balance", async (c) =>
  answerWithFaults(c, "balance", "", async () => {
    const float_minor = await vtpassStub(c.env).balance();
    return vtAnswer(decideRead(c.req.raw.headers, () => renderBalance(float_minor)));
  }),
);

// ---- Purchases (api-key + secret-key) ------------------------------------------------------

apiRoutes.post("/pay", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "pay", raw, async () => {
    const answer = await vtpassStub(c.env).pay({
      keys: keysOf(c),
      body: jsonOrNull(raw),
      origin: originOf(c),
    });
    return payResponse(c, answer);
  });
});

apiRoutes.post("/requery", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "requery", raw, async () =>
    vtText(await vtpassStub(c.env).requery({ keys: keysOf(c), body: jsonOrNull(raw) })),
  );
});

/**
 * `POST /api/merchant-verify` (meters and smartcards): a read that changes
 * nothing, so it is answered here from the bills' model without the object.
 * A service that has no verify step (Showmax) or a meter without its type is
 * VTpass's 011/012.
 */
apiRoutes.post("/merchant-verify", async (c) => {
  const raw = await c.req.text();
  return answerWithFaults(c, "verify", raw, async () => {
    if (!keysAccepted("POST", c.req.raw.headers)) return vtAnswer(renderError("087"));
    const body = jsonOrNull(raw) as Record<string, unknown> | null;
    const service = typeof body?.serviceID === "string" ? findService(body.serviceID) : null;
    if (
      !service ||
      (service.identifier !== "electricity-bill" && service.identifier !== "tv-subscription")
    )
      return vtAnswer(renderError("012"));
    const billers =
      typeof body?.billersCode === "string" || typeof body?.billersCode === "number"
        ? String(body.billersCode).trim()
        : "";
    if (billers === "") return vtAnswer(renderError("011"));
    return vtAnswer(renderVerify(service, billers, body?.type) ?? renderError("011"));
  });
});

/** The answer to a pay decision; the purchase, if any, is already stored. */
async function payResponse(c: SandboxContext, answer: PayAnswer): Promise<Response> {
  switch (answer.kind) {
    case "answer":
    case "unexpected":
      if (answer.body_text === null) throw new Error(`pay decision ${answer.kind} without a body`);
      return vtText(answer.body_text);
    case "no_response":
      return new Response("", { status: 200, headers: { "content-type": "application/json" } });
    case "timeout":
      await sleep(TIMEOUT_HANG_MS, c.req.raw.signal);
      return gatewayTimeout();
    default: {
      const unknown: never = answer.kind;
      throw new Error(`unknown pay decision ${String(unknown)}`);
    }
  }
}

// Anything else under /api is an endpoint the sandbox does not imitate.
apiRoutes.all("*", () => notImitated());
