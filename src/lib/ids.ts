/**
 * Identifiers. All are random (crypto.getRandomValues), lower-case Crockford
 * base32, and carry a prefix that says what they name.
 *
 * A transaction reference embeds its owner's user id, so the queue consumer can
 * route a provider event to the right wallet object without an index. A forged
 * reference can only ever name a wallet that does not hold it, and the wallet
 * object refuses references it did not create.
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export function randomBase32(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

/** 48-bit millisecond time in 10 base32 chars, so references sort by creation time. */
function timePart(now_ms: number): string {
  let value = now_ms;
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

export const USER_ID_PATTERN = /^usr[0-9a-hjkmnp-tv-z]{16}$/;

export function newUserId(): string {
  return `usr${randomBase32(16)}`;
}

export const TX_KINDS = {
  FUND: "fnd",
  WITHDRAW: "wdr",
  AIRTIME: "air",
  DATA: "dat",
  REFUND: "rfd",
  ADJUSTMENT: "adj",
  ELECTRICITY: "elc",
  TV: "tvs",
} as const;
export type TxKind = keyof typeof TX_KINDS;

const TX_REF_PATTERN =
  /^(fnd|wdr|air|dat|rfd|adj|elc|tvs)_([0-9a-hjkmnp-tv-z]{22})_(usr[0-9a-hjkmnp-tv-z]{16})$/;
export const TX_REF_MAX_CHARS = 64;

export function newTxRef(kind: TxKind, user_id: string, now_ms: number = Date.now()): string {
  return `${TX_KINDS[kind]}_${timePart(now_ms)}${randomBase32(12)}_${user_id}`;
}

/** The transaction type a reference was made for, or null when it is not one of ours. */
export function txRefType(tx_ref: string): TxKind | null {
  const match = TX_REF_PATTERN.exec(tx_ref);
  if (!match) return null;
  const entry = (Object.entries(TX_KINDS) as [TxKind, string][]).find(
    ([, prefix]) => prefix === match[1],
  );
  return entry ? entry[0] : null;
}

/** The owner's user id, or null when the string is not one of our references. */
export function txRefOwner(tx_ref: string): string | null {
  const match = TX_REF_PATTERN.exec(tx_ref);
  return match ? match[3] : null;
}

/** An operator's proposal: unguessable, so knowing one id never lets anyone act on another. */
export function newProposalId(): string {
  return `prp_${randomBase32(24)}`;
}

export const PROPOSAL_ID_PATTERN = /^prp_[0-9a-hjkmnp-tv-z]{24}$/;

/** A bulk top-up's id (issue 23): random, so one user cannot name another's batch. */
export function newBatchId(): string {
  return `bat_${randomBase32(24)}`;
}

export const BATCH_ID_PATTERN = /^bat_[0-9a-hjkmnp-tv-z]{24}$/;

export function newRequestId(): string {
  return `req_${randomBase32(20)}`;
}
