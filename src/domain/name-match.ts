/**
 * Does the person a user describes match the person an identity issuer (NIBSS
 * for a BVN, NIMC for a NIN) returned? Pure, so the rule is a table a test can
 * walk. A "no" never upgrades a wallet, so the rule leans to "no": every
 * tolerance below exists because the same person is written that way by
 * different clerks, not to make matches easier.
 *
 * The rule
 * 1. Date of birth: equal, as YYYY-MM-DD (both sides are validated to that
 *    form before they get here; a malformed date never matches).
 * 2. Names are compared as a multiset of words, after normalising each name:
 *    - case is ignored ("ADEBAYO" = "Adebayo");
 *    - accents and other diacritics are ignored (Unicode NFKD, marks dropped:
 *      "Ọlá" = "Ola", "Adébáyọ̀" = "Adebayo");
 *    - apostrophes vanish ("O'Neil" = "ONeil"), and every other character
 *      that is not a letter or digit (hyphens, dots, commas, spaces) separates
 *      words ("Adebayo-Ogunlesi" = "Adebayo Ogunlesi");
 *    - order is ignored: which field a word was typed in, and in which order,
 *      does not matter ("Bello John" = "John Bello").
 * 3. Both sides must have a first and a last name (at least one word each).
 *    Every word of the issuer's first and last names must be in the user's
 *    words.
 * 4. At most one word may be missing on one side, and only a middle name:
 *    - the issuer has one word more than the user, and it is a word of the
 *      issuer's middle name (the user left a middle name out); or
 *    - the user has one word more than the issuer (the issuer's record has no
 *      such middle name; rule 3 already holds every issuer first/last word).
 *    Otherwise the words must be the same multiset. Two missing words, a
 *    missing first or last name, or one word swapped for another never match.
 *
 * Not tolerated on purpose: initials ("J. Bello"), nicknames, spelling
 * variants ("Mohammed"/"Muhammad"): a wrong "yes" here would let one person
 * verify as another; a wrong "no" costs a support ticket.
 */

export type PersonName = {
  first_name: string;
  middle_name?: string | null;
  last_name: string;
};

export type Person = PersonName & { date_of_birth: string };

export type MatchResult =
  | { match: true }
  | {
      match: false;
      /** For logs and tests only: never shown to the user (it would help enumeration). */
      reason: "date_of_birth" | "first_or_last_missing" | "names_differ";
    };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The words of one name: NFKD without marks, lower case, apostrophes dropped, split on anything else. */
export function nameWords(name: string | null | undefined): string[] {
  if (!name) return [];
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['\u2018\u2019\u02bc`\u00b4]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "");
}

function counts(words: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const word of words) map.set(word, (map.get(word) ?? 0) + 1);
  return map;
}

/** Words of `a` (with multiplicity) that `b` lacks. */
function missingFrom(a: readonly string[], b: readonly string[]): string[] {
  const left = counts(b);
  const missing: string[] = [];
  for (const word of a) {
    const n = left.get(word) ?? 0;
    if (n > 0) left.set(word, n - 1);
    else missing.push(word);
  }
  return missing;
}

/** Whether `claimed` (what the user typed) is the person `issued` (what the issuer returned). */
export function matchPerson(claimed: Person, issued: Person): MatchResult {
  if (!DATE.test(claimed.date_of_birth) || claimed.date_of_birth !== issued.date_of_birth) {
    return { match: false, reason: "date_of_birth" };
  }
  if (
    nameWords(issued.first_name).length === 0 ||
    nameWords(issued.last_name).length === 0 ||
    nameWords(claimed.first_name).length === 0 ||
    nameWords(claimed.last_name).length === 0
  ) {
    return { match: false, reason: "first_or_last_missing" };
  }
  const user = [
    ...nameWords(claimed.first_name),
    ...nameWords(claimed.middle_name),
    ...nameWords(claimed.last_name),
  ];
  return matchWords(user, issued);
}

/**
 * The same rule for a person already verified with the other kind of number
 * (a BVN, then a NIN): `stored` is that issuer's full name as one string and
 * its date of birth, and it must be the person this issuer returned.
 */
export function matchStoredPerson(
  stored: { full_name: string; date_of_birth: string },
  issued: Person,
): MatchResult {
  if (!DATE.test(stored.date_of_birth) || stored.date_of_birth !== issued.date_of_birth) {
    return { match: false, reason: "date_of_birth" };
  }
  const words = nameWords(stored.full_name);
  if (
    words.length < 2 ||
    nameWords(issued.first_name).length === 0 ||
    nameWords(issued.last_name).length === 0
  ) {
    return { match: false, reason: "first_or_last_missing" };
  }
  return matchWords(words, issued);
}

/** Rules 3 and 4 over the user's words (date of birth and presence already checked). */
function matchWords(user: readonly string[], issued: Person): MatchResult {
  const issuer_first = nameWords(issued.first_name);
  const issuer_last = nameWords(issued.last_name);
  const issuer_middle = nameWords(issued.middle_name);
  const issuer = [...issuer_first, ...issuer_middle, ...issuer_last];
  // Rule 3: every word of the issuer's first and last names is the user's.
  if (missingFrom([...issuer_first, ...issuer_last], user).length > 0) {
    return { match: false, reason: "first_or_last_missing" };
  }
  const user_lacks = missingFrom(issuer, user);
  const issuer_lacks = missingFrom(user, issuer);
  if (user_lacks.length === 0 && issuer_lacks.length === 0) return { match: true };
  if (user_lacks.length + issuer_lacks.length > 1) return { match: false, reason: "names_differ" };
  // Exactly one word missing on one side. Rule 3 put every issuer first/last
  // word in `user`, so a word the user lacks is one of the issuer's middle name.
  if (user_lacks.length === 1 && !issuer_middle.includes(user_lacks[0]!)) {
    return { match: false, reason: "names_differ" };
  }
  return { match: true };
}

/** The issuer's full name as one string, as the issuer wrote it (stored for a second number's check). */
export function fullName(person: PersonName): string {
  return [person.first_name, person.middle_name ?? "", person.last_name]
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .join(" ");
}
