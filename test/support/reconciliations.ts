/**
 * Helpers for the daily reconciliation's route tests: fund through the
 * Flutterwave look-alike's checkout, run POST /admin/reconciliations a day
 * later (a day must have ended to be reconciled), read the day's items and the
 * open operator anomalies.
 */
import { expect, vi } from "vitest";
import { DAY_MS } from "../../src/domain/tiers";
import { api, form } from "./helpers";
import { ADMIN_TOKEN_HEADERS, operatorHeaders } from "./operators";
import { choose } from "./sandbox";

export type Item = {
  seq: number;
  result: "matched" | "ours_only" | "theirs_only" | "mismatched";
  source: string;
  reference: string | null;
  tx_ref: string | null;
  diffs: { field: string; ours: unknown; theirs: unknown }[];
  link: string | null;
  theirs: { provider_id: string | null } | null;
};
export type Day = {
  run: { day: string; runs: number; counts: Record<string, number>; trigger: string };
  data: Item[];
  has_more: boolean;
};

export const operator = () =>
  operatorHeaders(`recon-${crypto.randomUUID().slice(0, 8)}@ops.test`, "operator");

/** A funding paid in full at the look-alike's checkout, credited through its webhook. */
export async function fund(auth: Record<string, string>, naira: string): Promise<string> {
  const res = await api("/wallet/fund", form({ amount: naira }, auth));
  expect(res.status).toBe(201);
  const { tx_ref, payment_link } = (await res.json()) as { tx_ref: string; payment_link: string };
  expect((await choose(payment_link, "full")).status).toBe(303);
  return tx_ref;
}

/** Run `work` as if it were a day later (a day must have ended to be reconciled). */
export async function aDayLater<T>(work: () => Promise<T>): Promise<T> {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(now + DAY_MS);
    return await work();
  } finally {
    vi.useRealTimers();
  }
}

export async function reconcile(day: string): Promise<Response> {
  return aDayLater(async () =>
    api("/admin/reconciliations", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await operator()) },
      body: JSON.stringify({ day }),
    }),
  );
}

export async function dayResult(day: string): Promise<Day> {
  const res = await api(`/admin/reconciliations/${day}?limit=200`, {
    headers: ADMIN_TOKEN_HEADERS,
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Day;
  expect(body.has_more).toBe(false);
  return body;
}

export async function openAnomalies(): Promise<
  { tx_ref: string; kind: string; user_id: string | null }[]
> {
  const res = await api("/admin/operations?limit=100", { headers: ADMIN_TOKEN_HEADERS });
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      anomalies: { data: { tx_ref: string; kind: string; user_id: string | null }[] };
    }
  ).anomalies.data;
}

/** The day's items for one reference (our tx_ref, a transfer's reference, VTpass's request_id). */
export const itemsOf = (items: Item[], reference: string) =>
  items.filter((i) => i.reference === reference);
