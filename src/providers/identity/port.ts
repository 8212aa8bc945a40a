/**
 * The identity port: who an issuer (NIBSS for a BVN, NIMC for a NIN) says a
 * number belongs to, in our words. Vendor-neutral: the KYC service
 * (src/services/kyc.ts) knows only this; dojah/ is one adapter behind it.
 *
 * Three answers, and only three, so that the caller cannot tell more than it
 * needs (and never more than the user may hear):
 * - found:       the issuer's person (names as the issuer spells them, date of
 *                birth as YYYY-MM-DD);
 * - not_found:   the issuer knows no such number;
 * - unavailable: anything else (timeout, network, 5xx, an answer we cannot
 *                read, our credentials refused): try again later. Never
 *                taken as "not found": that would refuse a real person.
 *
 * Adapters never log the number nor the person's data (NDPA 2023).
 */
export type IdentityKind = "bvn" | "nin";

export type IssuedPerson = {
  first_name: string;
  middle_name: string | null;
  last_name: string;
  /** YYYY-MM-DD */
  date_of_birth: string;
};

export type IdentityLookup =
  | { outcome: "found"; person: IssuedPerson }
  | { outcome: "not_found" }
  | { outcome: "unavailable"; reason: string };

export interface IdentityPort {
  /** The provider's name, stored with a verification ("dojah"). */
  readonly name: string;
  /** `number`: 11 digits, already validated by the caller. */
  lookup(kind: IdentityKind, number: string): Promise<IdentityLookup>;
}
