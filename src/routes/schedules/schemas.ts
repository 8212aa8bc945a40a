/** Request and answer shapes of the scheduled top-ups' routes. */
import { z } from "@hono/zod-openapi";
import {
  AIRTIME_MAX_MINOR,
  AIRTIME_MIN_MINOR,
  ELECTRICITY_MAX_MINOR,
  ELECTRICITY_MIN_MINOR,
  PHONE_INPUT_MAX_CHARS,
  PLAN_CODE_MAX_CHARS,
} from "../../domain/limits";
import { isLagosDay, isTimeOfDay } from "../../domain/schedules";
import { IDENTIFIER_MAX_CHARS } from "../../lib/limits";
import { BeneficiaryIdField } from "../beneficiaries/schemas";
import { amountField } from "../wallet/schemas";

/** Counts beyond this are a schedule "until the end date"; kept a named bound. */
export const SCHEDULE_COUNT_MAX = 1000;

const CustomerPhone = z.string().min(1).max(PHONE_INPUT_MAX_CHARS).openapi({
  description: "The customer's Nigerian mobile number VTpass is given with a bill",
  example: "08031234567",
});

export const ProductField = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("airtime"),
      amount: amountField(AIRTIME_MIN_MINOR, AIRTIME_MAX_MINOR, { whole_naira: true }),
    }),
    z.strictObject({
      kind: z.literal("data"),
      plan: z.string().trim().min(1).max(PLAN_CODE_MAX_CHARS),
    }),
    z.strictObject({
      kind: z.literal("electricity"),
      amount: amountField(ELECTRICITY_MIN_MINOR, ELECTRICITY_MAX_MINOR, { whole_naira: true }),
      phone: CustomerPhone,
    }),
    z.strictObject({ kind: z.literal("tv"), phone: CustomerPhone }).openapi({
      description: "A renewal of the smartcard's current bouquet, at the provider's amount",
    }),
  ])
  .openapi("ScheduleProduct");

const TimeField = z
  .string()
  .refine(isTimeOfDay, "HH:MM, 24-hour")
  .openapi({ description: "Local time in Africa/Lagos (UTC+01:00, no DST)", example: "08:00" });
const EndsOnField = z
  .string()
  .refine(isLagosDay, "a date, YYYY-MM-DD")
  .nullable()
  .openapi({ description: "The last Lagos day a run may fall on", example: "2027-12-31" });
const CountField = z
  .number()
  .int()
  .min(1)
  .max(SCHEDULE_COUNT_MAX)
  .nullable()
  .openapi({ description: "How many periods at most (runs and skipped runs)" });

const Timing = {
  frequency: z.enum(["daily", "weekly", "monthly"]),
  weekday: z
    .number()
    .int()
    .min(1)
    .max(7)
    .optional()
    .openapi({ description: "weekly: 1 Monday ... 7 Sunday" }),
  day: z.number().int().min(1).max(31).optional().openapi({
    description: "monthly: the day of the month; 29-31 run on a shorter month's last day",
  }),
  time: TimeField,
};

export const ScheduleBody = z
  .strictObject({
    beneficiary_id: BeneficiaryIdField,
    product: ProductField,
    ...Timing,
    ends_on: EndsOnField.optional(),
    count: CountField.optional(),
  })
  .openapi("ScheduleRequest");

export const SchedulePatchBody = z
  .strictObject({
    beneficiary_id: BeneficiaryIdField.optional(),
    product: ProductField.optional(),
    frequency: Timing.frequency.optional(),
    weekday: Timing.weekday,
    day: Timing.day,
    time: TimeField.optional(),
    ends_on: EndsOnField.optional(),
    count: CountField.optional(),
    status: z.enum(["active", "paused"]).optional().openapi({
      description: "paused: no run until resumed; active: resume (the skip count starts afresh)",
    }),
  })
  .openapi("ScheduleChange");

export const ScheduleIdParam = z.object({ id: z.string().min(1).max(IDENTIFIER_MAX_CHARS) });

const Run = z.object({
  period: z.string().openapi({ description: "The Lagos day the run is for" }),
  due_at: z.string().nullable(),
  status: z.enum(["due", "submitted", "skipped"]).openapi({
    description:
      "due: being placed; submitted: placed as transaction tx_ref (which says whether it was delivered or FAILED at the provider); skipped: it could not go (reason_code)",
  }),
  tx_ref: z.string().nullable(),
  reason_code: z.string().nullable(),
  reason: z.string().nullable(),
});

export const ScheduleResponse = z
  .object({
    id: z.string(),
    beneficiary_id: z.string(),
    product: z.object({
      kind: z.enum(["airtime", "data", "electricity", "tv"]),
      amount: z.string().optional(),
      amount_minor: z.number().int().optional(),
      plan: z.string().optional(),
      phone: z.string().optional(),
    }),
    frequency: z.enum(["daily", "weekly", "monthly"]),
    weekday: z.number().int().nullable(),
    day: z.number().int().nullable(),
    time: z.string(),
    timezone: z.literal("Africa/Lagos"),
    ends_on: z.string().nullable(),
    count: z.number().int().nullable(),
    runs_done: z.number().int(),
    consecutive_skips: z.number().int(),
    status: z.enum(["active", "paused", "ended"]),
    paused_reason: z.string().nullable().openapi({
      description: "user, or skipped_runs after SCHEDULE_SKIPS_MAX consecutive skipped runs",
    }),
    next_run_at: z.string().nullable(),
    last_runs: z.array(Run),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Schedule");

export const ScheduleList = z
  .object({ schedules: z.array(ScheduleResponse) })
  .openapi("ScheduleList");
