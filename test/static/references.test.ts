/**
 * Docs that exist and agree: every file, folder, link, anchor and section that
 * a comment or a doc names is there (the rules are in ./references.ts). A
 * reference breaks when a file moves or a heading is renamed; this test names
 * the comment or doc to update, with its line.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  anchors,
  checkSource,
  comments,
  markdownHeadings,
  repository,
  repositorySources,
  slug,
  type Source,
} from "./references";

const ROOT = resolve(__dirname, "../..");
/** This file plants broken references on purpose; the checker reads every other source. */
const SELF = "test/static/references.test.ts";
const world = repository(ROOT);
const code = (text: string, file = "src/example.ts"): Source => ({ file, kind: "code", text });
const markdown = (text: string, file = "docs/example.md"): Source => ({
  file,
  kind: "markdown",
  text,
});
const messages = (source: Source) => checkSource(source, world).map((p) => p.message);

const sources = repositorySources(ROOT, [SELF]);

describe("the repository's references", () => {
  it("reads the code, the README and every doc", () => {
    const files = sources.map((s) => s.file);
    expect(files).toContain("README.md");
    expect(files).toContain("docs/architecture.md");
    expect(files).toContain("src/durable/wallet/object.ts");
    expect(files).toContain("scripts/bench.mjs");
    expect(files).toContain("wrangler.jsonc");
    expect(files).not.toContain(SELF);
    expect(
      files.filter((f) => f.startsWith("node_modules/") || f.includes("/node_modules/")),
    ).toEqual([]);
  });

  it("names only files, folders, anchors and sections that exist", () => {
    const problems = sources
      .flatMap((source) => checkSource(source, world))
      .map((p) => `${p.file}:${p.line} ${p.message}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it("finds the references it checks (the checker is not blind)", () => {
    const wallet = sources.find((s) => s.file === "src/durable/wallet/object.ts")!;
    const found = comments(wallet.file, wallet.text)
      .map((c) => c.text)
      .join("\n");
    expect(found).toContain("src/domain/flows.ts");
    const readme = sources.find((s) => s.file === "README.md")!;
    expect(readme.text).toMatch(/\]\(docs\/architecture\.md\)/);
    const cited = sources.filter((s) => /docs\/[\w-]+\.md,?\s*§/.test(s.text));
    expect(cited.length).toBeGreaterThan(5);
  });
});

describe("the constants the docs name", () => {
  it("are in the code: a renamed or removed constant is renamed in the docs too", () => {
    const code =
      sources
        .filter((s) => s.kind === "code")
        .map((s) => s.text)
        .join("\n") +
      readFileSync(resolve(ROOT, "package.json"), "utf8") +
      readFileSync(resolve(ROOT, ".ci/run"), "utf8");
    const words = new Set(code.match(/\b[A-Z][A-Z0-9_]*\b/g));
    const docs = sources.filter((s) => s.kind === "markdown");
    const named = docs.flatMap((doc) =>
      [...doc.text.matchAll(/`([A-Z][A-Z0-9_]{3,})`/g)].map((m) => ({
        file: doc.file,
        name: m[1],
      })),
    );
    expect(named.length).toBeGreaterThan(50);
    expect(
      named
        .filter((n) => !words.has(n.name))
        .map((n) => `${n.file} names \`${n.name}\`, which no code defines or reads`),
    ).toEqual([]);
  });
});

describe("the README's two commands", () => {
  const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
  const lines = (text: string) => text.split("\n").map((line) => line.trim());

  it("gives a newcomer the run and the test command, each on a line of its own", () => {
    expect(lines(readme)).toContain("npm ci && npm run dev");
    expect(lines(readme)).toContain("npm ci && npm test");
  });

  it("is what CI runs: .ci/run runs exactly the README's test command", () => {
    expect(lines(readFileSync(resolve(ROOT, ".ci/run"), "utf8"))).toContain("npm ci && npm test");
  });
});

describe("the checker", () => {
  it("reports a path that does not exist, and passes one that does", () => {
    expect(messages(code("/** The write path: src/durable/wallet/store.ts. */"))).toEqual([]);
    expect(messages(code("/** The write path: src/durable/wallet/stores.ts. */"))).toEqual([
      "names src/durable/wallet/stores.ts, which does not exist",
    ]);
    expect(messages(code("// see test/durable/nothing-here.test.ts"))).toEqual([
      "names test/durable/nothing-here.test.ts, which does not exist",
    ]);
    expect(messages(markdown("Run `scripts/no-such-script.mjs`."))).toEqual([
      "names scripts/no-such-script.mjs, which does not exist",
    ]);
  });

  it("reads a path in a comment relative to the comment's own file", () => {
    expect(
      messages(
        code(
          "/** The write path is ./store.ts; the rules ../../domain/flows.ts. */",
          "src/durable/wallet/example.ts",
        ),
      ),
    ).toEqual([]);
    expect(
      messages(code("/** The class in ../wallet.ts */", "src/durable/wallet/example.ts")),
    ).toEqual(["names ../wallet.ts (src/durable/wallet.ts), which does not exist"]);
  });

  it("reads placeholders and globs as 'at least one match'", () => {
    expect(
      messages(
        code(
          "/** Bounds: src/durable/<object>/limits.ts, proofs in test/durable/wallet/*.test.ts, all of test/** */",
        ),
      ),
    ).toEqual([]);
    expect(messages(code("/** src/durable/<object>/nothing.ts */"))).toEqual([
      "names src/durable/<object>/nothing.ts, which does not exist",
    ]);
  });

  it("reads comments only in code, not strings or regular expressions", () => {
    expect(
      messages(code('const p = "src/not/a/claim.ts"; const r = /test\\/nowhere\\//;')),
    ).toEqual([]);
    expect(messages(code('const p = "x"; // but src/not/there.ts is a claim'))).toEqual([
      "names src/not/there.ts, which does not exist",
    ]);
  });

  it("reports a section citation that names no heading, even across a line break", () => {
    expect(
      messages(code("/** VTpass signs nothing (docs/providers.md, §VTpass callbacks). */")),
    ).toEqual([]);
    expect(
      messages(
        code(
          "/**\n * VTpass signs nothing (docs/providers.md,\n * §VTpass callbacks): so we requery.\n */",
        ),
      ),
    ).toEqual([]);
    expect(
      messages(
        code("/** Invariants (docs/architecture.md, §Money invariants; proven by tests). */"),
      ),
    ).toEqual([]);
    // "VTpass" is a heading of its own: a name that only starts with it is still no heading.
    const [problem] = messages(code("/** (docs/providers.md, §VTpass webhooks signatures) */"));
    expect(problem).toMatch(
      /^cites docs\/providers\.md, §VTpass webhooks signatures.*names no heading/,
    );
    expect(messages(code("/** docs/nowhere.md, §Anything */"))).toEqual([
      "names docs/nowhere.md, which does not exist",
    ]);
  });

  it("checks every section of a citation that names several", () => {
    expect(
      messages(code("/** docs/providers.md, §VTpass callbacks, §Flutterwave webhooks */")),
    ).toEqual([]);
    expect(
      messages(code("/** docs/providers.md, §VTpass callbacks, §Nothing like it */")),
    ).toHaveLength(1);
  });

  it("reports a doc named without its docs/ folder", () => {
    expect(messages(code("/** Invariants (ARCHITECTURE.md) */"))).toEqual([
      "names ARCHITECTURE.md without its folder: cite docs/architecture.md (and its section)",
    ]);
    expect(messages(code("/** VTpass signs nothing (providers.md §8) */"))).toHaveLength(1);
  });

  it("reports a broken link or anchor in a doc, and passes good ones", () => {
    const good =
      "[Architecture](architecture.md), [its invariants](architecture.md#money-invariants), [the README](../README.md), [up](#a-title)\n\n# A title\n";
    expect(messages(markdown(good))).toEqual([]);
    expect(messages(markdown("[x](missing.md)"))).toEqual([
      "links to missing.md, but docs/missing.md does not exist",
    ]);
    expect(messages(markdown("[x](architecture.md#no-such-heading)"))).toEqual([
      "links to architecture.md#no-such-heading, but docs/architecture.md has no heading with anchor #no-such-heading",
    ]);
    expect(messages(markdown("[x](#nowhere)\n\n# Somewhere\n"))).toEqual([
      "links to #nowhere, but docs/example.md has no heading with anchor #nowhere",
    ]);
    expect(messages(markdown("```\n[not a link](missing.md)\n```\n"))).toEqual([]);
  });

  it("slugs headings as GitHub does", () => {
    expect(slug("Money invariants (and where each is proven)")).toBe(
      "money-invariants-and-where-each-is-proven",
    );
    expect(slug("npm run bench")).toBe("npm-run-bench");
    expect(slug("Rate limits: who is refused, and when")).toBe(
      "rate-limits-who-is-refused-and-when",
    );
    expect(
      markdownHeadings("# The `Wallet` object\n```\n# not a heading\n```\n## [Linked](x.md)\n"),
    ).toEqual(["The Wallet object", "Linked"]);
    expect([...anchors(["Tests", "Tests", "Tests"])]).toEqual(["tests", "tests-1", "tests-2"]);
  });
});
