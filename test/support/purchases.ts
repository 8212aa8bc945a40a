/**
 * Helpers for the purchase tests: buy through the real routes, read what the
 * VTpass look-alike saw (its request counts and purchases), and tell it to
 * settle or reverse as VTpass's staff would.
 */
import { api, authedJson } from "./helpers";
import { controlData, vtControl } from "./vtpass-sandbox";

export type Purchase = {
  tx_ref: string;
  type: "AIRTIME" | "DATA";
  status: "PENDING" | "SUCCESS" | "FAILED";
  stage: string;
  amount: string;
  amount_minor: number;
  network: string;
  phone: string;
  plan: string | null;
  network_note: string | null;
  failure_reason: string | null;
  watch?: { websocket_url: string; ticket: string };
};

/**
 * A whole-naira airtime amount no other test uses: the look-alike refuses the
 * same service, number and amount within 30 s (019), and tests share the few
 * test numbers.
 */
export function uniqueNaira(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return String(100 + (n % 39_000));
}

export function buyAirtime(
  auth: Record<string, string>,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api("/wallet/airtime", authedJson(auth, body, headers));
}

export function buyData(
  auth: Record<string, string>,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api("/wallet/data", authedJson(auth, body, headers));
}

/** How many `/api/pay` calls the look-alike served for this request_id. */
export async function payCount(request_id: string): Promise<number> {
  return (
    await controlData<{ count: number }>(
      await vtControl(`/requests?operation=pay&match=${encodeURIComponent(request_id)}`),
    )
  ).count;
}

/** Settle (or reverse) a purchase at the look-alike; it sends its transaction-update callback to our secret URL. */
export async function vtpassSettles(
  request_id: string,
  status: "delivered" | "failed" | "reversed",
): Promise<void> {
  await controlData(
    await vtControl(`/purchases/${encodeURIComponent(request_id)}/settle`, { body: { status } }),
  );
}

/** A real-looking MTN number no other test uses (0803 + 7 digits). */
export function uniqueMtnNumber(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return `0803${String(n % 10_000_000).padStart(7, "0")}`;
}
