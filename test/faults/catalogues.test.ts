/**
 * Provider faults on the lists a money path reads before anything is held,
 * table-driven:
 *
 *   banks.list           (Flutterwave: POST /wallet/withdraw checks the bank code)  x every unanswered read, refuse
 *   service-variations   (VTpass: POST /wallet/data prices the plan)                  x every unanswered read, refuse
 *
 * Both lists are cached per isolate and served stale while the provider is
 * down; these cases start from an empty cache (the Worker's own module, which
 * the tests share), so the fault is met. Then: a problem answer, nothing held,
 * nothing sent to the provider; once the provider answers again the same
 * request goes through and ends once.
 */
import { describe, expect, it } from "vitest";
import { clearBankCache } from "../../src/services/banks";
import { clearCatalogCache } from "../../src/services/catalogue";
import { PROVIDER_READ_RETRIES } from "../../src/providers/flutterwave/limits";
import {
  VTPASS_CATALOGUE_FAILURE_TTL_S,
  VTPASS_READ_RETRIES,
} from "../../src/providers/vtpass/limits";
import { api, expectLedgerConsistent, expectProblem, fundedWallet } from "../support/helpers";
import { buyData, type Purchase } from "../support/purchases";
import {
  arm,
  faultTable,
  READ_UNANSWERED,
  served,
  vtpassControl,
  type Mode,
} from "../support/faults";

const START_MINOR = 100_000_00;
const table = faultTable("catalogues");
const READS: Mode[] = [...READ_UNANSWERED, "refuse"];

/**
 * The cases of one list take turns: each empties the shared cache and must be
 * the one that meets its own fault (a list's request carries nothing a case
 * could scope its fault by).
 */
const turns = new Map<string, Promise<unknown>>();
function inTurn<T>(list: string, run: () => Promise<T>): Promise<T> {
  const next = (turns.get(list) ?? Promise.resolve()).then(run, run);
  turns.set(
    list,
    next.catch(() => {}),
  );
  return next;
}

describe("banks.list faults: the bank code's check before a withdrawal holds anything", () => {
  /** Flutterwave's client repeats every read that gets no usable answer; a refusal is an answer. */
  const usesFor = (mode: Mode) => (mode === "refuse" ? 1 : 1 + PROVIDER_READ_RETRIES);
  table.each(table.sample(READS, 2).map((mode) => ({ mode, faults: usesFor(mode) })))(
    "$mode on the bank list, cache empty: a problem, nothing held, no transfer created",
    async ({ mode }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const met = await inTurn("banks", async () => {
        clearBankCache();
        const before = await served("flutterwave", "banks.list", "/banks/NG");
        await arm("flutterwave", "banks.list", "/banks/NG", mode, usesFor(mode));
        const problem = await expectProblem(
          await api("/wallet/withdraw", {
            method: "POST",
            headers: { "content-type": "application/json", ...auth },
            body: JSON.stringify({
              account_bank: "044",
              account_number: "0690000031",
              amount: "1000",
            }),
          }),
          mode === "refuse" ? 502 : 503,
        );
        expect(problem.code).toBe("bank_list_unavailable");
        const after = await served("flutterwave", "banks.list", "/banks/NG");
        expect(after.count - before.count).toBe(usesFor(mode));
        return after.faulted - before.faulted;
      });
      expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(1);
      return met;
    },
  );
});

describe("service-variations faults: a data plan's price before a purchase holds anything", () => {
  /** VTpass's client repeats only transport trouble; a well-formed answer (030, a string content) is not repeated. */
  const usesFor = (mode: Mode) =>
    mode === "refuse" || mode === "wrong_shape" ? 1 : 1 + VTPASS_READ_RETRIES;
  // 9mobile's and Glo's plans: no other test buys them through the API.
  const NETWORKS = [
    { network: "9mobile", service: "serviceID=etisalat-data" },
    { network: "glo", service: "serviceID=glo-data" },
  ];
  // Each case buys another plan: VTpass refuses the same number and amount twice within 30 s (019).
  table.each(
    table.sample(READS, 2).map((mode, plan_index) => ({ mode, plan_index, faults: usesFor(mode) })),
  )(
    "$mode on the plan list, cache empty: 503, nothing held, no pay; the retry is delivered and paid once",
    async ({ mode, plan_index }) => {
      const { auth, stub } = await fundedWallet(START_MINOR);
      const met = await inTurn("plans", async () => {
        const { network, service: SERVICE } = NETWORKS[plan_index % NETWORKS.length];
        const listed = await api(`/catalog/data-plans?network=${network}`, { headers: auth });
        const listed_text = await listed.text();
        expect(listed.status, listed_text).toBe(200);
        const plans = (JSON.parse(listed_text) as { data: { code: string; price_minor: number }[] })
          .data;
        const plan = plans[Math.floor(plan_index / NETWORKS.length) % plans.length];
        clearCatalogCache();
        const before = await served("vtpass", "variations", SERVICE);
        await arm("vtpass", "variations", SERVICE, mode, usesFor(mode));
        const body = { phone: "08011111111", network, plan: plan.code };
        const problem = await expectProblem(await buyData(auth, body), 503);
        expect(problem.code).toBe("catalogue_unavailable");
        const after = await served("vtpass", "variations", SERVICE);
        expect(after.count - before.count).toBe(usesFor(mode));
        expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
        // VTpass answers again; once the failure is no longer remembered, the same purchase goes through, once.
        await new Promise((resolve) =>
          setTimeout(resolve, VTPASS_CATALOGUE_FAILURE_TTL_S * 1000 + 100),
        );
        const retried = await buyData(auth, body);
        const text = await retried.text();
        expect(retried.status, text).toBe(202);
        const p = JSON.parse(text) as Purchase;
        expect(p).toMatchObject({
          type: "DATA",
          status: "SUCCESS",
          plan: plan.code,
          amount_minor: plan.price_minor,
        });
        const request_id = (await stub.getTransaction(p.tx_ref))!.provider_ref!;
        expect(await served("vtpass", "pay", request_id)).toEqual({ count: 1, faulted: 0 });
        expect(await stub.summary()).toMatchObject({
          balance_minor: START_MINOR - plan.price_minor,
          held_minor: 0,
        });
        return after.faulted - before.faulted;
      });
      expect((await expectLedgerConsistent(stub)).journal_rows).toBe(2);
      return met;
    },
  );
});

describe("service-variations while VTpass fails and no copy is cached: one read per network, then none for a few seconds", () => {
  it("answers concurrent and then consecutive plan lists and a data purchase with 503 after a single VTpass read (and its retries), and reads again after VTPASS_CATALOGUE_FAILURE_TTL_S", async () => {
    const { auth, stub } = await fundedWallet(START_MINOR);
    // Airtel's plans: no other test lists them while VTpass fails.
    const SERVICE = "serviceID=airtel-data";
    const READ_USES = 1 + VTPASS_READ_RETRIES;
    await inTurn("plans", async () => {
      clearCatalogCache();
      const before = await served("vtpass", "variations", SERVICE);
      // More uses than one read takes: a second read would meet the fault too, and be counted.
      await arm("vtpass", "variations", SERVICE, "http_500", 4 * READ_USES);
      const list = () => api("/catalog/data-plans?network=airtel", { headers: auth });
      for (const res of await Promise.all(Array.from({ length: 6 }, list)))
        expect((await expectProblem(res, 503)).code).toBe("catalogue_unavailable");
      for (let i = 0; i < 4; i++)
        expect((await expectProblem(await list(), 503)).code).toBe("catalogue_unavailable");
      const plan = "airt-100";
      expect(
        (
          await expectProblem(
            await buyData(auth, { phone: "08011111111", network: "airtel", plan }),
            503,
          )
        ).code,
      ).toBe("catalogue_unavailable");
      const during = await served("vtpass", "variations", SERVICE);
      expect(during.count - before.count).toBe(READ_USES);
      expect(during.faulted - before.faulted).toBe(READ_USES);
      await vtpassControl(`/faults?match=${encodeURIComponent(SERVICE)}`, { method: "DELETE" });

      // The failure is remembered for a few seconds only: then VTpass is asked again, and answers.
      await new Promise((resolve) =>
        setTimeout(resolve, VTPASS_CATALOGUE_FAILURE_TTL_S * 1000 + 100),
      );
      const listed = await list();
      const text = await listed.text();
      expect(listed.status, text).toBe(200);
      expect((JSON.parse(text) as { data: unknown[] }).data.length).toBeGreaterThan(0);
      expect((await served("vtpass", "variations", SERVICE)).count - before.count).toBe(
        READ_USES + 1,
      );
    });
    expect(await stub.summary()).toMatchObject({ balance_minor: START_MINOR, held_minor: 0 });
  });
});

table.summary();
