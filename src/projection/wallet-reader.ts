/**
 * The Wallet's side of the MongoDB projection: the feed reader that sends
 * changes to the projector, and the report of this wallet's lag to the
 * Operations object, which readiness reads.
 *
 * Reader: a batch of feed changes (at most FEED_BATCH_MAX, below
 * MONGO_BATCH_MAX) goes to the wallet's lane in one `project()` call. The
 * position advances only when the projector answered ok, which it does only
 * after MongoDB acknowledged every write with majority write concern
 * (projection/mongo-writes.ts, applyChanges). A change MongoDB refused for
 * good (a unique email held by another user's document) is logged by the
 * projector and passed over: no retry could change the answer, and it must not
 * hold up every later change of the wallet; the checker shows it. An outage
 * (`ok: false`) is reported as an error with the projector's retry_after_ms,
 * so the feed backs off and keeps the changes.
 *
 * Lag report (why per wallet, and bounded): the backlog lives in each wallet's
 * own storage, and readiness must never scan wallets. So a wallet tells the
 * Operations object when its projection state changes (a first failed
 * delivery: behind; caught up: clear), and refreshes its numbers only from its
 * alarm while behind, which the feed's backoff already spaces out. Readiness
 * then reads one aggregate row from Operations. What it shows is as fresh as
 * the last retry of each lagging wallet; the age of the oldest change is
 * exact (computed from the stored time).
 */
import type { Config } from "../lib/config";
import { MONGO_BACKLOG_WARN_CHANGES, PROJECTION_LANES } from "./limits";
import { log } from "../lib/log";
import { mongoProjector } from "./object";
import { OPERATIONS_OBJECT } from "../durable/operations/object";
import { laneOf, projectionChangeOf } from "./documents";
import type { Change, ChangeFeed, Delivery, FeedReader } from "../durable/wallet/feed";

export const PROJECTION_READER = "projection";

/**
 * What MongoDB holds documents for: profiles, wallets and transactions
 * (anomalies, audit entries and proposals are the operator index's; saved
 * recipients, schedules and bulk batches are the wallet's own, read through its API).
 */
export type ProjectedChange = Exclude<
  Change,
  { entity: "anomaly" | "audit" | "proposal" | "beneficiary" | "schedule" | "batch" }
>;

const NOT_PROJECTED: ReadonlySet<string> = new Set([
  "anomaly",
  "audit",
  "proposal",
  "beneficiary",
  "schedule",
  "batch",
]);

/** A bulk batch is not projected: its lines reach MongoDB as the transactions they opened. */
export function isProjected(change: Change): change is ProjectedChange {
  return !NOT_PROJECTED.has(change.entity);
}

/** The wallet a change belongs to (every change of one feed has the same owner). */
function ownerOf(change: ProjectedChange): string {
  return change.entity === "transaction" ? change.body.owner_user_id : change.entity_key;
}

export function projectionReader(env: Env, config: Config): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    const through_seq = changes[changes.length - 1].seq;
    const projected = changes.filter(isProjected);
    if (projected.length === 0) return { through_seq };
    const stub = mongoProjector(env, config, laneOf(ownerOf(projected[0]), PROJECTION_LANES));
    if (!stub) throw new Error("projection reader registered without MongoDB settings");
    const result = await stub.project(projected.map(projectionChangeOf));
    if (!result.ok) {
      return {
        through_seq: 0,
        error: { name: "ProjectionUnavailable", reason: result.reason },
        retry_after_ms: result.retry_after_ms,
      };
    }
    return { through_seq };
  };
}

/** The storage key under which a wallet remembers that Operations lists it as behind. */
const REPORTED_KEY = "projection_reported_behind";

/**
 * Tell Operations about this wallet's projection state when it changed, or
 * (from the alarm) refresh it while behind. Never throws: a report that fails
 * is tried again at the next drain, since the remembered state did not change.
 */
export async function reportProjectionLag(
  storage: DurableObjectStorage,
  env: Env,
  feed: ChangeFeed,
  user_id: string,
  from_alarm: boolean,
): Promise<void> {
  const state = feed.state(PROJECTION_READER);
  const behind = state.failures > 0;
  const reported = (await storage.get<boolean>(REPORTED_KEY)) === true;
  if (!behind && !reported) return;
  if (behind && reported && !from_alarm) return;
  const operations = env.OPERATIONS.getByName(OPERATIONS_OBJECT);
  try {
    if (behind) {
      if (state.backlog >= MONGO_BACKLOG_WARN_CHANGES)
        log.warn("projection backlog above warning level", { user_id, backlog: state.backlog });
      await operations.reportProjectionLag({
        user_id,
        backlog: state.backlog,
        oldest_at_ms: state.oldest_at_ms ?? Date.now(),
        failures: state.failures,
      });
      if (!reported) await storage.put(REPORTED_KEY, true);
    } else {
      await operations.clearProjectionLag(user_id);
      await storage.delete(REPORTED_KEY);
    }
  } catch (error) {
    log.warn("projection lag report failed; will try again", { user_id, error });
  }
}
