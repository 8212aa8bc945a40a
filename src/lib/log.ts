/**
 * Structured logs: one JSON object per line, always with a `request_id` when
 * there is one. Callers pass plain fields; nothing here ever receives a secret,
 * a password or a token (the call sites are reviewed for that), and account
 * numbers go through `maskAccount` first.
 *
 * `LOG_LEVEL` (debug, info, warn, error; default info) drops lines below it.
 * It is read from the Worker's environment through `cloudflare:workers`, so
 * Durable Objects and the queue consumer honour it as well as requests do,
 * without every caller passing configuration. src/lib/config.ts validates
 * the same variable, so a typo there is reported rather than ignored here.
 */
import { env } from "cloudflare:workers";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const DEFAULT_LEVEL: LogLevel = "info";

/** The threshold, read once per isolate (the environment does not change while it lives). */
let threshold: number | null = null;

export function parseLogLevel(value: unknown): LogLevel | null {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value)
    ? (value as LogLevel)
    : null;
}

function minimumRank(): number {
  if (threshold === null)
    threshold = RANK[parseLogLevel((env as { LOG_LEVEL?: unknown }).LOG_LEVEL) ?? DEFAULT_LEVEL];
  return threshold;
}

/** Override the threshold for this isolate (tests); null goes back to LOG_LEVEL. */
export function setLogLevel(level: LogLevel | null): void {
  threshold = level === null ? null : RANK[level];
}

export function logEnabled(level: LogLevel): boolean {
  return RANK[level] >= minimumRank();
}

function emit(level: LogLevel, msg: string, fields: LogFields): void {
  if (!logEnabled(level)) return;
  const entry = { ts: new Date().toISOString(), level, msg, ...fields };
  // A replacer takes JSON.stringify off its fast path for the whole object, and
  // it is needed only where an Error may hide: in a field holding an object.
  // Most lines (the per-request one among them) hold only strings and numbers.
  const line = JSON.stringify(entry, holdsObject(fields) ? replacer : undefined);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

function holdsObject(fields: LogFields): boolean {
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "object" && value !== null) return true;
  }
  return false;
}

/** Errors serialise to name and message; stacks stay in the log line, never in a response. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export const log = {
  debug: (msg: string, fields: LogFields = {}) => emit("debug", msg, fields),
  info: (msg: string, fields: LogFields = {}) => emit("info", msg, fields),
  warn: (msg: string, fields: LogFields = {}) => emit("warn", msg, fields),
  error: (msg: string, fields: LogFields = {}) => emit("error", msg, fields),
};

/** `0690000031` -> `******0031`: enough for support, not enough to reuse. */
export function maskAccount(account_number: string): string {
  if (account_number.length <= 4) return "****";
  return "*".repeat(account_number.length - 4) + account_number.slice(-4);
}
