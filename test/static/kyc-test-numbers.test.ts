/**
 * The identity look-alike's test numbers are documented where people look:
 * the README's KYC section and `npm run dev`'s start banner. This keeps both
 * in step with the look-alike (src/sandbox/identity/people.ts).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  OTHER_PERSON,
  TEST_NUMBERS,
  TEST_PERSON,
  TEST_PERSON_PREFIXES,
} from "../../src/sandbox/identity/people";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const BANNER = readFileSync(new URL("../../scripts/dev-vars.mjs", import.meta.url), "utf8");

describe("the identity look-alike's test numbers", () => {
  it("are all in the README and in the dev banner, with the test person", () => {
    const numbers = [...Object.values(TEST_NUMBERS.bvn), ...Object.values(TEST_NUMBERS.nin)];
    expect(numbers).toHaveLength(10);
    for (const number of numbers) {
      expect(README, number).toContain(number);
      expect(BANNER, number).toContain(number);
    }
    for (const prefix of Object.values(TEST_PERSON_PREFIXES)) {
      expect(README).toContain(`${prefix}xxxxxxxx`);
      expect(BANNER).toContain(`${prefix}xxxxxxxx`);
    }
    const person = `${TEST_PERSON.first_name} ${TEST_PERSON.middle_name} ${TEST_PERSON.last_name}`;
    for (const text of [README, BANNER]) {
      expect(text).toContain(person);
      expect(text).toContain(TEST_PERSON.date_of_birth);
    }
    expect(README).toContain(
      `${OTHER_PERSON.first_name} ${OTHER_PERSON.middle_name} ${OTHER_PERSON.last_name}`,
    );
  });
});
