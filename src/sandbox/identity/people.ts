/**
 * The identity look-alike's test numbers (documented in the README, section
 * "KYC: BVN and NIN verification", and printed by `npm run dev`'s banner).
 * The matching pair are Dojah's own sandbox values (BVN 22222222222, NIN
 * 70123456789); the person behind them is ours, the same person for both, so
 * a wallet can reach tier 2 in development.
 */
import type { IdentityKind } from "../../providers/identity/port";

export type SandboxPerson = {
  first_name: string;
  middle_name: string;
  last_name: string;
  /** YYYY-MM-DD */
  date_of_birth: string;
};

/** Who the matching numbers belong to: type this person to verify. */
export const TEST_PERSON: SandboxPerson = {
  first_name: "Chidinma",
  middle_name: "Adaeze",
  last_name: "Okafor",
  date_of_birth: "1992-03-14",
};

/** Another person: a number whose issuer name differs from the test person's. */
export const OTHER_PERSON: SandboxPerson = {
  first_name: "Emeka",
  middle_name: "Tobenna",
  last_name: "Obi",
  date_of_birth: "1985-11-02",
};

export type Scenario = "match" | "name_differs" | "not_found" | "down" | "slow";

/** Every test number, by kind; any other 11-digit number is not found (but see TEST_PERSON_PREFIXES). */
export const TEST_NUMBERS: Record<IdentityKind, Record<Scenario, string>> = {
  bvn: {
    match: "22222222222",
    name_differs: "22222222211",
    not_found: "22222222200",
    down: "22222222250",
    slow: "22222222260",
  },
  nin: {
    match: "70123456789",
    name_differs: "70123456711",
    not_found: "70123456700",
    down: "70123456750",
    slow: "70123456760",
  },
};

/**
 * More numbers of the test person: one number backs one user, so once
 * 22222222222 is verified by one account, others (tests, a second developer
 * account) take any number of these families.
 */
export const TEST_PERSON_PREFIXES: Record<IdentityKind, string> = { bvn: "221", nin: "709" };

export function scenarioOf(kind: IdentityKind, number: string): Scenario {
  const entry = Object.entries(TEST_NUMBERS[kind]).find(([, value]) => value === number);
  if (entry) return entry[0] as Scenario;
  return number.startsWith(TEST_PERSON_PREFIXES[kind]) ? "match" : "not_found";
}
