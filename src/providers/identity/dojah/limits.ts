/**
 * The Dojah client's bounds (client.ts beside this file).
 */

/**
 * Largest answer we read. A BVN/NIN lookup carries a photo (base64, tens of
 * KiB); anything past this is not a lookup answer, and is `unavailable`.
 */
export const DOJAH_RESPONSE_MAX_CHARS = 512 * 1024;
