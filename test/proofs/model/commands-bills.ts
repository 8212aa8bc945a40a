/**
 * Bills on the held-payment side, beside Buy: electricity (prepaid and
 * postpaid) and cable TV (renew and change) through the real routes and the
 * VTpass look-alike's test meters and smartcards. Each answer is predicted
 * from the number paid: delivered at once (a prepaid meter's token in the
 * answer, never a postpaid's or a TV's), pending until VTpass settles it,
 * unknown (VTpass did it, its answer unreadable: held, then ended by requery),
 * or a number merchant-verify does not know (422, nothing held). After that a
 * bill is one more VTpass purchase: VtSettle settles, fails or reverses it,
 * SucceedLate delivers it late, and the model's `converged` ends it.
 *
 * `checkBillTokens` is the end of a sequence's check for bills: the token is
 * in the history of every prepaid payment the model says is delivered
 * (arriving with the pay answer or only on requery), and in no other.
 */
import {
  call,
  claimPurchaseSlot,
  countCommand,
  countOutcome,
  counts,
  freshKey,
  jsonPost,
  pacePurchases,
  uniqueMtnNumber,
} from "./harness";
import { fail, jsonAnswer, problem, same } from "./check";
import { tierRefused } from "./commands-kyc";
import {
  balances,
  type Model,
  type ModelTx,
  type ModelUser,
  type TxType,
  type VtTruth,
} from "./model";
import { userOf, type Cmd, type Real } from "./commands-funding";
import { held, requestIdOf, type HeldAnswer } from "./commands-held";

/** What the command pays: a meter of either type, or a DStv/GOtv subscription renewed or changed. */
export type BillKind = "prepaid" | "postpaid" | "tv_renew" | "tv_change";
/** The look-alike's number for each answer; `wrong`: one merchant-verify does not know. */
export type BillNumber = "delivered" | "pending" | "unknown" | "wrong";

const METERS = { prepaid: "1111111111111", postpaid: "1010101010101" } as const;
const SMARTCARD = "1212121212";
const FAULT_NUMBERS = { pending: "201000000000", unknown: "500000000000" } as const;
/** The prepaid test meter's token (VTpass's IKEDC sample), as the look-alike delivers it. */
const PREPAID_TOKEN = "26362054405982757802";
const DISCOS = [
  "ikeja-electric",
  "eko-electric",
  "abuja-electric",
  "kano-electric",
  "jos-electric",
];
/** The look-alike publishes N1,000 .. N500,000 for every DisCo (narrower than ours, so it decides). */
const ELECTRICITY_MIN_MINOR = 1_000_00;
const ELECTRICITY_MAX_MINOR = 500_000_00;
/** DStv and GOtv bouquets (code, naira) as the look-alike lists them; the first is a test smartcard's current one. */
const BOUQUETS: Record<"dstv" | "gotv", [string, number][]> = {
  dstv: [
    ["dstv-padi", 1850],
    ["dstv-yanga", 2565],
    ["dstv-confam", 4615],
    ["dstv79", 7900],
    ["dstv3", 18400],
  ],
  gotv: [
    ["gotv-lite", 410],
    ["gotv-jinja", 1640],
    ["gotv-jolli", 2460],
    ["gotv-max", 3600],
  ],
};
/** Months a change asks for, at most (ours is 12; a few suffice for distinct amounts). */
const MONTHS_MAX = 6;

type Outcome = { status: ModelTx["status"]; stage: string; vt: VtTruth };
const AFTER_ANSWER: Record<Exclude<BillNumber, "wrong">, Outcome> = {
  delivered: { status: "SUCCESS", stage: "settled", vt: "delivered" },
  pending: { status: "PENDING", stage: "submitted", vt: "pending" },
  unknown: { status: "PENDING", stage: "submit_unknown", vt: "delivered" },
};

type BillPlan = {
  path: string;
  body: Record<string, string | number>;
  type: TxType;
  /** What the model expects held: the amount asked, or the catalogue's price (TV is never priced by us). */
  amount_minor: number;
  prepaid: boolean;
};

type BillAnswer = HeldAnswer & { token: string | null; units: string | null };

/** The VTpass number for this answer: a meter, a smartcard, a fault number, or one verify refuses. */
function numberFor(kind: BillKind, number: BillNumber): string {
  if (number === "wrong") {
    // 11-13 digits like a meter, but not one the look-alike knows.
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    return `7${String(n).padStart(10, "0")}`;
  }
  if (number !== "delivered") return FAULT_NUMBERS[number];
  return kind === "prepaid" || kind === "postpaid" ? METERS[kind] : SMARTCARD;
}

/**
 * A whole-naira electricity amount near the one wanted that VTpass has not
 * sold this DisCo and number in the last 40 s (its 30 s duplicate rule, 019).
 */
function electricityNaira(disco: string, number: string, wanted_minor: number): number {
  const from = Math.min(ELECTRICITY_MAX_MINOR, Math.max(ELECTRICITY_MIN_MINOR, wanted_minor)) / 100;
  for (let step = 0; step < 10_000; step++) {
    const n = Math.floor(from) + step;
    if (n * 100 > ELECTRICITY_MAX_MINOR) break;
    if (claimPurchaseSlot(`${disco}|${number}|${n * 100}`)) return n;
  }
  throw new Error("no free electricity amount");
}

function electricityPlan(
  kind: "prepaid" | "postpaid",
  number: string,
  wanted_minor: number,
  pick: number,
): BillPlan {
  const disco = DISCOS[pick % DISCOS.length];
  const amount = electricityNaira(disco, number, wanted_minor);
  return {
    path: "/wallet/electricity",
    body: { disco, meter: number, type: kind, amount, phone: uniqueMtnNumber() },
    type: "ELECTRICITY",
    amount_minor: amount * 100,
    prepaid: kind === "prepaid",
  };
}

/**
 * A TV payment whose amount VTpass has not seen for this smartcard in 40 s:
 * a renew is at the current bouquet's price (one amount per service), a change
 * at a bouquet's price times its months; null when every one was taken lately.
 */
function tvPlan(kind: "tv_renew" | "tv_change", number: string, pick: number): BillPlan | null {
  const providers = pick % 2 === 0 ? (["dstv", "gotv"] as const) : (["gotv", "dstv"] as const);
  const phone = uniqueMtnNumber();
  for (const provider of providers) {
    const bouquets = BOUQUETS[provider];
    if (kind === "tv_renew") {
      const [, price] = bouquets[0];
      if (claimPurchaseSlot(`${provider}|${number}|${price * 100}`))
        return {
          path: "/wallet/tv",
          body: { provider, smartcard: number, action: "renew", phone },
          type: "TV",
          amount_minor: price * 100,
          prepaid: false,
        };
      continue;
    }
    for (let i = 0; i < bouquets.length * MONTHS_MAX; i++) {
      const [code, price] = bouquets[(pick + i) % bouquets.length];
      const months = 1 + (Math.floor((pick + i) / bouquets.length) % MONTHS_MAX);
      if (claimPurchaseSlot(`${provider}|${number}|${price * months * 100}`))
        return {
          path: "/wallet/tv",
          body: {
            provider,
            smartcard: number,
            action: "change",
            bouquet: code,
            quantity: months,
            phone,
          },
          type: "TV",
          amount_minor: price * months * 100,
          prepaid: false,
        };
    }
  }
  return null;
}

/** An amount for intent 0..4: the least, a quarter, a half, all of it, more than there is. */
function wanted(available_minor: number, intent: number): number {
  const room = Math.max(0, available_minor);
  return [0, Math.floor(room / 4), Math.floor(room / 2), room, room + 100_00][intent % 5];
}

export class PayBill implements Cmd {
  constructor(
    readonly user: number,
    readonly kind: BillKind,
    readonly number: BillNumber,
    readonly intent: number,
    readonly idem: "none" | "fresh" | "replay",
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const electricity = this.kind === "prepaid" || this.kind === "postpaid";
    countCommand(electricity ? "pay electricity" : "pay tv");
    const user = userOf(m, this.user);
    const active = r.active.get(user.user_id) !== false;
    const reuse =
      this.idem === "replay"
        ? [...user.keys.entries()].filter(([k]) => k.startsWith("bill-")).at(-1)
        : undefined;
    if (reuse) {
      const stored = reuse[1];
      const plan = JSON.parse(stored.fingerprint) as BillPlan;
      counts.requests += 1;
      await pacePurchases(user.user_id, 1);
      const response = await call(
        r.fee,
        plan.path,
        jsonPost(user.auth, plan.body, { "idempotency-key": reuse[0] }),
      );
      same(
        "bill replay: tx_ref",
        (await jsonAnswer<HeldAnswer>(response, stored.status, "bill replay")).tx_ref,
        stored.tx_ref,
      );
      same("bill replay: header", response.headers.get("idempotent-replayed"), "true");
      return countOutcome("idempotency: replayed");
    }
    const number = numberFor(this.kind, this.number);
    const want = wanted(balances(user).available_minor, this.intent);
    const plan =
      (electricity
        ? null
        : tvPlan(this.kind as "tv_renew" | "tv_change", number, this.intent + want)) ??
      // Every TV amount was sold lately (VTpass would refuse a repeat): a meter instead.
      electricityPlan(
        this.kind === "postpaid" ? "postpaid" : "prepaid",
        this.number === "delivered"
          ? METERS[this.kind === "postpaid" ? "postpaid" : "prepaid"]
          : number,
        want,
        this.intent + want,
      );
    // A number merchant-verify refuses is refused before anything is held, and remembers nothing.
    const key =
      this.idem === "fresh" && this.number !== "wrong" ? freshKey("bill", r.seq) : undefined;
    counts.requests += 1;
    await pacePurchases(user.user_id, 1);
    const response = await call(
      r.fee,
      plan.path,
      jsonPost(user.auth, plan.body, key ? { "idempotency-key": key } : {}),
    );
    if (this.number === "wrong") {
      await problem(
        response,
        422,
        plan.type === "ELECTRICITY" ? "meter_invalid" : "smartcard_invalid",
        `bill to a number VTpass does not know ${JSON.stringify(plan.body)}`,
      );
      return countOutcome("bill: number refused by merchant-verify");
    }
    if (!active) {
      await problem(response, 422, "wallet_inactive", "bill on an inactive wallet");
      return countOutcome("inactive wallet refused");
    }
    if (plan.amount_minor > balances(user).available_minor) {
      await problem(
        response,
        422,
        "insufficient_funds",
        `bill of ${plan.amount_minor} with ${balances(user).available_minor} available`,
      );
      return countOutcome("bill: insufficient funds");
    }
    // A bill counts against the day like any held payment (README "Tiers and limits").
    if (await tierRefused(user, "debit", plan.amount_minor, response, "bill")) return;
    const answer = await jsonAnswer<BillAnswer>(response, 202, `bill ${JSON.stringify(plan.body)}`);
    let after = AFTER_ANSWER[this.number];
    // A loaded machine: VTpass delivered at once but answered after our timeout (commands-held.ts says why).
    if (
      this.number === "delivered" &&
      answer.status === "PENDING" &&
      answer.stage === "submit_unknown"
    ) {
      countOutcome("bill: provider answered after our timeout");
      after = AFTER_ANSWER.unknown;
    }
    same(
      "bill answer",
      [answer.type, answer.status, answer.stage, answer.amount_minor],
      [plan.type, after.status, after.stage, plan.amount_minor],
    );
    // The token is in the answer exactly when the answer delivered a prepaid meter.
    const token_now = plan.prepaid && after.status === "SUCCESS";
    same("bill answer: token", answer.token, token_now ? PREPAID_TOKEN : null);
    if (token_now && !/^\d+(\.\d+)? kWh$/.test(String(answer.units)))
      fail("bill answer: units", answer.units);
    user.txs.push({
      ...held(answer.tx_ref, plan.type, plan.amount_minor, 0, after.status, after.stage),
      vt: after.vt,
      request_id: await requestIdOf(user, answer.tx_ref),
      prepaid: plan.prepaid,
    });
    if (key)
      user.keys.set(key, {
        fingerprint: JSON.stringify(plan),
        status: 202,
        tx_ref: answer.tx_ref,
        code: null,
      });
    countOutcome(
      token_now
        ? "bill: delivered with a token"
        : after.status === "SUCCESS"
          ? "bill: delivered without a token"
          : `bill: ${this.number}`,
    );
  }
  toString = () =>
    `PayBill(u${this.user}, ${this.kind}, ${this.number}, intent ${this.intent}, ${this.idem})`;
}

/**
 * Every bill of this wallet in its history: a prepaid payment the model says
 * VTpass delivered and we settled carries its token (20 digits; the
 * documented one for the test meter) wherever it arrived, the pay answer or a
 * requery; a payment still pending, a postpaid one and a TV one carry none.
 */
export async function checkBillTokens(fee: string, user: ModelUser): Promise<void> {
  const bills = user.txs.filter((t) => t.type === "ELECTRICITY" || t.type === "TV");
  if (bills.length === 0) return;
  counts.requests += 1;
  const listed = await jsonAnswer<{
    data: { tx_ref: string; status: string; details: Record<string, unknown> }[];
  }>(
    await call(fee, "/wallet/transactions?limit=100", { headers: user.auth }),
    200,
    "GET /wallet/transactions",
  );
  for (const tx of bills) {
    const seen = listed.data.find((t) => t.tx_ref === tx.tx_ref);
    if (!seen) fail("bill missing from the history", tx.tx_ref);
    const token = seen.details.token;
    if (tx.prepaid && tx.status === "SUCCESS") {
      if (typeof token !== "string" || !/^\d{20}$/.test(token))
        fail(`${tx.tx_ref}: a delivered prepaid meter's token`, { token, stage: tx.stage });
      countOutcome("bill: token in the history");
    } else if (tx.status === "PENDING" || !tx.prepaid) {
      if (token !== undefined && token !== null)
        fail(`${tx.tx_ref}: a token where none was delivered`, { token, stage: tx.stage });
    }
  }
}
