/**
 * Password hashing: argon2id from @noble/hashes, stored as a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) so the parameters travel with
 * the hash and can be raised later: `needsRehash` tells login to upgrade a hash
 * made with weaker parameters.
 *
 * The parameters are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
 * Hashing runs in the Worker, never inside a Durable Object: a DO is single
 * threaded, and ~250 ms of hashing there would stall every other request to it.
 *
 * Requests hash inside `withHashSlot`: at most ARGON2_CONCURRENT_MAX requests
 * are between their first lookup and the end of their hash in one 128 MB
 * isolate, at most ARGON2_WAITERS_MAX wait for a slot, and a request past
 * both is answered 503 with Retry-After at once, never an out-of-memory.
 * The hash itself is the synchronous variant: the async one yields only when
 * Date.now() has moved, and in Workers the clock stands still during
 * computation, so it would run to the end anyway, only slower.
 */
import { argon2id } from "@noble/hashes/argon2.js";
import { base64ToBytes, bytesToBase64 } from "./crypto";
import { AppError } from "./errors";
import {
  ARGON2_BUSY_RETRY_AFTER_S,
  ARGON2_CONCURRENT_MAX,
  ARGON2_SLOT_LEASE_MS,
  ARGON2_WAIT_POLL_MS,
  ARGON2_WAITER_SILENT_MS,
  ARGON2_WAITERS_MAX,
} from "./limits";

export type Argon2Params = { m_kib: number; t: number; p: number };

export const ARGON2_PARAMS: Argon2Params = { m_kib: 19_456, t: 2, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

const PHC_PATTERN =
  /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function b64(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  return base64ToBytes(text + "=".repeat((4 - (text.length % 4)) % 4));
}

function derive(
  password: string,
  salt: Uint8Array,
  params: Argon2Params,
  length: number,
): Uint8Array {
  return argon2id(password, salt, {
    m: params.m_kib,
    t: params.t,
    p: params.p,
    dkLen: length,
    version: 0x13,
  });
}

function newSalt(): Uint8Array {
  const salt = new Uint8Array(SALT_BYTES);
  crypto.getRandomValues(salt);
  return salt;
}

function phcOf(params: Argon2Params, salt: Uint8Array, hash: Uint8Array): string {
  return `$argon2id$v=19$m=${params.m_kib},t=${params.t},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Requests call this inside `withHashSlot`. */
export function hashPassword(password: string, params: Argon2Params = ARGON2_PARAMS): string {
  const salt = newSalt();
  return phcOf(params, salt, derive(password, salt, params, HASH_BYTES));
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

/**
 * Slots held and requests waiting in this isolate (module state: one set per
 * isolate, as the memory is), each by its ticket: when it took the slot, when
 * the waiter last looked. Tickets grow, so a Map's order is arrival order.
 */
const holders = new Map<number, number>();
const waiters = new Map<number, number>();
let last_ticket = 0;

/** Forget slots and waiters whose request is gone (see ARGON2_SLOT_LEASE_MS). */
function forgetGone(now_ms: number): void {
  for (const [ticket, since_ms] of holders)
    if (now_ms - since_ms > ARGON2_SLOT_LEASE_MS) holders.delete(ticket);
  for (const [ticket, seen_ms] of waiters)
    if (now_ms - seen_ms > ARGON2_WAITER_SILENT_MS) waiters.delete(ticket);
}

function firstWaiter(): number | undefined {
  for (const ticket of waiters.keys()) return ticket;
  return undefined;
}

/** The 503 past the queue: a moment's wait, not a failure of the credentials. */
export function hashingBusy(): AppError {
  return new AppError({
    status: 503,
    code: "hashing_busy",
    title: "Service unavailable",
    detail: `Too many password checks at once; retry in ${ARGON2_BUSY_RETRY_AFTER_S} second${ARGON2_BUSY_RETRY_AFTER_S === 1 ? "" : "s"}.`,
    headers: { "retry-after": String(ARGON2_BUSY_RETRY_AFTER_S) },
  });
}

/**
 * Runs `work` (which hashes) in one of ARGON2_CONCURRENT_MAX slots, after
 * waiting its turn (first come, first served) behind at most
 * ARGON2_WAITERS_MAX others; past that it throws the 503 at once. Callers
 * enter before any counting (login throttle, lookups), so a refused request
 * has changed nothing.
 */
export async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  const ticket = ++last_ticket;
  forgetGone(Date.now());
  if (holders.size >= ARGON2_CONCURRENT_MAX || waiters.size > 0) {
    if (waiters.size >= ARGON2_WAITERS_MAX) throw hashingBusy();
    waiters.set(ticket, Date.now());
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, ARGON2_WAIT_POLL_MS));
        const now_ms = Date.now();
        waiters.set(ticket, now_ms);
        forgetGone(now_ms);
        if (holders.size < ARGON2_CONCURRENT_MAX && firstWaiter() === ticket) break;
      }
    } finally {
      waiters.delete(ticket);
    }
  }
  holders.set(ticket, Date.now());
  try {
    return await work();
  } finally {
    holders.delete(ticket);
  }
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
