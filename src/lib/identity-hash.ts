/**
 * The keyed hash that stands for a BVN or NIN wherever we keep one (NDPA
 * 2023, data minimisation): HMAC-SHA256 under IDENTITY_HASH_KEY of
 * "<kind>:<number>", in lower-case hex. Keyed, not a plain hash: the numbers
 * are 11 digits, so an unkeyed hash is reversed by trying them all; without
 * the key, a leaked table of hashes says nothing. The kind is part of the
 * message, so a BVN and a NIN with the same digits never collide.
 *
 * With the hash we keep only the last four digits (for the user to recognise
 * which number they verified). The number itself is never stored, logged or
 * answered.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

export type IdentityNumberKind = "bvn" | "nin";

const encoder = new TextEncoder();

export function identityHash(key: string, kind: IdentityNumberKind, number: string): string {
  const digest = hmac(sha256, encoder.encode(key), encoder.encode(`${kind}:${number}`));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The last four digits: all of a number we ever show or keep besides its hash. */
export function identityLast4(number: string): string {
  return number.slice(-4);
}
