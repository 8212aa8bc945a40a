/**
 * The console's charts merge every shard's settlements per hour: counts of
 * the same bucket and outcome add up, empty hours are zeros, and anything
 * outside the window is left out.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeSeries, SETTLEMENT_OUTCOMES, type SeriesPoint } from "../../src/domain/operator";

const HOUR = 3_600_000;

describe("mergeSeries", () => {
  it("sums shards per bucket and outcome, zero-fills, and drops what is outside the window", () => {
    const now = Date.UTC(2026, 11, 6, 10, 30);
    const thisHour = Date.UTC(2026, 11, 6, 10);
    const merged = mergeSeries(
      [
        [
          { bucket_start_ms: thisHour, outcome: "succeeded", count: 2 },
          { bucket_start_ms: thisHour - 24 * HOUR, outcome: "succeeded", count: 9 },
        ],
        [
          { bucket_start_ms: thisHour, outcome: "succeeded", count: 3 },
          { bucket_start_ms: thisHour - 23 * HOUR, outcome: "failed", count: 1 },
        ],
      ],
      now,
      HOUR,
      24,
    );
    expect(merged).toHaveLength(24);
    expect(merged[0]).toEqual({
      bucket_start_ms: thisHour - 23 * HOUR,
      counts: { succeeded: 0, failed: 1, reversed: 0 },
    });
    expect(merged[23]).toEqual({
      bucket_start_ms: thisHour,
      counts: { succeeded: 5, failed: 0, reversed: 0 },
    });
    expect(merged.slice(1, 23).every((b) => b.counts.succeeded + b.counts.failed === 0)).toBe(true);
  });

  it("keeps every count inside the window, whatever the split across shards", () => {
    const point = fc.record({
      hour: fc.integer({ min: 0, max: 30 }),
      outcome: fc.constantFrom(...SETTLEMENT_OUTCOMES),
      count: fc.integer({ min: 1, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(point, { maxLength: 20 }), { maxLength: 6 }), (shards) => {
        const now = Date.UTC(2026, 0, 1, 12, 5);
        const last = Date.UTC(2026, 0, 1, 12);
        const parts: SeriesPoint[][] = shards.map((s) =>
          s.map((p) => ({
            bucket_start_ms: last - p.hour * HOUR,
            outcome: p.outcome,
            count: p.count,
          })),
        );
        const merged = mergeSeries(parts, now, HOUR, 24);
        const inside = parts.flat().filter((p) => p.bucket_start_ms > last - 24 * HOUR);
        const total = merged.reduce(
          (sum, b) => sum + b.counts.succeeded + b.counts.failed + b.counts.reversed,
          0,
        );
        expect(total).toBe(inside.reduce((sum, p) => sum + p.count, 0));
      }),
    );
  });
});
