/**
 * The projection's consistency checker: one wallet's ledger view against the
 * documents MongoDB holds for it, read back through the projector (majority
 * read concern). Used by the admin route and by the tests.
 *
 * The expected documents are derived by the same mapping the feed's reader
 * uses (projection/documents.ts), so a difference means a change
 * that did not arrive (missing, older version) or a document changed by
 * someone else (same version, other fields); it cannot catch a mapping bug,
 * which the contract and projection tests cover. Differences name the
 * collection, key and fields, never values (they can be personal data).
 *
 * A check is a moment: a change committed between reading the ledger and
 * reading MongoDB shows as a difference until it is projected. Run it again.
 * Bounded: PROJECTION_CHECK_TRANSACTIONS_MAX transactions, read in pages of
 * MONGO_BATCH_MAX; at most PROJECTION_CHECK_DIFFERENCES_MAX listed.
 */
import { formatMinor } from "../domain/money";
import { mongoProjector, type ProjectorFailure } from "./object";
import type { ProjectionChange, ProjectionCollection } from "./mongo-writes";
import { laneOf, transactionChange, userChange, walletChange } from "./documents";
import type { Config } from "../lib/config";
import {
  MONGO_BATCH_MAX,
  PROJECTION_CHECK_DIFFERENCES_MAX,
  PROJECTION_CHECK_TRANSACTIONS_MAX,
  PROJECTION_LANES,
} from "./limits";

export type Difference =
  | { collection: ProjectionCollection; key: string; problem: "missing"; ledger_version: number }
  | {
      collection: ProjectionCollection;
      key: string;
      problem: "version";
      ledger_version: number;
      projected_version: number | null;
    }
  | {
      collection: ProjectionCollection;
      key: string;
      problem: "fields";
      version: number;
      fields: string[];
    };

export type CheckReport = {
  user_id: string;
  consistent: boolean;
  checked: Record<ProjectionCollection, number>;
  differences: Difference[];
  /** Differences past PROJECTION_CHECK_DIFFERENCES_MAX, counted only. */
  more_differences: number;
  /** True when the wallet has more than PROJECTION_CHECK_TRANSACTIONS_MAX transactions and the rest were not compared. */
  stopped_short: boolean;
};

export type CheckResult =
  | { ok: true; report: CheckReport }
  | { ok: false; reason: "off" | "not_found" }
  | ProjectorFailure;

/** The differences between what the ledger says and the document MongoDB holds (or its absence). */
export function compare(
  expected: ProjectionChange,
  doc: Record<string, unknown> | undefined,
): Difference | null {
  const { collection, key, version } = expected;
  if (!doc) return { collection, key, problem: "missing", ledger_version: version };
  const projected_version = typeof doc.version === "number" ? doc.version : null;
  if (projected_version !== version)
    return { collection, key, problem: "version", ledger_version: version, projected_version };
  const fields = Object.entries({ ...expected.doc, ...derivedOf(expected) })
    .filter(([field, value]) => doc[field] !== value)
    .map(([field]) => field);
  return fields.length > 0 ? { collection, key, problem: "fields", version, fields } : null;
}

/** The decimal fields the projector derives (projection/mongo-writes.ts), checked too. */
function derivedOf(expected: ProjectionChange): Record<string, string> {
  const minor = (field: string) => formatMinor(Number(expected.doc[field]));
  if (expected.collection === "wallets") return { balance: minor("balance_minor") };
  if (expected.collection === "transactions")
    return { reference: expected.key, amount: minor("amount_minor"), fee: minor("fee_minor") };
  return {};
}

export async function checkProjection(
  env: Env,
  config: Config,
  user_id: string,
): Promise<CheckResult> {
  const projector = mongoProjector(env, config, laneOf(user_id, PROJECTION_LANES));
  if (!projector) return { ok: false, reason: "off" };
  const wallet = env.WALLET.getByName(user_id);
  const report: CheckReport = {
    user_id,
    consistent: true,
    checked: { users: 0, wallets: 0, transactions: 0 },
    differences: [],
    more_differences: 0,
    stopped_short: false,
  };
  const note = (difference: Difference | null) => {
    if (!difference) return;
    report.consistent = false;
    if (report.differences.length < PROJECTION_CHECK_DIFFERENCES_MAX)
      report.differences.push(difference);
    else report.more_differences += 1;
  };

  /** Compare one collection's share of expected documents (at most MONGO_BATCH_MAX). */
  const compareAll = async (
    collection: ProjectionCollection,
    expected: ProjectionChange[],
  ): Promise<ProjectorFailure | null> => {
    if (expected.length === 0) return null;
    const read = await projector.documents(
      collection,
      expected.map((e) => e.key),
    );
    if (!read.ok) return read;
    const by_key = new Map(
      read.documents.map((d) => [
        String(
          (d as Record<string, unknown>)[collection === "transactions" ? "tx_ref" : "user_id"],
        ),
        d as Record<string, unknown>,
      ]),
    );
    for (const e of expected) note(compare(e, by_key.get(e.key)));
    report.checked[collection] += expected.length;
    return null;
  };

  let after = "";
  for (let first = true; ; first = false) {
    const view = await wallet.projectionView(after, MONGO_BATCH_MAX);
    if (first) {
      if (!view.profile || !view.wallet) return { ok: false, reason: "not_found" };
      const failed =
        (await compareAll("users", [userChange(view.profile)])) ??
        (await compareAll("wallets", [walletChange(view.wallet)]));
      if (failed) return failed;
    }
    const failed = await compareAll("transactions", view.transactions.map(transactionChange));
    if (failed) return failed;
    if (!view.has_more || view.transactions.length === 0) break;
    if (report.checked.transactions >= PROJECTION_CHECK_TRANSACTIONS_MAX) {
      report.stopped_short = true;
      break;
    }
    after = view.transactions[view.transactions.length - 1].tx_ref;
  }
  return { ok: true, report };
}
