/**
 * Static checks on the source tree (run in Node, not workerd): every module
 * stays small enough to read, no module imports itself back through others
 * (an import circle, type-only imports included: a circle in types is a
 * circle in design), and the layers run one way:
 *
 *   routes, queue -> services -> durable -> domain
 *
 * - src/domain/ is pure rules: it imports only the domain;
 * - src/lib/ is leaf helpers: it imports only lib and the domain's policy,
 *   nothing that orchestrates, stores or calls out;
 * - src/sandbox/ (the look-alikes) is imported only by the development entry
 *   (src/worker.ts and the development app it serves, src/app.ts), never by
 *   what production builds;
 * - vendors stay behind the ports (src/providers/port.ts): src/routes,
 *   src/queue and src/services import no vendor folder (src/providers/<vendor>/)
 *   and pick a port through src/providers/index.ts; a vendor file that
 *   implements a port is an adapter, named `*-adapter.ts`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const SRC = join(ROOT, "src");
/**
 * A module longer than this is split by responsibility (docs/architecture.md,
 * §Layers and the source layout). Counted on code as the formatter writes it
 * (Biome, 100 columns): before the formatter, lines ran to 200 columns and more
 * and the bound was 400; wrapped at 100, the same modules take about a quarter
 * more lines, so the bound is 500.
 */
const MODULE_LINES_MAX = 500;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

const FILES = sources(SRC);
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g;

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    join(base, "index.ts"),
    join(base, "index.tsx"),
  ]) {
    if (FILES.includes(candidate)) return candidate;
  }
  return null;
}

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of FILES) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(IMPORT)]
      .map((m) => resolveImport(file, m[1]))
      .filter((t): t is string => t !== null);
    edges.set(file, [...new Set(targets)]);
  }
  return edges;
}

/** Every elementary cycle found by a depth-first search (each reported once, from its smallest member). */
function cycles(edges: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const visit = (start: string, node: string, path: string[], seen: Set<string>) => {
    for (const next of edges.get(node) ?? []) {
      if (next === start) {
        const cycle = [...path];
        const key = [...cycle].sort().join("|");
        if (!found.has(key)) found.set(key, cycle);
      } else if (!seen.has(next) && next > start) {
        seen.add(next);
        visit(start, next, [...path, next], seen);
        seen.delete(next);
      }
    }
  };
  for (const start of [...edges.keys()].sort()) visit(start, start, [start], new Set([start]));
  return [...found.values()];
}

/** Every import edge from a folder of src/ to another file of src/, as repository paths. */
function edgesFrom(folder: string): [string, string][] {
  const prefix = `${join(SRC, folder)}/`;
  return [...graph().entries()]
    .filter(([from]) => from.startsWith(prefix))
    .flatMap(([from, targets]) =>
      targets.map((to): [string, string] => [relative(ROOT, from), relative(ROOT, to)]),
    );
}

const outside = (edges: [string, string][], allowed: string[]) =>
  edges
    .filter(([, to]) => !allowed.some((a) => to.startsWith(`src/${a}/`)))
    .map(([from, to]) => `${from} -> ${to}`);

describe("layers", () => {
  it("keeps the domain pure: src/domain imports only the domain", () => {
    expect(outside(edgesFrom("domain"), ["domain"])).toEqual([]);
  });

  it("keeps src/lib a leaf: it imports only lib and the domain", () => {
    expect(outside(edgesFrom("lib"), ["lib", "domain"])).toEqual([]);
  });

  it("lets only the development entry import the look-alikes (src/sandbox)", () => {
    const importers = [...graph().entries()]
      .filter(
        ([from, targets]) =>
          !from.startsWith(`${join(SRC, "sandbox")}/`) &&
          targets.some((t) => t.startsWith(`${join(SRC, "sandbox")}/`)),
      )
      .map(([from]) => relative(ROOT, from))
      .sort();
    expect(importers).toEqual(["src/app.ts", "src/worker.ts"]);
  });

  it("sees a forbidden edge when there is one (the rule is not blind)", () => {
    expect(outside([["src/domain/x.ts", "src/lib/log.ts"]], ["domain"])).toEqual([
      "src/domain/x.ts -> src/lib/log.ts",
    ]);
    expect(edgesFrom("lib").length).toBeGreaterThan(10);
  });
});

/** The vendor folders: every folder of src/providers/ (a new vendor is covered the day its folder appears). */
const PROVIDERS = join(SRC, "providers");
const VENDORS = readdirSync(PROVIDERS).filter((name) =>
  statSync(join(PROVIDERS, name)).isDirectory(),
);
/** The capability ports a vendor implements, as src/providers/port.ts declares them (a generic one, HeldPaymentPort<Start>, is a shape they share, not a capability). */
const PORTS = [
  ...readFileSync(join(PROVIDERS, "port.ts"), "utf8").matchAll(
    /export interface (\w+Port)\s+(?:extends|\{)/g,
  ),
].map((m) => m[1]);

/** The edges that reach into a vendor folder. */
const intoVendors = (edges: [string, string][]) =>
  edges
    .filter(([, to]) => VENDORS.some((v) => to.startsWith(`src/providers/${v}/`)))
    .map(([from, to]) => `${from} -> ${to}`);

/** A vendor file that names a port it implements but is not called an adapter, or an adapter that implements none. */
function misnamedAdapters(files: { path: string; text: string }[]): string[] {
  const port = new RegExp(`\\b(${PORTS.join("|")})\\b`);
  return files
    .filter(({ path, text }) => port.test(text) !== path.endsWith("-adapter.ts"))
    .map(({ path }) => path);
}

describe("vendors behind the ports", () => {
  it("knows the vendor folders and the ports (the rules below are not blind)", () => {
    expect(VENDORS).toEqual(expect.arrayContaining(["flutterwave", "vtpass"]));
    expect(PORTS).toEqual(
      expect.arrayContaining([
        "CheckoutPort",
        "TransferPort",
        "PurchasePort",
        "BanksPort",
        "EventPort",
      ]),
    );
    expect(intoVendors([["src/queue/consumer.ts", "src/providers/vtpass/callbacks.ts"]])).toEqual([
      "src/queue/consumer.ts -> src/providers/vtpass/callbacks.ts",
    ]);
    expect(intoVendors([["src/routes/x.ts", "src/providers/port.ts"]])).toEqual([]);
    expect(
      misnamedAdapters([
        { path: "src/providers/vtpass/ports.ts", text: "export function p(): PurchasePort {}" },
      ]),
    ).toEqual(["src/providers/vtpass/ports.ts"]);
    expect(
      misnamedAdapters([
        { path: "src/providers/vtpass/x-adapter.ts", text: "export const x = 1;" },
      ]),
    ).toEqual(["src/providers/vtpass/x-adapter.ts"]);
  });

  for (const folder of ["routes", "queue", "services"]) {
    it(`keeps src/${folder} off the vendor folders: it picks a port through src/providers/index.ts`, () => {
      expect(edgesFrom(folder).length).toBeGreaterThan(0);
      expect(intoVendors(edgesFrom(folder))).toEqual([]);
    });
  }

  it("names every vendor file that implements a port *-adapter.ts, and only those", () => {
    const files = FILES.filter((f) =>
      VENDORS.some((v) => f.startsWith(`${join(PROVIDERS, v)}/`)),
    ).map((f) => ({ path: relative(ROOT, f), text: readFileSync(f, "utf8") }));
    // Every port has an adapter (a port nobody implements is a dead surface).
    const adapters = files.filter((f) => f.path.endsWith("-adapter.ts"));
    expect(
      PORTS.filter((p) => !adapters.some((a) => new RegExp(`\\b${p}\\b`).test(a.text))),
    ).toEqual([]);
    expect(misnamedAdapters(files)).toEqual([]);
  });
});

describe("source tree", () => {
  it(`keeps every module in src/ within ${MODULE_LINES_MAX} lines`, () => {
    const long = FILES.map((f) => ({
      file: relative(ROOT, f),
      lines: readFileSync(f, "utf8").split("\n").length,
    })).filter((f) => f.lines > MODULE_LINES_MAX);
    expect(long).toEqual([]);
  });

  it("has no import circle", () => {
    const found = cycles(graph()).map((c) => c.map((f) => relative(ROOT, f)).join(" -> "));
    expect(found).toEqual([]);
  });

  it("finds the imports it checks (the parser is not blind)", () => {
    const edges = graph();
    const wallet = join(SRC, "durable/wallet/object.ts");
    expect(edges.get(wallet)).toContain(join(SRC, "durable/wallet/store.ts"));
    expect(
      cycles(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
        ]),
      ),
    ).toEqual([["a", "b", "c"]]);
  });
});
