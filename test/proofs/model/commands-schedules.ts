/**
 * Scheduled top-ups in the HTTP model (issue 23): a pooled user saves the
 * look-alike's delivering number and schedules airtime for it through the
 * routes; the schedule is made due and the wallet's own alarm runs it; the
 * run's queue message may be delivered twice more to the real consumer.
 *
 * What the model predicts, from its own balances and tier state: an inactive
 * wallet's run is skipped `wallet_inactive`, a run over the available
 * balance is skipped `insufficient_funds`, one over the tier's day is skipped
 * with the tier's code; otherwise exactly one AIRTIME purchase of the
 * scheduled amount exists, delivered (or unknown after a slow answer, like
 * any purchase), however often the message came. A skipped run adds no
 * transaction, so the model's balances (compared by every Observe) prove it
 * held nothing.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { lagosDayKey } from "../../../src/domain/tiers";
import type { Wallet } from "../../../src/durable/wallet/object";
import { fail, jsonAnswer, problem, same } from "./check";
import { balances, type Model } from "./model";
import { call, consume, countCommand, countOutcome, counts, jsonPost } from "./harness";
import { userOf, type Cmd, type Real } from "./commands-funding";
import { held, intended, planPurchase, requestIdOf } from "./commands-held";
import { predicted } from "./commands-kyc";

type Run = { period: string; status: string; tx_ref: string | null; reason_code: string | null };
type ScheduleAnswer = { id: string; last_runs: Run[] };

const RUN_OUTCOME_TIMEOUT_MS = 20_000;

export class ScheduledRun implements Cmd {
  constructor(
    readonly user: number,
    readonly intent: number,
    readonly doubled: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("scheduled run");
    const user = userOf(m, this.user);
    const active = r.active.get(user.user_id) !== false;
    const available = balances(user).available_minor;
    const plan = planPurchase("airtime", "delivered", intended(available, this.intent, 0, 100_00));
    counts.requests += 2;
    // A wallet keeps one recipient per number: a second save of it (an earlier run of this
    // sequence) is refused and names the one saved, which the schedule then uses.
    const save = await call(r.fee, "/wallet/beneficiaries", {
      ...jsonPost(user.auth, {
        kind: "phone",
        nickname: `model ${r.seq}`,
        phone: plan.body.phone,
        network: plan.body.network,
      }),
    });
    const saved =
      save.status === 409
        ? {
            id: (await problem(save, 409, "beneficiary_exists", "save again"))
              .existing_id as string,
          }
        : await jsonAnswer<{ id: string }>(save, 201, "save the scheduled recipient");
    const schedule = await jsonAnswer<ScheduleAnswer>(
      await call(
        r.fee,
        "/wallet/schedules",
        jsonPost(user.auth, {
          beneficiary_id: saved.id,
          product: { kind: "airtime", amount: plan.body.amount },
          frequency: "daily",
          time: "08:00",
        }),
      ),
      201,
      "schedule",
    );
    // Time passing: the run is due a minute ago; the wallet's alarm records and queues it.
    const due = Date.now() - 60_000;
    const period = lagosDayKey(due);
    const stub = env.WALLET.getByName(user.user_id) as DurableObjectStub<Wallet>;
    await runInDurableObject(stub, async (_wallet: Wallet, state) => {
      state.storage.sql.exec(
        "UPDATE schedules SET next_run_at_ms = ? WHERE id = ?",
        due,
        schedule.id,
      );
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    if (!(await runDurableObjectAlarm(stub))) fail("scheduled run", "no alarm ran");
    if (this.doubled)
      await consume(
        [1, 2].map(() => ({
          v: 1,
          kind: "schedule.run",
          request_id: `req_model_${r.seq}`,
          user_id: user.user_id,
          schedule_id: schedule.id,
          period,
        })),
      );
    const run = await outcomeOf(r, user.auth, schedule.id, period);
    const refusal = !active
      ? "wallet_inactive"
      : plan.amount_minor > available
        ? "insufficient_funds"
        : predicted(user, "debit", plan.amount_minor);
    if (refusal) {
      same(
        "scheduled run skipped",
        [run.status, run.reason_code, run.tx_ref],
        ["skipped", refusal, null],
      );
      return countOutcome(`scheduled run: skipped ${refusal}`);
    }
    same("scheduled run placed", run.status, "submitted");
    if (!run.tx_ref) return fail("scheduled run", "submitted without a tx_ref");
    const tx = await env.WALLET.getByName(user.user_id).getTransaction(run.tx_ref);
    if (!tx) return fail("scheduled run", `no transaction ${run.tx_ref}`);
    same(
      "scheduled run: type and amount",
      [tx.type, tx.amount_minor],
      ["AIRTIME", plan.amount_minor],
    );
    // Delivered at once, or (a slow look-alike) unknown to us while VTpass delivered: as any purchase.
    const unknown = tx.status === "PENDING" && tx.stage === "submit_unknown";
    if (!unknown) same("scheduled run: settled", [tx.status, tx.stage], ["SUCCESS", "settled"]);
    user.txs.push({
      ...held(
        run.tx_ref,
        "AIRTIME",
        plan.amount_minor,
        0,
        unknown ? "PENDING" : "SUCCESS",
        unknown ? "submit_unknown" : "settled",
      ),
      vt: "delivered",
      request_id: await requestIdOf(user, run.tx_ref),
    });
    countOutcome(
      this.doubled ? "scheduled run: bought once, message tripled" : "scheduled run: bought",
    );
  }
  toString = () => `ScheduledRun(u${this.user}, intent ${this.intent}, doubled ${this.doubled})`;
}

/** The run's outcome, once the consumer recorded it (the local queue delivers on its own clock). */
async function outcomeOf(
  r: Real,
  auth: Record<string, string>,
  id: string,
  period: string,
): Promise<Run> {
  const deadline = Date.now() + RUN_OUTCOME_TIMEOUT_MS;
  for (;;) {
    counts.requests += 1;
    const s = await jsonAnswer<ScheduleAnswer>(
      await call(r.fee, `/wallet/schedules/${id}`, { headers: auth }),
      200,
      "read the schedule",
    );
    const run = s.last_runs.find((x) => x.period === period);
    if (run && run.status !== "due") return run;
    if (Date.now() > deadline) return fail("scheduled run", `no outcome for ${id} ${period}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
