/**
 * Password hashing: argon2id from @noble/hashes, stored as a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) so the parameters travel with
 * the hash and can be raised later: `needsRehash` tells login to upgrade a hash
 * made with weaker parameters.
 *
 * The parameters are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
 * Hashing runs in the Worker, never inside a Durable Object: a DO is single
 * threaded, and ~250 ms of hashing there would stall every other request to it.
 * The synchronous variant is used on purpose: the async one yields between
 * blocks, which would let several 19 MiB hashes be in flight in one 128 MB
 * isolate at once.
 */
import { argon2id } from "@noble/hashes/argon2.js";
import { base64ToBytes, bytesToBase64 } from "./crypto";

export type Argon2Params = { m_kib: number; t: number; p: number };

export const ARGON2_PARAMS: Argon2Params = { m_kib: 19_456, t: 2, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

const PHC_PATTERN = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function b64(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  return base64ToBytes(text + "=".repeat((4 - (text.length % 4)) % 4));
}

function derive(password: string, salt: Uint8Array, params: Argon2Params, length: number): Uint8Array {
  return argon2id(password, salt, { m: params.m_kib, t: params.t, p: params.p, dkLen: length, version: 0x13 });
}

export function hashPassword(password: string, params: Argon2Params = ARGON2_PARAMS): string {
  const salt = new Uint8Array(SALT_BYTES);
  crypto.getRandomValues(salt);
  const hash = derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=19$m=${params.m_kib},t=${params.t},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

type Parsed = { params: Argon2Params; salt: Uint8Array; hash: Uint8Array };

function parse(phc: string): Parsed | null {
  const match = PHC_PATTERN.exec(phc);
  if (!match) return null;
  const params = { m_kib: Number(match[1]), t: Number(match[2]), p: Number(match[3]) };
  // Refuse absurd parameters from storage rather than burn the isolate on them.
  if (params.m_kib > 65_536 || params.t > 10 || params.p !== 1) return null;
  return { params, salt: unb64(match[4]), hash: unb64(match[5]) };
}

export function verifyPassword(password: string, phc: string): boolean {
  const parsed = parse(phc);
  if (!parsed) return false;
  const candidate = derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return crypto.subtle.timingSafeEqual(candidate, parsed.hash);
}

export function needsRehash(phc: string, params: Argon2Params = ARGON2_PARAMS): boolean {
  const parsed = parse(phc);
  if (!parsed) return true;
  return parsed.params.m_kib < params.m_kib || parsed.params.t < params.t;
}

/**
 * A fixed hash of a password nobody knows, verified when the email is unknown so
 * that "no such user" costs the same work as "wrong password".
 */
export const DUMMY_PASSWORD_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXlzYWx0ZHVtbXlzYQ$4nJbS0uTcRSn6ESnpKqpxo+SL4I8Wr8z1yzQYfbTZ4g";
