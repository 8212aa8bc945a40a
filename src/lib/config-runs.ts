/**
 * The settings of saved recipients, scheduled top-ups and bulk top-ups
 * (issue 23), part of the configuration's schema (./config.ts), kept here so
 * that file stays small.
 *
 *  BENEFICIARIES_MAX   saved recipients per user (default 50)
 *  SCHEDULE_SKIPS_MAX  consecutive skipped runs after which a schedule pauses itself (default 3)
 *  BULK_LINES_MAX      lines in one bulk top-up (default 500)
 */
import { count } from "./config-shapes";
import {
  BENEFICIARIES_MAX_CEILING,
  BENEFICIARIES_MAX_DEFAULT,
  BULK_LINES_MAX_CEILING,
  BULK_LINES_MAX_DEFAULT,
  SCHEDULE_SKIPS_MAX_CEILING,
  SCHEDULE_SKIPS_MAX_DEFAULT,
} from "./limits";

export const RUN_SETTINGS = {
  BENEFICIARIES_MAX: count(BENEFICIARIES_MAX_DEFAULT, BENEFICIARIES_MAX_CEILING),
  SCHEDULE_SKIPS_MAX: count(SCHEDULE_SKIPS_MAX_DEFAULT, SCHEDULE_SKIPS_MAX_CEILING),
  BULK_LINES_MAX: count(BULK_LINES_MAX_DEFAULT, BULK_LINES_MAX_CEILING),
};
