/**
 * The daily reconciliation through the real routes: a registered user's
 * fundings (paid in the Flutterwave look-alike's checkout), withdrawals and an
 * airtime purchase (the VTpass look-alike), then the look-alike's list faults
 * make each kind of difference, and POST /admin/reconciliations finds them.
 *
 * A day can be reconciled only once it has ended in Lagos, so the
 * reconciliation calls run with the clock moved one day on (Date only); the
 * transactions themselves are made at the real time. (Run within a minute of
 * Lagos midnight, the transactions could straddle two days: the test reads
 * the day of the first funding and expects everything on it.)
 */
import { booksCaughtUp } from "../../support/books";
import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/worker";
import { DAY_MS, lagosDayKey } from "../../../src/domain/tiers";
import { previousLagosDay } from "../../../src/domain/reconciliation";
import {
  api,
  authedJson,
  env,
  eventually,
  expectProblem,
  registerAndLogin,
} from "../../support/helpers";
import { ADMIN_TOKEN_HEADERS } from "../../support/operators";
import { buyAirtime, uniqueNaira } from "../../support/purchases";
import {
  aDayLater,
  type Day,
  dayResult,
  fund,
  itemsOf,
  openAnomalies,
  operator,
  reconcile,
} from "../../support/reconciliations";
import { control, envelope, uniqueRef } from "../../support/sandbox";

async function withdraw(user_id: string, auth: Record<string, string>): Promise<string> {
  const res = await api(
    "/wallet/withdraw",
    authedJson(auth, { amount: "1000", account_bank: "044", account_number: "0690000031" }),
  );
  expect(res.status).toBe(202);
  const { tx_ref } = (await res.json()) as { tx_ref: string };
  const stub = env.WALLET.getByName(user_id);
  const transfer = (await stub.getTransaction(tx_ref))!;
  await envelope(await control(`/transfers/${transfer.provider_ref}/settle`, { body: {} }));
  await eventually(async () => expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"));
  return tx_ref;
}

async function listFault(reference: string, kind: string, value?: string) {
  await envelope(await control("/lists/faults", { body: { reference, kind, value } }));
}

const of = itemsOf;

describe("POST /admin/reconciliations", () => {
  it("finds every kind of difference the look-alikes' faults make, pages through the lists, and a re-run replaces the day", async () => {
    const user = await registerAndLogin();
    const stub = env.WALLET.getByName(user.user_id);
    const matched = await fund(user.auth, "2000");
    const amount = await fund(user.auth, "2100");
    const status = await fund(user.auth, "2200");
    const omitted = await fund(user.auth, "2300");
    const duplicated = await fund(user.auth, "2400");
    for (const tx_ref of [matched, amount, status, omitted, duplicated])
      await eventually(async () =>
        expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
      );
    const day = lagosDayKey((await stub.getTransaction(matched))!.created_at_ms);

    const airtime = await buyAirtime(user.auth, {
      phone: "08011111111",
      // Within what the fundings credited; unique so the look-alike's 30 s duplicate rule stays out.
      amount: String(100 + (Number(uniqueNaira()) % 900)),
      network: "mtn",
    });
    expect(airtime.status, await airtime.clone().text()).toBeLessThan(300);
    const purchase = (await airtime.json()) as { tx_ref: string };
    await eventually(async () =>
      expect((await stub.getTransaction(purchase.tx_ref))?.status).toBe("SUCCESS"),
    );
    const request_id = (await stub.getTransaction(purchase.tx_ref))!.provider_ref!;

    const paid_out = await withdraw(user.user_id, user.auth);
    const misreported_transfer = await withdraw(user.user_id, user.auth);

    // Charges we never saw: one, then ten more so the day's list is longer than a page (ten rows).
    const extras: string[] = [];
    for (let i = 0; i < 11; i++) {
      const tx_ref = uniqueRef("EXTRA");
      extras.push(tx_ref);
      await envelope(
        await control("/transactions", { body: { tx_ref, amount: "700", status: "successful" } }),
      );
    }

    await listFault(amount, "amount", "2050");
    await listFault(status, "status", "failed");
    await listFault(omitted, "omit");
    await listFault(duplicated, "duplicate");
    await listFault(misreported_transfer, "status", "FAILED");
    // Our side is the books' day records, fed from the wallet's change feed in the background.
    await booksCaughtUp([stub]);
    try {
      const res = await reconcile(day);
      expect(res.status).toBe(200);
      const run = (await res.json()) as Day["run"];
      expect(run).toMatchObject({ day, runs: 1, trigger: "operator" });

      const first = await dayResult(day);
      const items = first.data;
      expect(of(items, matched)).toMatchObject([
        {
          result: "matched",
          source: "flutterwave:charge",
          tx_ref: matched,
          diffs: [],
          link: `/api/v1/admin/console/transactions/${matched}`,
        },
      ]);
      expect(of(items, amount)).toMatchObject([
        {
          result: "mismatched",
          diffs: [{ field: "amount_minor", ours: 2100_00, theirs: 2050_00 }],
        },
      ]);
      expect(of(items, status)).toMatchObject([
        { result: "mismatched", diffs: [{ field: "status", ours: "SUCCESS", theirs: "FAILED" }] },
      ]);
      expect(of(items, omitted)).toMatchObject([
        { result: "ours_only", tx_ref: omitted, theirs: null },
      ]);
      const dup = of(items, duplicated);
      expect(dup.map((i) => i.result).sort()).toEqual(["matched", "theirs_only"]);
      expect(dup.find((i) => i.result === "theirs_only")).toMatchObject({
        tx_ref: null,
        link: null,
      });
      for (const extra of extras)
        expect(of(items, extra)).toMatchObject([{ result: "theirs_only", tx_ref: null }]);
      expect(of(items, request_id)).toMatchObject([
        { result: "matched", source: "vtpass:purchase", tx_ref: purchase.tx_ref },
      ]);
      expect(of(items, paid_out)).toMatchObject([
        { result: "matched", source: "flutterwave:transfer" },
      ]);
      expect(of(items, misreported_transfer)).toMatchObject([
        {
          result: "mismatched",
          source: "flutterwave:transfer",
          diffs: [{ field: "status", ours: "SUCCESS", theirs: "FAILED" }],
        },
      ]);
      // The summary counts what the items say.
      const counted = { matched: 0, ours_only: 0, theirs_only: 0, mismatched: 0 };
      for (const item of items) counted[item.result]++;
      expect(first.run.counts).toEqual(counted);

      // Each difference is an open operator anomaly.
      const open = await openAnomalies();
      expect(open).toContainEqual(
        expect.objectContaining({
          tx_ref: omitted,
          kind: "reconciliation_ours_only",
          user_id: user.user_id,
        }),
      );
      expect(open).toContainEqual(
        expect.objectContaining({ tx_ref: amount, kind: "reconciliation_mismatched" }),
      );
      expect(open).toContainEqual(
        expect.objectContaining({
          tx_ref: extras[0],
          kind: "reconciliation_theirs_only",
          user_id: null,
        }),
      );
      expect(open.filter((a) => a.tx_ref === matched)).toEqual([]);

      // The console shows the day's differences, linked to their transactions.
      const page = await api(`/admin/console/reconciliations/${day}`, {
        headers: ADMIN_TOKEN_HEADERS,
      });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`href="/api/v1/admin/console/transactions/${omitted}"`);
      expect(html).not.toContain(`/transactions/${matched}"`);
      // It links to the day before (and after, once that day has ended), and every console
      // page's header links to the day the nightly run reconciles.
      const before = new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString();
      expect(html).toContain(`href="/api/v1/admin/console/reconciliations/${before.slice(0, 10)}"`);
      expect(html).toContain(
        `href="/api/v1/admin/console/reconciliations/${previousLagosDay(Date.now())}">Reconciliation`,
      );

      // Idempotent: the same inputs give the same result, which replaces the first.
      expect((await reconcile(day)).status).toBe(200);
      const again = await dayResult(day);
      expect(again.run.runs).toBe(2);
      expect(again.data).toEqual(first.data);
    } finally {
      await envelope(await control("/lists/faults", { method: "DELETE" }));
    }
    // With the lists telling the truth, the differences they made are gone from the day.
    expect((await reconcile(day)).status).toBe(200);
    const honest = await dayResult(day);
    expect(honest.run.runs).toBe(3);
    for (const tx_ref of [amount, status, omitted, misreported_transfer])
      expect(of(honest.data, tx_ref).map((i) => i.result)).toEqual(["matched"]);
    expect(of(honest.data, duplicated).map((i) => i.result)).toEqual(["matched"]);

    // The anomalies the lists' faults made are resolved by the run that no longer finds them.
    const still_open = (await openAnomalies()).map((a) => a.tx_ref);
    for (const tx_ref of [amount, status, omitted, misreported_transfer])
      expect(still_open).not.toContain(tx_ref);
    expect(still_open).toContain(extras[0]);

    // The metrics give the last ended day's items by result (a day later, that day is this one).
    const metrics = await aDayLater(async () =>
      (await api("/admin/metrics", { headers: ADMIN_TOKEN_HEADERS })).text(),
    );
    for (const result of ["matched", "ours_only", "theirs_only", "mismatched"])
      expect(metrics).toContain(
        `wallet_reconciliation_items{result="${result}"} ${honest.run.counts[result]}\n`,
      );
    expect(honest.run.counts.matched).toBeGreaterThanOrEqual(8);
  });

  it("refuses a day that has not ended (422), the read-only script token (403), and says 404 for a day never reconciled", async () => {
    const today = lagosDayKey(Date.now());
    const tomorrow = lagosDayKey(Date.now() + DAY_MS);
    for (const day of [today, tomorrow]) {
      const res = await api("/admin/reconciliations", {
        method: "POST",
        headers: { "content-type": "application/json", ...(await operator()) },
        body: JSON.stringify({ day }),
      });
      expect((await expectProblem(res, 422)).code).toBe("day_not_ended");
    }
    const bad = await api("/admin/reconciliations", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await operator()) },
      body: JSON.stringify({ day: "2026-02-30" }),
    });
    expect((await expectProblem(bad, 422)).code).toBe("validation_failed");
    const script = await api("/admin/reconciliations", {
      method: "POST",
      headers: { "content-type": "application/json", ...ADMIN_TOKEN_HEADERS },
      body: JSON.stringify({ day: "2020-01-01" }),
    });
    expect((await expectProblem(script, 403)).code).toBe("operator_required");
    const never = await api("/admin/reconciliations/2020-01-02", { headers: ADMIN_TOKEN_HEADERS });
    await expectProblem(never, 404);
    // A day that does not exist is 422 on the reads and the console page too (found by the fuzzer:
    // the page once threw on it, a 500).
    for (const path of [
      "/admin/reconciliations/2026-02-30",
      "/admin/console/reconciliations/2026-13-01",
    ])
      expect(
        (await expectProblem(await api(path, { headers: ADMIN_TOKEN_HEADERS }), 422)).code,
      ).toBe("validation_failed");
  });

  it("runs nightly from the cron: the Lagos day that ended before the trigger, stored as the cron's run", async () => {
    const user = await registerAndLogin();
    const tx_ref = await fund(user.auth, "1500");
    const stub = env.WALLET.getByName(user.user_id);
    await eventually(async () =>
      expect((await stub.getTransaction(tx_ref))?.status).toBe("SUCCESS"),
    );
    const created = (await stub.getTransaction(tx_ref))!.created_at_ms;
    const day = lagosDayKey(created);
    // 23:30 UTC the same UTC date as 00:30 the next Lagos day: the trigger right after `day` ended.
    const trigger_ms = Date.parse(`${day}T23:30:00Z`);
    const ctx = createExecutionContext();
    await worker.scheduled!(
      createScheduledController({ scheduledTime: trigger_ms, cron: "30 23 * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const result = await dayResult(day);
    expect(result.run).toMatchObject({ day, trigger: "cron" });
    expect(of(result.data, tx_ref)).toMatchObject([{ result: "matched", tx_ref }]);
  });

  it("fails the run with 503 when Flutterwave's list cannot be read, and the day keeps its previous result", async () => {
    const day = "2020-01-03"; // Long ended, nothing on it: its result is empty.
    expect((await reconcile(day)).status).toBe(200);
    expect((await dayResult(day)).run).toMatchObject({ runs: 1, counts: { matched: 0 } });
    await envelope(
      await control("/faults", {
        body: {
          operation: "transactions.list",
          match: "from=2020-01-02",
          mode: "http_500",
          times: 10,
        },
      }),
    );
    try {
      const failed = await reconcile(day);
      expect((await expectProblem(failed, 503)).code).toBe("provider_unavailable");
    } finally {
      await envelope(await control("/faults", { method: "DELETE" }));
    }
    expect((await dayResult(day)).run.runs).toBe(1);
  });
});
