/**
 * Operations: one Durable Object for what operators must see across all
 * wallets, kept small and bounded. Today it records provider problems that
 * are ours to fix, not a user's (VTpass's float running low, credentials
 * refused), so readiness can say so and operators hear of it at once.
 *
 * Invariants
 * - One row per (provider, kind): the first and last time it was seen and how
 *   often; a repeat updates the row, so the table is bounded by the kinds.
 * - Every report is one storage transaction.
 */
import { DurableObject } from "cloudflare:workers";
import { PROVIDER_PROBLEM_RECENT_MS } from "../lib/limits";
import { log } from "../lib/log";
import { migrate, type Migration } from "../lib/sqlite";

/** The one instance. */
export const OPERATIONS_OBJECT = "global";

export type ProviderProblem = { provider: string; kind: string; detail: string; first_at_ms: number; last_at_ms: number; count: number };

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE provider_problems (
         provider TEXT NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL,
         first_at_ms INTEGER NOT NULL,
         last_at_ms INTEGER NOT NULL,
         count INTEGER NOT NULL CHECK (count > 0),
         PRIMARY KEY (provider, kind)
       ) WITHOUT ROWID`,
    ],
  },
];

export class Operations extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  async reportProviderProblem(input: { provider: string; kind: string; detail: string }): Promise<void> {
    const now_ms = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        `INSERT INTO provider_problems (provider, kind, detail, first_at_ms, last_at_ms, count) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (provider, kind) DO UPDATE SET detail = excluded.detail, last_at_ms = excluded.last_at_ms, count = count + 1`,
        input.provider,
        input.kind,
        input.detail,
        now_ms,
        now_ms,
      );
    });
    log.error("provider problem reported", input);
  }

  /** Problems seen within PROVIDER_PROBLEM_RECENT_MS (readiness shows these as degraded). */
  async recentProviderProblems(): Promise<ProviderProblem[]> {
    return this.ctx.storage.sql
      .exec<ProviderProblem>("SELECT * FROM provider_problems WHERE last_at_ms >= ? ORDER BY last_at_ms DESC", Date.now() - PROVIDER_PROBLEM_RECENT_MS)
      .toArray();
  }
}
