/**
 * Scheduled top-ups' calendar (issue 23): when a schedule runs next, in
 * Africa/Lagos local time (UTC+01:00 all year, no DST: ./tiers.ts), and the
 * name of each run's period, from which its Idempotency-Key is derived so a
 * doubled alarm or a re-sent queue message never buys twice.
 *
 * Pure: the Wallet stores what these functions answer and its alarm fires at
 * it (src/durable/wallet/schedules.ts).
 */
import type { BeneficiaryTarget } from "./beneficiaries";
import type { DiscoId, MeterType, TvProviderId } from "./bills";
import type { Network } from "./phone";
import { DAY_MS, LAGOS_OFFSET_MS, lagosDayKey, lagosDayStartMs } from "./tiers";

/** ISO weekdays: 1 Monday ... 7 Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export type Recurrence =
  | { every: "daily" }
  | { every: "weekly"; weekday: Weekday }
  /** `day` 29-31 runs on the month's last day in shorter months (Feb 28, or 29 in a leap year). */
  | { every: "monthly"; day: number };

export type ScheduleTiming = {
  recurrence: Recurrence;
  /** Local time of day, "HH:MM" (24 h, Lagos). */
  time: string;
  /** The last Lagos day a run may fall on, "YYYY-MM-DD", or null for no end. */
  ends_on: string | null;
  /** How many periods the schedule runs at most (runs and skipped runs alike), or null. */
  count: number | null;
};

/** One run: when it is due and the Lagos day it is for (its period). */
export type Occurrence = { at_ms: number; period: string };

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isTimeOfDay(value: string): boolean {
  return TIME.test(value);
}

export function isLagosDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

function minutesOf(time: string): number {
  const match = TIME.exec(time);
  if (!match) throw new Error(`not a time of day: ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Days in a month (month 0-11) of a year, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The instant of a Lagos calendar day (UTC date parts of local midnight) at `minutes` past local midnight. */
function lagosInstant(year: number, month: number, day: number, minutes: number): number {
  return Date.UTC(year, month, day) - LAGOS_OFFSET_MS + minutes * 60_000;
}

/** The first occurrence of the recurrence strictly after `after_ms` (no end date, no count). */
export function nextOccurrence(recurrence: Recurrence, time: string, after_ms: number): Occurrence {
  const minutes = minutesOf(time);
  const today_start = lagosDayStartMs(after_ms);
  if (recurrence.every === "daily" || recurrence.every === "weekly") {
    // At most 8 local days ahead holds the next daily or weekly run.
    for (let i = 0; i <= 8; i++) {
      const day_start = today_start + i * DAY_MS;
      const at_ms = day_start + minutes * 60_000;
      if (at_ms <= after_ms) continue;
      if (recurrence.every === "weekly") {
        const local = new Date(day_start + LAGOS_OFFSET_MS);
        const iso = ((local.getUTCDay() + 6) % 7) + 1;
        if (iso !== recurrence.weekday) continue;
      }
      return { at_ms, period: lagosDayKey(day_start) };
    }
    throw new Error("no occurrence within 8 days");
  }
  const local = new Date(today_start + LAGOS_OFFSET_MS);
  let year = local.getUTCFullYear();
  let month = local.getUTCMonth();
  // This month's run may already be past; next month's never is.
  for (let i = 0; i < 2; i++) {
    const day = Math.min(recurrence.day, daysInMonth(year, month));
    const at_ms = lagosInstant(year, month, day, minutes);
    if (at_ms > after_ms) return { at_ms, period: lagosDayKey(at_ms) };
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
  }
  throw new Error("no monthly occurrence within 2 months");
}

/**
 * The next run strictly after `after_ms`, or null when the schedule is over:
 * its count of periods is spent (`periods_done`), or the next occurrence
 * falls after its end date.
 */
export function nextRun(
  timing: ScheduleTiming,
  after_ms: number,
  periods_done: number,
): Occurrence | null {
  if (timing.count !== null && periods_done >= timing.count) return null;
  const next = nextOccurrence(timing.recurrence, timing.time, after_ms);
  if (timing.ends_on !== null && next.period > timing.ends_on) return null;
  return next;
}

/** The Idempotency-Key of a schedule's run for a period: one purchase per (schedule, period), however often it is asked. */
export function runIdempotencyKey(schedule_id: string, period: string): string {
  return `${schedule_id}:${period}`;
}

/**
 * Why a run could not go, from the problem code the purchase was refused
 * with: the refusals that say "not now, not with this wallet" (money, limits,
 * the wallet's state, the product) make a skipped run; anything else (a
 * provider or our own fault) is retried, never recorded as a skip.
 */
export const SKIP_CODES: ReadonlySet<string> = new Set([
  "insufficient_funds",
  "tier_limit_exceeded",
  "tier_balance_cap",
  "kyc_required",
  "wallet_frozen",
  "wallet_inactive",
  "too_many_failed_purchases",
  "plan_unknown",
  "bouquet_unknown",
  "renewal_unknown",
  "renew_unsupported",
  "amount_out_of_range",
  "meter_invalid",
  "smartcard_invalid",
  "network_required",
  "validation_failed",
  "beneficiary_not_found",
]);

/** True when a refusal with this problem code is a skipped run (see SKIP_CODES). */
export function isSkip(code: string): boolean {
  return SKIP_CODES.has(code);
}

// ---- What a schedule buys --------------------------------------------------------------------

/** The product of a schedule; the recipient is its beneficiary. Amounts in kobo, as the purchase routes take them. */
export type ScheduleProduct =
  | { kind: "airtime"; amount: number }
  | { kind: "data"; plan: string }
  /** `phone`: the customer's number VTpass is given with a bill. */
  | { kind: "electricity"; amount: number; phone: string }
  /** A renewal of the smartcard's current bouquet at the provider's renewal amount. */
  | { kind: "tv"; phone: string };

/** One order, as src/services/orders.ts places it (the same shape, kept here so the Wallet can freeze it with the run). */
export type ScheduleOrder =
  | {
      kind: "airtime";
      input: { kind: "airtime"; phone: string; network?: Network; amount: number };
    }
  | { kind: "data"; input: { kind: "data"; phone: string; network?: Network; plan: string } }
  | {
      kind: "electricity";
      input: { disco: DiscoId; meter: string; type: MeterType; amount: number; phone: string };
    }
  | {
      kind: "tv";
      input: { provider: TvProviderId; smartcard: string; action: "renew"; phone: string };
    };

/** The order for a product and a recipient, or null when that recipient cannot receive it (a meter cannot take airtime). */
export function orderOf(product: ScheduleProduct, target: BeneficiaryTarget): ScheduleOrder | null {
  switch (product.kind) {
    case "airtime":
    case "data":
      if (target.kind !== "phone") return null;
      return product.kind === "airtime"
        ? {
            kind: "airtime",
            input: {
              kind: "airtime",
              phone: target.phone,
              network: target.network,
              amount: product.amount,
            },
          }
        : {
            kind: "data",
            input: {
              kind: "data",
              phone: target.phone,
              network: target.network,
              plan: product.plan,
            },
          };
    case "electricity":
      if (target.kind !== "meter") return null;
      return {
        kind: "electricity",
        input: {
          disco: target.disco,
          meter: target.meter,
          type: target.meter_type,
          amount: product.amount,
          phone: product.phone,
        },
      };
    case "tv":
      if (target.kind !== "smartcard") return null;
      return {
        kind: "tv",
        input: {
          provider: target.provider,
          smartcard: target.smartcard,
          action: "renew",
          phone: product.phone,
        },
      };
  }
}

// ---- A schedule as the Wallet keeps it -------------------------------------------------------

export type ScheduleStatus = "active" | "paused" | "ended";

export type ScheduleRun = {
  period: string;
  due_at_ms: number;
  idempotency_key: string;
  status: "due" | "submitted" | "skipped";
  /** Set once the purchase was placed: its transaction says whether it was delivered or FAILED. */
  tx_ref: string | null;
  reason_code: string | null;
  reason: string | null;
};

export type Schedule = {
  id: string;
  beneficiary_id: string;
  product: ScheduleProduct;
  recurrence: Recurrence;
  time: string;
  ends_on: string | null;
  count: number | null;
  periods_done: number;
  consecutive_skips: number;
  status: ScheduleStatus;
  paused_reason: string | null;
  next_run_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
  last_runs: ScheduleRun[];
};
