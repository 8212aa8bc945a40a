/**
 * Money after the end: a funding's deadline passing, a genuine payment in
 * full after its funding ended, a second payment for a credited funding, and a
 * provider's success after a held payment's hold was released. Each must be
 * recorded once, for its charge or provider reference, and move no money
 * (check.ts compares the wallet's anomalies with the model's).
 *
 * Each command makes what it needs when the sequence has none (a funding, a
 * failed purchase or transfer), so it runs in most sequences it is drawn in.
 */
import { tierMayRefuse } from "./commands-kyc";
import { env } from "cloudflare:workers";
import { passDeadline } from "../../support/faults";
import { fail, jsonAnswer, same } from "./check";
import {
  naira,
  pickOf,
  reconcileWallet,
  recordCharge,
  userOf,
  type Cmd,
  type Real,
} from "./commands-funding";
import {
  ACCOUNTS,
  held,
  planPurchase,
  requestIdOf,
  uniqueNarration,
  type HeldAnswer,
} from "./commands-held";
import {
  call,
  countCommand,
  countOutcome,
  counts,
  flwControl,
  jsonPost,
  okJson,
  queued,
  transferIdFor,
  vtControl,
} from "./harness";
import {
  balances,
  findTx,
  pendingFundings,
  type Model,
  type ModelTx,
  type ModelUser,
} from "./model";

async function chargeInFull(tx: ModelTx, r: Real, deliver: boolean, what: string): Promise<void> {
  counts.requests += 1;
  const made = await okJson<{ data: { id: number } }>(
    await flwControl("/transactions", {
      tx_ref: tx.tx_ref,
      amount: naira(tx.amount_minor),
      currency: "NGN",
      status: "successful",
    }),
    what,
  );
  await recordCharge(tx, r, made.data.id, tx.amount_minor, "NGN", deliver);
}

/** A new funding through the real route, for a command that needs one; null on an inactive wallet or at FUND_PENDING_MAX. */
async function openFunding(
  m: Model,
  r: Real,
  user: ModelUser,
  amount_minor: number,
): Promise<ModelTx | null> {
  // A funding the tiers refuse is not opened (Fund predicts and checks those refusals).
  if (
    r.active.get(user.user_id) === false ||
    pendingFundings(user) >= m.fund_pending_max ||
    tierMayRefuse(user, "fund", amount_minor)
  )
    return null;
  counts.requests += 1;
  const body = await jsonAnswer<{
    tx_ref: string;
    status: string;
    amount_minor: number;
    payment_link: string | null;
  }>(
    await call(r.fee, "/wallet/fund", jsonPost(user.auth, { amount: naira(amount_minor) })),
    201,
    "fund",
  );
  same(
    "fund answer",
    [body.status, body.amount_minor, Boolean(body.payment_link)],
    ["PENDING", amount_minor, true],
  );
  const tx: ModelTx = {
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
  };
  user.txs.push(tx);
  return tx;
}

const pendingFundingsWithLink = (m: Model) =>
  m.users.flatMap((u) =>
    u.txs.filter((t) => t.type === "FUND" && t.link && t.status === "PENDING"),
  );

/**
 * Time the test cannot wait for: the checkout's deadline (session plus grace)
 * is behind a PENDING funding (a new one if the sequence has none). Nothing is
 * asked now: the funding ends on its next fact, by the rule past the deadline
 * (an underpayment or a failed attempt now fails it; a payment in full still
 * credits). `then` sends such a fact's webhook to the queue at once.
 */
export class PassDeadline implements Cmd {
  constructor(
    readonly pick: number,
    readonly then: "nothing" | "underpaid" | "failed",
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("deadline passes");
    const tx =
      pickOf(pendingFundingsWithLink(m), this.pick) ??
      (await openFunding(m, r, userOf(m, this.pick), (100 + (this.pick % 900)) * 100));
    if (!tx) return;
    await passDeadline(env.WALLET.getByName(findTx(m, tx.tx_ref)!.user.user_id), tx.tx_ref);
    tx.past_deadline = true;
    if (this.then === "nothing") return;
    const amount_minor = this.then === "underpaid" ? tx.amount_minor - 100 : tx.amount_minor;
    const status = this.then === "underpaid" ? "successful" : "failed";
    counts.requests += 1;
    const made = await okJson<{ data: { id: number } }>(
      await flwControl("/transactions", {
        tx_ref: tx.tx_ref,
        amount: naira(amount_minor),
        currency: "NGN",
        status,
      }),
      "charge past the deadline",
    );
    await recordCharge(tx, r, made.data.id, amount_minor, "NGN", true, status);
  }
  toString = () => `PassDeadline(#${this.pick}, then ${this.then})`;
}

const unpaidFundings = (m: Model) =>
  m.users.flatMap((u) =>
    u.txs.filter((t) => t.type === "FUND" && t.link && t.status !== "SUCCESS"),
  );

/**
 * A genuine payment in full that arrives after its funding ended (a bank
 * transfer that lands late): a PENDING funding (a new one if the sequence has
 * none) is ended first, at its deadline, by the wallet's reconciler. The
 * payment must then be recorded once for its charge (paid_after_terminal) and
 * never credited by itself; if a payment in full was already waiting and the
 * reconciler credited it, this one is a second payment (paid_twice).
 */
export class LatePayment implements Cmd {
  constructor(
    readonly pick: number,
    readonly deliver: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("late genuine payment");
    const tx =
      pickOf(unpaidFundings(m), this.pick) ??
      (await openFunding(m, r, userOf(m, this.pick), (100 + (this.pick % 900)) * 100));
    if (!tx) return;
    if (tx.status === "PENDING") {
      const user = findTx(m, tx.tx_ref)!.user;
      await passDeadline(env.WALLET.getByName(user.user_id), tx.tx_ref);
      tx.past_deadline = true;
      await reconcileWallet(user);
      // (The reconciler moved it: TypeScript still narrows tx.status to PENDING here.)
      if ((tx.status as string) === "PENDING")
        fail("model", `${tx.tx_ref} still PENDING past its deadline after the reconciler`);
    }
    await chargeInFull(tx, r, this.deliver, "late payment");
    countOutcome(`late payment: after the funding ended ${tx.status}`);
  }
  toString = () => `LatePayment(#${this.pick}, ${this.deliver ? "delivered" : "silent"})`;
}

/** Fundings a payment can be made for: credited ones (the opening funding too), or PENDING ones with a checkout. */
const payableFundings = (m: Model) =>
  m.users.flatMap((u) =>
    u.txs.filter(
      (t) => t.type === "FUND" && (t.status === "SUCCESS" || (t.status === "PENDING" && t.link)),
    ),
  );

/**
 * A second successful payment in full for a funding another charge already
 * credited: recorded once (paid_twice), never credited. A PENDING funding is
 * paid in full first and credited by the wallet's reconciler.
 */
export class SecondPayment implements Cmd {
  constructor(
    readonly pick: number,
    readonly deliver: boolean,
  ) {}
  check = (m: Readonly<Model>) => payableFundings(m as Model).length > 0;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("second payment");
    const tx = pickOf(payableFundings(m), this.pick)!;
    if (tx.status === "PENDING") {
      await chargeInFull(tx, r, false, "first payment");
      await reconcileWallet(findTx(m, tx.tx_ref)!.user);
      if ((tx.status as string) !== "SUCCESS")
        fail("model", `${tx.tx_ref} not credited by a payment in full`);
    }
    await chargeInFull(tx, r, this.deliver, "second payment");
    countOutcome(
      tx.link
        ? "second payment: for a funding paid at its checkout"
        : "second payment: for the opening funding",
    );
  }
  toString = () => `SecondPayment(#${this.pick}, ${this.deliver ? "delivered" : "silent"})`;
}

// ---- A provider's success after the hold was released --------------------------------------------

type Target = "transfer" | "purchase";

/**
 * Held payments the provider has not completed: a transfer not yet settled, or
 * failed; a purchase VTpass failed (pending ones are left to VtSettle, whose
 * reversal of a pending purchase is rare enough already).
 */
const unpaidAtProvider = (m: Model, target: Target) =>
  m.users.flatMap((u) =>
    u.txs.filter((t) =>
      target === "transfer"
        ? t.type === "WITHDRAW" && (t.transfer === "NEW" || t.transfer === "FAILED")
        : t.request_id && t.vt === "failed",
    ),
  );

/**
 * A held payment for a command that needs one: a withdrawal of the smallest
 * amount, or airtime to a number the look-alike fails at once. null when the
 * wallet is inactive or cannot pay it (the Withdraw and Buy commands check
 * those answers).
 */
async function newHeld(
  m: Model,
  r: Real,
  user: ModelUser,
  target: Target,
): Promise<ModelTx | null> {
  if (r.active.get(user.user_id) === false) return null;
  const available_minor = balances(user).available_minor;
  counts.requests += 1;
  if (target === "transfer") {
    const amount_minor = 100_00;
    if (amount_minor + m.fee_minor > available_minor) return null;
    if (tierMayRefuse(user, "debit", amount_minor + m.fee_minor)) return null;
    const body = {
      amount: naira(amount_minor),
      account_number: ACCOUNTS.ok,
      account_bank: "044",
      narration: uniqueNarration(),
    };
    const answer = await jsonAnswer<HeldAnswer>(
      await call(r.fee, "/wallet/withdraw", jsonPost(user.auth, body)),
      202,
      "withdraw",
    );
    same(
      "withdraw answer",
      [answer.status, answer.stage, answer.amount_minor, answer.fee_minor],
      ["PENDING", "submitted", amount_minor, m.fee_minor],
    );
    const tx: ModelTx = {
      ...held(answer.tx_ref, "WITHDRAW", amount_minor, m.fee_minor, "PENDING", "submitted"),
      transfer: "NEW",
      transfer_id: null,
    };
    user.txs.push(tx);
    return tx;
  }
  const plan = planPurchase("airtime", "failed", 100_00);
  if (plan.amount_minor > available_minor) return null;
  if (tierMayRefuse(user, "debit", plan.amount_minor)) return null;
  const answer = await jsonAnswer<HeldAnswer>(
    await call(r.fee, plan.path, jsonPost(user.auth, plan.body)),
    202,
    `purchase ${JSON.stringify(plan.body)}`,
  );
  same(
    "purchase answer",
    [answer.type, answer.status, answer.stage, answer.amount_minor],
    [plan.type, "FAILED", "failed", plan.amount_minor],
  );
  const tx: ModelTx = {
    ...held(answer.tx_ref, plan.type, plan.amount_minor, 0, "FAILED", "failed"),
    vt: "failed",
    request_id: await requestIdOf(user, answer.tx_ref),
  };
  user.txs.push(tx);
  return tx;
}

/**
 * The provider's late word: a transfer Flutterwave reported FAILED went
 * through after all, or a purchase VTpass answered as failed was delivered
 * (each look-alike sends its webhook or callback). A transfer not yet settled
 * is failed at the provider first; with `released`, the wallet learns of the
 * failure (its reconciler) and releases the hold before the late success.
 * Then the money moved without us: recorded once for operators
 * (paid_after_void, naming the transfer id or request_id), the transaction
 * stays FAILED and the balance does not move. Without it, the success is the
 * provider's answer when the wallet asks, and the payment settles as usual.
 */
export class SucceedLate implements Cmd {
  constructor(
    readonly target: Target,
    readonly pick: number,
    readonly released: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand(this.target === "transfer" ? "transfer succeeds late" : "purchase delivered late");
    const tx =
      pickOf(unpaidAtProvider(m, this.target), this.pick) ??
      (await newHeld(m, r, userOf(m, this.pick), this.target));
    if (!tx) return;
    const user = findTx(m, tx.tx_ref)!.user;
    let before = queued.length;
    if (this.target === "transfer" && tx.transfer === "NEW") {
      counts.requests += 2;
      tx.transfer_id ??= await transferIdFor(tx.tx_ref);
      if (tx.transfer_id === null)
        fail("transfer succeeds late", `Flutterwave has no transfer for ${tx.tx_ref}`);
      await okJson(
        await flwControl(`/transfers/${tx.transfer_id}/settle`, { status: "FAILED" }),
        "fail a transfer",
      );
      tx.transfer = "FAILED";
      if (queued.length === before)
        fail("transfer failed at the provider", "no webhook reached the queue");
    }
    if (this.released && tx.status === "PENDING") await reconcileWallet(user);
    before = queued.length;
    counts.requests += 1;
    if (this.target === "transfer") {
      await okJson(
        await flwControl(`/transfers/${tx.transfer_id}/succeed-late`, {}),
        "transfer succeeds late",
      );
      tx.transfer = "SUCCESSFUL";
    } else {
      const answer = await vtControl(`/purchases/${tx.request_id}/deliver-late`, {});
      if (answer.status !== 200)
        fail("VTpass delivers late", `${answer.status} ${await answer.text()}`);
      tx.vt = "delivered";
    }
    if (queued.length === before)
      fail(`${this.target} late success`, "no webhook or callback reached the queue");
    countOutcome(
      `${this.target} late success: ${tx.status === "FAILED" ? "after the hold was released" : "before the failure was applied"}`,
    );
  }
  toString = () =>
    `SucceedLate(${this.target}, #${this.pick}${this.released ? ", released first" : ""})`;
}
