/**
 * The change feed's rows: what a change is (one entity's new version), how it
 * is appended in the writing transaction, and what a reader answers. The feed
 * that delivers them to readers is ./feed.ts.
 */
import type { AuditEntry, Proposal } from "../../domain/acts";
import type { Beneficiary } from "../../domain/beneficiaries";
import type {
  AnomalyRecord,
  ProfileVersion,
  TransactionChange,
  WalletVersion,
} from "../../domain/records";
import type { BatchChange } from "../../domain/bulk";
import type { Schedule } from "../../domain/schedules";

type ChangeOf<E extends string, B> = {
  seq: number;
  entity: E;
  entity_key: string;
  version: number;
  body: B;
  created_at_ms: number;
};

/** One entry of the feed: an entity's key, its new version, and the whole new value. */
export type Change =
  | ChangeOf<"transaction", TransactionChange>
  | ChangeOf<"wallet", WalletVersion>
  | ChangeOf<"profile", ProfileVersion>
  | ChangeOf<"anomaly", AnomalyRecord>
  /** An operator's act (./audit.ts), keyed by its id, at version 1: entries never change. */
  | ChangeOf<"audit", AuditEntry>
  /** Each version of an operator's proposal (./proposals.ts), keyed by its id. */
  | ChangeOf<"proposal", Proposal & { owner_user_id: string }>
  /** Each version of a bulk top-up (./bulk.ts), keyed by its batch_id: counts and the lines that changed. */
  | ChangeOf<"batch", BatchChange>
  /** Each version of a saved recipient (./beneficiaries.ts); `deleted` on the version that removed it. */
  | ChangeOf<"beneficiary", Beneficiary & { owner_user_id: string; deleted: boolean }>
  /**
   * Each version of a scheduled top-up (./schedules.ts); `skipped` on the
   * version that recorded a run that could not go (the operator index hears
   * it as an anomaly), `deleted` on the version that removed it.
   */
  | ChangeOf<
      "schedule",
      Schedule & {
        owner_user_id: string;
        skipped?: { period: string; code: string; reason: string };
        deleted?: boolean;
      }
    >;
export type ChangeEntity = Change["entity"];

/** How far a delivery got: every change up to `through_seq` is acknowledged; `error` stops the batch there. */
export type Delivery = { through_seq: number; error?: unknown; retry_after_ms?: number };

export type FeedReader = (changes: Change[]) => Promise<Delivery>;

/**
 * Bumped by every append, in any Wallet of this isolate: a page of the feed
 * read when it had this value is still the whole truth after that position
 * while it has not moved (a rolled-back append only bumps it needlessly).
 */
let appends = 0;

/** Changes appended in this isolate so far: the feed's page memo is valid only while this is unchanged. */
export function appendCount(): number {
  return appends;
}

/** Append one change. Call only inside the storage transaction that made it. */
export function appendChange<C extends Change>(
  sql: SqlStorage,
  entity: C["entity"],
  entity_key: string,
  version: number,
  body: C["body"],
  now_ms: number,
): void {
  appends += 1;
  sql.exec(
    "INSERT INTO changes (entity, entity_key, version, body, created_at_ms) VALUES (?, ?, ?, ?, ?)",
    entity,
    entity_key,
    version,
    JSON.stringify(body),
    now_ms,
  );
}

/**
 * Put an entity's current version at the tail of the feed again (a
 * reprojection): the entry with the same entity, key and version, if the feed
 * still holds it, is replaced, since the feed keeps one entry per version.
 * Readers that have that version drop it again by version. Call only inside a
 * storage transaction.
 */
export function requeueChange<C extends Change>(
  sql: SqlStorage,
  entity: C["entity"],
  entity_key: string,
  version: number,
  body: C["body"],
  now_ms: number,
): void {
  sql.exec(
    "DELETE FROM changes WHERE entity = ? AND entity_key = ? AND version = ?",
    entity,
    entity_key,
    version,
  );
  appendChange<C>(sql, entity, entity_key, version, body, now_ms);
}

export type ChangeRow = {
  seq: number;
  entity: ChangeEntity;
  entity_key: string;
  version: number;
  body: string;
  created_at_ms: number;
};

export function toChange(row: ChangeRow): Change {
  return { ...row, body: JSON.parse(row.body) } as Change;
}
