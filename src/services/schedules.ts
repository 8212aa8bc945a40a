/**
 * Scheduled top-ups (issue 23), the routes' side: the Wallet's outcomes as
 * problems, and the answer's shape (money as decimal naira beside its kobo,
 * times as ISO 8601). Runs themselves are ./schedule-runs.ts.
 */
import { formatMinor } from "../domain/money";
import type { Schedule, ScheduleWriteOutcome } from "../durable/wallet/object";
import { AppError, errors } from "../lib/errors";
import { beneficiaryNotFound } from "./beneficiaries";

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const scheduleNotFound = () =>
  new AppError({
    status: 404,
    code: "schedule_not_found",
    title: "Not found",
    detail: "No schedule with this id in your wallet.",
  });

export function scheduleView(s: Schedule) {
  const product =
    "amount" in s.product
      ? { ...s.product, amount: formatMinor(s.product.amount), amount_minor: s.product.amount }
      : s.product;
  return {
    id: s.id,
    beneficiary_id: s.beneficiary_id,
    product,
    frequency: s.recurrence.every,
    weekday: s.recurrence.every === "weekly" ? s.recurrence.weekday : null,
    day: s.recurrence.every === "monthly" ? s.recurrence.day : null,
    time: s.time,
    timezone: "Africa/Lagos" as const,
    ends_on: s.ends_on,
    count: s.count,
    runs_done: s.periods_done,
    consecutive_skips: s.consecutive_skips,
    status: s.status,
    paused_reason: s.paused_reason,
    next_run_at: isoOrNull(s.next_run_at_ms),
    last_runs: s.last_runs.map((r) => ({
      period: r.period,
      due_at: iso(r.due_at_ms),
      status: r.status,
      tx_ref: r.tx_ref,
      reason_code: r.reason_code,
      reason: r.reason,
    })),
    created_at: iso(s.created_at_ms),
    updated_at: iso(s.updated_at_ms),
  };
}

/** The Wallet's answer to a create or change, or the problem it means. */
export function savedSchedule(result: ScheduleWriteOutcome): Schedule {
  switch (result.outcome) {
    case "saved":
      return result.schedule;
    case "not_found":
      throw scheduleNotFound();
    case "beneficiary_not_found":
      throw beneficiaryNotFound();
    case "product_mismatch":
      throw errors.unprocessable(
        "beneficiary_kind_mismatch",
        `This saved recipient is a ${result.beneficiary_kind}; it cannot receive this product.`,
      );
    case "never_runs":
      throw errors.unprocessable(
        "schedule_never_runs",
        "With this end date and count, the schedule would never run.",
      );
    case "ended":
      throw errors.conflict("schedule_ended", "This schedule has ended; create a new one.");
    case "too_many":
      throw errors.conflict(
        "too_many_schedules",
        `At most ${result.limit} schedules per wallet; delete one first.`,
      );
    case "no_wallet":
      throw errors.notFound("No wallet for this user.");
  }
}
