/**
 * The Wallet's RPC surface for what runs from a user's saved instructions and
 * documents: statements (./statement.ts), bulk top-ups (./bulk.ts), saved
 * recipients and scheduled top-ups (./beneficiaries.ts, ./schedules.ts). Thin
 * delegations, like ./object.ts's; a class of its own in the chain so that
 * file stays readable (Workers RPC exposes every class's methods in the chain).
 */
import { requireConfig } from "../../lib/config";
import { markWatched } from "./readers";
import { WalletKyc } from "./kyc-surface";
import { BULK_WATCH_LINES_MAX } from "./limits";
import { readStatement, type StatementOutcome, type StatementQuery } from "./statement";
import {
  batchLines,
  batchView,
  lineToRun,
  reportLine,
  startBatch,
  type BatchView,
  type BulkLineView,
  type LineReport,
  type LineToRun,
  type StartBatchInput,
  type StartBatchOutcome,
} from "./bulk";
import type { Beneficiary } from "../../domain/beneficiaries";
import * as beneficiaries from "./beneficiaries";
import type {
  BeneficiaryPatch,
  DeleteBeneficiaryOutcome,
  SaveBeneficiaryOutcome,
  UpdateBeneficiaryOutcome,
} from "./beneficiaries";
import * as schedules from "./schedules";
import * as scheduleRuns from "./schedule-alarm";
import type {
  RunOutcome,
  Schedule,
  ScheduleInput,
  SchedulePatch,
  ScheduleWriteOutcome,
} from "./schedules";

export abstract class WalletRuns extends WalletKyc {
  // ==== Statements =========================================================
  /** The journal over [start_ms, end_ms): opening balance, entries, closing balance (./statement.ts). */
  async statement(query: StatementQuery): Promise<StatementOutcome> {
    return readStatement(this.ctx.storage.sql, query);
  }

  // ==== Bulk =====================================================================

  /** Store a priced batch when the balance covers it (./bulk.ts); the alarm then drains it. */
  async startBatch(input: StartBatchInput): Promise<StartBatchOutcome> {
    const result = startBatch(this.core, input, Date.now());
    if (result.outcome === "started") await this.afterChange();
    return result;
  }

  async batch(batch_id: string): Promise<BatchView | null> {
    return batchView(this.core, batch_id);
  }

  /**
   * A batch Room's watcher joins: the batch as it is now with its first lines,
   * and from now on its changes are published to the Room named by its id
   * (readers.ts), as `watch` does for a transaction. Only this wallet's
   * batches exist here, which is how the Room knows the watcher owns it.
   */
  async watchBatch(
    batch_id: string,
  ): Promise<{ view: BatchView; lines: BulkLineView[]; has_more: boolean } | null> {
    const view = batchView(this.core, batch_id);
    if (!view) return null;
    markWatched(this.ctx.storage, batch_id);
    const lines = batchLines(this.core, batch_id, -1, BULK_WATCH_LINES_MAX + 1);
    return {
      view,
      lines: lines.slice(0, BULK_WATCH_LINES_MAX),
      has_more: lines.length > BULK_WATCH_LINES_MAX,
    };
  }

  async batchLines(batch_id: string, after_line: number, limit: number): Promise<BulkLineView[]> {
    return batchLines(this.core, batch_id, after_line, limit);
  }

  async bulkLineToRun(batch_id: string, line: number): Promise<LineToRun | null> {
    return lineToRun(this.core, batch_id, line);
  }

  async reportBulkLine(
    batch_id: string,
    line: number,
    report: LineReport,
  ): Promise<"recorded" | "already" | "unknown"> {
    const result = reportLine(this.core, batch_id, line, report, Date.now());
    if (result === "recorded") await this.afterChange();
    return result;
  }

  // ==== Beneficiaries and schedules (./beneficiaries.ts, ./schedules.ts) =========

  async listBeneficiaries(): Promise<Beneficiary[]> {
    return beneficiaries.listBeneficiaries(this.core);
  }

  async getBeneficiary(id: string): Promise<Beneficiary | null> {
    return beneficiaries.getBeneficiary(this.core, id);
  }

  async saveBeneficiary(
    input: Omit<Parameters<typeof beneficiaries.saveBeneficiary>[1], "max">,
  ): Promise<SaveBeneficiaryOutcome> {
    const max = requireConfig(this.env).BENEFICIARIES_MAX;
    const result = beneficiaries.saveBeneficiary(this.core, { ...input, max }, Date.now());
    if (result.outcome === "saved") await this.afterChange();
    return result;
  }

  async updateBeneficiary(id: string, patch: BeneficiaryPatch): Promise<UpdateBeneficiaryOutcome> {
    const result = beneficiaries.updateBeneficiary(this.core, id, patch, Date.now());
    if (result.outcome === "updated") await this.afterChange();
    return result;
  }

  async deleteBeneficiary(id: string): Promise<DeleteBeneficiaryOutcome> {
    const result = beneficiaries.deleteBeneficiary(this.core, id, Date.now());
    if (result.outcome === "deleted") await this.afterChange();
    return result;
  }

  async suggestedRecipients(): Promise<ReturnType<typeof beneficiaries.suggestedTargets>> {
    return beneficiaries.suggestedTargets(this.core);
  }

  async listSchedules(): Promise<Schedule[]> {
    return schedules.listSchedules(this.core);
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    return schedules.getSchedule(this.core, id);
  }

  async createSchedule(input: ScheduleInput): Promise<ScheduleWriteOutcome> {
    const result = schedules.createSchedule(this.core, input, Date.now());
    if (result.outcome === "saved") await this.afterChange();
    return result;
  }

  async updateSchedule(id: string, patch: SchedulePatch): Promise<ScheduleWriteOutcome> {
    const result = schedules.updateSchedule(this.core, id, patch, Date.now());
    if (result.outcome === "saved") await this.afterChange();
    return result;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const deleted = schedules.deleteSchedule(this.core, id, Date.now());
    if (deleted) await this.afterChange();
    return deleted;
  }

  /** The queue consumer's read of a due run (src/services/schedule-runs.ts); null once it has its outcome. */
  async scheduleRunToPlace(
    schedule_id: string,
    period: string,
  ): Promise<ReturnType<typeof scheduleRuns.runToPlace>> {
    return scheduleRuns.runToPlace(this.core, schedule_id, period);
  }

  /** The consumer's report of a run; recorded once. */
  async recordScheduleRun(
    schedule_id: string,
    period: string,
    outcome: RunOutcome,
  ): Promise<"recorded" | "already"> {
    const skips_max = requireConfig(this.env).SCHEDULE_SKIPS_MAX;
    const result = scheduleRuns.recordRunOutcome(
      this.core,
      schedule_id,
      period,
      outcome,
      skips_max,
      Date.now(),
    );
    if (result === "recorded") await this.afterChange();
    return result;
  }
}
