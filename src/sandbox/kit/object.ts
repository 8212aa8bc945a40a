/**
 * SandboxObject: the Durable Object base of every provider look-alike. It
 * holds what all of them share (the kit): armed faults, a record of webhook
 * deliveries and a count of the requests served, each behind typed RPC. A
 * vendor's object (flutterwave/object.ts, vtpass/object.ts) extends it with
 * its own model and runs its own migrations, which create the kit's tables
 * (kit/schema.ts).
 *
 * Invariants
 * - A fault use is consumed atomically with the request it answers, so
 *   parallel requests never share one use; every request served is counted in
 *   the same storage transaction.
 * - Bounded: at most FAULTS_MAX armed faults, DELIVERIES_KEPT_MAX delivery
 *   records and REQUESTS_KEPT_MAX request records (pruned on insert).
 */
import { DurableObject } from "cloudflare:workers";
import { migrate, one, type Migration } from "../../lib/sqlite";
import {
  DELIVERIES_KEPT_MAX,
  DELIVERIES_LIST_MAX,
  DELIVERY_BODY_MAX_CHARS,
  FAULTS_MAX,
  REQUEST_HAYSTACK_MAX_CHARS,
  REQUESTS_KEPT_MAX,
  REQUESTS_LIST_MAX,
} from "./limits";

export type FaultInput = { operation: string; match: string; mode: string; times: number };
export type ArmedFault = {
  id: number;
  operation: string;
  match: string;
  mode: string;
  remaining: number;
};

/** A webhook delivery attempt as recorded. The credential itself is never stored, only which kind was sent. */
export type DeliveryOutcome = {
  event: string;
  /** The reference the event is about (a tx_ref, a transfer reference, a request id). */
  ref: string;
  url: string;
  status_code: number | null;
  error: string | null;
  verif_hash: "configured" | "absent" | "custom";
  body: string;
  at_ms: number;
};
export type DeliveryRecord = DeliveryOutcome & { id: number };

export type RequestCount = {
  count: number;
  recent: { operation: string; fault: string | null; at_ms: number }[];
};

export abstract class SandboxObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env, migrations: readonly Migration[]) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, migrations);
    });
  }

  protected get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  // ---- Faults ------------------------------------------------------------------------

  async armFault(input: FaultInput): Promise<ArmedFault | null> {
    return this.ctx.storage.transactionSync(() => {
      const count = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM faults"))?.n ?? 0;
      if (count >= FAULTS_MAX) return null;
      const row = one(
        this.sql.exec<{ id: number }>(
          "INSERT INTO faults (operation, match, mode, remaining, created_at_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
          input.operation,
          input.match,
          input.mode,
          input.times,
          Date.now(),
        ),
      )!;
      return {
        id: row.id,
        operation: input.operation,
        match: input.match,
        mode: input.mode,
        remaining: input.times,
      };
    });
  }

  /**
   * Count one request to `operation` and consume one use of the oldest fault
   * armed for it whose `match` occurs in the request (path, query and raw
   * body); null when none is armed. One storage transaction.
   */
  async takeFault(operation: string, haystack: string): Promise<string | null> {
    return this.ctx.storage.transactionSync(() => {
      const fault = one(
        this.sql.exec<{ id: number; mode: string; remaining: number }>(
          "SELECT id, mode, remaining FROM faults WHERE operation = ? AND (match = '' OR instr(?, match) > 0) ORDER BY id LIMIT 1",
          operation,
          haystack,
        ),
      );
      if (fault) {
        if (fault.remaining <= 1) this.sql.exec("DELETE FROM faults WHERE id = ?", fault.id);
        else this.sql.exec("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", fault.id);
      }
      this.sql.exec(
        "INSERT INTO requests (operation, haystack, fault, at_ms) VALUES (?, ?, ?, ?)",
        operation,
        haystack.slice(0, REQUEST_HAYSTACK_MAX_CHARS),
        fault?.mode ?? null,
        Date.now(),
      );
      this.sql.exec(
        "DELETE FROM requests WHERE id <= (SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?)",
        REQUESTS_KEPT_MAX,
      );
      return fault?.mode ?? null;
    });
  }

  async faults(): Promise<ArmedFault[]> {
    return this.sql
      .exec<ArmedFault>(
        "SELECT id, operation, match, mode, remaining FROM faults ORDER BY id LIMIT ?",
        FAULTS_MAX,
      )
      .toArray();
  }

  /** Clear the faults armed with exactly this `match`, or all of them when it is null. */
  async clearFaults(match: string | null): Promise<number> {
    return this.ctx.storage.transactionSync(() =>
      match === null
        ? this.sql.exec("DELETE FROM faults").rowsWritten
        : this.sql.exec("DELETE FROM faults WHERE match = ?", match).rowsWritten,
    );
  }

  // ---- Requests ------------------------------------------------------------------------

  /** How many requests to `operation` (any, when empty) contained `match` (anything, when empty), with the latest few. */
  async requests(operation: string, match: string): Promise<RequestCount> {
    const where = "WHERE (? = '' OR operation = ?) AND (? = '' OR instr(haystack, ?) > 0)";
    const params = [operation, operation, match, match];
    const count =
      one(this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM requests ${where}`, ...params))
        ?.n ?? 0;
    const recent = this.sql
      .exec<{ operation: string; fault: string | null; at_ms: number }>(
        `SELECT operation, fault, at_ms FROM requests ${where} ORDER BY id DESC LIMIT ?`,
        ...params,
        REQUESTS_LIST_MAX,
      )
      .toArray();
    return { count, recent };
  }

  // ---- Webhook deliveries --------------------------------------------------------------

  async recordDelivery(outcome: DeliveryOutcome): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO deliveries (event, ref, url, status_code, error, verif_hash, body, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        outcome.event,
        outcome.ref,
        outcome.url,
        outcome.status_code,
        outcome.error,
        outcome.verif_hash,
        outcome.body.slice(0, DELIVERY_BODY_MAX_CHARS),
        outcome.at_ms,
      );
      this.sql.exec(
        "DELETE FROM deliveries WHERE id <= (SELECT id FROM deliveries ORDER BY id DESC LIMIT 1 OFFSET ?)",
        DELIVERIES_KEPT_MAX,
      );
    });
  }

  /** Newest first; `match` is a substring of the reference or of the body. */
  async deliveries(match: string): Promise<DeliveryRecord[]> {
    return this.sql
      .exec<DeliveryRecord>(
        "SELECT * FROM deliveries WHERE ? = '' OR instr(ref, ?) > 0 OR instr(body, ?) > 0 ORDER BY id DESC LIMIT ?",
        match,
        match,
        match,
        DELIVERIES_LIST_MAX,
      )
      .toArray();
  }
}
