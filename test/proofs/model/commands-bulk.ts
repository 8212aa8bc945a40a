/**
 * Bulk top-ups in the HTTP model: a pooled user sends a small JSON batch of
 * airtime lines for the look-alike's delivering number (each amount unused
 * for that number within the look-alike's repeat window). The model predicts
 * the route's answer from its own available balance: 422 `batch_not_covered`
 * (and nothing held, which every later Observe's balances prove) or 202; the
 * batch is then driven to its end by the wallet's alarm and the queue, and
 * each line must be its own AIRTIME purchase of that line's amount, settled
 * (or unknown after a slow answer, as any purchase), which the model records
 * so its balances and transaction lists keep matching the wallet's.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Wallet } from "../../../src/durable/wallet/object";
import { fail, jsonAnswer, problem, same } from "./check";
import { balances, type Model } from "./model";
import { airtimeNaira, call, countCommand, countOutcome, counts, jsonPost } from "./harness";
import { userOf, type Cmd, type Real } from "./commands-funding";
import { held, intended, requestIdOf } from "./commands-held";
import { predicted } from "./commands-kyc";

type Line = { line: number; status: string; tx_ref: string | null; amount_minor: number };
type Batch = { batch_id: string; status: string; counts: Record<string, number>; items?: Line[] };

const DELIVERS = "08011111111";
const BATCH_END_TIMEOUT_MS = 30_000;

export class StartBulk implements Cmd {
  constructor(
    readonly user: number,
    readonly lines: number,
    readonly intent: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("bulk");
    const user = userOf(m, this.user);
    const available = balances(user).available_minor;
    // Each line near an even share of the intended total, each amount new for the number.
    const share = Math.floor(intended(available, this.intent, 0, 100_00 * this.lines) / this.lines);
    const naira = Array.from({ length: this.lines }, () =>
      airtimeNaira("mtn", DELIVERS, Math.min(5_000, Math.floor(share / 100))),
    );
    const total = naira.reduce((a, n) => a + n * 100, 0);
    // What the model does not predict line by line (a frozen wallet, the tier's day
    // met part-way) is left to the single purchases' commands: no batch is sent.
    if (r.active.get(user.user_id) === false || predicted(user, "debit", total))
      return countOutcome("bulk: not sent (inactive or tier)");
    counts.requests += 1;
    const res = await call(
      r.fee,
      "/wallet/bulk",
      jsonPost(user.auth, {
        lines: naira.map((n) => ({ type: "airtime", phone: DELIVERS, amount: n, network: "mtn" })),
      }),
    );
    if (total > available) {
      const p = await problem(res, 422, "batch_not_covered", "bulk over the balance");
      same(
        "bulk refusal names the numbers",
        [p.total_minor, p.available_minor],
        [total, available],
      );
      return countOutcome("bulk: not covered");
    }
    const batch = await jsonAnswer<Batch>(res, 202, "start a bulk batch");
    const done = await finished(r, user.user_id, user.auth, batch.batch_id);
    const items = done.items ?? [];
    same(
      "bulk lines and amounts",
      items.map((l) => l.amount_minor),
      naira.map((n) => n * 100),
    );
    const stub = env.WALLET.getByName(user.user_id) as DurableObjectStub<Wallet>;
    for (const item of items) {
      if (!item.tx_ref) return fail("bulk", `line ${item.line} ${item.status} without a tx_ref`);
      const tx = await stub.getTransaction(item.tx_ref);
      if (!tx) return fail("bulk", `no transaction ${item.tx_ref}`);
      same(
        "bulk line: type and amount",
        [tx.type, tx.amount_minor],
        ["AIRTIME", item.amount_minor],
      );
      // Delivered at once, or (a slow look-alike) unknown to us while VTpass delivered.
      const unknown = tx.status === "PENDING" && tx.stage === "submit_unknown";
      if (!unknown) same("bulk line: settled", [tx.status, tx.stage], ["SUCCESS", "settled"]);
      user.txs.push({
        ...held(
          item.tx_ref,
          "AIRTIME",
          item.amount_minor,
          0,
          unknown ? "PENDING" : "SUCCESS",
          unknown ? "submit_unknown" : "settled",
        ),
        vt: "delivered",
        request_id: await requestIdOf(user, item.tx_ref),
      });
    }
    same("bulk: one transaction per line", new Set(items.map((l) => l.tx_ref)).size, naira.length);
    countOutcome("bulk: bought");
  }
  toString = () => `StartBulk(u${this.user}, ${this.lines} lines, intent ${this.intent})`;
}

/** The batch once it is no longer running: the wallet's alarm releases lines, the queue buys them. */
async function finished(
  r: Real,
  user_id: string,
  auth: Record<string, string>,
  id: string,
): Promise<Batch> {
  const deadline = Date.now() + BATCH_END_TIMEOUT_MS;
  for (;;) {
    counts.requests += 1;
    const b = await jsonAnswer<Batch>(
      await call(r.fee, `/wallet/bulk/${id}`, { headers: auth }),
      200,
      "read the batch",
    );
    if (b.status !== "running") return b;
    if (Date.now() > deadline)
      return fail("bulk", `batch ${id} still running: ${JSON.stringify(b.counts)}`);
    await runDurableObjectAlarm(env.WALLET.getByName(user_id));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
