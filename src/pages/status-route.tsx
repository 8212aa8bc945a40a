/** @jsxImportSource hono/jsx */
/**
 * A transaction's live status page (the withdrawal and purchase pages a
 * browser is redirected to after a form post). Details are shown only to the
 * owner: with the watch ticket from the redirect, or the owner's bearer token;
 * anyone else sees the same page as for a reference that does not exist.
 */
import type { TxType } from "../domain/transactions";
import { bearerToken } from "../lib/bearer";
import type { AppContext } from "../lib/http";
import { txRefOwner } from "../lib/ids";
import { WATCH_TICKET_TTL_S } from "../lib/limits";
import { issueWatchTicket, verifyAccessToken, verifyWatchTicket } from "../lib/tokens";
import { PAGE_CSP } from "./layout";
import { TransactionStatusPage, type Kind } from "./transaction-status";

export async function statusPage(
  c: AppContext,
  input: {
    tx_ref: string;
    ticket?: string;
    kind: Kind;
    types: readonly TxType[];
    unknown_message: string;
  },
): Promise<Response> {
  const config = c.var.config;
  const headers = {
    "content-security-policy": PAGE_CSP,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  };
  let viewer: string | null = null;
  let watchTicket: string | null = null;
  if (input.ticket) {
    const check = await verifyWatchTicket(config, input.ticket);
    if (check.ok && check.tx_ref === input.tx_ref) {
      viewer = check.user_id;
      watchTicket = input.ticket;
    }
  } else {
    const token = bearerToken(c.req.header("authorization"));
    const check = token ? await verifyAccessToken(config, token) : null;
    if (check?.ok) viewer = check.user_id;
  }
  const tx =
    viewer && txRefOwner(input.tx_ref) === viewer
      ? await c.env.WALLET.getByName(viewer).getTransaction(input.tx_ref)
      : null;
  if (!viewer || !tx || !input.types.includes(tx.type)) {
    return c.html(
      <TransactionStatusPage kind={input.kind} tx={null} unknownMessage={input.unknown_message} />,
      200,
      headers,
    );
  }
  if (!watchTicket)
    watchTicket = await issueWatchTicket(config, viewer, tx.tx_ref, WATCH_TICKET_TTL_S);
  return c.html(
    <TransactionStatusPage
      kind={input.kind}
      tx={tx}
      watch={{ tx_ref: tx.tx_ref, ticket: watchTicket }}
    />,
    200,
    headers,
  );
}
