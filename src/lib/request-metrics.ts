/**
 * Request metrics through Workers Analytics Engine: one data point per
 * request (route pattern, method, status, outcome, duration), queried with
 * Analytics Engine's SQL API across every isolate and location.
 *
 * `writeDataPoint` returns nothing and awaits nothing: the runtime sends the
 * point after the response, so it never slows a request. The binding is
 * optional (a deployment without it, or a runtime that does not provide it,
 * just records nothing), and a failure to record is logged, never thrown into
 * the request.
 *
 * Layout of a point, fixed so queries stay valid: blob1 route pattern, blob2
 * method, blob3 outcome, blob4 status; double1 duration_ms, double2 status;
 * index1 the route pattern (the sampling key).
 */
import { ANALYTICS_INDEX_MAX_BYTES } from "./limits";
import { log } from "./log";

export type RequestOutcome = "ok" | "client_error" | "server_error";

export function outcomeOf(status: number): RequestOutcome {
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  return "ok";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Cut to at most `max_bytes` of UTF-8 (an index longer than the limit makes the write fail). */
function truncateUtf8(text: string, max_bytes: number): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a short text needs no encoding
  // to know it fits (every route pattern we have; this runs on every request).
  if (text.length * 3 <= max_bytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= max_bytes) return text;
  return decoder.decode(bytes.slice(0, max_bytes)).replace(/\uFFFD$/, "");
}

export function recordRequest(
  dataset: AnalyticsEngineDataset | undefined,
  point: { route: string; method: string; status: number; duration_ms: number },
): void {
  if (!dataset || typeof dataset.writeDataPoint !== "function") return;
  try {
    dataset.writeDataPoint({
      blobs: [point.route, point.method, outcomeOf(point.status), String(point.status)],
      doubles: [point.duration_ms, point.status],
      indexes: [truncateUtf8(point.route, ANALYTICS_INDEX_MAX_BYTES)],
    });
  } catch (error) {
    log.warn("request metric not recorded", { route: point.route, error });
  }
}
