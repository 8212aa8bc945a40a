/**
 * Who may watch a transaction, decided in the Worker before any upgrade.
 *
 * A watcher proves itself with one credential, looked for in this order:
 *   1. `Authorization: Bearer <access token>` (apps, servers);
 *   2. `Sec-WebSocket-Protocol: bearer, <access token>` (browsers cannot set
 *      headers on a WebSocket; the 101 then echoes `bearer`);
 *   3. a watch ticket: `?ticket=` on the upgrade, or `"ticket"` in the seed
 *      protocol's join frame. A ticket names one tx_ref and is worth nothing
 *      for any other.
 * The owner rule: the user must be the tx_ref's owner (`txRefOwner`); the Room
 * then checks the same user against the owner it recorded. Another user's
 * transaction is answered exactly like an unknown one.
 */
import { bearerToken } from "../../lib/bearer";
import type { Config } from "../../lib/config";
import { BATCH_ID_PATTERN, txRefOwner } from "../../lib/ids";
import { verifyAccessToken, verifyWatchTicket } from "../../lib/tokens";

import { BEARER_PROTOCOL } from "../../durable/room/protocol";

export type Credential =
  | { kind: "none" }
  | { kind: "access"; user_id: string; via_protocol: boolean; expires_at_ms: number }
  | { kind: "ticket"; user_id: string; tx_ref: string; expires_at_ms: number }
  | { kind: "invalid"; detail: string };

/** The `Sec-WebSocket-Protocol` list, as offered. */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Read and verify the credential a request presents at upgrade time. Never logs a token. */
export async function credentialOf(
  config: Config,
  input: { authorization?: string; protocols: string[]; ticket?: string },
): Promise<Credential> {
  if (input.authorization !== undefined) {
    const token = bearerToken(input.authorization);
    if (!token)
      return { kind: "invalid", detail: "The Authorization header must be 'Bearer <token>'." };
    return access(config, token, false);
  }
  const at = input.protocols.indexOf(BEARER_PROTOCOL);
  if (at !== -1) {
    const token = input.protocols[at + 1];
    if (!token) return { kind: "invalid", detail: "Offer the protocols 'bearer, <token>'." };
    return access(config, token, true);
  }
  if (input.ticket !== undefined) return ticketCredential(config, input.ticket);
  return { kind: "none" };
}

async function access(config: Config, token: string, via_protocol: boolean): Promise<Credential> {
  const check = await verifyAccessToken(config, token);
  if (!check.ok)
    return {
      kind: "invalid",
      detail: check.reason === "expired" ? "The token has expired." : "The token is not valid.",
    };
  return {
    kind: "access",
    user_id: check.user_id,
    via_protocol,
    expires_at_ms: check.expires_at_s * 1000,
  };
}

export async function ticketCredential(config: Config, ticket: string): Promise<Credential> {
  const check = await verifyWatchTicket(config, ticket);
  if (!check.ok)
    return {
      kind: "invalid",
      detail:
        check.reason === "expired"
          ? "The watch ticket has expired."
          : "The watch ticket is not valid.",
    };
  return {
    kind: "ticket",
    user_id: check.user_id,
    tx_ref: check.tx_ref,
    expires_at_ms: check.expires_at_s * 1000,
  };
}

/** `expires_at_ms`: the credential's expiry, when the Room closes the socket (4001). */
export type Admission =
  | { ok: true; user_id: string; expires_at_ms: number }
  | { ok: false; status: 401 | 404; detail: string };

/** May this credential watch this tx_ref? 401: no usable credential; 404: not yours, or no such reference. */
export function admit(credential: Credential, tx_ref: string): Admission {
  switch (credential.kind) {
    case "none":
      return { ok: false, status: 401, detail: "A bearer token or a watch ticket is required." };
    case "invalid":
      return { ok: false, status: 401, detail: credential.detail };
    case "ticket":
      // The ticket itself is not valid here, whatever tx_ref names: 401 tells nothing about it.
      if (credential.tx_ref !== tx_ref)
        return { ok: false, status: 401, detail: "The watch ticket is for another transaction." };
      break;
    case "access":
      break;
    default: {
      const unreachable: never = credential;
      throw new Error(`unhandled credential ${JSON.stringify(unreachable)}`);
    }
  }
  // A batch id names no owner: its Room asks this user's wallet, which holds only its own batches.
  if (BATCH_ID_PATTERN.test(tx_ref))
    return { ok: true, user_id: credential.user_id, expires_at_ms: credential.expires_at_ms };
  if (txRefOwner(tx_ref) !== credential.user_id)
    return { ok: false, status: 404, detail: "No such transaction." };
  return { ok: true, user_id: credential.user_id, expires_at_ms: credential.expires_at_ms };
}
