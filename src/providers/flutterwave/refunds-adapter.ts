/**
 * Flutterwave's refunds (v3) behind the refunds port:
 *
 *   create  POST /v3/transactions/{id}/refund  {amount (major units), comments}
 *   status  GET  /v3/refunds/{id}
 *   search  GET  /v3/refunds?page=N            (filters NOT CONFIRMED: matched here)
 *
 * Facts and disagreements (docs/providers.md, Flutterwave refunds):
 * - `amount` is always sent (the Node SDK requires it; the docs make it
 *   optional for a full refund);
 * - the create answer's `status` is only an acceptance: one copy of the docs
 *   says `completed` there means "initiated, pending disbursement". The refund
 *   is followed with `GET /v3/refunds/{id}`, whose `completed*` words are final;
 * - the charge is `tx_id` in the docs' sample, `transaction_id` in the SDK's
 *   types: either is read;
 * - v3 has no idempotency key for refunds, so our REFUND tx_ref travels in
 *   `comments` (`ref:<tx_ref>`), and a refund whose create answer was lost is
 *   found again by it.
 */
import { minorToProviderNumber, providerAmountToMinor } from "../../domain/money";
import type { FoundFacts } from "../../domain/transactions";
import type { Outcome } from "../outcome";
import { refundFacts, type RefundPort, type RefundState, type RefundView } from "../port";
import { UnknownStatus, type FlutterwaveClient } from "./client";
import { FLUTTERWAVE_REFUND_PAGES_MAX } from "./limits";
import { PageInfo, Refund } from "./schemas";
import { FLUTTERWAVE } from "./webhooks-adapter";
import { z } from "zod";

const NUMERIC_ID = /^\d{1,20}$/;
/** How our reference is written into a refund's note, and read back. */
const REFERENCE_TAG = /\bref:([0-9a-z_]{1,64})\b/;

export function refundComments(comments: string, reference: string): string {
  return `${comments} ref:${reference}`;
}

/** Flutterwave's refund status words -> ours; anything else is not understood (`unknown`). */
export function mapRefundStatus(status: string): RefundState {
  const word = status.toLowerCase();
  // `completed`, `complete` (one copy of the docs), `completed-bank-transfer`, `-momo`, `-mpgs`, `-offline`, `-preauth`.
  if (word === "complete" || word === "completed" || word.startsWith("completed-"))
    return "completed";
  if (
    word === "pending" ||
    word.startsWith("pending-") ||
    word === "processing" ||
    word === "new" ||
    word === "initiated"
  )
    return "pending";
  if (word === "failed" || word === "declined" || word === "cancelled") return "failed";
  throw new UnknownStatus(`unknown refund status "${status}"`);
}

function viewOf(data: unknown, state?: RefundState): RefundView & { charge: string | null } {
  const refund = Refund.parse(data);
  const note = refund.comments ?? refund.comment ?? "";
  const charge = refund.tx_id ?? refund.transaction_id ?? null;
  return {
    refund_id: String(refund.id),
    state: state ?? mapRefundStatus(refund.status),
    amount_minor: providerAmountToMinor(refund.amount_refunded),
    reference: REFERENCE_TAG.exec(note)?.[1] ?? null,
    charge: charge === null ? null : String(charge),
  };
}

function strip({ charge: _charge, ...view }: RefundView & { charge: string | null }): RefundView {
  return view;
}

function asFacts(answer: Outcome<RefundView>, currency: string): Outcome<FoundFacts> {
  return answer.ok ? { ok: true, value: refundFacts(answer.value, currency) } : answer;
}

export function flutterwaveRefunds(client: FlutterwaveClient): RefundPort {
  const refundStatus = (refund_id: string): Promise<Outcome<RefundView>> =>
    NUMERIC_ID.test(refund_id)
      ? client.call("GET", `/refunds/${refund_id}`, undefined, (data) => strip(viewOf(data)))
      : Promise.resolve({ ok: false, kind: "not_found", message: "not a refund id" });

  const findRefund = async (
    provider_tx_id: string,
    reference: string,
  ): Promise<Outcome<RefundView>> => {
    for (let page = 1; page <= FLUTTERWAVE_REFUND_PAGES_MAX; page++) {
      const listed = await client.call("GET", `/refunds?page=${page}`, undefined, (data, meta) => ({
        rows: z.array(z.unknown()).parse(data),
        total_pages: PageInfo.safeParse(meta).data?.page_info.total_pages ?? 1,
      }));
      if (!listed.ok) return listed;
      for (const row of listed.value.rows) {
        let view: ReturnType<typeof viewOf>;
        try {
          view = viewOf(row);
        } catch {
          continue; // a row we cannot read is not the one we look for; ours is read by id later
        }
        if (
          view.reference === reference &&
          (view.charge === null || view.charge === provider_tx_id)
        )
          return { ok: true, value: strip(view) };
      }
      if (page >= listed.value.total_pages) break;
    }
    return { ok: false, kind: "not_found", message: "no refund with this reference" };
  };

  return {
    name: FLUTTERWAVE,
    refund: (request) =>
      NUMERIC_ID.test(request.provider_tx_id)
        ? client.call(
            "POST",
            `/transactions/${request.provider_tx_id}/refund`,
            {
              amount: minorToProviderNumber(request.amount_minor),
              comments: refundComments(request.comments, request.reference),
            },
            // Accepted, whatever the status word says: followed with refundStatus.
            (data) => strip(viewOf(data, "pending")),
          )
        : Promise.resolve({ ok: false, kind: "not_found", message: "not a transaction id" }),
    refundStatus,
    findRefund,
    charge: (provider_tx_id) => client.verifyTransaction(provider_tx_id),
    lookup: async (ref) => {
      const currency = String(ref.details?.currency ?? "");
      if (ref.provider_ref) return asFacts(await refundStatus(ref.provider_ref), currency);
      const charge = ref.details?.charge_ref;
      if (typeof charge !== "string")
        return { ok: false, kind: "not_found", message: "no charge to search" };
      return asFacts(await findRefund(charge, ref.tx_ref), currency);
    },
    lookupById: async (refund_id) => asFacts(await refundStatus(refund_id), ""),
  };
}
