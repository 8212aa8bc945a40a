import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  matchPerson,
  matchStoredPerson,
  nameWords,
  type Person,
} from "../../src/domain/name-match";

const SEED = 20261206;
const DOB = "1990-04-01";
const issuer: Person = {
  first_name: "Adébáyọ̀",
  middle_name: "Oluwaseun",
  last_name: "Ogunlesi-Bello",
  date_of_birth: DOB,
};

describe("matchPerson: the table", () => {
  const cases: [string, Partial<Person>, boolean][] = [
    ["exactly as issued", {}, true],
    ["upper case", { first_name: "ADÉBÁYỌ̀", last_name: "OGUNLESI-BELLO" }, true],
    ["no accents", { first_name: "Adebayo" }, true],
    ["hyphen as a space", { last_name: "Ogunlesi Bello" }, true],
    ["dots and commas", { first_name: "Adebayo.", last_name: "Ogunlesi, Bello" }, true],
    ["first and last swapped", { first_name: "Ogunlesi-Bello", last_name: "Adebayo" }, true],
    ["middle name typed as the first", { first_name: "Oluwaseun", middle_name: "Adebayo" }, true],
    ["middle name left out", { middle_name: null }, true],
    ["middle name left out (empty)", { middle_name: "  " }, true],
    ["the user has a middle name the issuer lacks", { middle_name: "Oluwaseun Tunde" }, true],
    ["a different middle name", { middle_name: "Tunde" }, false],
    ["one half of a double surname left out", { last_name: "Bello" }, false],
    ["middle and half a surname left out", { middle_name: null, last_name: "Bello" }, false],
    ["first name left out, middle as first", { first_name: "Oluwaseun", middle_name: null }, false],
    ["another first name", { first_name: "Tunde" }, false],
    ["a spelling variant", { first_name: "Adebayoo" }, false],
    ["an initial", { first_name: "A." }, false],
    ["another date of birth", { date_of_birth: "1990-04-02" }, false],
    ["a malformed date of birth", { date_of_birth: "01-04-1990" }, false],
    ["empty last name", { last_name: "-" }, false],
    ["two extra words", { middle_name: "Oluwaseun Tunde Femi" }, false],
  ];
  it.each(cases)("%s", (_label, change, expected) => {
    const claimed: Person = { ...issuer, ...change };
    expect(matchPerson(claimed, issuer).match).toBe(expected);
  });

  it("an issuer without a middle name against a user who left none out", () => {
    const plain: Person = { first_name: "John", last_name: "Doe", date_of_birth: DOB };
    expect(matchPerson({ ...plain, middle_name: "" }, plain).match).toBe(true);
    expect(matchPerson({ ...plain, last_name: "Do" }, plain).match).toBe(false);
  });

  it("an issuer answer without a last name never matches", () => {
    const broken: Person = { first_name: "John", last_name: "", date_of_birth: DOB };
    expect(matchPerson({ ...broken, last_name: "Doe" }, broken)).toEqual({
      match: false,
      reason: "first_or_last_missing",
    });
  });

  it("words: marks, apostrophes and separators", () => {
    expect(nameWords("  Ọlá O'Neil-Smith ")).toEqual(["ola", "oneil", "smith"]);
    expect(nameWords(null)).toEqual([]);
  });
});

describe("matchStoredPerson: a second number against the first person", () => {
  it("matches the full name as stored, with the same tolerance", () => {
    const stored = { full_name: "Adébáyọ̀ Oluwaseun Ogunlesi-Bello", date_of_birth: DOB };
    expect(matchStoredPerson(stored, issuer).match).toBe(true);
    expect(matchStoredPerson(stored, { ...issuer, middle_name: null }).match).toBe(true);
    expect(matchStoredPerson(stored, { ...issuer, first_name: "Tunde" }).match).toBe(false);
    expect(matchStoredPerson({ ...stored, date_of_birth: "1991-04-01" }, issuer).match).toBe(false);
    expect(matchStoredPerson({ full_name: "Adebayo", date_of_birth: DOB }, issuer).match).toBe(
      false,
    );
  });
});

// ---- Properties ------------------------------------------------------------------------------

const letters = "abcdefghijklmnopqrstuvwxyz";
const word = fc
  .array(fc.constantFrom(...letters.split("")), { minLength: 2, maxLength: 8 })
  .map((chars) => chars.join(""));
/** Distinct words, so "the same word twice" does not blur which one is missing. */
const person = fc.uniqueArray(word, { minLength: 4, maxLength: 6 }).map(
  (words): Person => ({
    first_name: words[0]!,
    middle_name: words[1]!,
    last_name: words.slice(2).join("-"),
    date_of_birth: DOB,
  }),
);

const ACCENTS = ["\u0301", "\u0300", "\u0323", "\u0308"];
function decorate(text: string, seed: number): string {
  return [...text]
    .map((ch, i) => {
      const up = (seed >> (i % 16)) & 1 ? ch.toUpperCase() : ch;
      return (seed + i) % 3 === 0 ? up + ACCENTS[(seed + i) % ACCENTS.length] : up;
    })
    .join("");
}

function allWords(p: Person): string[] {
  return [...nameWords(p.first_name), ...nameWords(p.middle_name), ...nameWords(p.last_name)];
}

describe("matchPerson: properties", () => {
  it("order, case and accents never change the answer", () => {
    fc.assert(
      fc.property(person, fc.integer({ min: 0, max: 0xffff }), fc.nat(), (p, seed, shift) => {
        const words = allWords(p);
        const rotated = words.map((_, i) => words[(i + shift) % words.length]!);
        const claimed: Person = {
          first_name: decorate(rotated[0]!, seed),
          middle_name: decorate(rotated.slice(1, -1).join(" "), seed >> 1),
          last_name: decorate(rotated[rotated.length - 1]!, seed >> 2),
          date_of_birth: DOB,
        };
        expect(matchPerson(claimed, p).match).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("removing a word of the surname never matches", () => {
    fc.assert(
      fc.property(person, fc.nat(), (p, pick) => {
        const surname = nameWords(p.last_name);
        const dropped = surname.filter((_, i) => i !== pick % surname.length);
        const claimed: Person = { ...p, last_name: dropped.join(" ") || p.first_name };
        expect(matchPerson(claimed, p).match).toBe(false);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("two missing words never match, whichever they are", () => {
    fc.assert(
      fc.property(person, fc.nat(), fc.nat(), (p, a, b) => {
        const words = allWords(p);
        const i = a % words.length;
        let j = b % words.length;
        if (j === i) j = (i + 1) % words.length;
        const kept = words.filter((_, k) => k !== i && k !== j);
        const claimed: Person = {
          first_name: kept[0]!,
          middle_name: null,
          last_name: kept.slice(1).join(" "),
          date_of_birth: DOB,
        };
        expect(matchPerson(claimed, p).match).toBe(false);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("a mismatched date of birth never matches, whatever the names", () => {
    fc.assert(
      fc.property(person, fc.integer({ min: 1, max: 28 }), (p, day) => {
        const other = `1990-04-${String(day).padStart(2, "0")}`;
        fc.pre(other !== DOB);
        expect(matchPerson({ ...p, date_of_birth: other }, p).match).toBe(false);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
