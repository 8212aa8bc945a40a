/**
 * The bills' reads behind the purchases port: the DisCos VTpass lists (with
 * their published ranges), a TV service's bouquets, and merchant-verify.
 * Lists go through per-isolate caches like the data plans (a stale copy
 * while VTpass is unreachable); a verification is kept VTPASS_VERIFY_TTL_S
 * per (service, number, type), and a wrong number's answer too, so a user
 * retyping cannot turn one mistake into many VTpass calls.
 */
import { ReadThroughCache } from "../../lib/cache";
import type { BillService, DataPlan, ListRead, PurchasePort, VerifyAnswer } from "../port";
import type { Verified } from "./bills";
import type { VtpassClient } from "./client";
import {
  VTPASS_CATALOGUE_FAILURE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  VTPASS_CATALOGUE_TTL_S,
  VTPASS_VERIFY_CACHE_MAX,
  VTPASS_VERIFY_TTL_S,
} from "./limits";
import { TV_PROVIDERS } from "./bills";

/** VTpass's answer when it is not a list: definite (refused, not found) or none. */
class ReadFailure extends Error {
  constructor(readonly definite: boolean) {
    super("bills read unavailable");
  }
}

const discos = new ReadThroughCache<BillService[]>(
  "vtpass-electricity",
  VTPASS_CATALOGUE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  1,
  { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S },
);
const bouquets = new ReadThroughCache<DataPlan[]>(
  "vtpass-bouquets",
  VTPASS_CATALOGUE_TTL_S,
  VTPASS_CATALOGUE_STALE_MAX_S,
  TV_PROVIDERS.length,
  { failure_ttl_s: VTPASS_CATALOGUE_FAILURE_TTL_S },
);
// No stale copy: an old verification is not worth showing once its time is up.
const verifications = new ReadThroughCache<{ found: true; value: Verified } | { found: false }>(
  "vtpass-verify",
  VTPASS_VERIFY_TTL_S,
  0,
  VTPASS_VERIFY_CACHE_MAX,
);

/** For tests: forget the bills' cached lists and verifications. */
export function clearBillsCache(): void {
  discos.clear();
  bouquets.clear();
  verifications.clear();
}

function listRead<T>(
  read: { ok: true; value: T; cached: boolean; stale: boolean } | { ok: false; error: unknown },
): ListRead<T> {
  if (read.ok) return read;
  return {
    ok: false,
    kind: read.error instanceof ReadFailure && read.error.definite ? "refused" : "unknown",
  };
}

type Deps = { request_id?: string; keep_alive?: (work: Promise<unknown>) => void };

export function vtpassBills(
  client: VtpassClient,
  deps: Deps,
): Pick<PurchasePort, "electricityServices" | "tvBouquets" | "verify"> {
  return {
    electricityServices: async () =>
      listRead(
        await discos.read(
          "electricity-bill",
          async () => {
            const answer = await client.services("electricity-bill");
            if (!answer.ok) throw new ReadFailure(answer.kind !== "unknown");
            return answer.value.map((s) => ({
              service_id: s.service_id,
              name: s.name,
              min_minor: s.min_minor,
              max_minor: s.max_minor,
            }));
          },
          deps.request_id,
          deps.keep_alive,
        ),
      ),
    tvBouquets: async (service_id) =>
      listRead(
        await bouquets.read(
          service_id,
          async () => {
            const answer = await client.variations(service_id);
            if (!answer.ok) throw new ReadFailure(answer.kind !== "unknown");
            return answer.value.plans;
          },
          deps.request_id,
          deps.keep_alive,
        ),
      ),
    verify: async ({ service_id, number, type }): Promise<VerifyAnswer> => {
      const read = await verifications.read(
        `${service_id}|${number}|${type ?? ""}`,
        async () => {
          const answer = await client.verify({ serviceID: service_id, billersCode: number, type });
          if (answer.ok) return { found: true, value: answer.value };
          if (answer.kind === "not_found") return { found: false };
          throw new ReadFailure(answer.kind === "refused");
        },
        deps.request_id,
        deps.keep_alive,
      );
      if (!read.ok) return { ok: false, kind: "unavailable" };
      return read.value.found
        ? { ok: true, account: read.value.value, cached: read.cached }
        : { ok: false, kind: "wrong_number" };
    },
  };
}
