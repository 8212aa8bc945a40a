/**
 * The reference checker behind references.test.ts: what a comment or a doc
 * names must exist. Three kinds of reference are checked:
 *
 * 1. A path under src/, test/, scripts/, docs/ or clients/ in a comment or a
 *    doc names a file or folder of the repository, and so does a path in a
 *    comment relative to its own file (`./<file>.ts`, `../<folder>/<file>.ts`). `<name>` stands for any one
 *    entry and `*` / `**` are globs (`src/durable/<object>/limits.ts`,
 *    `test/durable/wallet/*.test.ts`): at least one path must match.
 * 2. A markdown link to a local file, or to a `#anchor`, in README.md and
 *    docs/*.md resolves: the file exists and the anchor is a heading of it,
 *    slugged as GitHub does (lower case, punctuation dropped, each space a
 *    '-', repeats numbered -1, -2...).
 * 3. A citation of a doc's section, written `docs/providers.md, §VTpass
 *    callbacks` (further sections may follow: `, §Another`), names a heading
 *    of that doc. A comment or README.md that names a doc's file without its
 *    docs/ folder (the upper-case names of the design notes that came before
 *    docs/ included) is reported too: those files live in docs/.
 *
 * Comments are read with the TypeScript parser (a regular expression cannot
 * tell a comment from a string or a regex literal), so a path inside code is
 * not a claim; paths in a doc are, fenced code blocks included.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import ts from "typescript";

export type Source = { file: string; kind: "code" | "markdown"; text: string };
export type Problem = { file: string; line: number; message: string };

/** What the checker may ask of the repository (the real tree, in the tests). */
export type World = {
  /** Does a repository path or pattern (`<name>`, `*`, `**`) name at least one file or folder? */
  exists(pattern: string): boolean;
  /** The headings of a markdown file of the repository, or null when there is no such file. */
  headings(path: string): string[] | null;
};

/** The folders whose paths a comment or doc may name. */
const ROOTS = ["src", "test", "scripts", "docs", "clients"];
/** Files and folders never scanned (installed, generated or built). */
const SKIPPED = new Set(["node_modules", "dist", ".wrangler", "bench-results", ".git"]);
const CODE = /\.(ts|tsx|mts|mjs|js|jsonc)$/;

const PATH = new RegExp(String.raw`(?<![\w.@/\-$])(?:${ROOTS.join("|")})\/[\w.\-/<>*]*`, "g");
/** A path relative to the comment's own file (`./<file>.ts`, `../<folder>/<file>.ts`), read in code comments only. */
const RELATIVE = /(?<![\w.@/\-$])\.\.?\/[\w.\-/]*\.(?:ts|tsx|mts|mjs|js|jsonc|json|md)\b/g;
const CITATION = /docs\/([\w.-]+\.md),?\s*§/g;
const BARE_DOC =
  /(?<![\w/.-])(ARCHITECTURE|CONVENTIONS|architecture|conventions|providers|operations|testing|benchmarks)\.md\b/g;
const LINK = /\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

// ---- Headings and anchors ------------------------------------------------------

/** A heading's text as GitHub renders it: inline code, links and emphasis reduced to their words. */
function headingText(raw: string): string {
  return raw
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|__|\*)(.+?)\1/g, "$2")
    .trim();
}

/** The ATX headings of a markdown text, outside fenced code blocks. */
export function markdownHeadings(text: string): string[] {
  const headings: string[] = [];
  let fence: string | null = null;
  for (const line of text.split("\n")) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (marker) {
      if (fence === null) fence = marker[1][0];
      else if (marker[1][0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) headings.push(headingText(heading[1]));
  }
  return headings;
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, each space a '-'. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown text offers, repeats numbered as GitHub numbers them. */
export function anchors(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const heading of headings) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

// ---- Reading sources -----------------------------------------------------------

type Span = { text: string; offset: number };

/** Every comment of a code file, as written (delimiters included), with its offset. */
export function comments(file: string, text: string): Span[] {
  const kind = file.endsWith(".tsx")
    ? ts.ScriptKind.TSX
    : /\.(mjs|js)$/.test(file)
      ? ts.ScriptKind.JS
      : file.endsWith(".jsonc")
        ? ts.ScriptKind.JSON
        : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, kind);
  const found = new Map<number, Span>();
  const take = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? [])
      found.set(range.pos, { text: text.slice(range.pos, range.end), offset: range.pos });
  };
  const visit = (node: ts.Node) => {
    take(ts.getLeadingCommentRanges(text, node.getFullStart()));
    take(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return [...found.values()].sort((a, b) => a.offset - b.offset);
}

/**
 * The words of a comment or doc as one line of prose: comment markers at the
 * start of each line dropped and line breaks made spaces, so a citation that
 * wraps is read whole. Every character keeps its place where possible, so an
 * offset still points near its line.
 */
function prose(text: string): string {
  return text
    .replace(/\r?\n[ \t]*(?:\/\/+|\*(?!\/)|#)?/g, (m) => " ".repeat(m.length))
    .replace(/^\/\*\*?|\*\/$/g, (m) => " ".repeat(m.length));
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === "\n") line++;
  return line;
}

// ---- The checks ----------------------------------------------------------------

/** Drop what ends a sentence after a path: a full stop or a dash. */
function cleanPath(raw: string): string {
  return raw.replace(/[.-]+$/, "");
}

/** The package a file belongs to (its nearest folder with a package.json), relative to the root; "" for the root. */
function packageOf(file: string, world: World): string {
  let dir = posix.dirname(file);
  while (dir !== "." && dir !== "") {
    if (world.exists(`${dir}/package.json`)) return dir;
    dir = posix.dirname(dir);
  }
  return "";
}

function checkPaths(source: Source, span: Span, world: World, problems: Problem[]): void {
  for (const match of span.text.matchAll(PATH)) {
    const path = cleanPath(match[0]);
    if (path.endsWith("/") && path.split("/").length === 2) continue; // "src/" alone: a root that exists
    const pkg = packageOf(source.file, world);
    if (world.exists(path) || (pkg !== "" && world.exists(`${pkg}/${path}`))) continue;
    problems.push({
      file: source.file,
      line: lineAt(source.text, span.offset + match.index),
      message: `names ${path}, which does not exist`,
    });
  }
}

function checkRelativePaths(source: Source, span: Span, world: World, problems: Problem[]): void {
  for (const match of span.text.matchAll(RELATIVE)) {
    const path = posix.normalize(posix.join(posix.dirname(source.file), match[0]));
    if (path.startsWith("../") || world.exists(path)) continue;
    problems.push({
      file: source.file,
      line: lineAt(source.text, span.offset + match.index),
      message: `names ${match[0]} (${path}), which does not exist`,
    });
  }
}

/**
 * The longest heading that the text after a '§' starts with, followed by the
 * end of the text, a punctuation mark, or a further section (`and §`, `or §`).
 * A word after it is not allowed: `§VTpass webhooks` is not the heading
 * `VTpass` followed by prose, it is a heading that does not exist. So a
 * citation ends with punctuation: `(docs/providers.md, §VTpass callbacks).`
 */
function headingAt(after: string, headings: string[]): string | null {
  const text = after.replace(/\s+/g, " ").toLowerCase();
  let best: string | null = null;
  for (const heading of headings) {
    const name = heading.replace(/\s+/g, " ").toLowerCase();
    if (!text.startsWith(name)) continue;
    const rest = text.slice(name.length);
    if (!/^(?:$|\s*$|\s*[)\],.;:!?*'"`]|\s+(?:and|or)\s+§)/u.test(rest)) continue;
    if (best === null || name.length > best.length) best = heading;
  }
  return best;
}

function checkCitations(source: Source, span: Span, world: World, problems: Problem[]): void {
  const text = prose(span.text);
  for (const match of text.matchAll(CITATION)) {
    const doc = `docs/${match[1]}`;
    const line = lineAt(source.text, span.offset + match.index);
    const headings = world.headings(doc);
    // A doc that does not exist is reported once, by the path check that reads the same text.
    if (headings === null) continue;
    let at = match.index + match[0].length;
    for (;;) {
      const after = text.slice(at, at + 200);
      const heading = headingAt(after, headings);
      if (heading === null) {
        problems.push({
          file: source.file,
          line,
          message: `cites ${doc}, §${after.replace(/\s+/g, " ").slice(0, 40)}..., which names no heading of it`,
        });
        break;
      }
      const rest = after.replace(/\s+/g, " ").slice(heading.replace(/\s+/g, " ").length);
      const more = /^\s*(?:,|;|and|or)\s*§/.exec(rest);
      if (!more) break;
      // Find the next '§' in the original text and read on from there.
      const next = text.indexOf("§", at);
      if (next < 0) break;
      at = next + 1;
    }
  }
}

function checkBareDocs(source: Source, span: Span, problems: Problem[]): void {
  for (const match of span.text.matchAll(BARE_DOC)) {
    problems.push({
      file: source.file,
      line: lineAt(source.text, span.offset + match.index),
      message: `names ${match[0]} without its folder: cite docs/${match[1].toLowerCase()}.md (and its section)`,
    });
  }
}

/** The markdown text outside fenced code blocks, blanked inside them (offsets kept). */
function outsideFences(text: string): string {
  let fence: string | null = null;
  return text
    .split("\n")
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (marker) {
        if (fence === null) fence = marker[1][0];
        else if (marker[1][0] === fence) fence = null;
        return " ".repeat(line.length);
      }
      return fence === null ? line : " ".repeat(line.length);
    })
    .join("\n");
}

function checkLinks(source: Source, world: World, problems: Problem[]): void {
  const text = outsideFences(source.text);
  for (const match of text.matchAll(LINK)) {
    const target = match[2];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const line = lineAt(source.text, match.index);
    const hash = target.indexOf("#");
    const pathPart = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
    const file =
      pathPart === ""
        ? source.file
        : posix.normalize(posix.join(posix.dirname(source.file), pathPart)).replace(/\/$/, "");
    if (pathPart !== "" && !world.exists(file)) {
      problems.push({
        file: source.file,
        line,
        message: `links to ${target}, but ${file} does not exist`,
      });
      continue;
    }
    if (anchor === null) continue;
    const headings = pathPart === "" ? markdownHeadings(source.text) : world.headings(file);
    if (headings === null) {
      problems.push({
        file: source.file,
        line,
        message: `links to ${target}, an anchor in a file that is not markdown`,
      });
    } else if (!anchors(headings).has(anchor)) {
      problems.push({
        file: source.file,
        line,
        message: `links to ${target}, but ${file} has no heading with anchor #${anchor}`,
      });
    }
  }
}

/** Every broken reference in one source. */
export function checkSource(source: Source, world: World): Problem[] {
  const problems: Problem[] = [];
  if (source.kind === "code") {
    // Parsing is most of the cost, and most files name nothing a check reads:
    // a file whose text has no candidate anywhere has none in its comments.
    const candidates =
      [PATH, RELATIVE, BARE_DOC].some((pattern) => source.text.search(pattern) >= 0) ||
      source.text.includes("§");
    if (!candidates) return problems;
    for (const span of comments(source.file, source.text)) {
      checkPaths(source, span, world, problems);
      checkRelativePaths(source, span, world, problems);
      checkCitations(source, span, world, problems);
      checkBareDocs(source, span, problems);
    }
  } else {
    const whole = { text: source.text, offset: 0 };
    checkPaths(source, whole, world, problems);
    checkCitations(source, whole, world, problems);
    if (!source.file.startsWith("docs/"))
      checkBareDocs(
        source,
        { text: outsideFences(source.text).replace(LINK, (m) => " ".repeat(m.length)), offset: 0 },
        problems,
      );
    checkLinks(source, world, problems);
  }
  return problems;
}

// ---- The repository ------------------------------------------------------------

function listDir(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  return readdirSync(abs).filter((name) => !SKIPPED.has(name));
}

/** Does a pattern (segments with `<name>`, `*`, `**`) match a path under `root`? */
function matches(root: string, dir: string, segments: string[]): boolean {
  if (segments.length === 0) return true;
  const [head, ...rest] = segments;
  if (head === "")
    return rest.length === 0
      ? existsSync(join(root, dir)) && statSync(join(root, dir)).isDirectory()
      : matches(root, dir, rest);
  if (head === "**") {
    if (matches(root, dir, rest)) return true;
    return listDir(root, dir).some(
      (name) =>
        statSync(join(root, dir, name)).isDirectory() &&
        matches(root, posix.join(dir, name), segments),
    );
  }
  if (!/[<*]/.test(head)) {
    const next = posix.join(dir, head);
    return existsSync(join(root, next)) && matches(root, next, rest);
  }
  const pattern = new RegExp(
    `^${head
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/<[^>]*>/g, "[^/]+")
      .replace(/\*/g, "[^/]*")}$`,
  );
  return listDir(root, dir).some(
    (name) => pattern.test(name) && matches(root, posix.join(dir, name), rest),
  );
}

/** The repository at `root`, as the checker sees it. */
export function repository(root: string): World {
  const headingCache = new Map<string, string[] | null>();
  return {
    exists: (pattern) => matches(root, "", pattern.split("/")),
    headings: (path) => {
      if (!headingCache.has(path)) {
        const abs = join(root, path);
        headingCache.set(
          path,
          path.endsWith(".md") && existsSync(abs) && statSync(abs).isFile()
            ? markdownHeadings(readFileSync(abs, "utf8"))
            : null,
        );
      }
      return headingCache.get(path) ?? null;
    },
  };
}

function walk(root: string, dir: string): string[] {
  return listDir(root, dir).flatMap((name) => {
    const path = posix.join(dir, name);
    return statSync(join(root, path)).isDirectory() ? walk(root, path) : [path];
  });
}

/**
 * Every source the check reads: the code and docs under the checked roots,
 * the root's README.md and configuration files with comments. The checker's
 * own test plants broken references on purpose, so it is left out.
 */
export function repositorySources(root: string, exclude: string[] = []): Source[] {
  const files = [
    ...ROOTS.flatMap((dir) => walk(root, dir)),
    "README.md",
    "vitest.config.ts",
    "wrangler.jsonc",
  ].filter((f) => existsSync(join(root, f)) && !exclude.includes(f));
  return files
    .filter((file) => CODE.test(file) || file.endsWith(".md"))
    .map((file) => ({
      file,
      kind: file.endsWith(".md") ? ("markdown" as const) : ("code" as const),
      text: readFileSync(join(root, file), "utf8"),
    }));
}
