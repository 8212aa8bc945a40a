/**
 * WS /ws/wallet: watch one transaction's status live.
 *
 *   ?tx_ref=...   authenticated here, then the upgrade request is forwarded to
 *                 the transaction's Room (`stub.fetch`), which accepts the
 *                 socket with the Hibernation API. The Worker is out of the
 *                 path once the 101 is returned.
 *   no tx_ref     the seed's protocol (first frame `{"tx_ref"}`), relayed by
 *                 the Worker (src/routes/ws/relay.ts; does not hibernate).
 *
 * Every refusal that can be known before the upgrade is a problem document
 * (401, 404, 422, 426, 429, 503), never a 101 followed by a close.
 *
 * Cost bounds: each socket holds a lease on its user and on its client address
 * (WS_SOCKETS_PER_USER_MAX, WS_SOCKETS_PER_ADDRESS_MAX; ./leases.ts), and
 * lives at most until its credential expires (the Room closes it with 4001).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { roomConnectRequest, ROOM_REFUSAL } from "../../durable/room/object";
import { toJSONSchema } from "zod";
import { BEARER_PROTOCOL, ErrorMessage, StatusMessage } from "../../durable/room/protocol";
import { AppError, errors } from "../../lib/errors";
import { clientIp, executionCtx, newRouter, problems } from "../../lib/http";
import { TX_REF_MAX_CHARS } from "../../lib/ids";
import { log } from "../../lib/log";
import { admit, credentialOf, offeredProtocols } from "./auth";
import { newLeaseId, releaseLeases, takeLeases, type LeaseTake } from "./leases";
import { relaySeedProtocol } from "./relay";
import { ROOM_FULL_RETRY_AFTER_S, WS_ANONYMOUS_LEASE_MS } from "../../durable/room/limits";
import { WATCH_TICKET_MAX_CHARS } from "../../lib/limits";

export const wsRoutes = newRouter();

const WsQuery = z.object({
  tx_ref: z.string().min(1).max(TX_REF_MAX_CHARS).optional().openapi({
    description:
      'The transaction to watch. Without it, the seed protocol applies: send {"tx_ref": "..."} as the first frame.',
  }),
  ticket: z.string().min(1).max(WATCH_TICKET_MAX_CHARS).optional().openapi({
    description:
      "A watch ticket for this tx_ref (from POST /wallet/fund's `watch.ticket`), instead of a bearer token.",
  }),
});

const WsHeaders = z.object({
  upgrade: z
    .string()
    .optional()
    .openapi({ description: "Must be `websocket`.", example: "websocket" }),
  "sec-websocket-protocol": z.string().optional().openapi({
    description: "Browsers may offer `bearer, <access token>`; the 101 then selects `bearer`.",
  }),
});

function upgradeRequired(): AppError {
  return new AppError({
    status: 426,
    code: "upgrade_required",
    title: "Upgrade required",
    detail: "This endpoint speaks WebSocket only: send 'Upgrade: websocket'.",
    headers: { upgrade: "websocket" },
  });
}

/** 429 for a socket past the user's or the address's limit. */
export function tooManySockets(refusal: Extract<LeaseTake, { ok: false }>): AppError {
  const whose = refusal.scope === "user" ? "This account" : "This network address";
  return new AppError({
    status: 429,
    code: "too_many_sockets",
    title: "Too many open sockets",
    detail: `${whose} already holds the most watch sockets allowed; close one and retry.`,
    extra: { scope: refusal.scope },
    headers: { "retry-after": String(refusal.retry_after_s) },
  });
}

// The frames a watcher receives, as components of the document, converted from
// the protocol's own zod schemas (so the document cannot drift from the frames).
for (const [name, schema] of [
  ["StatusFrame", StatusMessage],
  ["ErrorFrame", ErrorMessage],
] as const) {
  const { $schema: _dialect, ...component } = toJSONSchema(schema, { target: "draft-2020-12" });
  // A draft 2020-12 JSON Schema is an OpenAPI 3.1 schema object; the two libraries type them apart.
  wsRoutes.openAPIRegistry.registerComponent(
    "schemas",
    name,
    component as Parameters<typeof wsRoutes.openAPIRegistry.registerComponent<"schemas">>[2],
  );
}

wsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/ws/wallet",
    tags: ["realtime"],
    summary: "Watch a transaction's status over WebSocket (owner only)",
    description: [
      "Upgrade to a WebSocket. Credentials: `Authorization: Bearer <access token>`, or `Sec-WebSocket-Protocol: bearer, <access token>`, or a watch ticket (`?ticket=`, or `ticket` in the join frame).",
      'Server frames (JSON, `v: 1`, schemas `StatusFrame` and `ErrorFrame`): `{type: "status", tx_ref, tx_type, status, amount, amount_minor, currency, failure_reason, stage, version, updated_at}` (plus `token` and `units` once a bill that has them is delivered) at once on join and after every change, every stage in order; `{type: "error", code, message}` before a protocol close.',
      'Client frames: the join frame `{tx_ref, ticket?}` (seed protocol), `{type: "sync"}`, and the text `ping` (answered `pong`).',
      "Close codes: 1000 settled (after a grace period), 1011 internal error, 4001 credential expired (reconnect with a fresh token or ticket), 4400 malformed frame, 4401 unauthorized, 4404 unknown tx_ref, 4408 join timeout, 4413 frame too large, 4429 room full or too many sockets.",
      'A bulk batch is watched the same way with `?tx_ref=<batch_id>` (its `watch` from POST /wallet/bulk or GET /wallet/bulk/{batch_id}): frames `{type: "batch", batch_id, status, final, lines, total_minor, counts, version, updated_at, changed, truncated}`, the first with the batch lines so far (at most 100), each later one with the lines that version changed; closed with 1000 a grace after `final`.',
      "Limits: a user and a client address may each hold a bounded number of watch sockets (429 `too_many_sockets`); a socket is closed when its credential expires.",
    ].join("\n\n"),
    // Bearer, or none at all (a watch ticket in the query or the join frame).
    security: [{ bearerAuth: [] }, {}] as Record<string, string[]>[],
    request: { query: WsQuery, headers: WsHeaders },
    responses: {
      101: {
        description:
          "Switching Protocols: the socket is open and its first frame is the current status.",
      },
      ...problems(401, 404, 422, 426, 429, 503),
    },
  }),
  async (c): Promise<Response> => {
    const config = c.var.config;
    if ((c.req.header("upgrade") ?? "").toLowerCase() !== "websocket") throw upgradeRequired();
    const query = c.req.valid("query");
    const protocols = offeredProtocols(c.req.header("sec-websocket-protocol"));
    const credential = await credentialOf(config, {
      authorization: c.req.header("authorization"),
      protocols,
      ticket: query.ticket,
    });
    if (credential.kind === "invalid") throw errors.unauthorized(credential.detail);
    if (credential.kind === "access" || credential.kind === "ticket")
      c.set("user_id", credential.user_id);
    // A browser that offered `bearer, <token>` fails the handshake unless one protocol is selected.
    const headers: Record<string, string> =
      credential.kind === "access" && credential.via_protocol
        ? { "sec-websocket-protocol": BEARER_PROTOCOL }
        : {};

    const ip = clientIp(c);
    const lease_id = newLeaseId();
    if (query.tx_ref === undefined) {
      // Counted from the upgrade: by address always, by user once a credential is known.
      const known =
        credential.kind === "access" || credential.kind === "ticket" ? credential : null;
      const until_ms = known ? known.expires_at_ms : Date.now() + WS_ANONYMOUS_LEASE_MS;
      const taken = await takeLeases(c.env, config, {
        lease_id,
        user_id: known?.user_id ?? null,
        ip,
        until_ms,
      });
      if (!taken.ok) throw tooManySockets(taken);
      return relaySeedProtocol({
        env: c.env,
        ctx: executionCtx(c),
        config,
        credential,
        request_id: c.var.request_id,
        headers,
        lease: taken.lease,
        ip,
      });
    }

    const tx_ref = query.tx_ref;
    const admission = admit(credential, tx_ref);
    if (!admission.ok) {
      if (admission.status === 401)
        throw errors.unauthorized(
          admission.detail,
          credential.kind === "none" ? null : "invalid_token",
        );
      throw errors.notFound(admission.detail);
    }
    const taken = await takeLeases(c.env, config, {
      lease_id,
      user_id: admission.user_id,
      ip,
      until_ms: admission.expires_at_ms,
    });
    if (!taken.ok) throw tooManySockets(taken);
    let answer: Response;
    try {
      answer = await c.env.ROOM.getByName(tx_ref).fetch(
        roomConnectRequest({
          tx_ref,
          user_id: admission.user_id,
          via: "direct",
          request_id: c.var.request_id,
          expires_at_ms: admission.expires_at_ms,
          lease: taken.lease,
        }),
      );
    } catch (error) {
      log.warn("room unreachable", { request_id: c.var.request_id, tx_ref, error });
      await releaseLeases(c.env, taken.lease);
      throw errors.unavailable(
        "room_unavailable",
        "The transaction's room is unavailable; retry shortly.",
      );
    }
    // From here the Room owns the leases of an accepted socket; a refused one gives them back now.
    if (answer.status !== 101 || !answer.webSocket) await releaseLeases(c.env, taken.lease);
    if (answer.status === 101 && answer.webSocket) {
      // A fresh Response (mutable headers) around the Room's socket: the
      // middleware can stamp its headers, and the socket passes through untouched.
      return new Response(null, { status: 101, webSocket: answer.webSocket, headers });
    }
    switch (answer.status) {
      case ROOM_REFUSAL.not_found:
        throw errors.notFound("No such transaction.");
      case ROOM_REFUSAL.full:
        throw new AppError({
          status: 429,
          code: "room_full",
          title: "Too many watchers",
          detail: "This transaction already has the most watchers allowed; close one and retry.",
          headers: { "retry-after": String(ROOM_FULL_RETRY_AFTER_S) },
        });
      default:
        log.error("room refused an upgrade", {
          request_id: c.var.request_id,
          tx_ref,
          status: answer.status,
        });
        throw errors.unavailable(
          "room_unavailable",
          "The transaction's room is unavailable; retry shortly.",
        );
    }
  },
);
