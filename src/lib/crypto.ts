/**
 * Small cryptographic helpers shared by auth and webhooks.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

const encoder = new TextEncoder();

/**
 * Constant-time string equality. Both sides are hashed first so that inputs of
 * different lengths take the same time and `timingSafeEqual` (which requires equal
 * lengths) never throws; the comparison of the digests is constant-time.
 */
export function safeEqual(a: string, b: string): boolean {
  const da = sha256(encoder.encode(a));
  const db = sha256(encoder.encode(b));
  return crypto.subtle.timingSafeEqual(da, db) && a.length === b.length;
}

export function hmacSha256Base64(key: string, message: Uint8Array): string {
  return bytesToBase64(hmac(sha256, encoder.encode(key), message));
}

export function sha256Hex(text: string): string {
  return Array.from(sha256(encoder.encode(text)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
