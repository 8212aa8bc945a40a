/// <reference types="vite/client" />
/**
 * The catalogue cannot rot: every attack names a test file that exists and a
 * test of exactly that name in it, ids are unique, and every test in
 * test/security is catalogued. The sources are bundled at build time (Vite's
 * import.meta.glob with `?raw`), since the tests run inside workerd, which
 * has no view of the file system.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE, CONTROLS } from "./catalogue";

const SOURCES = import.meta.glob("../**/*.test.ts", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

/** "test/routes/auth/auth.test.ts" -> its source, or undefined. */
function sourceOf(file: string): string | undefined {
  const inTest = file.replace(/^test\//, "");
  // The glob names this directory's own files "./x", the rest "../dir/x".
  return (
    SOURCES[`../${inTest}`] ??
    (inTest.startsWith("security/") ? SOURCES[`./${inTest.slice("security/".length)}`] : undefined)
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `it("name"`, `it('name'`, `it(\`name\``, or `test(...)`, with any modifier (`it.each`, `it.concurrent`). */
function declares(source: string, name: string): boolean {
  return new RegExp(`\\b(?:it|test)(?:\\.\\w+)*\\(\\s*(["'\`])${escapeRegExp(name)}\\1`).test(
    source,
  );
}

/** The names of the tests a source declares with a plain string literal. */
function declaredNames(source: string): string[] {
  return [...source.matchAll(/\b(?:it|test)(?:\.\w+)*\(\s*(["'`])((?:(?!\1)[^\\]|\\.)*)\1/g)].map(
    (m) => m[2],
  );
}

describe("the security catalogue", () => {
  it("has unique ids and names a test that exists, with that exact name, for every attack", () => {
    const ids = CATALOGUE.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = CATALOGUE.filter((a) => {
      const source = sourceOf(a.file);
      return source === undefined || !declares(source, a.test);
    }).map((a) => `${a.id}: ${a.file} :: ${a.test}`);
    expect(missing).toEqual([]);
  });

  it("lists every test of test/security (bar this one's own and the controls)", () => {
    const catalogued = new Set([...CATALOGUE, ...CONTROLS].map((a) => `${a.file} :: ${a.test}`));
    for (const control of CONTROLS)
      expect(declares(sourceOf(control.file) ?? "", control.test), control.test).toBe(true);
    const uncatalogued: string[] = [];
    for (const [path, source] of Object.entries(SOURCES)) {
      if (!path.startsWith("./") && !path.startsWith("../security/")) continue;
      const file = `test/security/${path.split("/").pop()}`;
      if (file === "test/security/catalogue.test.ts") continue;
      for (const name of declaredNames(source))
        if (!catalogued.has(`${file} :: ${name}`)) uncatalogued.push(`${file} :: ${name}`);
    }
    expect(uncatalogued).toEqual([]);
  });

  it("refuses a name that is only a prefix of a real test's (the check can fail)", () => {
    const source = sourceOf("test/lib/tokens.test.ts")!;
    expect(declares(source, "refuses an iat in the future beyond the clock skew")).toBe(true);
    expect(declares(source, "refuses an iat in the future beyond the clock")).toBe(false);
    expect(declares(source, "no such test anywhere")).toBe(false);
  });

  // The count is in the name, so every run's report prints it.
  it(`counts the attacks encoded: ${CATALOGUE.length}`, () => {
    const counts: Record<string, number> = {};
    for (const a of CATALOGUE) counts[a.area] = (counts[a.area] ?? 0) + 1;
    // Printed on purpose: the suite's size is part of its report.
    console.info(
      `security catalogue: ${CATALOGUE.length} attacks encoded ${JSON.stringify(counts)}`,
    );
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(100);
    for (const area of [
      "jwt",
      "cross-user",
      "webhook",
      "sandbox",
      "admin",
      "limits",
      "sockets",
      "login",
      "kyc",
    ])
      expect(counts[area], area).toBeGreaterThan(0);
  });
});
