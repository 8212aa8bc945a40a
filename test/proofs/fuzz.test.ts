/**
 * Schema-driven fuzzing of every operation in our OpenAPI document.
 *
 * The document is read from the real Worker, so a new route is fuzzed the day
 * it is documented (and the test fails if any operation got no request). For
 * each operation fast-check generates, from its parameters and body schema,
 * valid requests, requests with one field at an edge, and hostile ones
 * (test/proofs/fuzz/requests.ts). Everything runs through the real Worker,
 * Durable Objects and queue consumer; only Flutterwave and VTpass are the
 * in-repo look-alikes.
 *
 * Properties, over every answer:
 * - no 5xx;
 * - every 4xx is a valid problem document (application/problem+json, the
 *   document's Problem schema, no stack trace);
 * - any other answer is a documented status with a body valid against its schema;
 * - no 4xx changes state: the acting user's wallet, transaction list, journal
 *   rows and anomalies (read through the API) are compared before and after
 *   every run of 4xx answers, before anything that may legitimately change
 *   them; the victim (whose identifiers are stolen) and a ghost user (a valid
 *   token for a user who never registered) never change at all.
 *
 * The CI form is seeded and small; `npm run test:soak` (SOAK=1) runs at least
 * 10,000 requests from the same seeds. A failure lists the requests that
 * caused it, one line each, enough to replay by hand.
 *
 * Requests go through `dispatch` (test/support/helpers.ts): the test runner's own
 * loopback slows with every request a file sends, and at this size it looked
 * like a hang.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe as suite, expect, it } from "vitest";
import { PURCHASE_FAILURES_MAX } from "../../src/domain/limits";
import { setLogLevel } from "../../src/lib/log";
import { apiInProcess as api, dispatch, env, uniqueIp } from "../support/helpers";
import { describe, judge } from "./fuzz/answers";
import { specArb, toRequest, type Spec } from "./fuzz/requests";
import type { OpenApiDocument, Operation } from "./fuzz/schema-check";
import {
  ghostSnapshot,
  laneUser,
  prepareWorld,
  snapshot,
  type Snapshot,
  type User,
  type World,
} from "./fuzz/world";
import { REGRESSIONS } from "./fuzz/regressions";

const SOAK = (env as unknown as { SOAK?: string }).SOAK === "1";
const SEED = 20_261_127;
/**
 * Requests per operation. A read costs one request; a write also costs the
 * state checks around it, so writes get fewer. Registration and login hash a
 * password (argon2id) on the valid path, so they get fewer still.
 */
const PER_READ = SOAK ? 300 : 50;
const PER_WRITE = SOAK ? 150 : 20;
const PER_EXPENSIVE_OPERATION = SOAK ? 60 : 8;
const EXPENSIVE = new Set(["POST /api/v1/auth/register", "POST /api/v1/auth/login"]);
const SOAK_TIMEOUT_MS = 60 * 60_000;
const CI_TIMEOUT_MS = 300_000;
/** Reads run this many at a time (they cannot change anything, so their order does not matter). */
const READ_CONCURRENCY = 6;
/** Operations that spend from the wallet: their lane's user is funded first. */
const SPENDING = new Set([
  "POST /api/v1/wallet/withdraw",
  "POST /api/v1/wallet/bulk",
  "POST /api/v1/wallet/airtime",
  "POST /api/v1/wallet/data",
  "POST /api/v1/wallet/electricity",
  "POST /api/v1/wallet/tv",
]);
/**
 * Purchase lanes change user every few requests: one user may start 10
 * purchases a minute (PURCHASE_USER_LIMITER) and is refused once 8 failed
 * within the hour (PURCHASE_FAILURES_MAX). A lane that kept one user would
 * spend most of its requests on those 429s instead of on the route.
 */
const PURCHASING = new Set([
  "POST /api/v1/wallet/airtime",
  "POST /api/v1/wallet/data",
  "POST /api/v1/wallet/electricity",
  "POST /api/v1/wallet/tv",
]);
const PURCHASES_PER_LANE_USER = Math.min(10, PURCHASE_FAILURES_MAX);
/** Provider timeouts are 1.5 s in tests; an answer slower than this is a hang. */
const ANSWER_TIMEOUT_MS = 10_000;

type Tally = {
  elapsed: Map<string, number>;
  requests: number;
  byOperation: Map<string, Map<number, number>>;
  byAttack: Map<string, number>;
  undocumented4xx: Set<string>;
  stateChecks: number;
};

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function diff(before: Snapshot, after: Snapshot): string {
  return Object.keys({ ...before, ...after })
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${JSON.stringify(before[k])} -> ${JSON.stringify(after[k])}`)
    .join("; ");
}

/**
 * The documented operation a method and (already normalised) path reach, if
 * any. The router is not strict about a trailing slash, so an empty last path
 * parameter (`/wallet/transactions/`) reaches the operation without it (the
 * transaction list), unless a documented path ends in that slash itself.
 */
function reachedOperation<T extends { method: string; path: string }>(
  ops: T[],
  method: string,
  pathname: string,
): T | undefined {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const find = (path: string) =>
    ops.find(
      (o) =>
        o.method === method.toLowerCase() &&
        new RegExp(
          `^${o.path
            .split(/\{[^}]+\}/)
            .map(literal)
            .join("[^/]+")}$`,
        ).test(path),
    );
  return (
    find(pathname) ??
    (pathname.length > 1 && pathname.endsWith("/") ? find(pathname.slice(0, -1)) : undefined)
  );
}

function operations(
  document: OpenApiDocument,
): { key: string; method: string; path: string; op: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method,
      path,
      op,
    })),
  );
}

suite("schema-driven fuzzing of every API operation", () => {
  let document: OpenApiDocument;
  let world: World;

  beforeAll(async () => {
    // Thousands of requests write an info line each, and every line crosses to the test runner:
    // errors only, for this file (the unhandled-error line is the one a fuzzer wants to see).
    setLogLevel("error");
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    document = (await res.json()) as OpenApiDocument;
    world = await prepareWorld();
  }, 120_000);

  afterAll(() => setLogLevel(null));

  it(
    `answers every generated request (${SOAK ? "soak" : "seeded CI"} form) with no 5xx, a problem document for every 4xx, documented 2xx bodies, and no state change on any 4xx`,
    async () => {
      const ops = operations(document);
      expect(ops.length).toBeGreaterThan(30);
      const tally: Tally = {
        elapsed: new Map(),
        requests: 0,
        byOperation: new Map(ops.map((o) => [o.key, new Map()])),
        byAttack: new Map(),
        undocumented4xx: new Set(),
        stateChecks: 0,
      };
      const failures: string[] = [];
      const victimBefore = await snapshot(world, world.victim);
      const ghostBefore = await ghostSnapshot(world);

      /** Send one request and judge its answer; the status, or null when there was none. */
      async function send(spec: Spec): Promise<number | null> {
        const entry = ops.find((o) => o.key === spec.op)!;
        let reached = entry;
        let res: Response;
        let text: string;
        try {
          const request = toRequest(spec, uniqueIp());
          // A traversal such as ".." is resolved by URL parsing (every HTTP
          // client does it), so the request may land on another documented
          // operation: its answer is judged against the one it reached.
          reached = reachedOperation(ops, request.method, new URL(request.url).pathname) ?? entry;
          const answered = (async () => {
            const r = await dispatch(request);
            return { r, t: r.status === 101 ? "" : await r.text() };
          })();
          const answer = await Promise.race([
            answered,
            new Promise<null>((resolve) => setTimeout(() => resolve(null), ANSWER_TIMEOUT_MS)),
          ]);
          if (answer === null) {
            failures.push(`no answer within ${ANSWER_TIMEOUT_MS} ms\n    ${describe(spec)}`);
            return null;
          }
          res = answer.r;
          text = answer.t;
        } catch (error) {
          failures.push(`the Worker threw: ${String(error)}\n    ${describe(spec)}`);
          return null;
        }
        if (res.status === 101) {
          res.webSocket?.accept();
          res.webSocket?.close(1000, "fuzz");
        }
        tally.requests += 1;
        bump(tally.byOperation.get(spec.op)!, res.status);
        bump(tally.byAttack, `${spec.kind}/${spec.attack}`);
        const verdict = judge(
          document,
          reached.op,
          res.status,
          res.headers.get("content-type"),
          text,
        );
        if (verdict.undocumented4xx) tally.undocumented4xx.add(`${spec.op} ${res.status}`);
        for (const problem of verdict.problems) failures.push(`${problem}\n    ${describe(spec)}`);
        refusals.delete(spec);
        if (res.status === 422) {
          const body = JSON.parse(text) as { tx_ref?: unknown; transaction_status?: unknown };
          if (typeof body.tx_ref === "string" && body.transaction_status === "FAILED")
            refusals.set(spec, body.tx_ref);
        }
        return res.status;
      }

      /**
       * The one 4xx that records something: the provider's definite refusal of a
       * valid withdrawal or purchase (422 naming its tx_ref, FAILED). The attempt
       * is kept as a FAILED transaction, with nothing taken: the only change
       * allowed is that transaction, FAILED, and the balances are unchanged.
       */
      const refusals = new Map<Spec, string>();
      function checkRefusal(before: Snapshot, after: Snapshot, tx_ref: string, spec: Spec): void {
        const added = (after.transactions as string[]).filter(
          (t) => !(before.transactions as string[]).includes(t),
        );
        const same = (key: string) => JSON.stringify(before[key]) === JSON.stringify(after[key]);
        const wallet = (snap: Snapshot) =>
          JSON.stringify({ ...(snap.wallet as Record<string, unknown>), updated_at: undefined });
        if (
          added.length !== 1 ||
          !added[0].startsWith(`${tx_ref}:FAILED:`) ||
          !same("journal_balance_minor") ||
          !same("anomalies") ||
          wallet(before) !== wallet(after)
        )
          failures.push(
            `a provider refusal changed more than its own FAILED record: ${diff(before, after)}\n    ${describe(spec)}`,
          );
      }

      /**
       * One operation's writes, in order, as one user. Before any request that
       * may legitimately change the user (a write that succeeds), the 4xx
       * answers since the last check are checked: the user's state must be the
       * baseline still. After a success the baseline is read again.
       */
      async function lane(user: User, specs: Spec[]): Promise<void> {
        let baseline = await snapshot(world, user);
        let unchecked: Spec[] = [];
        const settle = async () => {
          if (unchecked.length === 0) return;
          const now = await snapshot(world, user);
          tally.stateChecks += 1;
          const changed = diff(baseline, now);
          if (changed)
            failures.push(
              `state changed across ${unchecked.length} 4xx answer(s): ${changed}\n    ${unchecked.map(describe).join("\n    ")}`,
            );
          baseline = now;
          unchecked = [];
        };
        for (const spec of specs) {
          await settle();
          const status = await send(spec);
          const refused = refusals.get(spec);
          if (refused !== undefined) {
            const now = await snapshot(world, user);
            tally.stateChecks += 1;
            checkRefusal(baseline, now, refused, spec);
            baseline = now;
          } else if (status !== null && status >= 400 && status < 500) unchecked.push(spec);
          else baseline = await snapshot(world, user);
        }
        await settle();
      }

      function generate(index: number, entry: (typeof ops)[number], as: World): Spec[] {
        const runs = EXPENSIVE.has(entry.key)
          ? PER_EXPENSIVE_OPERATION
          : entry.method === "get"
            ? PER_READ
            : PER_WRITE;
        return fc.sample(specArb(document, entry.method, entry.path, entry.op, as), {
          seed: SEED + index,
          numRuns: runs,
        });
      }

      // The inputs that once found a bug, first and always.
      await lane(
        world.actor,
        REGRESSIONS.map((build) => build(world)),
      );

      // Reads (as the actor, a few at a time) and writes (one lane per operation, each with its
      // own user) run side by side: no lane shares a user with another or with the reads.
      const reads = ops.flatMap((entry, index) =>
        entry.method === "get" ? generate(index, entry, world) : [],
      );
      const actorBefore = await snapshot(world, world.actor);
      const readPhase = (async () => {
        const started_ms = Date.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: READ_CONCURRENCY }, async () => {
            while (next < reads.length) await send(reads[next++]);
          }),
        );
        tally.elapsed.set("reads", Date.now() - started_ms);
        // A read changes nothing, whatever it answers.
        const readChange = diff(actorBefore, await snapshot(world, world.actor));
        tally.stateChecks += 1;
        if (readChange)
          failures.push(`the actor's state changed during ${reads.length} reads: ${readChange}`);
      })();
      const writePhase = (async () => {
        const started_ms = Date.now();
        await Promise.all(
          ops.map(async (entry, index) => {
            if (entry.method === "get") return;
            const lane_started_ms = Date.now();
            try {
              if (PURCHASING.has(entry.key)) {
                // The same requests as one lane would send (same seed), each run of them as a new user.
                const runs = generate(index, entry, world).length;
                for (let from = 0; from < runs; from += PURCHASES_PER_LANE_USER) {
                  const user = await laneUser(true);
                  await lane(
                    user,
                    generate(index, entry, { ...world, actor: user }).slice(
                      from,
                      from + PURCHASES_PER_LANE_USER,
                    ),
                  );
                }
              } else {
                const user = await laneUser(SPENDING.has(entry.key));
                await lane(user, generate(index, entry, { ...world, actor: user }));
              }
            } catch (error) {
              failures.push(`the lane of ${entry.key} stopped: ${String(error)}`);
            }
            tally.elapsed.set(entry.key, Date.now() - lane_started_ms);
          }),
        );
        tally.elapsed.set("writes", Date.now() - started_ms);
      })();
      await Promise.all([readPhase, writePhase]);

      const victimChange = diff(victimBefore, await snapshot(world, world.victim));
      if (victimChange) failures.push(`the victim's state changed: ${victimChange}`);
      const ghostChange = diff(ghostBefore, await ghostSnapshot(world));
      if (ghostChange) failures.push(`the ghost user's state changed: ${ghostChange}`);

      const lines = [...tally.byOperation].map(([op, statuses]) => {
        const total = [...statuses.values()].reduce((a, b) => a + b, 0);
        const detail = [...statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}:${n}`)
          .join(" ");
        return `${String(total).padStart(5)} ${String(tally.elapsed.get(op) ?? "").padStart(6)}  ${op}  ${detail}`;
      });
      const byStatus = new Map<number, number>();
      for (const statuses of tally.byOperation.values())
        for (const [s, n] of statuses) byStatus.set(s, (byStatus.get(s) ?? 0) + n);
      const summary = [
        `fuzz: ${tally.requests} requests, ${tally.stateChecks} state checks, ${ops.length} operations; reads ${tally.elapsed.get("reads")} ms, writes ${tally.elapsed.get("writes")} ms`,
        ...lines,
        `by status: ${[...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}:${n}`)
          .join(" ")}`,
        `by kind/attack: ${[...tally.byAttack]
          .sort()
          .map(([a, n]) => `${a}:${n}`)
          .join(" ")}`,
        `undocumented 4xx statuses (problem documents all the same): ${[...tally.undocumented4xx].sort().join(", ") || "none"}`,
      ].join("\n");
      console.log(summary);

      expect(failures.slice(0, 30).join("\n\n"), summary).toBe("");
      // Every operation was fuzzed: a route added to the document is covered or this fails.
      expect(
        [...tally.byOperation].filter(([, statuses]) => statuses.size === 0).map(([op]) => op),
      ).toEqual([]);
      expect(tally.requests).toBeGreaterThanOrEqual(SOAK ? 10_000 : 1_500);
      // The valid requests did reach the money paths: some succeeded on every money route.
      for (const op of [
        "POST /api/v1/wallet/fund",
        "POST /api/v1/wallet/withdraw",
        "POST /api/v1/wallet/airtime",
        "POST /api/v1/wallet/data",
        "POST /api/v1/wallet/electricity",
        "POST /api/v1/wallet/tv",
      ]) {
        const statuses = tally.byOperation.get(op)!;
        expect(
          [...statuses.keys()].some((s) => s >= 200 && s < 400),
          `${op} never succeeded`,
        ).toBe(true);
      }
    },
    SOAK ? SOAK_TIMEOUT_MS : CI_TIMEOUT_MS,
  );
});
