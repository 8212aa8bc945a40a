/**
 * VtpassSandbox: the state of the development-only VTpass look-alike. One
 * instance, named "vtpass" (paths.ts); it is bound only outside production.
 *
 * Responsibilities
 * - Decide every purchase with the model's pure rules (model.ts) against its
 *   SQLite ledger (store.ts), and store what was decided, with its debit from
 *   the float, in the same storage transaction as the decision.
 * - Deliver pending purchases at their `deliver_at_ms` from an alarm, then
 *   send VTpass's transaction-update callback (outside any storage
 *   transaction), trying again after CALLBACK_RETRY_DELAY_MS until it is
 *   accepted or CALLBACK_ATTEMPTS_MAX tries were made. Every try is recorded
 *   with the kit's deliveries.
 * - The kit's faults, deliveries and request counts (../kit/object.ts).
 *
 * Invariants
 * - A purchase reaches a final status once; the float never goes below zero
 *   and gets back the debit of a purchase that failed or was reversed.
 * - One callback try at a time per purchase: a try in flight is leased
 *   (CALLBACK_LEASE_MS), so an alarm running meanwhile skips it.
 * - The alarm may run twice or early (tests run it with
 *   `runDurableObjectAlarm`): it does what it was scheduled for, and every
 *   step it takes is conditional.
 */
import { requireConfig } from "../../lib/config";
import { contextFromState } from "../../lib/self";
import { deliverWebhook, type WebhookDispatch } from "../kit/deliver";
import { SandboxObject, type DeliveryOutcome } from "../kit/object";
import {
  callbackAccepted,
  callbackDispatch,
  judgeCallbackAnswer,
  NO_CREDENTIAL,
  VTPASS_USER_AGENT,
} from "./callbacks";
import {
  ALARM_CALLBACK_BATCH_MAX,
  ALARM_DELIVER_BATCH_MAX,
  CALLBACK_ATTEMPTS_MAX,
  CALLBACK_RETRY_DELAY_MS,
  FLOAT_MAX_MINOR,
} from "./limits";
import {
  checkFloat,
  currentStatus,
  decidePay,
  decideRequery,
  newTransactionId,
  type HeaderReader,
  type PayDecision,
  type PurchaseLedger,
  type SandboxStatus,
} from "./model";
import { misreport, type RequeryFault, RequeryFaults } from "./requery-faults";
import { MIGRATIONS } from "./schema";
import { PurchaseStore, recordOf, type PurchaseRow } from "./store";

/** The headers the model reads, as plain values (RPC carries no Headers object). */
export type KeyHeaders = {
  "api-key": string | null;
  "public-key": string | null;
  "secret-key": string | null;
};

export type PurchaseView = PurchaseRow & { current_status: SandboxStatus };

/**
 * A pay decision as it crosses RPC: what the route must do, and the body as
 * JSON text (the model's recursive Json type is too deep for RPC's typing).
 */
export type PayAnswer = { kind: PayDecision["kind"]; body_text: string | null };

export type SettleResult =
  | { outcome: "not_found" }
  | { outcome: "already_final"; purchase: PurchaseView }
  | { outcome: "settled"; purchase: PurchaseView; callback: WebhookDispatch };

export type MisreportResult =
  | { outcome: "not_found" }
  | { outcome: "not_final"; purchase: PurchaseView }
  | { outcome: "set"; purchase: PurchaseView };

export type ResendResult =
  | { outcome: "not_found" }
  | { outcome: "not_final"; purchase: PurchaseView }
  | { outcome: "ok"; purchase: PurchaseView; callback: WebhookDispatch };

function headerReader(keys: KeyHeaders): HeaderReader {
  return { get: (name) => keys[name.toLowerCase() as keyof KeyHeaders] ?? null };
}

function view(row: PurchaseRow, now_ms: number): PurchaseView {
  return { ...row, current_status: currentStatus(recordOf(row), now_ms) };
}

export class VtpassSandbox extends SandboxObject {
  private readonly store: PurchaseStore;
  private readonly requeryFaults: RequeryFaults;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
    this.store = new PurchaseStore(ctx.storage.sql);
    this.requeryFaults = new RequeryFaults(ctx.storage.sql);
  }

  // ---- The API (api.ts) --------------------------------------------------------------------

  /** `POST /api/pay`: the model's decision, the float's check, and the record stored with its debit. */
  async pay(input: { keys: KeyHeaders; body: unknown; origin: string }): Promise<PayAnswer> {
    const now_ms = Date.now();
    const decision = this.ctx.storage.transactionSync(() => {
      const decided = checkFloat(
        decidePay(
          {
            headers: headerReader(input.keys),
            body: input.body,
            now_ms,
            transaction_id: newTransactionId(now_ms),
            pending_deliver_after_ms: pendingDeliverAfterMs(this.env),
          },
          this.store,
        ),
        this.store.float(),
      );
      if (decided.record) this.store.insert(decided.record, input.origin);
      return decided;
    });
    if (decision.record?.status === "pending") await this.scheduleAlarm();
    return {
      kind: decision.kind,
      body_text: "body" in decision ? JSON.stringify(decision.body) : null,
    };
  }

  /**
   * `POST /api/requery`: reads only; a pending purchase past its time reads as
   * delivered even before the alarm. A requery fault armed for the purchase
   * (requery-faults.ts) changes what it reports, and nothing else.
   */
  async requery(input: { keys: KeyHeaders; body: unknown }): Promise<string> {
    const ledger: PurchaseLedger = {
      find: (request_id) => {
        const row = this.store.find(request_id);
        const fault = row ? this.requeryFaults.of(request_id) : null;
        return row && fault ? misreport(recordOf(row), fault) : row;
      },
      latestSimilar: (...args) => this.store.latestSimilar(...args),
    };
    return JSON.stringify(
      decideRequery(
        { headers: headerReader(input.keys), body: input.body, now_ms: Date.now() },
        ledger,
      ),
    );
  }

  /** The float in kobo (`GET /api/balance`). */
  async balance(): Promise<number> {
    return this.store.float();
  }

  // ---- Control (control.ts) ------------------------------------------------------------------

  async setFloat(minor: number): Promise<number> {
    // The control route validated it; anything else is a bug.
    if (!Number.isSafeInteger(minor) || minor < 0 || minor > FLOAT_MAX_MINOR)
      throw new Error(`setFloat: invalid amount ${minor}`);
    this.ctx.storage.transactionSync(() => this.store.setFloat(minor));
    return minor;
  }

  async purchase(request_id: string): Promise<PurchaseView | null> {
    const row = this.store.find(request_id);
    return row ? view(row, Date.now()) : null;
  }

  /**
   * Settle a pending purchase now, as VTpass's staff would. The caller sends
   * the first callback try (leased here) and reports it with
   * `callbackAttempted`; the alarm sends the rest. `reported_minor`: the
   * face value its answers report from now on (a delivery of another amount
   * than asked); absent, the amount asked.
   */
  async settlePending(
    request_id: string,
    to: "delivered" | "failed" | "reversed",
    reported_minor?: number,
  ): Promise<SettleResult> {
    return this.moveToFinal(request_id, (now_ms) =>
      this.store.settle(request_id, to, now_ms, "sending", reported_minor),
    );
  }

  /** A failed purchase that the network delivered after all (control API); the caller sends the first callback. */
  async correctToDelivered(request_id: string): Promise<SettleResult> {
    return this.moveToFinal(request_id, (now_ms) =>
      this.store.correctToDelivered(request_id, now_ms),
    );
  }

  /**
   * One move of a purchase to a final status, in one storage transaction:
   * due deliveries first, then `move` (false when the purchase cannot make
   * it), then the answer with the first callback try leased.
   */
  private async moveToFinal(
    request_id: string,
    move: (now_ms: number) => boolean,
  ): Promise<SettleResult> {
    const now_ms = Date.now();
    const secret = this.callbackSecret();
    const result = this.ctx.storage.transactionSync((): SettleResult => {
      this.catchUp(request_id, now_ms);
      const row = this.store.find(request_id);
      if (!row) return { outcome: "not_found" };
      if (!move(now_ms)) return { outcome: "already_final", purchase: view(row, now_ms) };
      const moved = this.store.find(request_id)!;
      return {
        outcome: "settled",
        purchase: view(moved, now_ms),
        callback: callbackDispatch(moved, secret),
      };
    });
    await this.scheduleAlarm();
    return result;
  }

  /**
   * Control API: make requery misreport a purchase from now on. Only a final
   * purchase with no callback still to send: while one is pending or its
   * callback is on its way, our side may requery it to settle money, and the
   * fault is for the reconciliation alone (requery-faults.ts).
   */
  async setRequeryFault(request_id: string, fault: RequeryFault): Promise<MisreportResult> {
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): MisreportResult => {
      this.catchUp(request_id, now_ms);
      const row = this.store.find(request_id);
      if (!row) return { outcome: "not_found" };
      if (
        row.status === "pending" ||
        row.callback_state === "scheduled" ||
        row.callback_state === "sending"
      )
        return { outcome: "not_final", purchase: view(row, now_ms) };
      this.requeryFaults.set(request_id, fault);
      return { outcome: "set", purchase: view(row, now_ms) };
    });
    // catchUp may have delivered a purchase and scheduled its callback.
    await this.scheduleAlarm();
    return result;
  }

  /** Control API: requery tells the truth about this purchase again. */
  async clearRequeryFault(request_id: string): Promise<void> {
    this.ctx.storage.transactionSync(() => this.requeryFaults.clear(request_id));
  }

  /** Start a fresh round of callback tries for a final purchase; the caller sends the first. */
  async resendCallback(request_id: string): Promise<ResendResult> {
    const now_ms = Date.now();
    const secret = this.callbackSecret();
    const result = this.ctx.storage.transactionSync((): ResendResult => {
      this.catchUp(request_id, now_ms);
      const row = this.store.find(request_id);
      if (!row) return { outcome: "not_found" };
      if (row.status === "pending") return { outcome: "not_final", purchase: view(row, now_ms) };
      this.store.restartCallback(request_id, now_ms);
      const leased = this.store.find(request_id)!;
      return {
        outcome: "ok",
        purchase: view(leased, now_ms),
        callback: callbackDispatch(leased, secret),
      };
    });
    await this.scheduleAlarm();
    return result;
  }

  /** Record one callback try and decide the next: done, given up, or again after CALLBACK_RETRY_DELAY_MS. */
  async callbackAttempted(request_id: string, outcome: DeliveryOutcome): Promise<void> {
    await this.recordDelivery(outcome);
    this.ctx.storage.transactionSync(() =>
      this.store.countCallbackTry(
        request_id,
        callbackAccepted(outcome),
        Date.now(),
        CALLBACK_ATTEMPTS_MAX,
        CALLBACK_RETRY_DELAY_MS,
      ),
    );
    await this.scheduleAlarm();
  }

  // ---- The alarm -----------------------------------------------------------------------------

  /**
   * Deliver the pending purchases that are due (at most ALARM_DELIVER_BATCH_MAX),
   * claim the callbacks that are due (at most ALARM_CALLBACK_BATCH_MAX), then
   * send those outside any storage transaction, one after another. What is
   * left is picked up by an immediate next run.
   */
  override async alarm(): Promise<void> {
    const now_ms = Date.now();
    const cutoff_ms = Math.max(now_ms, this.store.setting("alarm_at_ms") ?? 0);
    const secret = this.callbackSecret();
    const claimed = this.ctx.storage.transactionSync(() => {
      for (const request_id of this.store.duePending(cutoff_ms, ALARM_DELIVER_BATCH_MAX)) {
        this.store.settle(request_id, "delivered", now_ms, "scheduled");
      }
      return this.store.claimDueCallbacks(cutoff_ms, now_ms, ALARM_CALLBACK_BATCH_MAX);
    });
    await this.scheduleAlarm();
    const ctx = contextFromState(this.ctx);
    for (const row of claimed) {
      const outcome = await deliverWebhook(
        this.env,
        ctx,
        callbackDispatch(row, secret),
        NO_CREDENTIAL,
        VTPASS_USER_AGENT,
        judgeCallbackAnswer,
      );
      await this.callbackAttempted(row.request_id, outcome);
    }
  }

  /**
   * A pending purchase past its `deliver_at_ms` already reads as delivered
   * (requery says so); settle it before a control call acts on it, so the
   * control API never contradicts an answer already given.
   */
  private catchUp(request_id: string, now_ms: number): void {
    const row = this.store.find(request_id);
    if (row && row.status === "pending" && currentStatus(recordOf(row), now_ms) === "delivered") {
      this.store.settle(request_id, "delivered", now_ms, "scheduled");
    }
  }

  /**
   * Point the alarm at the next piece of work, remembering the time: a test
   * may run the alarm early, and the alarm then does what it was set for
   * rather than nothing.
   */
  private async scheduleAlarm(): Promise<void> {
    const next = this.store.nextWakeAt();
    this.store.putSetting("alarm_at_ms", next);
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** Control API: the callback URL's secret, as a merchant would change it in VTpass's dashboard; null restores the configured one. */
  async setCallbackSecret(secret: string | null): Promise<void> {
    this.ctx.storage.transactionSync(() => this.store.setDashboardSecret(secret));
  }

  private callbackSecret(): string {
    const dashboard = this.store.dashboardSecret();
    if (dashboard !== null) return dashboard;
    const vtpass = requireConfig(this.env).vtpass;
    // Development always has one (config.ts defaults it); the object is not bound in production.
    if (!vtpass) throw new Error("VTpass is not configured outside production");
    return vtpass.callback_secret;
  }
}

/**
 * SANDBOX_VTPASS_PENDING_DELIVER_S (whole seconds, 1 to 86,400; a development
 * and test knob of this look-alike only, like SANDBOX_TRANSFER_DELAY_S for
 * Flutterwave's): how long a pending test number stays pending before a
 * requery or the alarm delivers it. The HTTP model test sets an hour, since
 * its pending purchases stay pending until its own command settles them, and
 * a slow sequence must not outlast a timer the model does not follow.
 */
function pendingDeliverAfterMs(env: Env): number | undefined {
  const raw = (env as unknown as Record<string, unknown>).SANDBOX_VTPASS_PENDING_DELIVER_S;
  const seconds = typeof raw === "string" ? Number(raw) : Number.NaN;
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 86_400
    ? seconds * 1000
    : undefined;
}
