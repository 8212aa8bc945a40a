/**
 * The money invariants' catalogue (test/invariants/catalogue.ts) cannot rot:
 * all seven invariants have proofs, and every proof names a file that exists
 * and declares a test of exactly that name.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INVARIANTS } from "../invariants/catalogue";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `it("name"`, `it('name'`, `it(\`name\``, or `test(...)`, with any modifier. */
function declares(source: string, name: string): boolean {
  return new RegExp(`\\b(?:it|test)(?:\\.\\w+)*\\(\\s*(["'\`])${escapeRegExp(name)}\\1`).test(
    source,
  );
}

describe("the money invariants' catalogue", () => {
  it("covers invariants 1 to 7, each with at least one proof", () => {
    expect(INVARIANTS.map((i) => i.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const invariant of INVARIANTS)
      expect(invariant.proofs.length, `invariant ${invariant.n}`).toBeGreaterThan(0);
  });

  it("names, for every proof, a file that exists and a test of exactly that name in it", () => {
    const missing = INVARIANTS.flatMap((i) =>
      i.proofs
        .filter((p) => !existsSync(p.file) || !declares(readFileSync(p.file, "utf8"), p.test))
        .map((p) => `${i.n}: ${p.file} :: ${p.test}`),
    );
    expect(missing).toEqual([]);
  });

  it("refuses a name that is only a prefix of a real test's (the check can fail)", () => {
    const source = readFileSync("test/domain/money.test.ts", "utf8");
    expect(declares(source, "round-trips every safe amount through format and parse")).toBe(true);
    expect(declares(source, "round-trips every safe amount through format")).toBe(false);
  });
});
