/**
 * A Room named by a batch id (bulk top-ups, src/durable/wallet/bulk.ts): its
 * watchers hear the batch's counts and the lines that changed, version by
 * version, as a transaction's Room's watchers hear its status.
 *
 * Who owns it: a batch id does not name its owner (a tx_ref does), so the
 * Room asks the wallet of the user the Worker authenticated
 * (`Wallet.watchBatch`): only the owner's wallet holds the batch, so another
 * user is answered exactly like a batch that does not exist (404). The same
 * call marks the batch watched there and answers its state, which is
 * recorded through the same never-backwards rule as a publish. The owner,
 * once recorded, never changes.
 *
 * State: one value in the object's key-value storage (written only once a
 * wallet has answered, so an invented id stores nothing). The batch is final
 * once no line is queued, in flight or pending; sockets are then closed after
 * ROOM_CLOSE_GRACE_MS, as after a transaction's terminal status.
 */
import { z } from "zod";
import {
  BULK_LINE_STATUSES,
  type BatchChange,
  type BatchView,
  type BulkLineView,
} from "../../domain/bulk";
import { BATCH_ID_PATTERN, USER_ID_PATTERN } from "../../lib/ids";
import { log } from "../../lib/log";
import { BULK_WATCH_LINES_MAX } from "../wallet/limits";
import { ROOM_REFUSAL } from "./connect";
import { PROTOCOL_VERSION } from "./protocol";

export const isBatchRoom = (key: string | undefined): key is string =>
  key !== undefined && BATCH_ID_PATTERN.test(key);

type Stored = { view: BatchView; terminal_at_ms: number | null };
const KEY = "batch";

/** A version from the Wallet is internal data: a bad one is a bug, so it throws. */
const BatchVersion = z.object({
  batch_id: z.string().regex(BATCH_ID_PATTERN),
  owner_user_id: z.string().regex(USER_ID_PATTERN),
  version: z.number().int().nonnegative(),
  counts: z.record(z.enum(BULK_LINE_STATUSES as [string, ...string[]]), z.number().int()),
});

function stored(storage: DurableObjectStorage): Stored | null {
  return (storage.kv.get(KEY) as Stored | undefined) ?? null;
}

/** Nothing left to change for a watcher: no line queued, in flight, or waiting for the provider. */
export function batchFinal(view: BatchView): boolean {
  return view.counts.queued + view.counts.sending + view.counts.pending === 0;
}

/** When the batch was seen final (the start of the sockets' close grace), or null. */
export function batchTerminalAtMs(storage: DurableObjectStorage): number | null {
  return stored(storage)?.terminal_at_ms ?? null;
}

/** Record a version unless it is not newer than the one held. Returns whether it was newer. */
export function recordBatch(
  storage: DurableObjectStorage,
  batch_id: string,
  version: BatchView,
  now_ms: number,
): boolean {
  BatchVersion.parse(version);
  if (version.batch_id !== batch_id) throw new Error(`room ${batch_id} got ${version.batch_id}`);
  const existing = stored(storage);
  if (existing) {
    if (existing.view.owner_user_id !== version.owner_user_id)
      throw new Error("room owner cannot change");
    if (version.version <= existing.view.version) return false;
  }
  const { changed: _lines, ...view } = version as BatchChange;
  const terminal_at_ms = existing?.terminal_at_ms ?? (batchFinal(view) ? now_ms : null);
  storage.transactionSync(() => storage.kv.put(KEY, { view, terminal_at_ms } satisfies Stored));
  return true;
}

// ---- Frames ------------------------------------------------------------------------

export type BatchFrameLine = {
  line: number;
  status: BulkLineView["status"];
  amount_minor: number;
  tx_ref: string | null;
  code: string | null;
  reason: string | null;
};

export type BatchMessage = {
  v: typeof PROTOCOL_VERSION;
  type: "batch";
  batch_id: string;
  status: BatchView["status"];
  final: boolean;
  lines: number;
  total_minor: number;
  counts: BatchView["counts"];
  version: number;
  updated_at: string;
  changed: BatchFrameLine[];
  truncated: boolean;
};

/** The batch's counts and the lines given, at most BULK_WATCH_LINES_MAX (`truncated` past it). */
export function batchMessageOf(view: BatchView, lines: BulkLineView[], more = false): BatchMessage {
  return {
    v: PROTOCOL_VERSION,
    type: "batch",
    batch_id: view.batch_id,
    status: view.status,
    final: batchFinal(view),
    lines: view.lines,
    total_minor: view.total_minor,
    counts: view.counts,
    version: view.version,
    updated_at: new Date(view.updated_at_ms).toISOString(),
    changed: lines.slice(0, BULK_WATCH_LINES_MAX).map((l) => ({
      line: l.line,
      status: l.status,
      amount_minor: l.price_minor,
      tx_ref: l.tx_ref,
      code: l.code,
      reason: l.reason,
    })),
    truncated: more || lines.length > BULK_WATCH_LINES_MAX,
  };
}

/** What a `sync` frame is answered with: the counts held, no lines. */
export function currentBatchFrame(storage: DurableObjectStorage): string | null {
  const held = stored(storage);
  return held ? JSON.stringify(batchMessageOf(held.view, [])) : null;
}

// ---- A watcher joins -------------------------------------------------------------------

export type BatchJoin =
  | { ok: true; frame: string; final: boolean }
  | { ok: false; status: (typeof ROOM_REFUSAL)[keyof typeof ROOM_REFUSAL] };

/** Ask the watcher's own wallet for the batch (see above); its answer is the first frame. */
export async function joinBatch(
  storage: DurableObjectStorage,
  env: Env,
  user_id: string,
  batch_id: string,
  now_ms: number,
): Promise<BatchJoin> {
  const held = stored(storage);
  if (held && held.view.owner_user_id !== user_id) return { ok: false, status: 404 };
  let found: Awaited<ReturnType<ReturnType<Env["WALLET"]["getByName"]>["watchBatch"]>>;
  try {
    found = await env.WALLET.getByName(user_id).watchBatch(batch_id);
  } catch (error) {
    log.warn("room could not ask the wallet for a batch", { batch_id, error });
    return { ok: false, status: ROOM_REFUSAL.unavailable };
  }
  // Not in this user's wallet: another user's batch looks exactly like none.
  if (!found) return { ok: false, status: ROOM_REFUSAL.not_found };
  recordBatch(storage, batch_id, found.view, now_ms);
  // The newest version known (a publish may have come while we asked), with the lines read.
  const view = stored(storage)?.view ?? found.view;
  return {
    ok: true,
    frame: JSON.stringify(batchMessageOf(view, found.lines, found.has_more)),
    final: batchFinal(view),
  };
}
