/** The Reconciliations objects' bounds. */

/** Items one read of a day's result returns at most (the route's page). */
export const RECON_PAGE_MAX = 200;
export const RECON_PAGE_DEFAULT = 50;

/** VTpass requeries run at once during a reconciliation (VTpass has no list: one requery per purchase). */
export const RECON_REQUERY_CONCURRENCY = 6;
/**
 * Purchases one run requeries at most. A Worker invocation may make about a
 * thousand subrequests, and the Flutterwave pages need some of them: a day
 * with more purchases than this fails, saying so, instead of reporting the
 * purchases it never asked about as ours only.
 */
export const RECON_REQUERY_MAX = 800;
