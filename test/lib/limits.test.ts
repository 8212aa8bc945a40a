/**
 * The relations between related limits, so that changing one number cannot
 * silently break the reasoning another one depends on.
 */
import { describe, expect, it } from "vitest";
import * as domain from "../../src/domain/limits";
import * as loginThrottle from "../../src/durable/login-throttle/limits";
import * as operations from "../../src/durable/operations/limits";
import * as providerRefs from "../../src/durable/provider-refs/limits";
import * as room from "../../src/durable/room/limits";
import * as wallet from "../../src/durable/wallet/limits";
import * as lib from "../../src/lib/limits";
import * as pages from "../../src/pages/limits";
import * as projection from "../../src/projection/limits";
import * as flutterwave from "../../src/providers/flutterwave/limits";
import * as vtpass from "../../src/providers/vtpass/limits";

/**
 * Every part keeps its bounds beside it; their relations are checked here, in
 * one place, over all of them.
 */
const OWNERS = {
  domain,
  loginThrottle,
  operations,
  providerRefs,
  room,
  wallet,
  lib,
  pages,
  projection,
  flutterwave,
  vtpass,
};
const L = Object.assign({}, ...Object.values(OWNERS)) as typeof domain &
  typeof loginThrottle &
  typeof operations &
  typeof providerRefs &
  typeof room &
  typeof wallet &
  typeof lib &
  typeof pages &
  typeof projection &
  typeof flutterwave &
  typeof vtpass;

/** Cloudflare Queues accept messages up to 128 KB; our envelope adds its own fields around the raw body. */
const QUEUE_MESSAGE_MAX_BYTES = 128 * 1024;
/** A Durable Object alarm handler may run for up to 15 minutes of wall time. */
const ALARM_WALL_TIME_MAX_MS = 15 * 60 * 1000;
/** Cloudflare Queues delay a message by at most 12 hours (`delaySeconds`). */
const QUEUE_DELAY_MAX_S = 12 * 60 * 60;

describe("limits: relations that the design depends on", () => {
  it("names each bound once, in the module of the part that owns it", () => {
    const seen = new Map<string, string>();
    for (const [owner, bounds] of Object.entries(OWNERS)) {
      for (const name of Object.keys(bounds)) {
        expect(
          seen.get(name),
          `${name} is defined by ${seen.get(name)} and ${owner}`,
        ).toBeUndefined();
        seen.set(name, owner);
      }
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  it("keeps every minimum at or below its maximum and every default inside its range", () => {
    expect(L.FUND_MIN_MINOR).toBeLessThanOrEqual(L.FUND_MAX_MINOR);
    expect(L.WITHDRAW_MIN_MINOR).toBeLessThanOrEqual(L.WITHDRAW_MAX_MINOR);
    expect(L.PASSWORD_MIN_CHARS).toBeLessThanOrEqual(L.PASSWORD_MAX_CHARS);
    expect(L.TRANSACTIONS_PAGE_DEFAULT).toBeLessThanOrEqual(L.TRANSACTIONS_PAGE_MAX);
    expect(L.DEAD_LETTERS_PAGE_DEFAULT).toBeLessThanOrEqual(L.DEAD_LETTERS_PAGE_MAX);
    expect(L.DEAD_LETTERS_PAGE_MAX).toBeLessThanOrEqual(L.DEAD_LETTERS_KEEP_MAX);
    expect(L.PROVIDER_TIMEOUT_MIN_MS).toBeLessThanOrEqual(L.PROVIDER_TIMEOUT_DEFAULT_MS);
    expect(L.PROVIDER_TIMEOUT_DEFAULT_MS).toBeLessThanOrEqual(L.PROVIDER_TIMEOUT_MAX_MS);
    expect(L.QUEUE_RETRY_BASE_DELAY_S).toBeLessThanOrEqual(L.QUEUE_RETRY_MAX_DELAY_S);
    expect(L.FEED_RETRY_BASE_MS).toBeLessThanOrEqual(L.FEED_RETRY_MAX_MS);
    expect(L.WATCH_RECONNECT_BASE_MS).toBeLessThanOrEqual(L.WATCH_RECONNECT_MAX_MS);
  });

  it("lets one funding or withdrawal fit inside the balance cap", () => {
    expect(L.FUND_MAX_MINOR).toBeLessThanOrEqual(L.BALANCE_MAX_MINOR);
    expect(L.WITHDRAW_MAX_MINOR).toBeLessThanOrEqual(L.BALANCE_MAX_MINOR);
    expect(Number.isSafeInteger(L.BALANCE_MAX_MINOR * 2)).toBe(true);
  });

  it("never lets a retry take over a request that may still be talking to the provider", () => {
    // A withdrawal makes at most two provider writes-or-reads in a row (resolve, create), each bounded by the timeout.
    expect(2 * L.PROVIDER_TIMEOUT_MAX_MS).toBeLessThan(L.IDEMPOTENCY_IN_FLIGHT_LOCK_MS);
    expect(L.IDEMPOTENCY_IN_FLIGHT_LOCK_MS).toBeLessThan(L.IDEMPOTENCY_TTL_MS);
  });

  it("re-checks pending transactions more often than they are escalated, on a backoff that never shrinks", () => {
    const steps = [...L.RECONCILE_BACKOFF_S];
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThanOrEqual(steps[i - 1]);
    expect(steps.at(-1)! * 1000).toBeLessThan(L.WITHDRAW_ESCALATE_AFTER_MS);
    expect(steps[0] * 1000).toBeLessThan(L.FUNDING_DEADLINE_GRACE_MS);
  });

  it("keeps one alarm run far inside the platform's alarm wall time", () => {
    expect(
      L.RECONCILE_RUN_BUDGET_MS + L.PROVIDER_TIMEOUT_MAX_MS * (1 + L.PROVIDER_READ_RETRIES),
    ).toBeLessThan(ALARM_WALL_TIME_MAX_MS);
  });

  it("keeps the change feed's history past every retry and every idempotent replay", () => {
    expect(L.FEED_BATCH_MAX).toBeLessThanOrEqual(L.FEED_PAGE_MAX);
    expect(L.FEED_RETRY_MAX_MS).toBeLessThan(L.FEED_RETAIN_MS);
    expect(L.IDEMPOTENCY_TTL_MS).toBeLessThanOrEqual(L.FEED_RETAIN_MS);
  });

  it("folds repeated VTpass callbacks into a delay the queue accepts, and forgets a failed catalogue read long before a good one expires", () => {
    expect(Math.ceil(L.CALLBACK_REQUERY_INTERVAL_MS / 1000)).toBeLessThanOrEqual(QUEUE_DELAY_MAX_S);
    expect(L.VTPASS_CATALOGUE_FAILURE_TTL_S).toBeGreaterThan(0);
    expect(L.VTPASS_CATALOGUE_FAILURE_TTL_S).toBeLessThan(L.VTPASS_CATALOGUE_TTL_S);
  });

  it("fits the largest webhook, wrapped in our queue message, in one queue message", () => {
    // A string may be stored two bytes per character (UTF-16); our envelope adds well under 1 KiB.
    expect(2 * L.WEBHOOK_BODY_MAX_BYTES + 1024).toBeLessThanOrEqual(QUEUE_MESSAGE_MAX_BYTES);
  });

  it("lets a ticket outlive the checkout it watches, and keeps attachments within the platform's limits", () => {
    expect(L.WATCH_TICKET_TTL_S * 1000).toBeGreaterThan(L.FUNDING_DEADLINE_GRACE_MS);
    expect(L.WS_FRAME_MAX_BYTES).toBeGreaterThan(L.WATCH_TICKET_MAX_CHARS);
    expect(L.WS_TAGS_MAX).toBe(10);
    expect(L.WS_ATTACHMENT_MAX_BYTES).toBe(2048);
  });

  it("keeps operator-index keys longer than the feed can redeliver, and takes a whole feed batch in one delivery", () => {
    // A redelivered change must find its settlement key, or it would be counted twice.
    expect(L.OPERATOR_TERMINAL_RETAIN_MS).toBeGreaterThan(L.FEED_RETAIN_MS);
    expect(L.OPERATOR_INGEST_MAX).toBeGreaterThanOrEqual(L.FEED_BATCH_MAX);
    expect(L.OPERATOR_LIST_DEFAULT).toBeLessThanOrEqual(L.OPERATOR_LIST_MAX);
    expect(L.OPERATOR_LIST_MAX).toBeLessThanOrEqual(L.OPERATOR_ANOMALIES_KEEP_MAX);
  });

  it("keeps the default shard count in its range, and the resolve route's Retry-After past the move's own retry", () => {
    expect(L.OPERATOR_INDEX_SHARDS_DEFAULT).toBeGreaterThanOrEqual(1);
    expect(L.OPERATOR_INDEX_SHARDS_DEFAULT).toBeLessThanOrEqual(L.OPERATOR_INDEX_SHARDS_MAX);
    // An operator told to come back is not told to come back before the move tries again.
    expect(L.INDEX_MOVING_RETRY_AFTER_S * 1000).toBeGreaterThanOrEqual(L.INDEX_MOVE_RETRY_MS);
  });

  it("lets one batch frame carry every line a release touches, and stay far under a socket's message size", () => {
    // A release marks at most BULK_LINES_PER_TICK lines of one batch: its frame is never truncated.
    expect(L.BULK_WATCH_LINES_MAX).toBeGreaterThanOrEqual(L.BULK_LINES_PER_TICK);
    // A line is a few hundred bytes of JSON (its reason at most BULK_REASON_MAX_CHARS): under 1 MiB in all.
    expect(L.BULK_WATCH_LINES_MAX * (L.BULK_REASON_MAX_CHARS + 300)).toBeLessThan(1024 * 1024);
  });
});
