/**
 * Schemas of the VTpass look-alike's control API and its fault operations.
 * The API itself (api.ts) takes its bodies as VTpass does, loosely, and lets
 * the model answer 011 to what it cannot use: a zod refusal there would be an
 * answer VTpass never gives.
 */
import { z } from "zod";
import { faultBody } from "../kit/control";
import { FLOAT_MAX_MINOR, REQUEST_ID_MAX_CHARS } from "./limits";
import { parseNairaMinor } from "./model";

export const FAULT_OPERATIONS = [
  "pay",
  "requery",
  "services",
  "variations",
  "balance",
  "verify",
] as const;
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

/** Only `pay` changes state, so only it takes the "commit, then lose the answer" modes. */
export const CREATE_OPERATIONS: readonly FaultOperation[] = ["pay"];

/** A fault for one of the operations above (modes: ../kit/faults.ts, answers: faults.ts). */
export const FaultBody = faultBody(FAULT_OPERATIONS, CREATE_OPERATIONS);

/** `amount` in naira, as VTpass writes amounts: a number or a decimal string with at most two places. */
const NairaAmount = (max_minor: number) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const minor = parseNairaMinor(value);
    if (minor === null || minor > max_minor) {
      ctx.addIssue({
        code: "custom",
        message: `expected naira from 0 to ${max_minor / 100} with at most two decimals`,
      });
      return z.NEVER;
    }
    return minor;
  });

/**
 * `amount` (delivered only): the face value VTpass reports from then on, when
 * it is not the one asked for; a test of our check that an answer's amount is
 * the hold's. Omitted: the amount asked.
 */
export const SettleBody = z
  .object({
    status: z.enum(["delivered", "failed", "reversed"]),
    amount: NairaAmount(FLOAT_MAX_MINOR).optional(),
  })
  .refine((body) => body.amount === undefined || body.status === "delivered", {
    message: "amount applies to delivered only",
    path: ["amount"],
  })
  .refine((body) => body.amount !== 0, {
    message: "a delivered amount is above zero",
    path: ["amount"],
  });

/**
 * `POST purchases/:request_id/misreport`: what requery reports for the
 * purchase from then on (requery-faults.ts): `amount` (naira, above zero),
 * `status` (a final one), or `not_found` (015).
 */
export const MisreportBody = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("amount"),
    amount: NairaAmount(FLOAT_MAX_MINOR).refine((minor) => minor > 0, "an amount is above zero"),
  }),
  z.object({ kind: z.literal("status"), status: z.enum(["delivered", "failed", "reversed"]) }),
  z.object({ kind: z.literal("not_found") }),
]);

/** The callback URL's secret segment as the dashboard holds it; null: the configured VTPASS_CALLBACK_SECRET. */
export const CallbackUrlBody = z.object({ secret: z.string().min(1).max(200).nullable() });

export const FloatBody = z.object({ amount: NairaAmount(FLOAT_MAX_MINOR) });

/** A request_id in a control path: VTpass's own bounds, letters and digits only. */
export const REQUEST_ID_PARAM = new RegExp(`^[0-9A-Za-z]{1,${REQUEST_ID_MAX_CHARS}}$`);
