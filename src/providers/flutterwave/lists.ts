/**
 * Flutterwave's lists for the daily reconciliation: every charge
 * (`GET /v3/transactions`) and every transfer (`GET /v3/transfers`) created in
 * a window of time, all pages, in our words (`TheirRecord`).
 *
 * Both lists are asked for by UTC calendar date (`from`, `to`, YYYY-MM-DD,
 * `to` inclusive), the dates that cover the window, then filtered here by
 * each row's `created_at`: a Lagos day straddles two UTC dates. Whether the
 * transfers list honours `from`/`to` is not documented (Flutterwave's Node SDK
 * sends only `page` and `status`); it is sent anyway and the rows are filtered
 * here either way. A status word we do not know fails the whole list
 * (`unknown`): a reconciliation never guesses.
 */
import { z } from "zod";
import { providerAmountToMinor } from "../../domain/money";
import type { TheirRecord } from "../../domain/reconciliation";
import type { Outcome } from "../outcome";
import { type FlutterwaveClient, mapChargeStatus, mapTransferStatus } from "./client";
import { FLUTTERWAVE_LIST_PAGES_MAX } from "./limits";
import { Charge, PageInfo, Transfer } from "./schemas";

export type TimeWindow = { from_ms: number; to_ms: number };

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function createdAt(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function inWindow(record: TheirRecord, window: TimeWindow): boolean {
  // A row without a time cannot be placed: it is kept, and the matching decides.
  return (
    record.created_at_ms === null ||
    (record.created_at_ms >= window.from_ms && record.created_at_ms < window.to_ms)
  );
}

function chargeRecord(item: unknown): TheirRecord {
  const charge = Charge.parse(item);
  return {
    source: "flutterwave:charge",
    reference: charge.tx_ref,
    provider_id: String(charge.id),
    amount_minor: providerAmountToMinor(charge.amount),
    currency: charge.currency.toUpperCase(),
    outcome: mapChargeStatus(charge.status),
    created_at_ms: createdAt(charge.created_at),
  };
}

function transferRecord(item: unknown): TheirRecord {
  const transfer = Transfer.parse(item);
  return {
    source: "flutterwave:transfer",
    reference: transfer.reference ?? null,
    provider_id: String(transfer.id),
    amount_minor: providerAmountToMinor(transfer.amount),
    currency: transfer.currency.toUpperCase(),
    outcome: mapTransferStatus(transfer.status),
    created_at_ms: createdAt(transfer.created_at),
  };
}

async function allPages(
  client: FlutterwaveClient,
  path: "/transactions" | "/transfers",
  window: TimeWindow,
  toRecord: (item: unknown) => TheirRecord,
): Promise<Outcome<TheirRecord[]>> {
  const records: TheirRecord[] = [];
  const dates = `from=${utcDate(window.from_ms)}&to=${utcDate(window.to_ms - 1)}`;
  for (let page = 1; page <= FLUTTERWAVE_LIST_PAGES_MAX; page++) {
    const listed = await client.call(
      "GET",
      `${path}?${dates}&page=${page}`,
      undefined,
      (data, meta) => ({
        rows: z.array(z.unknown()).parse(data).map(toRecord),
        total_pages: PageInfo.safeParse(meta).data?.page_info.total_pages ?? 1,
      }),
    );
    if (!listed.ok) return listed;
    records.push(...listed.value.rows.filter((r) => inWindow(r, window)));
    if (page >= listed.value.total_pages) return { ok: true, value: records };
  }
  return {
    ok: false,
    kind: "unknown",
    reason: `more than ${FLUTTERWAVE_LIST_PAGES_MAX} pages of ${path}`,
  };
}

/** Every charge created in the window (all statuses). */
export function chargesOfWindow(
  client: FlutterwaveClient,
  window: TimeWindow,
): Promise<Outcome<TheirRecord[]>> {
  return allPages(client, "/transactions", window, chargeRecord);
}

/** Every transfer created in the window (all statuses). */
export function transfersOfWindow(
  client: FlutterwaveClient,
  window: TimeWindow,
): Promise<Outcome<TheirRecord[]>> {
  return allPages(client, "/transfers", window, transferRecord);
}
