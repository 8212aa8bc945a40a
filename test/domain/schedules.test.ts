/**
 * The scheduled top-ups' calendar (src/domain/schedules.ts): every next run
 * lies strictly after now at the chosen Lagos time, on the chosen weekday or
 * the chosen day of the month clamped to the month's end (leap years
 * included), never past the end date nor beyond the count; Lagos is UTC+1
 * with no DST, so every run is at the same UTC time all year.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  daysInMonth,
  isLagosDay,
  isSkip,
  nextOccurrence,
  nextRun,
  orderOf,
  runIdempotencyKey,
  type Recurrence,
  type Weekday,
} from "../../src/domain/schedules";
import { targetKey, targetOfPurchase } from "../../src/domain/beneficiaries";
import { lagosDayKey } from "../../src/domain/tiers";

const SEED = 20261206;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// 2000-01-01 to 2100-01-01
const instant = fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 });
const time = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const recurrence: fc.Arbitrary<Recurrence> = fc.oneof(
  fc.constant({ every: "daily" as const }),
  fc.integer({ min: 1, max: 7 }).map((d) => ({ every: "weekly" as const, weekday: d as Weekday })),
  fc.integer({ min: 1, max: 31 }).map((day) => ({ every: "monthly" as const, day })),
);

/** The Lagos wall clock of an instant: UTC + 1 h, every day of the year. */
const lagos = (ms: number) => new Date(ms + HOUR);
const wallTime = (ms: number) => lagos(ms).toISOString().slice(11, 16);

describe("nextOccurrence", () => {
  it("is strictly after now, at the chosen Lagos time, on a day the rule names, and the first such", () => {
    fc.assert(
      fc.property(recurrence, time, instant, (rule, at, now) => {
        const next = nextOccurrence(rule, at, now);
        expect(next.at_ms).toBeGreaterThan(now);
        expect(wallTime(next.at_ms)).toBe(at);
        expect(next.period).toBe(lagosDayKey(next.at_ms));
        const local = lagos(next.at_ms);
        if (rule.every === "weekly") expect(((local.getUTCDay() + 6) % 7) + 1).toBe(rule.weekday);
        if (rule.every === "monthly") {
          const last = daysInMonth(local.getUTCFullYear(), local.getUTCMonth());
          expect(local.getUTCDate()).toBe(Math.min(rule.day, last));
        }
        // The first: no earlier day (checked a day at a time) after now also fits.
        const gap = rule.every === "daily" ? 1 : rule.every === "weekly" ? 7 : 31;
        expect(next.at_ms - now).toBeLessThanOrEqual(gap * DAY);
        for (let t = next.at_ms - DAY; t > now; t -= DAY) {
          const l = lagos(t);
          if (rule.every === "daily") throw new Error("an earlier daily run fits");
          if (rule.every === "weekly") expect(((l.getUTCDay() + 6) % 7) + 1).not.toBe(rule.weekday);
          if (rule.every === "monthly")
            expect(l.getUTCDate()).not.toBe(
              Math.min(rule.day, daysInMonth(l.getUTCFullYear(), l.getUTCMonth())),
            );
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("clamps the 31st to the month's last day: Feb 29 in a leap year, Feb 28 otherwise, Apr 30", () => {
    const monthly31 = { every: "monthly" as const, day: 31 };
    // 2028 is a leap year; from Jan 31 at 09:00 Lagos (08:00 UTC) on.
    const jan31_2028 = Date.UTC(2028, 0, 31, 8, 0);
    expect(nextOccurrence(monthly31, "09:00", jan31_2028)).toEqual({
      at_ms: Date.UTC(2028, 1, 29, 8, 0),
      period: "2028-02-29",
    });
    const jan31_2027 = Date.UTC(2027, 0, 31, 8, 0);
    expect(nextOccurrence(monthly31, "09:00", jan31_2027).period).toBe("2027-02-28");
    // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    expect(nextOccurrence(monthly31, "09:00", Date.UTC(2100, 0, 31, 8)).period).toBe("2100-02-28");
    expect(nextOccurrence(monthly31, "09:00", Date.UTC(2000, 0, 31, 8)).period).toBe("2000-02-29");
    expect(nextOccurrence(monthly31, "09:00", Date.UTC(2027, 2, 31, 8)).period).toBe("2027-04-30");
    // After the clamped day, the next month's real 31st.
    expect(nextOccurrence(monthly31, "09:00", Date.UTC(2027, 3, 30, 8)).period).toBe("2027-05-31");
  });

  it("reads the day in Lagos: 23:30 UTC on the 31st is already the 1st in Lagos", () => {
    // 2027-01-31T23:30Z is 2027-02-01 00:30 in Lagos: a daily 00:15 run is the next Lagos day's.
    const now = Date.UTC(2027, 0, 31, 23, 30);
    expect(nextOccurrence({ every: "daily" }, "00:15", now).period).toBe("2027-02-02");
    expect(nextOccurrence({ every: "daily" }, "00:45", now)).toEqual({
      at_ms: Date.UTC(2027, 0, 31, 23, 45),
      period: "2027-02-01",
    });
    // Monthly on the 1st at 00:45: still today in Lagos.
    expect(nextOccurrence({ every: "monthly", day: 1 }, "00:45", now).period).toBe("2027-02-01");
  });

  it("keeps the same UTC time all year (no DST in Lagos): June and December alike", () => {
    const june = nextOccurrence({ every: "daily" }, "07:00", Date.UTC(2027, 5, 15, 0));
    const december = nextOccurrence({ every: "daily" }, "07:00", Date.UTC(2027, 11, 15, 0));
    expect(new Date(june.at_ms).getUTCHours()).toBe(6);
    expect(new Date(december.at_ms).getUTCHours()).toBe(6);
  });
});

describe("nextRun: end date and count", () => {
  it("never answers a run after the end date or beyond the count; otherwise the next occurrence", () => {
    fc.assert(
      fc.property(
        recurrence,
        time,
        instant,
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
        fc.integer({ min: 0, max: 12 }),
        (rule, at, now, end_in_days, count, done) => {
          const ends_on = end_in_days === null ? null : lagosDayKey(now + end_in_days * DAY);
          const run = nextRun({ recurrence: rule, time: at, ends_on, count }, now, done);
          const occurrence = nextOccurrence(rule, at, now);
          const over =
            (count !== null && done >= count) || (ends_on !== null && occurrence.period > ends_on);
          if (over) expect(run).toBeNull();
          else expect(run).toEqual(occurrence);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("a monthly schedule of 3 from Jan 31 runs Jan 31, Feb 28, Mar 31 and then stops", () => {
    const timing = {
      recurrence: { every: "monthly" as const, day: 31 },
      time: "08:00",
      ends_on: null,
      count: 3,
    };
    let now = Date.UTC(2027, 0, 30, 12);
    const periods: string[] = [];
    for (let done = 0; ; done++) {
      const run = nextRun(timing, now, done);
      if (!run) break;
      periods.push(run.period);
      now = run.at_ms;
    }
    expect(periods).toEqual(["2027-01-31", "2027-02-28", "2027-03-31"]);
  });
});

describe("runs' keys, skips and orders", () => {
  it("one Idempotency-Key per (schedule, period), different for any other pair", () => {
    expect(runIdempotencyKey("sch_a", "2027-01-31")).toBe(runIdempotencyKey("sch_a", "2027-01-31"));
    expect(runIdempotencyKey("sch_a", "2027-01-31")).not.toBe(
      runIdempotencyKey("sch_a", "2027-02-28"),
    );
    expect(runIdempotencyKey("sch_a", "2027-01-31")).not.toBe(
      runIdempotencyKey("sch_b", "2027-01-31"),
    );
  });

  it("only refusals that say the run cannot go are skips", () => {
    for (const code of [
      "insufficient_funds",
      "tier_limit_exceeded",
      "wallet_frozen",
      "plan_unknown",
    ])
      expect(isSkip(code)).toBe(true);
    for (const code of ["verify_unavailable", "catalogue_unavailable", "idempotency_key_in_flight"])
      expect(isSkip(code)).toBe(false);
  });

  it("a product goes only to a recipient that can receive it", () => {
    const phone = { kind: "phone" as const, phone: "08031234567", network: "mtn" as const };
    const meter = {
      kind: "meter" as const,
      disco: "ikeja-electric" as const,
      meter: "1111111111111",
      meter_type: "prepaid" as const,
    };
    expect(orderOf({ kind: "airtime", amount: 50_000 }, phone)).toEqual({
      kind: "airtime",
      input: { kind: "airtime", phone: "08031234567", network: "mtn", amount: 50_000 },
    });
    expect(orderOf({ kind: "airtime", amount: 50_000 }, meter)).toBeNull();
    expect(
      orderOf({ kind: "electricity", amount: 100_000, phone: "08031234567" }, phone),
    ).toBeNull();
    expect(orderOf({ kind: "electricity", amount: 100_000, phone: "08031234567" }, meter)).toEqual({
      kind: "electricity",
      input: {
        disco: "ikeja-electric",
        meter: "1111111111111",
        type: "prepaid",
        amount: 100_000,
        phone: "08031234567",
      },
    });
  });

  it("a recipient is one whatever network is named; a purchase's details give it back", () => {
    expect(targetKey({ kind: "phone", phone: "08031234567", network: "mtn" })).toBe(
      targetKey({ kind: "phone", phone: "08031234567", network: "glo" }),
    );
    expect(targetOfPurchase("AIRTIME", { phone: "08031234567", network: "mtn" })).toEqual({
      kind: "phone",
      phone: "08031234567",
      network: "mtn",
    });
    expect(targetOfPurchase("FUND", { phone: "08031234567" })).toBeNull();
    expect(isLagosDay("2027-02-29")).toBe(false);
    expect(isLagosDay("2028-02-29")).toBe(true);
  });
});
