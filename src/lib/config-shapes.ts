/** The zod shapes the configuration's settings are built from (./config.ts and its parts). */
import { z } from "zod";

/** A boolean as an environment variable spells it. */
export const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
export const minutes = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);
export const milliseconds = (fallback: number) =>
  z.coerce.number().int().min(100).max(60_000).default(fallback);
/** Unset or blank: undefined; otherwise trimmed. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
/** A whole number from 1 to `max`, `fallback` when unset. */
export const count = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);
