/**
 * VTpass's `transaction-update` callbacks, read in VTpass's words: which
 * request_id a body names, and whether it is one we could have sent. The
 * purchases adapter turns this into a neutral hint (purchases-adapter.ts).
 */
import { classifyTransactionUpdate } from "./classify";
import { checkRequestId } from "./request-id";

/**
 * What a callback body is, before anything is looked up by it:
 * - `update`: a transaction-update naming a request_id of the shape we send
 *   (src/providers/vtpass/request-id.ts: at most VTPASS_REQUEST_ID_MAX_CHARS
 *   ASCII letters and digits, a real Lagos minute first), safe to use in an
 *   object name or a log line;
 * - `bad_request_id`: a transaction-update whose request_id we can never have
 *   sent (too long, other characters, no date): never looked up, never named;
 * - `other`: not a transaction-update at all.
 */
export type CallbackParse =
  | { kind: "update"; request_id: string }
  | { kind: "bad_request_id"; reason: "length" | "characters" | "date"; length: number }
  | { kind: "other" };

export function parseCallback(raw_body: string): CallbackParse {
  const update = classifyTransactionUpdate(raw_body);
  if (!update) return { kind: "other" };
  const check = checkRequestId(update.request_id);
  if (!check.ok)
    return { kind: "bad_request_id", reason: check.reason, length: update.request_id.length };
  return { kind: "update", request_id: update.request_id };
}
