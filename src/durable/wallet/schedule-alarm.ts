/**
 * The alarm's call for scheduled top-ups: record what is due (./schedules.ts)
 * in one storage transaction, then queue one `schedule.run` message per run
 * waiting for its outcome (src/queue/messages.ts ScheduleRunMessage). A send
 * that fails is only logged: the run keeps its `resend_at_ms`, the alarm is
 * armed for it, and the next alarm sends it again; a message that arrives
 * twice buys once (the run's Idempotency-Key, and the run's outcome is
 * recorded once).
 */
import { newRequestId } from "../../lib/ids";
import { log } from "../../lib/log";
import type { WalletCore } from "./core";
import { recordDueRuns } from "./schedules";

export async function sendDueRuns(core: WalletCore, env: Env, now_ms: number): Promise<void> {
  const user_id = core.ledger.profile()?.user_id;
  if (!user_id) return;
  const runs = recordDueRuns(core, now_ms);
  if (runs.length === 0) return;
  try {
    await env.WALLET_EVENTS.sendBatch(
      runs.map((run) => ({
        body: {
          v: 1,
          kind: "schedule.run",
          request_id: newRequestId(),
          user_id,
          schedule_id: run.schedule_id,
          period: run.period,
        },
      })),
    );
  } catch (error) {
    log.error("scheduled runs not queued; the alarm sends them again", {
      user_id,
      runs: runs.length,
      error,
    });
  }
}
