/** Bounds of the Cloudflare Access look-alike. */

/** How long a look-alike sign-in lasts (Access's own session is per application; 24 h is its default). */
export const ACCESS_SANDBOX_SESSION_S = 24 * 60 * 60;
/** Longest email accepted on the sign-in page or by POST /token. */
export const ACCESS_SANDBOX_EMAIL_MAX_CHARS = 254;
