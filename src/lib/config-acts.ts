/**
 * The four-eyes settings of operators' acts (src/domain/acts.ts), part of
 * the configuration's schema (./config.ts), kept here so that file stays small.
 */
import { z } from "zod";
import {
  OPS_DUAL_CONTROL_MINOR_DEFAULT,
  OPS_DUAL_CONTROL_MINOR_MAX,
  OPS_PROPOSAL_TTL_S_DEFAULT,
  OPS_PROPOSAL_TTL_S_MAX,
  OPS_PROPOSAL_TTL_S_MIN,
} from "./limits";

export const FOUR_EYES_SETTINGS = {
  /** An operator's credit above this (kobo) needs a second operator's approval. */
  OPS_DUAL_CONTROL_MINOR: z.coerce
    .number()
    .int()
    .min(0)
    .max(OPS_DUAL_CONTROL_MINOR_MAX)
    .default(OPS_DUAL_CONTROL_MINOR_DEFAULT),
  /** How long a proposal waits for its approval, in seconds. */
  OPS_PROPOSAL_TTL_S: z.coerce
    .number()
    .int()
    .min(OPS_PROPOSAL_TTL_S_MIN)
    .max(OPS_PROPOSAL_TTL_S_MAX)
    .default(OPS_PROPOSAL_TTL_S_DEFAULT),
};
