/**
 * The daily reconciliation's VTpass side through the real routes: airtime
 * bought with POST /wallet/airtime (the VTpass look-alike delivers
 * 08011111111 and fails any other number), then the look-alike's requery
 * faults (POST /__sandbox/vtpass/__control/purchases/:request_id/misreport)
 * make VTpass report another amount, another status, or no purchase at all,
 * and POST /admin/reconciliations finds each difference.
 *
 * Each fault is set once our transaction is final: the wallet never requeries
 * a final transaction, so the fault reaches the reconciliation only and moves
 * no money. Each is cleared by its own request_id (tests share the look-alike).
 * A day can be reconciled only once it has ended in Lagos: the reconciliation
 * calls run with Date moved one day on (support/reconciliations.ts).
 */
import { describe, expect, it } from "vitest";
import { lagosDayKey } from "../../../src/domain/tiers";
import { booksCaughtUp } from "../../support/books";
import { api, env, eventually, registerAndLogin } from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS } from "../../support/operators";
import { buyAirtime, uniqueMtnNumber, uniqueNaira } from "../../support/purchases";
import { dayResult, fund, itemsOf, openAnomalies, reconcile } from "../../support/reconciliations";
import { controlData, vtControl } from "../../support/vtpass-sandbox";

type Bought = { tx_ref: string; request_id: string; amount_minor: number };

const misreport = (request_id: string, body: Record<string, unknown>) =>
  vtControl(`/purchases/${request_id}/misreport`, { body }).then((res) => controlData(res));
const tellTheTruth = (request_id: string) =>
  vtControl(`/purchases/${request_id}/misreport`, { method: "DELETE" }).then((res) =>
    controlData(res),
  );

const consoleLink = (tx_ref: string) => `/api/v1/admin/console/transactions/${tx_ref}`;

describe("POST /admin/reconciliations against VTpass's requery", () => {
  it("finds a purchase VTpass reports with another amount, another status or not at all, each linked and an open anomaly, until it tells the truth again", async () => {
    const user = await registerAndLogin();
    const stub = env.WALLET.getByName(user.user_id);
    const funding = await fund(user.auth, "5000");
    await eventually(async () =>
      expect((await stub.getTransaction(funding))?.status).toBe("SUCCESS"),
    );
    const day = lagosDayKey((await stub.getTransaction(funding))!.created_at_ms);

    /** One airtime purchase through the route, waited for until it is final in our books. */
    async function bought(phone: string, final: "SUCCESS" | "FAILED"): Promise<Bought> {
      // Unique so the look-alike's 30 s duplicate rule (019) stays out; within what the funding credited.
      const naira = 100 + (Number(uniqueNaira()) % 900);
      const res = await buyAirtime(user.auth, { phone, amount: String(naira), network: "mtn" });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      const { tx_ref } = (await res.json()) as { tx_ref: string };
      await eventually(async () => expect((await stub.getTransaction(tx_ref))?.status).toBe(final));
      const tx = (await stub.getTransaction(tx_ref))!;
      // Everything on one Lagos day (the test reads the day of the funding).
      expect(lagosDayKey(tx.created_at_ms)).toBe(day);
      return { tx_ref, request_id: tx.provider_ref!, amount_minor: naira * 100 };
    }
    const other_amount = await bought("08011111111", "SUCCESS");
    const said_failed = await bought("08011111111", "SUCCESS");
    const said_delivered = await bought(uniqueMtnNumber(), "FAILED");
    const not_found = await bought("08011111111", "SUCCESS");
    const honest = await bought("08011111111", "SUCCESS");
    await booksCaughtUp([stub]);

    const reported_minor = other_amount.amount_minor - 50_00;
    const faulted = [other_amount, said_failed, said_delivered, not_found];
    try {
      await misreport(other_amount.request_id, { kind: "amount", amount: reported_minor / 100 });
      await misreport(said_failed.request_id, { kind: "status", status: "failed" });
      await misreport(said_delivered.request_id, { kind: "status", status: "delivered" });
      await misreport(not_found.request_id, { kind: "not_found" });

      const res = await reconcile(day);
      expect(res.status, await res.clone().text()).toBe(200);
      const items = (await dayResult(day)).data;
      const mismatched = (p: Bought, diff: { field: string; ours: unknown; theirs: unknown }) =>
        expect(itemsOf(items, p.request_id)).toMatchObject([
          {
            result: "mismatched",
            source: "vtpass:purchase",
            tx_ref: p.tx_ref,
            diffs: [diff],
            link: consoleLink(p.tx_ref),
          },
        ]);
      mismatched(other_amount, {
        field: "amount_minor",
        ours: other_amount.amount_minor,
        theirs: reported_minor,
      });
      // A purchase VTpass says failed although we delivered it (and charged for it)...
      mismatched(said_failed, { field: "status", ours: "SUCCESS", theirs: "FAILED" });
      // ... and one VTpass says delivered although we refunded it.
      mismatched(said_delivered, { field: "status", ours: "FAILED", theirs: "SUCCESS" });
      expect(itemsOf(items, not_found.request_id)).toMatchObject([
        {
          result: "ours_only",
          source: "vtpass:purchase",
          tx_ref: not_found.tx_ref,
          theirs: null,
          link: consoleLink(not_found.tx_ref),
        },
      ]);
      // The faults touch only their own purchases.
      expect(itemsOf(items, honest.request_id)).toMatchObject([
        { result: "matched", tx_ref: honest.tx_ref, diffs: [] },
      ]);

      // Each link opens its transaction's page.
      for (const p of faulted) {
        const page = await api(`/admin/console/transactions/${p.tx_ref}`, {
          headers: ADMIN_TOKEN_HEADERS,
        });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain(p.tx_ref);
      }
      const day_page = await api(`/admin/console/reconciliations/${day}`, {
        headers: ADMIN_TOKEN_HEADERS,
      });
      expect(day_page.status).toBe(200);
      const html = await day_page.text();
      for (const p of faulted) expect(html).toContain(`href="${consoleLink(p.tx_ref)}"`);
      expect(html).not.toContain(`href="${consoleLink(honest.tx_ref)}"`);

      // Each difference is an open operator anomaly of its kind, naming the user.
      const open = await openAnomalies();
      for (const [p, kind] of [
        [other_amount, "reconciliation_mismatched"],
        [said_failed, "reconciliation_mismatched"],
        [said_delivered, "reconciliation_mismatched"],
        [not_found, "reconciliation_ours_only"],
      ] as const)
        expect(open).toContainEqual(
          expect.objectContaining({ tx_ref: p.tx_ref, kind, user_id: user.user_id }),
        );
      expect(open.filter((a) => a.tx_ref === honest.tx_ref)).toEqual([]);
    } finally {
      for (const p of faulted) await tellTheTruth(p.request_id);
    }

    // VTpass telling the truth again: a re-run matches every purchase and resolves the anomalies.
    const again = await reconcile(day);
    expect(again.status, await again.clone().text()).toBe(200);
    const honest_day = await dayResult(day);
    for (const p of [...faulted, honest])
      expect(itemsOf(honest_day.data, p.request_id)).toMatchObject([
        { result: "matched", tx_ref: p.tx_ref, diffs: [] },
      ]);
    const still_open = (await openAnomalies()).map((a) => a.tx_ref);
    for (const p of faulted) expect(still_open).not.toContain(p.tx_ref);
  });
});
