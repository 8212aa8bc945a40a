/**
 * The whole API against a model (fast-check `fc.commands`): users, wallets,
 * transactions, and what each provider look-alike holds for them. Every
 * command goes through the real routes under /api/v1, the Flutterwave and
 * VTpass look-alikes (checkout, control API, webhooks and callbacks) and the
 * real queue consumer; every answer (status, problem code, tx_ref, amounts,
 * status and stage) is compared with the model, and every sequence ends by
 * delivering what is still queued and comparing each wallet's balances,
 * transaction list and anomalies (the operator's audit) with the model. A
 * mismatch fails with fast-check's seed and path, to replay it.
 *
 * Covered: register and log in (rare: argon2id); fund (with Idempotency-Key
 * replays and changed bodies, a provider refusal, many at once against
 * FUND_PENDING_MAX); paying at the checkout (full, less, failed attempt) or
 * through the control API (over- and underpaid, another currency: an
 * underpayment or another currency is owed back and the funding stays open
 * until its deadline); a funding's deadline passing; money after the end (a
 * genuine payment in full after the funding ended, a second payment for a
 * credited one, a transfer that succeeds or a purchase delivered after its
 * hold was released), each recorded once for its charge; webhooks
 * delivered late, reordered, duplicated (re-sent by the look-alike, or many
 * copies in one batch), forged (unknown reference or id, another funding's
 * charge, a lying amount, a forged transfer, a bad signature); withdrawals
 * (with the fee of the sequence, 0 or 50.25; blacklisted and unresolvable
 * accounts; a refused, a lost and a committed-then-lost transfer; replays)
 * and their transfers settled or failed; airtime and data through VTpass's
 * test numbers (delivered, pending, failed, unreadable) settled, failed or
 * reversed before or after delivery; electricity (prepaid, postpaid) and
 * cable TV (renew, change) bills through VTpass's test meters and smartcards
 * (delivered with or without a token, pending, unreadable, a number
 * merchant-verify refuses), settled, failed or reversed the same way, each
 * prepaid token in the history once delivered; the reconciler; an inactive wallet;
 * several withdrawals and purchases at once on one wallet, whose answers must
 * match some serial order; and the KYC tiers (./model/commands-kyc.ts): pooled
 * wallets at tier 0, 1 (one near its balance cap) and 3, today's total and the
 * 422 tier_limit_exceeded / tier_balance_cap refusals predicted for fundings,
 * purchases and withdrawals, BVN and NIN verification through the route
 * moving the tier, and GET /wallet/limits compared with the model.
 *
 * Limits: wallets come from a pool and are wiped per sequence (as the ledger
 * property tests do), so per-user limiters (bank lookups 30/min, fundings
 * 120/min) never see more than a few calls a minute; register and login use
 * a fresh cf-connecting-ip per call, so the per-address limiters are
 * avoided; FUND_PENDING_MAX (10) is part of the model.
 *
 * CI runs 400 seeded sequences (300 until the tiers took a share of the
 * commands and one rare outcome moved past the 300th). The soak (`npm run test:soak`) runs 10,000
 * as shards of this same file, each in a fresh runtime with its own seed
 * (scripts/model-soak.mjs sets MODEL_SEED and MODEL_SEQUENCES): one runtime
 * slows down as thousands of Durable Objects (a room per tx_ref, a
 * throttle per email) pile up in it, measured at 500 sequences in 176 s and
 * the next 500 in 791 s, until the look-alikes' answers outlast the tests'
 * 1.5 s provider timeout. A failure prints its seed: MODEL_SEED=<seed>
 * MODEL_SEQUENCES=<n> replays the shard.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setLogLevel } from "../../src/lib/log";
import { PURCHASE_FAILURES_MAX } from "../../src/domain/limits";
import { expectLedgerConsistent, PASSWORD, registerAndLogin } from "../support/helpers";
import { modelPool } from "./model/pool";
import { jsonAnswer, observe } from "./model/check";
import {
  ControlCharge,
  Drain,
  Fund,
  FundBurst,
  PayCheckout,
  Redeliver,
  Forge,
  type Cmd,
  type Real,
} from "./model/commands-funding";
import { Buy, Concurrent, SettleTransfer, VtSettle, Withdraw } from "./model/commands-held";
import { checkBillTokens, PayBill, type BillKind, type BillNumber } from "./model/commands-bills";
import { LatePayment, PassDeadline, SecondPayment, SucceedLate } from "./model/commands-late";
import { Login, Observe, Reconcile, Register, Toggle } from "./model/commands-misc";
import { compareLimits, Limits, startTiers, Verify, type Claimant } from "./model/commands-kyc";
import { ScheduledRun } from "./model/commands-schedules";
import { StartBulk } from "./model/commands-bulk";
import {
  call,
  captureQueue,
  counts,
  okJson,
  queued,
  spent,
  spent_ms,
  vtControl,
} from "./model/harness";
import type { Model, ModelUser, TxStatus, TxType } from "./model/model";

const knobs = env as unknown as { MODEL_SEED?: string; MODEL_SEQUENCES?: string };
const SEQUENCES = Number(knobs.MODEL_SEQUENCES) || 400;
const SEED = Number(knobs.MODEL_SEED) || 20_261_127;
/** One shard of the soak: scripts/model-soak.mjs checks coverage over all shards together (a shard may miss a rare outcome). */
const SHARD = Boolean(knobs.MODEL_SEED);
/**
 * Pooled wallets, used in turn. Enough of them that a pooled user rarely meets
 * PURCHASE_USER_LIMITER's 10 purchases a minute: at full speed (about 4
 * sequences a second, under 2 purchase attempts each) a pool of 96 sees about
 * 4 attempts per wallet per minute; the harness paces any burst past the limit.
 */
const POOL_SIZE = 96;
const MAX_COMMANDS = 8;
/**
 * A command fails at most one purchase, and each sequence starts from a
 * restored wallet (no purchases), so the wallet's bound on failed purchases
 * (PURCHASE_FAILURES_MAX) is never met by a sequence; it is proven by its own
 * route test. Attempts per minute are paced by the harness (pacePurchases).
 */
if (PURCHASE_FAILURES_MAX < MAX_COMMANDS)
  throw new Error(
    "a sequence could meet the failed-purchase bound, which the model does not model",
  );

const user = fc.nat({ max: 1 });
const pick = fc.nat({ max: 1_000 });
const idem = fc.constantFrom("none", "none", "fresh", "replay", "changed") as fc.Arbitrary<
  "none" | "fresh" | "replay" | "changed"
>;

/** Time spent per command kind, printed with the counts (where a slow run spends its time). */
class Timed implements Cmd {
  constructor(readonly inner: Cmd) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(m: Model, r: Real): Promise<void> {
    const started = Date.now();
    try {
      await this.inner.run(m, r);
    } finally {
      const kind = this.inner.constructor.name;
      spent_ms.set(kind, (spent_ms.get(kind) ?? 0) + Date.now() - started);
    }
  }
  toString = () => this.inner.toString();
}

/** Weighted: the money paths often, the account routes rarely (each costs an argon2id hash). */
const command: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 60,
    arbitrary: fc
      .tuple(user, fc.integer({ min: 100, max: 60_000 }), idem, fc.nat({ max: 9 }))
      .map(([u, a, i, f]) => new Fund(u, a, i, f === 0)),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(user, fc.integer({ min: 11, max: 12 }))
      .map(([u, n]) => new FundBurst(u, n)),
  },
  {
    weight: 130,
    arbitrary: fc
      .tuple(
        pick,
        fc.constantFrom("full", "full", "less", "fail") as fc.Arbitrary<"full" | "less" | "fail">,
      )
      .map(([p, o]) => new PayCheckout(p, o)),
  },
  {
    weight: 40,
    arbitrary: fc
      .tuple(
        pick,
        fc.constantFrom("over", "under", "usd") as fc.Arbitrary<"over" | "under" | "usd">,
        fc.boolean(),
      )
      .map(([p, k, d]) => new ControlCharge(p, k, d)),
  },
  { weight: 40, arbitrary: pick.map((p) => new Redeliver(p)) },
  // Money after the end: a funding's deadline passing, a genuine payment after it ended, a second payment.
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        pick,
        fc.constantFrom("nothing", "underpaid", "failed") as fc.Arbitrary<
          "nothing" | "underpaid" | "failed"
        >,
      )
      .map(([p, t]) => new PassDeadline(p, t)),
  },
  { weight: 15, arbitrary: fc.tuple(pick, fc.boolean()).map(([p, d]) => new LatePayment(p, d)) },
  { weight: 12, arbitrary: fc.tuple(pick, fc.boolean()).map(([p, d]) => new SecondPayment(p, d)) },
  {
    weight: 60,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "unknown_ref",
          "unknown_id",
          "others_charge",
          "lying_amount",
          "forged_transfer",
          "bad_signature",
        ) as fc.Arbitrary<import("./model/commands-funding").Forgery>,
        pick,
        fc.boolean(),
      )
      .map(([k, p, h]) => new Forge(k, p, h)),
  },
  {
    weight: 130,
    arbitrary: fc
      .tuple(
        fc.constantFrom("fifo", "reverse", "shuffle", "burst") as fc.Arbitrary<
          "fifo" | "reverse" | "shuffle" | "burst"
        >,
        fc.nat({ max: 3 }),
        fc.nat({ max: 10_000 }),
      )
      .map(([o, t, s]) => new Drain(o, t, s)),
  },
  {
    weight: 90,
    arbitrary: fc
      .tuple(
        user,
        fc.nat({ max: 4 }),
        fc.constantFrom("ok", "ok", "ok", "ok2", "blacklisted", "unresolvable") as fc.Arbitrary<
          import("./model/commands-held").Account
        >,
        idem,
        fc.constantFrom(
          "none",
          "none",
          "none",
          "none",
          "none",
          "refuse",
          "lost",
          "commit_lost",
        ) as fc.Arbitrary<import("./model/commands-held").WithdrawFault>,
      )
      .map(([u, a, acc, i, f]) => new Withdraw(u, a, acc, i, f)),
  },
  {
    weight: 100,
    arbitrary: fc
      .tuple(
        pick,
        fc.constantFrom("SUCCESSFUL", "SUCCESSFUL", "FAILED") as fc.Arbitrary<
          "SUCCESSFUL" | "FAILED"
        >,
      )
      .map(([p, o]) => new SettleTransfer(p, o)),
  },
  {
    weight: 55,
    arbitrary: fc
      .tuple(
        user,
        fc.constantFrom("airtime", "airtime", "data") as fc.Arbitrary<"airtime" | "data">,
        fc.constantFrom("delivered", "pending", "pending", "failed", "unknown") as fc.Arbitrary<
          import("./model/commands-held").PhoneKind
        >,
        fc.nat({ max: 4 }),
        fc.constantFrom("none", "none", "fresh", "replay") as fc.Arbitrary<
          "none" | "fresh" | "replay"
        >,
      )
      .map(([u, k, p, a, i]) => new Buy(u, k, p, a, i)),
  },
  // Bills take part of the purchases' share, so a sequence's purchase attempts (and its pacing) stay about the same.
  {
    weight: 45,
    arbitrary: fc
      .tuple(
        user,
        fc.constantFrom(
          "prepaid",
          "prepaid",
          "postpaid",
          "tv_renew",
          "tv_change",
        ) as fc.Arbitrary<BillKind>,
        fc.constantFrom(
          "delivered",
          "delivered",
          "pending",
          "unknown",
          "wrong",
        ) as fc.Arbitrary<BillNumber>,
        fc.nat({ max: 4 }),
        fc.constantFrom("none", "none", "fresh", "replay") as fc.Arbitrary<
          "none" | "fresh" | "replay"
        >,
      )
      .map(([u, k, n, a, i]) => new PayBill(u, k, n, a, i)),
  },
  {
    // 80 (was 60): tier 0 and 1 wallets leave fewer purchases pending for VTpass to settle.
    weight: 80,
    arbitrary: fc
      .tuple(
        pick,
        fc.constantFrom("delivered", "failed", "failed", "reversed") as fc.Arbitrary<
          "delivered" | "failed" | "reversed"
        >,
      )
      .map(([p, t]) => new VtSettle(p, t)),
  },
  {
    // 30 (was 20): the tier refusals accept fewer withdrawals, and the late success needs one.
    weight: 30,
    arbitrary: fc
      .tuple(
        fc.constantFrom("transfer", "purchase") as fc.Arbitrary<"transfer" | "purchase">,
        pick,
        fc.constantFrom(true, true, false),
      )
      .map(([t, p, r]) => new SucceedLate(t, p, r)),
  },
  {
    weight: 40,
    arbitrary: fc
      .tuple(
        user,
        fc.array(
          fc.constantFrom("withdraw", "pending", "delivered") as fc.Arbitrary<
            "withdraw" | "pending" | "delivered"
          >,
          { minLength: 2, maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 5 }),
      )
      .map(([u, k, s]) => new Concurrent(u, k, s)),
  },
  { weight: 40, arbitrary: user.map((u) => new Reconcile(u)) },
  { weight: 30, arbitrary: user.map((u) => new Observe(u)) },
  { weight: 10, arbitrary: user.map((u) => new Toggle(u)) },
  // 6, not 4, since bills joined the mix: at 4 a seeded run of 300 met "email taken" about twice, and once not at all.
  { weight: 6, arbitrary: fc.boolean().map((again) => new Register(again)) },
  // KYC (issue 21): verify a BVN or NIN through the route (the tier and its limits move), read the limits.
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        user,
        fc.constantFrom("bvn", "nin") as fc.Arbitrary<"bvn" | "nin">,
        fc.constantFrom("match", "match", "match", "other", "nobody") as fc.Arbitrary<Claimant>,
      )
      .map(([u, k, c]) => new Verify(u, k, c)),
  },
  { weight: 8, arbitrary: user.map((u) => new Limits(u)) },
  {
    weight: 12,
    arbitrary: fc
      .tuple(user, fc.nat({ max: 9 }), fc.boolean())
      .map(([u, i, d]) => new ScheduledRun(u, i, d)),
  },
  // Bulk top-ups: a small batch of airtime lines bought by the wallet's alarm through the queue.
  {
    weight: 8,
    arbitrary: fc
      .tuple(user, fc.integer({ min: 2, max: 4 }), fc.nat({ max: 9 }))
      .map(([u, n, i]) => new StartBulk(u, n, i)),
  },
  { weight: 8, arbitrary: fc.tuple(pick, fc.boolean()).map(([p, w]) => new Login(p, w)) },
);

const COMMAND_KINDS = [
  "fund",
  "fund burst",
  "pay at checkout",
  "charge through the control API",
  "redeliver",
  "deadline passes",
  "late genuine payment",
  "second payment",
  "forged webhook",
  "deliver queue",
  "withdraw",
  "settle transfer",
  "buy airtime",
  "buy data",
  "pay electricity",
  "pay tv",
  "VTpass settles",
  "transfer succeeds late",
  "purchase delivered late",
  "concurrent held payments",
  "reconcile",
  "observe",
  "toggle activity",
  "register",
  "login",
  "verify identity",
  "wallet limits",
  "scheduled run",
  "bulk",
];

/**
 * Outcomes the seeded run must reach, so the generators cannot silently stop
 * reaching them. Some depend on when the look-alikes' callbacks land, so CI
 * runs 400 sequences (200 missed one once the run got faster; 300 missed rare
 * ones once the tiers joined). Rarer ones are counted and printed but not asserted (a failed card attempt delivered, another funding's charge named
 * in a forged event, a purchase settled by the reconciler; a second payment for
 * a funding paid at its checkout, a second underpayment owed back while the
 * checkout is open, a purchase delivered late before its failure was applied,
 * an anomaly recorded by the wallet's own alarm): each appeared in some
 * 200-sequence runs and not in others as the weights moved.
 */
const OUTCOMES = [
  "fund: link created",
  "fund: refused by the provider",
  "fund burst: some refused at the limit",
  "queue: funding settled",
  "queue: funding failed",
  "queue: funding payment_mismatch",
  "queue: funding paid_after_terminal",
  "queue: funding paid_twice",
  "queue: withdrawal paid_after_void",
  "queue: purchase paid_after_void",
  "reconciler: FUND failed",
  "late payment: after the funding ended FAILED",
  "second payment: for the opening funding",
  "transfer late success: after the hold was released",
  "transfer late success: before the failure was applied",
  "purchase late success: after the hold was released",
  "queue: withdrawal settled",
  "queue: withdrawal failed",
  "queue: purchase settled",
  "queue: purchase failed",
  "queue: purchase reversed",
  "queue: duplicate: no change",
  "queue: duplicate burst",
  "queue: ignored: no such charge",
  "queue: ignored: not our funding",
  "queue: ignored: no such transfer",
  "webhook: bad signature refused",
  "provider delivered a duplicate",
  "withdraw: accepted",
  "withdraw: insufficient funds",
  "withdraw: refused by the provider, hold released",
  "withdraw: account not resolved",
  "withdraw: answer lost (lost)",
  "withdraw: answer lost (commit_lost)",
  "purchase: delivered",
  "purchase: pending",
  "purchase: failed",
  "purchase: unknown",
  "purchase: insufficient funds",
  "bill: delivered with a token",
  "bill: delivered without a token",
  "bill: pending",
  "bill: unknown",
  "bill: number refused by merchant-verify",
  "bill: token in the history",
  "VTpass reversed a delivered purchase",
  "VTpass reversed a pending purchase",
  "idempotency: replayed",
  "idempotency: changed body refused",
  "inactive wallet refused",
  "concurrent: some refused",
  "register: created",
  "register: email taken",
  "login: token shows the same wallet",
  "login: wrong password refused",
  "fund: tier_limit_exceeded",
  "fund: tier_balance_cap",
  "withdraw: tier_limit_exceeded",
  "verify: tier raised",
  "verify: identity_not_verified",
  "verify: identity_already_verified",
  "limits: compared, some used",
  "scheduled run: bought",
  "scheduled run: bought once, message tripled",
  "scheduled run: skipped insufficient_funds",
  "bulk: bought",
  "bulk: not covered",
];

describe("the API against its model", () => {
  // Every request's info line crosses to the test runner; errors are still written.
  afterAll(() => setLogLevel(null));

  const takeWallet = modelPool(POOL_SIZE);
  let shared: ModelUser[] = [];

  beforeAll(async () => {
    setLogLevel("error");
    captureQueue();
    // A registered user shared by every sequence, for the login commands (its wallet stays empty).
    const u = await registerAndLogin();
    shared = [
      {
        user_id: u.user_id,
        email: u.email,
        password: PASSWORD,
        auth: u.auth,
        txs: [],
        keys: new Map(),
      },
    ];
  }, 60_000);

  /** A pooled wallet, and the model's user for it with the state the API lists: its opening funding. */
  async function pooledUser(opening_naira: number, fee: string): Promise<ModelUser> {
    const w = await takeWallet(opening_naira * 100);
    const user: ModelUser = {
      user_id: w.user_id,
      email: w.email,
      auth: w.auth,
      txs: [],
      keys: new Map(),
    };
    counts.requests += 1;
    const listed = await jsonAnswer<{
      data: {
        tx_ref: string;
        type: TxType;
        status: TxStatus;
        stage: string;
        amount_minor: number;
        fee_minor: number;
      }[];
    }>(
      await call(fee, "/wallet/transactions?limit=100", { headers: user.auth }),
      200,
      "GET /wallet/transactions",
    );
    user.txs = listed.data.map((t) => ({
      tx_ref: t.tx_ref,
      type: t.type,
      status: t.status,
      stage: t.stage,
      amount_minor: t.amount_minor,
      fee_minor: t.fee_minor,
    }));
    startTiers(user, w.tier);
    // The wallet's balances are compared with what these imply at every Observe and at the end of the sequence.
    expect(
      user.txs.map((t) => [t.type, t.status, t.amount_minor]),
      "starting state",
    ).toEqual([["FUND", "SUCCESS", w.opening_minor]]);
    return user;
  }

  it(
    `keeps every answer, balance and transaction list equal to the model over ${SEQUENCES} seeded sequences`,
    async ({ annotate }) => {
      const started_ms = Date.now();
      await fc.assert(
        fc.asyncProperty(
          fc.commands(
            [
              command.map(
                (c) => new Timed(c),
                (c) => (c as Timed).inner,
              ),
            ],
            { maxCommands: MAX_COMMANDS },
          ),
          fc.constantFrom("0", "50.25"),
          fc.integer({ min: 1_000, max: 50_000 }),
          fc.nat({ max: 3 }),
          async (cmds, fee, opening, users_n) => {
            counts.sequences += 1;
            if (counts.sequences % 50 === 0)
              console.log(
                `progress: ${counts.sequences} sequences at ${Date.now() - started_ms} ms (${spent_ms.get("purchase pacing") ?? 0} ms pacing purchases)`,
              );
            queued.length = 0; // strays of an earlier sequence (its wallets were restored)
            let t = Date.now();
            // The look-alike's float (our prepaid balance at VTpass) is spent by every sequence's
            // purchases; refilled here, so a 018 "float low" refusal comes only from a command that asks for it.
            await okJson(await vtControl("/float", { amount: "1000000" }), "VTpass float");
            // One wallet, and a second one in a quarter of the sequences (cross-wallet events, forged references).
            const users = [await pooledUser(opening, fee)];
            if (users_n === 0) users.push(await pooledUser(opening + 1, fee));
            spent("setup", Date.now() - t);
            const model: Model = {
              users,
              logins: shared.map((s) => ({ ...s, txs: [], keys: new Map() })),
              fee_minor: fee === "0" ? 0 : 5025,
              fund_pending_max: 10,
            };
            const real: Real = {
              fee,
              charges: new Map(),
              active: new Map(),
              seq: counts.sequences,
            };
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            t = Date.now();
            // Deliver what is still queued (late, after everything else), then compare everything: each
            // wallet's transactions and balances, and its own audit (balance = journal).
            await new Drain("fifo", 0, 0).run(model, real);
            for (const u of model.users)
              await observe(model, u, fee, real.active.get(u.user_id) !== false);
            for (const u of model.users) await checkBillTokens(fee, u);
            for (const u of model.users) await compareLimits(u, fee);
            for (const u of model.users)
              await expectLedgerConsistent(env.WALLET.getByName(u.user_id));
            spent("final checks", Date.now() - t);
          },
        ),
        { numRuns: SEQUENCES, seed: SEED, endOnFailure: true },
      );
      const elapsed_s = (Date.now() - started_ms) / 1000;
      const summary = {
        sequences: counts.sequences,
        seconds: Math.round(elapsed_s),
        sequences_per_s: Number((counts.sequences / elapsed_s).toFixed(2)),
        requests: counts.requests,
        faults: counts.faults,
        attacks: counts.attacks,
        commands: Object.fromEntries([...counts.commands.entries()].sort()),
        outcomes: Object.fromEntries([...counts.outcomes.entries()].sort()),
        spent_ms: Object.fromEntries([...spent_ms.entries()].sort()),
      };
      console.log(`http model: ${JSON.stringify(summary, null, 1)}`);
      await annotate(
        `${summary.sequences} sequences in ${summary.seconds} s (${summary.sequences_per_s}/s), ${summary.requests} requests, ${summary.faults} faults, ${summary.attacks} attacks`,
      );
      if (SHARD) {
        // Read by scripts/model-soak.mjs, which adds the shards up and checks the same lists.
        console.log(
          `http model shard: ${JSON.stringify({ ...summary, required: { commands: COMMAND_KINDS, outcomes: OUTCOMES } })}`,
        );
        return;
      }
      for (const kind of COMMAND_KINDS)
        expect(counts.commands.get(kind) ?? 0, `command ${kind} never ran`).toBeGreaterThan(0);
      for (const outcome of OUTCOMES)
        expect(
          counts.outcomes.get(outcome) ?? 0,
          `outcome "${outcome}" never happened`,
        ).toBeGreaterThan(0);
    },
    // The bound: 400 sequences take about 3 minutes on two cores; a soak shard of 500, about 3 minutes.
    Math.max(600_000, SEQUENCES * 1_000),
  );
});
