/**
 * The providers' side of the daily reconciliation, in our words
 * (`TheirRecord`): Flutterwave's charges and transfers of a window of time
 * (lists-adapter.ts), and VTpass's answer for one purchase (VTpass has no
 * list, reference §16.1: each purchase is requeried by its request_id).
 */
import type { TheirRecord } from "../domain/reconciliation";
import {
  chargesOfWindow,
  flutterwaveClient,
  type TimeWindow,
  transfersOfWindow,
} from "./flutterwave";
import type { Config } from "../lib/config";
import type { Outcome } from "./outcome";
import { vtpassClient } from "./vtpass";

export type ReconciliationPort = {
  charges: (window: TimeWindow) => Promise<Outcome<TheirRecord[]>>;
  transfers: (window: TimeWindow) => Promise<Outcome<TheirRecord[]>>;
  /** VTpass's record of a purchase (`not_found`: never seen); null when VTpass is not configured. */
  purchase: ((request_id: string) => Promise<Outcome<TheirRecord>>) | null;
};

/** What src/providers/index.ts calls ProviderDeps (named here again: index re-exports this file). */
type Deps = { env: Env; ctx: ExecutionContext; config: Config; request_id?: string };

export function reconciliationPort(deps: Deps): ReconciliationPort {
  const flutterwave = flutterwaveClient(deps.env, deps.ctx, deps.config, deps);
  const vtpass = vtpassClient(deps.env, deps.ctx, deps.config, deps);
  return {
    charges: (window) => chargesOfWindow(flutterwave, window),
    transfers: (window) => transfersOfWindow(flutterwave, window),
    purchase: vtpass
      ? async (request_id) => {
          const answer = await vtpass.requery(request_id);
          if (!answer.ok)
            return answer.kind === "not_found"
              ? { ok: false, kind: "not_found", message: answer.message }
              : { ok: false, kind: "unknown", reason: answer.kind };
          return {
            ok: true,
            value: {
              source: "vtpass:purchase",
              reference: request_id,
              provider_id: answer.value.provider_ref ?? request_id,
              amount_minor: answer.value.amount_minor,
              // VTpass sells in naira only; its answers carry no currency.
              currency: "NGN",
              outcome: answer.value.outcome,
              // A requery's transaction_date is an object on some answers, a string on others (reference §8): not compared.
              created_at_ms: null,
            },
          };
        }
      : null,
  };
}
