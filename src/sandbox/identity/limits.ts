/**
 * The identity look-alike's bounds.
 */

/** The "slow" numbers hold their answer this long: past any identity timeout (PROVIDER_TIMEOUT_MAX_MS). */
export const IDENTITY_SLOW_HOLD_MS = 60_000;
