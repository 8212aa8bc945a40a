/**
 * Commands on the held-payment side: withdrawals through the Flutterwave
 * look-alike and airtime/data purchases through the VTpass look-alike, one at
 * a time (with Idempotency-Key retries and provider faults) or several at once
 * on one wallet, and the providers settling, failing or reversing them.
 */
import { env } from "cloudflare:workers";
import {
  airtimeNaira,
  call,
  claimPurchaseSlot,
  countCommand,
  countOutcome,
  counts,
  flwControl,
  freshKey,
  jsonPost,
  okJson,
  pacePurchases,
  queued,
  transferIdFor,
  uniqueMtnNumber,
  vtControl,
} from "./harness";
import { fail, jsonAnswer, problem, same } from "./check";
import { concurrentExplained, concurrentRefusal, roomToday, tierRefused } from "./commands-kyc";
import {
  balances,
  serialOrderExists,
  type Model,
  type ModelTx,
  type ModelUser,
  type TxType,
  type VtTruth,
} from "./model";
import { naira, pickOf, userOf, type Cmd, type IdemMode, type Real } from "./commands-funding";

export type HeldAnswer = {
  tx_ref: string;
  type: string;
  status: string;
  stage: string;
  amount_minor: number;
  fee_minor: number;
};

/** Test accounts of the look-alike (bank 044): 0690000031-41 resolve, 36 is blacklisted; others do not resolve. */
export const ACCOUNTS = {
  ok: "0690000031",
  ok2: "0690000040",
  blacklisted: "0690000036",
  unresolvable: "0123456789",
} as const;
export type Account = keyof typeof ACCOUNTS;

/** VTpass look-alike test numbers: delivered at once, pending until settled, an unreadable answer (delivered on requery). */
const PHONES = {
  delivered: "08011111111",
  pending: "201000000000",
  unknown: "500000000000",
} as const;
export type PhoneKind = keyof typeof PHONES | "failed";

/** The look-alike's MTN data plans (code, price in naira). */
const PLANS: [string, number][] = [
  ["mtn-10mb-100", 100],
  ["mtn-50mb-200", 200],
  ["mtn-100mb-1000", 1000],
  ["mtn-500mb-2000", 2000],
  ["mtn-20hrs-1500", 1500],
];

let narrations = 0;
export const uniqueNarration = () => `model ${Date.now().toString(36)} ${++narrations}`;

/** An amount for intent 0..4: the minimum, a quarter, a half, all of it, more than there is. */
export function intended(
  available_minor: number,
  intent: number,
  fee_minor: number,
  min_minor: number,
): number {
  const room = Math.max(0, available_minor - fee_minor);
  const wanted = [min_minor, Math.floor(room / 4), Math.floor(room / 2), room, room + 100_00][
    intent % 5
  ];
  return Math.max(min_minor, wanted);
}

export function held(
  tx_ref: string,
  type: TxType,
  amount_minor: number,
  fee_minor: number,
  status: ModelTx["status"],
  stage: string,
): ModelTx {
  return { tx_ref, type, amount_minor, fee_minor, status, stage };
}

export async function requestIdOf(user: ModelUser, tx_ref: string): Promise<string> {
  const tx = await env.WALLET.getByName(user.user_id).getTransaction(tx_ref);
  if (!tx?.provider_ref) fail("purchase", `no VTpass request_id stored for ${tx_ref}`);
  return tx.provider_ref;
}

// ---- Withdraw ----------------------------------------------------------------------------------

export type WithdrawFault = "none" | "refuse" | "lost" | "commit_lost";

export class Withdraw implements Cmd {
  constructor(
    readonly user: number,
    readonly intent: number,
    readonly account: Account,
    readonly idem: IdemMode,
    readonly fault: WithdrawFault,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("withdraw");
    const user = userOf(m, this.user);
    const active = r.active.get(user.user_id) !== false;
    const keys = [...user.keys.entries()].filter(([k]) => k.startsWith("wdr-"));
    const reuse = this.idem === "replay" || this.idem === "changed" ? keys.at(-1) : undefined;
    let body: Record<string, string>;
    if (reuse) {
      body = JSON.parse(reuse[1].fingerprint) as Record<string, string>;
      if (this.idem === "changed") body = { ...body, narration: `${body.narration} changed` };
    } else {
      const amount_minor = intended(
        balances(user).available_minor,
        this.intent,
        m.fee_minor,
        100_00,
      );
      body = {
        amount: naira(amount_minor),
        account_number: ACCOUNTS[this.account],
        account_bank: "044",
        narration: uniqueNarration(),
      };
    }
    const key = reuse ? reuse[0] : this.idem === "none" ? undefined : freshKey("wdr", r.seq);
    const amount_minor = Math.round(Number(body.amount) * 100);
    const required = amount_minor + m.fee_minor;
    const reaches_provider =
      !reuse &&
      active &&
      this.account !== "unresolvable" &&
      required <= balances(user).available_minor;
    const fault = reaches_provider && this.account !== "blacklisted" ? this.fault : "none";
    if (fault !== "none") {
      counts.faults += 1;
      const mode =
        fault === "refuse" ? "refuse" : fault === "lost" ? "http_500" : "commit_then_500";
      await okJson(
        await flwControl("/faults", { operation: "transfers.create", match: body.narration, mode }),
        "arm fault",
      );
    }
    counts.requests += 1;
    const response = await call(
      r.fee,
      "/wallet/withdraw",
      jsonPost(user.auth, body, key ? { "idempotency-key": key } : {}),
    );
    if (reuse && this.idem === "changed") {
      await problem(
        response,
        422,
        "idempotency_key_reused",
        "withdraw with a reused key and another body",
      );
      return countOutcome("idempotency: changed body refused");
    }
    if (reuse) {
      const stored = reuse[1];
      if (stored.code)
        same(
          "withdraw replay: code",
          (await problem(response, stored.status, stored.code, "withdraw replay")).tx_ref,
          stored.tx_ref,
        );
      else
        same(
          "withdraw replay: tx_ref",
          (await jsonAnswer<HeldAnswer>(response, stored.status, "withdraw replay")).tx_ref,
          stored.tx_ref,
        );
      same("withdraw replay: header", response.headers.get("idempotent-replayed"), "true");
      return countOutcome("idempotency: replayed");
    }
    if (this.account === "unresolvable") {
      await problem(
        response,
        422,
        "bank_account_invalid",
        "withdraw to an account that does not resolve",
      );
      return countOutcome("withdraw: account not resolved");
    }
    if (!active) {
      await problem(response, 422, "wallet_inactive", "withdraw from an inactive wallet");
      return countOutcome("inactive wallet refused");
    }
    if (required > balances(user).available_minor) {
      await problem(
        response,
        422,
        "insufficient_funds",
        `withdraw ${required} with ${balances(user).available_minor} available`,
      );
      return countOutcome("withdraw: insufficient funds");
    }
    if (await tierRefused(user, "debit", required, response, "withdraw")) return;
    const remember = (status: number, tx_ref: string, code: string | null) =>
      key && user.keys.set(key, { fingerprint: JSON.stringify(body), status, tx_ref, code });
    if (this.account === "blacklisted" || fault === "refuse") {
      const refused = await problem(
        response,
        422,
        "transfer_refused",
        "withdraw refused by Flutterwave",
      );
      user.txs.push({
        ...held(String(refused.tx_ref), "WITHDRAW", amount_minor, m.fee_minor, "FAILED", "refused"),
        transfer: "NONE",
        transfer_id: null,
      });
      remember(422, String(refused.tx_ref), "transfer_refused");
      return countOutcome("withdraw: refused by the provider, hold released");
    }
    const answer = await jsonAnswer<HeldAnswer>(response, 202, "withdraw");
    const stage = fault === "none" ? "submitted" : "submit_unknown";
    same(
      "withdraw answer",
      [answer.status, answer.stage, answer.amount_minor, answer.fee_minor],
      ["PENDING", stage, amount_minor, m.fee_minor],
    );
    user.txs.push({
      ...held(answer.tx_ref, "WITHDRAW", amount_minor, m.fee_minor, "PENDING", stage),
      transfer: fault === "lost" ? "NONE" : "NEW",
      transfer_id: null,
    });
    remember(202, answer.tx_ref, null);
    countOutcome(fault === "none" ? "withdraw: accepted" : `withdraw: answer lost (${fault})`);
  }
  toString = () =>
    `Withdraw(u${this.user}, intent ${this.intent}, ${this.account}, ${this.idem}, ${this.fault})`;
}

const unsettledTransfers = (m: Model) =>
  m.users.flatMap((u) => u.txs.filter((t) => t.type === "WITHDRAW" && t.transfer === "NEW"));

export class SettleTransfer implements Cmd {
  constructor(
    readonly pick: number,
    readonly outcome: "SUCCESSFUL" | "FAILED",
  ) {}
  check = (m: Readonly<Model>) => unsettledTransfers(m as Model).length > 0;
  async run(m: Model): Promise<void> {
    countCommand("settle transfer");
    const tx = pickOf(unsettledTransfers(m), this.pick)!;
    counts.requests += 1;
    tx.transfer_id ??= await transferIdFor(tx.tx_ref);
    if (tx.transfer_id === null)
      fail("settle transfer", `Flutterwave has no transfer for ${tx.tx_ref}`);
    const before = queued.length;
    counts.requests += 1;
    await okJson(
      await flwControl(`/transfers/${tx.transfer_id}/settle`, { status: this.outcome }),
      "settle transfer",
    );
    tx.transfer = this.outcome;
    if (queued.length === before)
      fail("settle transfer", "no transfer.completed reached the queue");
  }
  toString = () => `SettleTransfer(#${this.pick}, ${this.outcome})`;
}

// ---- Buy ----------------------------------------------------------------------------------------

const VT_AFTER_ANSWER: Record<
  PhoneKind,
  { status: ModelTx["status"]; stage: string; vt: VtTruth }
> = {
  delivered: { status: "SUCCESS", stage: "settled", vt: "delivered" },
  pending: { status: "PENDING", stage: "submitted", vt: "pending" },
  unknown: { status: "PENDING", stage: "submit_unknown", vt: "delivered" },
  failed: { status: "FAILED", stage: "failed", vt: "failed" },
};

/**
 * The look-alike took its time: on a loaded machine its answer can outlast
 * the tests' 1.5 s provider timeout, as a real provider's can. The purchase is
 * then unknown to us (kept on hold, requeried by reference) while VTpass did
 * what the number says, which is what the model records, so the reconciler
 * and the later checks must bring it to the same end. Anything else is not a
 * timeout and is left for `same` to refuse.
 */
function answeredAfterTimeout(
  phone: PhoneKind,
  answer: HeldAnswer,
): { status: ModelTx["status"]; stage: string; vt: VtTruth } | null {
  // Only a number VTpass settles at once, delivered or failed: the purchase is
  // then unknown here and settled there, and a requery brings it to VTpass's
  // end (the "unknown" number's case when delivered; released when failed).
  // A pending number is left out: its requery would move it on to submitted.
  if (phone !== "delivered" && phone !== "failed") return null;
  if (answer.status !== "PENDING" || answer.stage !== "submit_unknown") return null;
  countOutcome(`purchase: provider answered after our timeout (${phone})`);
  return phone === "delivered"
    ? VT_AFTER_ANSWER.unknown
    : { status: "PENDING", stage: "submit_unknown", vt: "failed" };
}

type BuyPlan = {
  path: string;
  body: Record<string, string>;
  type: TxType;
  amount_minor: number;
  phone: PhoneKind;
};

/** A purchase the look-alike will not take for a repeat (same number, service and amount within 30 s). */
export function planPurchase(
  kind: "airtime" | "data",
  phone: PhoneKind,
  wanted_minor: number,
): BuyPlan {
  const number = phone === "failed" ? uniqueMtnNumber() : PHONES[phone];
  if (kind === "data") {
    const start = wanted_minor % PLANS.length;
    for (let i = 0; i < PLANS.length; i++) {
      const [code, price] = PLANS[(start + i) % PLANS.length];
      if (claimPurchaseSlot(`mtn-data|${number}|${code}`))
        return {
          path: "/wallet/data",
          body: { phone: number, plan: code, network: "mtn" },
          type: "DATA",
          amount_minor: price * 100,
          phone,
        };
    }
    return planPurchase("data", "failed", wanted_minor);
  }
  const amount = airtimeNaira("mtn", number, Math.min(49_000, Math.floor(wanted_minor / 100)));
  return {
    path: "/wallet/airtime",
    body: { phone: number, amount: String(amount), network: "mtn" },
    type: "AIRTIME",
    amount_minor: amount * 100,
    phone,
  };
}

export class Buy implements Cmd {
  constructor(
    readonly user: number,
    readonly kind: "airtime" | "data",
    readonly phone: PhoneKind,
    readonly intent: number,
    readonly idem: "none" | "fresh" | "replay",
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand(`buy ${this.kind}`);
    const user = userOf(m, this.user);
    const active = r.active.get(user.user_id) !== false;
    const reuse =
      this.idem === "replay"
        ? [...user.keys.entries()].filter(([k]) => k.startsWith("buy-")).at(-1)
        : undefined;
    if (reuse) {
      const stored = reuse[1];
      const plan = JSON.parse(stored.fingerprint) as BuyPlan;
      counts.requests += 1;
      await pacePurchases(user.user_id, 1);
      const response = await call(
        r.fee,
        plan.path,
        jsonPost(user.auth, plan.body, { "idempotency-key": reuse[0] }),
      );
      same(
        "purchase replay: tx_ref",
        (await jsonAnswer<HeldAnswer>(response, stored.status, "purchase replay")).tx_ref,
        stored.tx_ref,
      );
      same("purchase replay: header", response.headers.get("idempotent-replayed"), "true");
      return countOutcome("idempotency: replayed");
    }
    const plan = planPurchase(
      this.kind,
      this.phone,
      intended(balances(user).available_minor, this.intent, 0, 100_00),
    );
    const key = this.idem === "fresh" ? freshKey("buy", r.seq) : undefined;
    counts.requests += 1;
    await pacePurchases(user.user_id, 1);
    const response = await call(
      r.fee,
      plan.path,
      jsonPost(user.auth, plan.body, key ? { "idempotency-key": key } : {}),
    );
    if (!active) {
      await problem(response, 422, "wallet_inactive", "purchase on an inactive wallet");
      return countOutcome("inactive wallet refused");
    }
    if (plan.amount_minor > balances(user).available_minor) {
      await problem(
        response,
        422,
        "insufficient_funds",
        `purchase of ${plan.amount_minor} with ${balances(user).available_minor} available`,
      );
      return countOutcome("purchase: insufficient funds");
    }
    if (await tierRefused(user, "debit", plan.amount_minor, response, "purchase")) return;
    const answer = await jsonAnswer<HeldAnswer>(
      response,
      202,
      `purchase ${JSON.stringify(plan.body)}`,
    );
    const after = answeredAfterTimeout(plan.phone, answer) ?? VT_AFTER_ANSWER[plan.phone];
    same(
      "purchase answer",
      [answer.type, answer.status, answer.stage, answer.amount_minor],
      [plan.type, after.status, after.stage, plan.amount_minor],
    );
    user.txs.push({
      ...held(answer.tx_ref, plan.type, plan.amount_minor, 0, after.status, after.stage),
      vt: after.vt,
      request_id: await requestIdOf(user, answer.tx_ref),
    });
    if (key)
      user.keys.set(key, {
        fingerprint: JSON.stringify(plan),
        status: 202,
        tx_ref: answer.tx_ref,
        code: null,
      });
    countOutcome(`purchase: ${plan.phone}`);
  }
  toString = () =>
    `Buy(u${this.user}, ${this.kind}, ${this.phone}, intent ${this.intent}, ${this.idem})`;
}

const settleable = (m: Model) =>
  m.users.flatMap((u) =>
    u.txs.filter(
      (t) =>
        t.request_id && (t.vt === "pending" || (t.vt === "delivered" && t.status === "SUCCESS")),
    ),
  );

/** VTpass settles a pending purchase, or reverses a delivered one, and sends its callback. */
export class VtSettle implements Cmd {
  constructor(
    readonly pick: number,
    readonly to: "delivered" | "failed" | "reversed",
  ) {}
  check = (m: Readonly<Model>) => settleable(m as Model).length > 0;
  async run(m: Model): Promise<void> {
    countCommand("VTpass settles");
    const tx = pickOf(settleable(m), this.pick)!;
    const to = tx.vt === "delivered" ? "reversed" : this.to;
    const before = queued.length;
    counts.requests += 1;
    const answer = await vtControl(`/purchases/${tx.request_id}/settle`, { status: to });
    if (answer.status !== 200)
      fail(`VTpass settle ${to}`, `${answer.status} ${await answer.text()}`);
    if (tx.vt === "delivered") countOutcome("VTpass reversed a delivered purchase");
    else if (to === "reversed") countOutcome("VTpass reversed a pending purchase");
    tx.vt = to;
    if (queued.length === before) fail("VTpass settle", "no callback reached the queue");
  }
  toString = () => `VtSettle(#${this.pick}, ${this.to})`;
}

// ---- At once --------------------------------------------------------------------------------

/**
 * Several withdrawals and purchases on one wallet at once. The answers must be
 * those of SOME serial order: the accepted ones fit together in what was
 * available, and each refused one did not fit beside them.
 */
export class Concurrent implements Cmd {
  constructor(
    readonly user: number,
    readonly kinds: ("withdraw" | "pending" | "delivered")[],
    readonly share: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("concurrent held payments");
    const user = userOf(m, this.user);
    if (r.active.get(user.user_id) === false) return;
    const available_minor = balances(user).available_minor;
    const room_minor = roomToday(user);
    // Each asks for about available / share, so some of them cannot fit.
    const each_minor = Math.max(100_00, Math.floor(available_minor / this.share / 100) * 100);
    const requests = this.kinds.map((kind) => {
      if (kind === "withdraw") {
        const body = {
          amount: naira(each_minor),
          account_number: ACCOUNTS.ok,
          account_bank: "044",
          narration: uniqueNarration(),
        };
        return {
          kind,
          type: "WITHDRAW" as TxType,
          amount_minor: each_minor,
          fee_minor: m.fee_minor,
          send: () => call(r.fee, "/wallet/withdraw", jsonPost(user.auth, body)),
        };
      }
      const plan = planPurchase("airtime", kind, each_minor);
      return {
        kind,
        type: plan.type,
        amount_minor: plan.amount_minor,
        fee_minor: 0,
        send: () => call(r.fee, plan.path, jsonPost(user.auth, plan.body)),
      };
    });
    counts.requests += requests.length;
    const buying = requests.filter((q) => q.kind !== "withdraw").length;
    if (buying > 0) await pacePurchases(user.user_id, buying);
    const responses = await Promise.all(requests.map((q) => q.send()));
    const outcomes: { required_minor: number; accepted: boolean; code?: string }[] = [];
    for (const [i, response] of responses.entries()) {
      const q = requests[i];
      if (response.status === 422) {
        const code = await concurrentRefusal(response, "concurrent held payment");
        outcomes.push({ required_minor: q.amount_minor + q.fee_minor, accepted: false, code });
        continue;
      }
      const answer = await jsonAnswer<HeldAnswer>(response, 202, `concurrent ${q.kind}`);
      const after =
        q.kind === "withdraw"
          ? { status: "PENDING" as const, stage: "submitted", vt: undefined }
          : (answeredAfterTimeout(q.kind, answer) ?? VT_AFTER_ANSWER[q.kind]);
      same(
        `concurrent ${q.kind} answer`,
        [answer.status, answer.stage, answer.amount_minor],
        [after.status, after.stage, q.amount_minor],
      );
      const tx = held(
        answer.tx_ref,
        q.type,
        q.amount_minor,
        q.fee_minor,
        after.status,
        after.stage,
      );
      if (q.kind === "withdraw") Object.assign(tx, { transfer: "NEW", transfer_id: null });
      else
        Object.assign(tx, {
          vt: after.vt,
          request_id: await requestIdOf(user, answer.tx_ref),
        });
      user.txs.push(tx);
      outcomes.push({ required_minor: q.amount_minor + q.fee_minor, accepted: true });
    }
    if (
      !serialOrderExists(Math.min(available_minor, room_minor ?? Infinity), outcomes) ||
      !concurrentExplained(available_minor, room_minor, outcomes)
    )
      fail("no serial order explains the concurrent answers", {
        available_minor,
        room_minor,
        outcomes,
      });
    const refused = outcomes.filter((o) => !o.accepted).length;
    countOutcome(
      refused === 0
        ? "concurrent: all fit"
        : refused === outcomes.length
          ? "concurrent: none fit"
          : "concurrent: some refused",
    );
  }
  toString = () => `Concurrent(u${this.user}, [${this.kinds.join(",")}], 1/${this.share})`;
}
