/**
 * VTpass request_id: the Lagos clock (UTC+1, no daylight saving) at day, year
 * and leap-day boundaries, uniqueness, and the shape check.
 */
import { describe, expect, it } from "vitest";
import { VTPASS_REQUEST_ID_MAX_CHARS } from "../../../src/providers/vtpass/limits";
import {
  checkRequestId,
  lagosDateTimePrefix,
  newRequestId,
} from "../../../src/providers/vtpass/request-id";

describe("request_id", () => {
  const at = (iso: string) => Date.parse(iso);

  it.each([
    ["2026-11-27T09:14:59.999Z", "202611271014"],
    ["2026-11-27T22:59:00Z", "202611272359"], // last Lagos minute of the day
    ["2026-11-27T23:00:00Z", "202611280000"], // 23:00 UTC is tomorrow in Lagos
    ["2026-11-27T23:30:00Z", "202611280030"],
    ["2026-12-31T23:30:00Z", "202701010030"], // and next year
    ["2028-02-28T23:45:00Z", "202802290045"], // leap day
    ["2026-06-30T12:00:00Z", "202606301300"], // no daylight saving in June either
  ])("at %s UTC the Lagos prefix is %s", (iso, prefix) => {
    expect(lagosDateTimePrefix(at(iso))).toBe(prefix);
    expect(newRequestId(at(iso)).slice(0, 12)).toBe(prefix);
  });

  it("is alphanumeric, at most the limit long, and unique within one minute", () => {
    const now_ms = at("2026-11-27T09:00:00Z");
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId(now_ms)));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9A-Za-z]+$/);
      expect(id.length).toBeLessThanOrEqual(VTPASS_REQUEST_ID_MAX_CHARS);
    }
  });

  it("checks shape and calendar, and says which instant the prefix names", () => {
    expect(checkRequestId("202611280030abc")).toEqual({
      ok: true,
      prefix_utc_ms: at("2026-11-27T23:30:00Z"),
    });
    expect(checkRequestId("202202071830YUs83meikd").ok).toBe(true); // VTpass's own example
    expect(checkRequestId("20261128003")).toEqual({ ok: false, reason: "length" });
    expect(checkRequestId("2".repeat(37))).toEqual({ ok: false, reason: "length" });
    expect(checkRequestId("202611280030-abc")).toEqual({ ok: false, reason: "characters" });
    expect(checkRequestId("20261128003a")).toEqual({ ok: false, reason: "characters" });
    for (const bad of [
      "202602300000",
      "202613010000",
      "202611282400",
      "202611280060",
      "202700000000",
    ]) {
      expect(checkRequestId(bad), bad).toEqual({ ok: false, reason: "date" });
    }
  });
});
