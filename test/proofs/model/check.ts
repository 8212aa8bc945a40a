/**
 * Comparing answers with the model: one problem check, one observation of a
 * user's wallet and transactions, and what the consumer must do with each
 * queued message.
 */
import { env } from "cloudflare:workers";
import { requireConfig } from "../../../src/lib/config";
import { expectProblem } from "../../support/helpers";
import { counts, call, countOutcome } from "./harness";
import { withoutOverCap } from "./commands-kyc";
import {
  anomaliesOf,
  anomalyLine,
  apply,
  balances,
  converged,
  effectOf,
  expectedAnomalies,
  findTx,
  fundingAfterCharge,
  type Charge,
  type Model,
  type ModelTx,
  type ModelUser,
  type Next,
} from "./model";

export class ModelMismatch extends Error {}

export function fail(what: string, detail: unknown): never {
  throw new ModelMismatch(
    `${what}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`,
  );
}

export function same(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(what, { actual, expected });
}

/** The response must be a problem document with this status and code. */
export async function problem(
  response: Response,
  status: number,
  code: string,
  what: string,
): Promise<Record<string, unknown>> {
  let body: Awaited<ReturnType<typeof expectProblem>>;
  try {
    body = await expectProblem(response, status);
  } catch (error) {
    fail(what, (error as Error).message);
  }
  same(`${what}: problem code`, body.code, code);
  return body as unknown as Record<string, unknown>;
}

export async function jsonAnswer<T>(response: Response, status: number, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== status) fail(what, `expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

type WireTx = {
  tx_ref: string;
  type: string;
  status: string;
  stage: string;
  amount_minor: number;
  fee_minor: number;
};
type WireWallet = {
  user_id: string;
  balance_minor: number;
  held_minor: number;
  available_minor: number;
  is_active: boolean;
};
type WireAudit = { ok: boolean; anomalies: { tx_ref: string; kind: string; ref: string }[] };

const ADMIN = { authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` };

async function readTransactions(fee: string, user: ModelUser): Promise<WireTx[]> {
  counts.requests += 1;
  const page = await jsonAnswer<{ data: WireTx[]; has_more: boolean }>(
    await call(fee, "/wallet/transactions?limit=100", { headers: user.auth }),
    200,
    "GET /wallet/transactions",
  );
  if (page.has_more) fail("GET /wallet/transactions", "more than 100 transactions in one sequence");
  return page.data;
}

/**
 * GET the transactions and the wallet and compare them with the model. A
 * pending transaction whose provider already has its outcome may have been
 * settled by the wallet's own alarm (the reconciler runs on its schedule, and
 * a long sequence can reach it): that and only that is accepted in its place,
 * and adopted. The balance is compared with what the statuses imply.
 *
 * The wallet's anomalies (the operator's audit, GET /admin/wallets/{id}/audit)
 * are compared exactly with the model's, every kind: the model predicts each
 * money-received one (refund_due, overpaid, paid_after_terminal, paid_twice,
 * paid_after_void) once per charge, and nothing in its sequences can escalate
 * a transaction or record a provider refusal's anomaly, so any other line, a
 * missing one or a second one for the same charge is a mismatch.
 */
export async function observe(
  _model: Model,
  user: ModelUser,
  fee: string,
  active: boolean,
): Promise<void> {
  try {
    await observeOnce(user, fee, active);
  } catch (error) {
    // The wallet's alarm may have run between the two reads: one more look decides.
    if (!(error instanceof ModelMismatch)) throw error;
    await observeOnce(user, fee, active);
  }
}

async function observeOnce(user: ModelUser, fee: string, active: boolean): Promise<void> {
  const listed = await readTransactions(fee, user);
  counts.requests += 1;
  const wallet = await jsonAnswer<WireWallet>(
    await call(fee, "/wallet/", { headers: user.auth }),
    200,
    "GET /wallet",
  );
  same(`${user.user_id}: transaction count`, listed.length, user.txs.length);
  const adopted: [ModelTx, Next][] = [];
  for (const tx of user.txs) {
    const seen = listed.find((t) => t.tx_ref === tx.tx_ref);
    if (!seen) fail("transaction missing from the list", tx.tx_ref);
    same(
      `${tx.tx_ref}: type, amount and fee`,
      [seen.type, seen.amount_minor, seen.fee_minor],
      [tx.type, tx.amount_minor, tx.fee_minor],
    );
    if (seen.status === tx.status && seen.stage === tx.stage) continue;
    const next = tx.status === "PENDING" ? converged(tx) : null;
    if (next && seen.status === next.status && seen.stage === next.stage) {
      adopted.push([tx, next]);
      continue;
    }
    fail(`${tx.tx_ref} (${tx.type})`, {
      actual: [seen.status, seen.stage],
      expected: [tx.status, tx.stage],
      provider: tx.charges ?? tx.transfer ?? tx.vt,
    });
  }
  const expected = balancesWith(user, adopted);
  same(
    `${user.user_id}: wallet`,
    [wallet.balance_minor, wallet.held_minor, wallet.available_minor, wallet.is_active],
    [expected.balance_minor, expected.held_minor, expected.available_minor, active],
  );
  if (expected.available_minor < 0) fail("model", "available below zero");
  // over_tier_cap: which credit crosses the cap depends on delivery order (./commands-kyc.ts).
  const recorded = withoutOverCap(user, await readAnomalies(fee, user));
  // The alarm's lookup may also have recorded an anomaly without moving the stage (another payment owed back).
  const quiet = user.txs.flatMap((tx): [ModelTx, Next][] => {
    const next = tx.status === "PENDING" && !adopted.some(([t]) => t === tx) ? converged(tx) : null;
    const lines = next ? anomaliesOf(next).map((a) => anomalyLine(tx.tx_ref, a.kind, a.ref)) : [];
    return next &&
      lines.length > 0 &&
      next.status === tx.status &&
      next.stage === tx.stage &&
      lines.every((l) => recorded.includes(l))
      ? [[tx, next]]
      : [];
  });
  const lines = (list: [ModelTx, Next][]) =>
    list.flatMap(([tx, next]) =>
      next ? anomaliesOf(next).map((a) => anomalyLine(tx.tx_ref, a.kind, a.ref)) : [],
    );
  same(
    `${user.user_id}: anomalies`,
    recorded,
    [...expectedAnomalies(user), ...lines(adopted), ...lines(quiet)].sort(),
  );
  for (const [tx, next] of adopted) {
    apply(tx, next);
    countOutcome("settled by the wallet's own alarm");
  }
  for (const [tx, next] of quiet) {
    apply(tx, next);
    countOutcome("anomaly recorded by the wallet's own alarm");
  }
}

/** The wallet's anomalies as operators see them, as `tx_ref kind ref` lines, sorted. */
async function readAnomalies(fee: string, user: ModelUser): Promise<string[]> {
  counts.requests += 1;
  const audit = await jsonAnswer<WireAudit>(
    await call(fee, `/admin/wallets/${user.user_id}/audit`, { headers: ADMIN }),
    200,
    "GET /admin/wallets/{user_id}/audit",
  );
  if (!audit.ok) fail(`${user.user_id}: audit`, "balance and journal disagree");
  return audit.anomalies.map((a) => anomalyLine(a.tx_ref, a.kind, a.ref)).sort();
}

/** The balances if the adopted transactions had moved (without moving them yet). */
function balancesWith(user: ModelUser, adopted: [ModelTx, Next][]) {
  const txs = user.txs.map((tx) => {
    const hit = adopted.find(([t]) => t === tx);
    return hit && hit[1] ? { ...tx, status: hit[1].status, stage: hit[1].stage } : tx;
  });
  return balances({ ...user, txs });
}

// ---- What the consumer does with one queued message ------------------------------------------

/** Every charge the sequence made, by the look-alike's id (a forged event may name any). */
export type Charges = Map<number, Charge>;

function parse(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/**
 * Apply one delivered message to the model, as the consumer must: verify with
 * the provider, then settle at most once. Returns what it should have done.
 */
export function deliverToModel(model: Model, charges: Charges, message: any): string {
  if (message?.kind === "flutterwave.webhook") {
    const event = parse(message.raw_body);
    const data = event?.data;
    if (event?.event === "charge.completed") {
      const found = findTx(model, String(data?.tx_ref));
      if (!found || found.tx.type !== "FUND") return "ignored: not our funding";
      const charge = charges.get(Number(data?.id));
      if (!charge) return "ignored: no such charge";
      if (charge.tx_ref !== found.tx.tx_ref) return "ignored: another funding's charge";
      return applied("funding", found.tx, fundingAfterCharge(found.tx, charge));
    }
    if (event?.event === "transfer.completed") {
      const found = findTx(model, String(data?.reference));
      if (!found || found.tx.type !== "WITHDRAW") return "ignored: not our withdrawal";
      if (found.tx.transfer_id !== Number(data?.id)) return "ignored: no such transfer";
      return applied("withdrawal", found.tx, converged(found.tx));
    }
    return "ignored: other event";
  }
  if (message?.kind === "vtpass.callback") {
    for (const user of model.users) {
      const tx = user.txs.find(
        (t) => t.request_id && String(message.raw_body).includes(t.request_id),
      );
      if (!tx) continue;
      return applied("purchase", tx, converged(tx));
    }
    return "ignored: not our purchase";
  }
  return "ignored: other message";
}

/** Apply one verified answer; the outcome names the stage entered, else the anomaly recorded (no colon: a burst counts the part before one). */
function applied(what: string, tx: ModelTx, next: Next): string {
  const before = { status: tx.status, stage: tx.stage };
  if (!apply(tx, next)) return "duplicate: no change";
  return `${what} ${effectOf(before, next!)}`;
}
