/**
 * Structured logs: one JSON object per line, always with a `request_id` when
 * there is one. Callers pass plain fields; nothing here ever receives a secret,
 * a password or a token (the call sites are reviewed for that), and account
 * numbers go through `maskAccount` first.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

function emit(level: LogLevel, msg: string, fields: LogFields): void {
  const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }, replacer);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Errors serialise to name and message; stacks stay in the log line, never in a response. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
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
