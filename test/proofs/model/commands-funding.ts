/**
 * Commands on the funding side: open a funding (alone or many at once), pay
 * at the look-alike's checkout, record charges through its control API,
 * re-deliver and forge webhooks, and deliver the held queue to the real
 * consumer in the model's chosen order.
 */
import { env } from "cloudflare:workers";
import type fc from "fast-check";
import { runReconciler } from "../../support/helpers";
import {
  call,
  checkout,
  consume,
  countCommand,
  countOutcome,
  counts,
  flwControl,
  freshKey,
  jsonPost,
  okJson,
  postWebhook,
  queued,
  vtControl,
} from "./harness";
import { tierMayRefuse, tierRefused } from "./commands-kyc";
import { deliverToModel, fail, jsonAnswer, problem, same, type Charges } from "./check";
import {
  apply,
  converged,
  pendingFundings,
  type Charge,
  type Model,
  type ModelTx,
  type ModelUser,
} from "./model";

export type Real = { fee: string; charges: Charges; active: Map<string, boolean>; seq: number };
export type Cmd = fc.AsyncCommand<Model, Real, boolean>;

export const pickOf = <T>(list: T[], pick: number): T | undefined =>
  list.length === 0 ? undefined : list[pick % list.length];
export const userOf = (m: Model, pick: number): ModelUser => m.users[pick % m.users.length];
export const naira = (minor: number): string =>
  `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;

type FundAnswer = {
  tx_ref: string;
  status: string;
  amount_minor: number;
  payment_link: string | null;
};

export type IdemMode = "none" | "fresh" | "replay" | "changed";

// ---- Fund ----------------------------------------------------------------------------------

export class Fund implements Cmd {
  constructor(
    readonly user: number,
    readonly amount_naira: number,
    readonly idem: IdemMode,
    readonly refuse: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("fund");
    const user = userOf(m, this.user);
    const active = r.active.get(user.user_id) !== false;
    const fundKeys = [...user.keys.entries()].filter(([k]) => k.startsWith("fund-"));
    const reuse = this.idem === "replay" || this.idem === "changed" ? fundKeys.at(-1) : undefined;
    const key = reuse ? reuse[0] : this.idem === "none" ? undefined : freshKey("fund", r.seq);
    let amount_minor = this.amount_naira * 100;
    if (reuse) amount_minor = Number(reuse[1].fingerprint) + (this.idem === "changed" ? 100 : 0);
    const refuse =
      this.refuse &&
      !reuse &&
      active &&
      pendingFundings(user) < m.fund_pending_max &&
      !tierMayRefuse(user, "fund", amount_minor);
    if (refuse) {
      counts.faults += 1;
      await okJson(
        await flwControl("/faults", {
          operation: "payments.create",
          match: user.email,
          mode: "refuse",
        }),
        "arm fault",
      );
    }
    counts.requests += 1;
    const response = await call(
      r.fee,
      "/wallet/fund",
      jsonPost(user.auth, { amount: naira(amount_minor) }, key ? { "idempotency-key": key } : {}),
    );
    if (reuse && this.idem === "changed") {
      await problem(
        response,
        422,
        "idempotency_key_reused",
        "fund with a reused key and another amount",
      );
      return countOutcome("idempotency: changed body refused");
    }
    if (reuse) {
      const stored = reuse[1];
      if (stored.code)
        same(
          "fund replay: tx_ref",
          (await problem(response, stored.status, stored.code, "fund replay")).tx_ref,
          stored.tx_ref,
        );
      else
        same(
          "fund replay: tx_ref",
          (await jsonAnswer<FundAnswer>(response, stored.status, "fund replay")).tx_ref,
          stored.tx_ref,
        );
      same("fund replay: header", response.headers.get("idempotent-replayed"), "true");
      return countOutcome("idempotency: replayed");
    }
    if (!active) {
      await problem(response, 422, "wallet_inactive", "fund on an inactive wallet");
      return countOutcome("inactive wallet refused");
    }
    if (pendingFundings(user) >= m.fund_pending_max) {
      await problem(response, 409, "too_many_pending_fundings", "fund past FUND_PENDING_MAX");
      return countOutcome("fund: too many pending");
    }
    if (await tierRefused(user, "fund", amount_minor, response, "fund")) return;
    if (refuse) {
      const body = await problem(
        response,
        502,
        "payment_provider_refused",
        "fund refused by Flutterwave",
      );
      user.txs.push({
        tx_ref: String(body.tx_ref),
        type: "FUND",
        amount_minor,
        fee_minor: 0,
        status: "FAILED",
        stage: "refused",
        link: null,
        link_open: false,
        charges: [],
      });
      // The refusal is the key's answer: the same key and amount replay it.
      if (key)
        user.keys.set(key, {
          fingerprint: String(amount_minor),
          status: 502,
          tx_ref: String(body.tx_ref),
          code: "payment_provider_refused",
        });
      return countOutcome("fund: refused by the provider");
    }
    const body = await jsonAnswer<FundAnswer>(response, 201, "fund");
    same("fund answer", [body.status, body.amount_minor], ["PENDING", amount_minor]);
    if (!body.payment_link) fail("fund answer", "no payment link");
    user.txs.push({
      tx_ref: body.tx_ref,
      type: "FUND",
      amount_minor,
      fee_minor: 0,
      status: "PENDING",
      stage: "awaiting_payment",
      link: body.payment_link,
      link_open: true,
      failed_attempts: 0,
      charges: [],
    });
    if (key)
      user.keys.set(key, {
        fingerprint: String(amount_minor),
        status: 201,
        tx_ref: body.tx_ref,
        code: null,
      });
    countOutcome("fund: link created");
  }
  toString = () =>
    `Fund(u${this.user}, ${this.amount_naira}, ${this.idem}${this.refuse ? ", refused" : ""})`;
}

/** Many fundings at once on one wallet: exactly as many open as FUND_PENDING_MAX leaves room for. */
export class FundBurst implements Cmd {
  constructor(
    readonly user: number,
    readonly n: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("fund burst");
    const user = userOf(m, this.user);
    if (r.active.get(user.user_id) === false) return;
    // The tiers could refuse some of the burst (the largest is NGN 111); Fund proves those refusals.
    if (tierMayRefuse(user, "fund", (100 + this.n) * 100)) return;
    const room = Math.max(0, m.fund_pending_max - pendingFundings(user));
    counts.requests += this.n;
    const answers = await Promise.all(
      Array.from({ length: this.n }, (_, i) =>
        call(r.fee, "/wallet/fund", jsonPost(user.auth, { amount: `${100 + i}.00` })),
      ),
    );
    let opened = 0;
    for (const [i, response] of answers.entries()) {
      if (response.status === 409) {
        await problem(response, 409, "too_many_pending_fundings", "fund burst");
        continue;
      }
      const body = await jsonAnswer<FundAnswer>(response, 201, "fund burst");
      same("fund burst answer", [body.status, body.amount_minor], ["PENDING", (100 + i) * 100]);
      user.txs.push({
        tx_ref: body.tx_ref,
        type: "FUND",
        amount_minor: (100 + i) * 100,
        fee_minor: 0,
        status: "PENDING",
        stage: "awaiting_payment",
        link: body.payment_link,
        link_open: true,
        failed_attempts: 0,
        charges: [],
      });
      opened += 1;
    }
    same(`fund burst of ${this.n} with room for ${room}: opened`, opened, Math.min(room, this.n));
    if (opened < this.n) countOutcome("fund burst: some refused at the limit");
  }
  toString = () => `FundBurst(u${this.user}, ${this.n})`;
}

// ---- Paying ------------------------------------------------------------------------------------

const openCheckouts = (m: Model) =>
  m.users.flatMap((u) => u.txs.filter((t) => t.type === "FUND" && t.link && t.link_open));

export class PayCheckout implements Cmd {
  constructor(
    readonly pick: number,
    readonly outcome: "full" | "less" | "fail",
  ) {}
  check = (m: Readonly<Model>) => openCheckouts(m as Model).length > 0;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("pay at checkout");
    const tx = pickOf(openCheckouts(m), this.pick)!;
    const outcome =
      this.outcome === "fail" && (tx.failed_attempts ?? 0) > 0 ? "full" : this.outcome;
    const before = queued.length;
    counts.requests += 1;
    const response = await checkout(tx.link!, outcome);
    if (response.status !== 303)
      fail(`checkout ${outcome}`, `${response.status} ${await response.text()}`);
    const back = new URL(response.headers.get("location")!);
    const id = Number(back.searchParams.get("transaction_id"));
    // The look-alike posted charge.completed to our webhook route, which queued it.
    const event = queued
      .slice(before)
      .map((q: any) => JSON.parse(q.raw_body))
      .find((e: any) => e?.data?.id === id);
    if (!event) fail(`checkout ${outcome}`, "no webhook reached the queue");
    const charge = {
      id,
      tx_ref: tx.tx_ref,
      amount_minor: Math.round(Number(event.data.amount) * 100),
      currency: String(event.data.currency),
      status: outcome === "fail" ? "failed" : "successful",
    } as const;
    same("charge status in the webhook", event.data.status, charge.status);
    tx.charges!.push(charge);
    r.charges.set(id, charge);
    if (outcome === "fail") tx.failed_attempts = (tx.failed_attempts ?? 0) + 1;
    // Paying less than asked leaves the link open: its owner may still pay in full there.
    else if (outcome === "full") tx.link_open = false;
  }
  toString = () => `PayCheckout(#${this.pick}, ${this.outcome})`;
}

const fundings = (m: Model) =>
  m.users.flatMap((u) => u.txs.filter((t) => t.type === "FUND" && t.link));

/** A charge recorded at the look-alike without the checkout (over- or underpaid, or in another currency). */
export class ControlCharge implements Cmd {
  constructor(
    readonly pick: number,
    readonly kind: "over" | "under" | "usd",
    readonly deliver: boolean,
  ) {}
  check = (m: Readonly<Model>) => fundings(m as Model).length > 0;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("charge through the control API");
    const tx = pickOf(fundings(m), this.pick)!;
    const amount_minor =
      tx.amount_minor + (this.kind === "over" ? 5000 : this.kind === "under" ? -100 : 0);
    const currency = this.kind === "usd" ? "USD" : "NGN";
    counts.requests += 1;
    const made = await okJson<{ data: { id: number } }>(
      await flwControl("/transactions", {
        tx_ref: tx.tx_ref,
        amount: naira(amount_minor),
        currency,
        status: "successful",
      }),
      "control charge",
    );
    await recordCharge(tx, r, made.data.id, amount_minor, currency, this.deliver);
  }
  toString = () =>
    `ControlCharge(#${this.pick}, ${this.kind}, ${this.deliver ? "delivered" : "silent"})`;
}

/**
 * A charge recorded at the look-alike and in the model (successful unless said otherwise); its webhook
 * sent now (delivered) or only by a later Redeliver. A payment in full closes
 * the funding's checkout (the look-alike completes the links it pays in full:
 * same currency, at least their amount); a smaller one or another currency
 * leaves it open.
 */
export async function recordCharge(
  tx: ModelTx,
  r: Real,
  id: number,
  amount_minor: number,
  currency: string,
  deliver: boolean,
  status: Charge["status"] = "successful",
): Promise<void> {
  const charge: Charge = { id, tx_ref: tx.tx_ref, amount_minor, currency, status };
  (tx.charges ??= []).push(charge);
  r.charges.set(charge.id, charge);
  if (status === "successful" && currency === "NGN" && amount_minor >= tx.amount_minor)
    tx.link_open = false;
  if (deliver) {
    const before = queued.length;
    counts.requests += 1;
    await okJson(await flwControl(`/transactions/${charge.id}/deliver`, {}), "deliver");
    if (queued.length === before) fail("deliver a charge's webhook", "nothing reached the queue");
  }
}

/**
 * The wallet's alarm, made due now (test/support/helpers.ts runReconciler): every
 * PENDING transaction of the user is looked up with its provider. Returns
 * what it did to each, as the model says.
 */
export async function reconcileWallet(user: ModelUser): Promise<void> {
  const pending = user.txs.filter((t) => t.status === "PENDING");
  await runReconciler(env.WALLET.getByName(user.user_id));
  for (const tx of pending)
    if (apply(tx, converged(tx))) countOutcome(`reconciler: ${tx.type} ${tx.stage}`);
}

/** Send again what a provider already sent: Flutterwave and VTpass both deliver more than once. */
export class Redeliver implements Cmd {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("redeliver");
    const all = m.users.flatMap((u) => u.txs);
    // A VTpass callback whose requery is still queued is folded into it (src/services/callbacks.ts): `folds`.
    const sources: { send: () => Promise<Response>; folds?: string }[] = [
      ...[...r.charges.values()].map((c) => ({
        send: () => flwControl(`/transactions/${c.id}/deliver`, {}),
      })),
      ...all
        .filter((t) => t.transfer_id && (t.transfer === "SUCCESSFUL" || t.transfer === "FAILED"))
        .map((t) => ({ send: () => flwControl(`/transfers/${t.transfer_id}/deliver`, {}) })),
      ...all
        .filter((t) => t.request_id && t.vt && t.vt !== "pending")
        .map((t) => ({
          send: () => vtControl(`/purchases/${t.request_id}/callback`, {}),
          folds: t.request_id!,
        })),
    ];
    const source = pickOf(sources, this.pick);
    if (!source) return;
    counts.requests += 1;
    const folded =
      source.folds !== undefined && queued.some((q) => JSON.stringify(q).includes(source.folds!));
    const before = queued.length;
    const delivery = await okJson(await source.send(), "redeliver");
    if (queued.length === before && folded)
      return countOutcome("provider delivered a duplicate: folded into a queued requery");
    if (queued.length === before) fail("redeliver: nothing reached the queue", delivery);
    countOutcome("provider delivered a duplicate");
  }
  toString = () => `Redeliver(#${this.pick})`;
}

export type Forgery =
  | "unknown_ref"
  | "unknown_id"
  | "others_charge"
  | "lying_amount"
  | "forged_transfer"
  | "bad_signature";

/** Events an attacker who knows the hash (or does not) could send. Only verified facts may move money. */
export class Forge implements Cmd {
  constructor(
    readonly kind: Forgery,
    readonly pick: number,
    readonly hmac: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("forged webhook");
    counts.attacks += 1;
    const all = m.users.flatMap((u) => u.txs);
    const funds = all.filter((t) => t.type === "FUND");
    const charges = [...r.charges.values()];
    const fake_id = 900_000_000 + (this.pick % 99_999_999);
    let data: Record<string, unknown> = {
      id: fake_id,
      tx_ref: `fnd_forged${this.pick}`,
      status: "successful",
      amount: 1_000_000,
      currency: "NGN",
    };
    let event = "charge.completed";
    const target = pickOf(funds, this.pick);
    const charge = pickOf(charges, this.pick);
    if (this.kind === "unknown_id" && target) data = { ...data, tx_ref: target.tx_ref };
    if (this.kind === "others_charge" && charge) {
      const other = funds.find((f) => f.tx_ref !== charge.tx_ref);
      if (other) data = { ...data, id: charge.id, tx_ref: other.tx_ref };
    }
    if (this.kind === "lying_amount" && charge)
      data = {
        id: charge.id,
        tx_ref: charge.tx_ref,
        status: "successful",
        amount: 9_999_999,
        currency: "NGN",
      };
    if (this.kind === "forged_transfer") {
      const w = pickOf(
        all.filter((t) => t.type === "WITHDRAW"),
        this.pick,
      );
      event = "transfer.completed";
      data = {
        id: fake_id,
        reference: w?.tx_ref ?? `wdr_forged${this.pick}`,
        status: "SUCCESSFUL",
        amount: 1,
        currency: "NGN",
      };
    }
    const body = JSON.stringify({
      event,
      "event.type": event === "transfer.completed" ? "Transfer" : "CARD_TRANSACTION",
      data,
    });
    const before = queued.length;
    counts.requests += 1;
    const response = await postWebhook(
      body,
      this.kind === "bad_signature" ? "wrong" : this.hmac ? "hmac" : "verif-hash",
    );
    if (this.kind === "bad_signature") {
      await problem(response, 401, "webhook_signature_invalid", "unsigned webhook");
      // (Other deliveries may arrive meanwhile: the look-alikes retry on their own clock.)
      same(
        "unsigned webhook queued",
        queued.slice(before).some((q: any) => q?.raw_body === body),
        false,
      );
      return countOutcome("webhook: bad signature refused");
    }
    same("signed webhook answer", response.status, 200);
    same(
      "signed webhook queued",
      queued.slice(before).some((q: any) => q?.raw_body === body),
      true,
    );
  }
  toString = () => `Forge(${this.kind}, #${this.pick}${this.hmac ? ", hmac" : ""})`;
}

// ---- The queue --------------------------------------------------------------------------------

/**
 * Deliver held messages to the real consumer: in order, reversed, shuffled, or
 * one message many times in one batch. Each message is its own batch (order
 * inside a batch is the consumer's), except the duplicates, which are the
 * same message and so cannot depend on order.
 */
export class Drain implements Cmd {
  constructor(
    readonly order: "fifo" | "reverse" | "shuffle" | "burst",
    readonly take: number,
    readonly seed: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("deliver queue");
    if (queued.length === 0) return;
    const count = this.take === 0 ? queued.length : Math.min(queued.length, this.take);
    let batch: unknown[];
    if (this.order === "burst") {
      const [message] = queued.splice(this.seed % queued.length, 1);
      const copies = 2 + (this.seed % 6);
      const outcome = deliverToModel(m, r.charges, message);
      const result = await consume(Array.from({ length: copies }, () => message));
      same(`burst of ${copies}: acked`, result, { acked: copies, retried: 0 });
      countOutcome(`queue: ${outcome.split(":")[0]}`);
      return countOutcome("queue: duplicate burst");
    }
    batch = queued.splice(0, count);
    if (this.order === "reverse") batch.reverse();
    if (this.order === "shuffle") batch = shuffle(batch, this.seed);
    for (const message of batch) {
      const outcome = deliverToModel(m, r.charges, message);
      const result = await consume([message]);
      same(`consumer (${outcome})`, result, { acked: 1, retried: 0 });
      countOutcome(`queue: ${outcome}`);
    }
  }
  toString = () => `Drain(${this.order}, ${this.take || "all"}, ${this.seed})`;
}

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export type { ModelTx };
