/**
 * The provider-fault suite's shared table and tools: the fault modes grouped
 * by what each one means for a money path, arming a fault at a look-alike,
 * counting what the look-alike served (the proof of "at most one transfer or
 * pay", and that every armed fault was met), the operator's view of a wallet,
 * and the count of cases and faults each file prints.
 *
 * Everything goes through the real Worker; the look-alikes are the outside world.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Wallet } from "../../src/durable/wallet/object";
import { requireConfig } from "../../src/lib/config";
import { api } from "./helpers";

/** Every way a call can go unanswered, or answered with nothing usable, without the provider doing anything. */
export const NOT_DONE = [
  "hang",
  "http_500",
  "gateway_timeout",
  "rate_limited",
  "malformed",
  "wrong_shape",
] as const;
/**
 * The provider did it, and its answer was lost: the committed modes, and
 * `slow_body` (the answer is the real one, trickling past the client's timeout).
 */
export const DONE_ANSWER_LOST = ["slow_body", "commit_then_hang", "commit_then_500"] as const;
/** Every way a read (verify, lookup, requery) can go unanswered. `slow_body` performs the read, which changes nothing. */
export const READ_UNANSWERED = [...NOT_DONE, "slow_body"] as const;
export type Mode = (typeof NOT_DONE)[number] | (typeof DONE_ANSWER_LOST)[number] | "refuse";

export type Provider = "flutterwave" | "vtpass";

function controlUrl(provider: Provider, path: string): string {
  return `http://wallet.test/__sandbox/${provider}/__control${path}`;
}

/** The data of a control answer (Flutterwave's envelope `data`, VTpass's `content`), asserting 200. */
async function controlData<T>(
  provider: Provider,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const response = await exports.default.fetch(controlUrl(provider, path), {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`control ${path}: ${response.status} ${text}`);
  const parsed = JSON.parse(text) as { data?: T; content?: T };
  return (provider === "flutterwave" ? parsed.data : parsed.content) as T;
}

export function flutterwaveControl<T = any>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  return controlData<T>("flutterwave", path, init);
}

export function vtpassControl<T = any>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  return controlData<T>("vtpass", path, init);
}

/** Arm `times` uses of a fault on one operation, scoped to requests that contain `match`. */
export async function arm(
  provider: Provider,
  operation: string,
  match: string,
  mode: Mode,
  times = 1,
): Promise<void> {
  if (match.length < 8) throw new Error(`match "${match}" is too loose for a shared look-alike`);
  await controlData(provider, "/faults", { body: { operation, match, mode, times } });
}

/** What the look-alike served for one operation and match: how many requests, and how many met a fault. */
export async function served(
  provider: Provider,
  operation: string,
  match: string,
): Promise<{ count: number; faulted: number }> {
  const counted = await controlData<{ count: number; recent: { fault: string | null }[] }>(
    provider,
    `/requests?operation=${encodeURIComponent(operation)}&match=${encodeURIComponent(match)}`,
  );
  return { count: counted.count, faulted: counted.recent.filter((r) => r.fault !== null).length };
}

const ADMIN = () => ({ authorization: `Bearer ${requireConfig(env).ADMIN_API_TOKEN}` });

/** The operator's audit of one wallet (GET /admin/wallets/{user_id}/audit). */
export async function operatorAudit(user_id: string): Promise<{
  ok: boolean;
  balance_minor: number;
  held_minor: number;
  anomalies: { kind: string; tx_ref: string | null; ref: string }[];
}> {
  const response = await api(`/admin/wallets/${user_id}/audit`, { headers: ADMIN() });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`audit: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Time passing that the test cannot wait for: the transaction's deadline is now behind it. */
export async function passDeadline(stub: DurableObjectStub<Wallet>, tx_ref: string): Promise<void> {
  await runInDurableObject(stub, (_wallet: Wallet, state) => {
    state.storage.sql.exec(
      "UPDATE transactions SET deadline_at_ms = ? WHERE tx_ref = ?",
      Date.now() - 1,
      tx_ref,
    );
  });
}

/** An escalated transaction as operators see it: flagged on the transaction, listed in the admin audit. */
export async function expectEscalated(
  stub: DurableObjectStub<Wallet>,
  user_id: string,
  tx_ref: string,
): Promise<void> {
  expect(await stub.getTransaction(tx_ref)).toMatchObject({
    status: "PENDING",
    escalated_at_ms: expect.any(Number),
  });
  const audit = await operatorAudit(user_id);
  expect(audit.ok).toBe(true);
  expect(audit.anomalies).toContainEqual(expect.objectContaining({ kind: "escalated", tx_ref }));
}

/** `npm run test:soak` (SOAK=1): every row of every table. */
export const SOAK = (env as unknown as { SOAK?: string }).SOAK === "1";
/** Where the CI form's rotation starts; fixed, so every run checks the same cases. */
export const FAULTS_SEED = 5;

/** Cases of one file running at once: they mostly wait (timeouts, queue retries), but each call must still answer inside 1.5 s. */
export const CASES_IN_FLIGHT_MAX = 40;
/**
 * Cases at once in a file whose every case waits for the queue to retry a
 * message whose check went unanswered. The local queue hands the consumer one
 * batch at a time (of wallet-events' max_batch_size, 10), and a batch lasts as
 * long as its slowest check (three timed-out attempts), so forty such cases
 * wait behind each other's batches past any case's deadline; ten at once fill
 * a batch and are answered within the next.
 */
export const QUEUE_RETRY_CASES_IN_FLIGHT_MAX = 10;

type Task = { type: string; mode: string; tasks?: Task[] };
function everyTestRuns(task: Task): boolean {
  if (task.type === "test") return task.mode === "run";
  return (task.tasks ?? []).every(everyTestRuns);
}

/**
 * One file's fault table. Cases are registered at collection; a file-level
 * `beforeAll` starts them all (at most `in_flight_max` at once, by default CASES_IN_FLIGHT_MAX) and each
 * case's own test awaits its result, so every case is reported (and fails) on
 * its own. Why not `describe.concurrent`: vitest runs at most `maxConcurrency`
 * (5) tests at once, and these cases spend their time waiting for timeouts
 * and queue retries, so five at a time would take minutes.
 *
 * Each row says how many fault uses its case arms (`faults`); the case
 * returns how many the look-alikes report it met, and the two must agree.
 * `summary()` adds a last test, named with the file's counts, that checks
 * every case ran and every armed fault was met.
 */
export function faultTable(name: string, options: { in_flight_max?: number } = {}) {
  const in_flight_max = options.in_flight_max ?? CASES_IN_FLIGHT_MAX;
  const starts: (() => void)[] = [];
  const tally = { cases: 0, faults: 0 };
  let rotation = FAULTS_SEED;
  const declared = { cases: 0, faults: 0 };
  let in_flight = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    while (in_flight >= in_flight_max) await new Promise<void>((resolve) => waiting.push(resolve));
    in_flight += 1;
  };
  const release = () => {
    in_flight -= 1;
    waiting.shift()?.();
  };

  // A run filtered to some cases (-t, .only) starts each case when its own test runs instead.
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first parameter as its fixtures and requires a destructuring pattern there.
  beforeAll(({}, file) => {
    if (everyTestRuns(file as unknown as Task)) for (const start of starts) start();
  });

  return {
    /** Register a table, as `it.each(rows)(title, run)`: one test per row, named from `title` ($field interpolation). */
    each:
      <C extends { faults: number }>(rows: readonly C[]) =>
      (title: string, run: (row: C) => Promise<number>): void => {
        declared.cases += rows.length;
        declared.faults += rows.reduce((sum, row) => sum + row.faults, 0);
        const results: Promise<number>[] = [];
        const start = (index: number) => {
          const result = slot().then(() => run(rows[index]).finally(release));
          result.catch(() => {}); // reported by the case's own test, below
          results[index] = result;
        };
        rows.forEach((_row, index) => void starts.push(() => start(index)));
        it.each(rows.map((row, index) => ({ ...row, case_index: index })))(title, async (row) => {
          const index = (row as { case_index: number }).case_index;
          if (!results[index]) start(index);
          const faults = await results[index];
          expect(faults, "faults met at the look-alikes").toBe(rows[index].faults);
          tally.cases += 1;
          tally.faults += faults;
        });
      },

    /**
     * The CI form's share of a table: under SOAK every row; otherwise `keep`
     * consecutive rows (wrapping), starting where the file's previous sample
     * stopped. The tables of a file list the modes in the same order, so
     * together their samples meet every mode while each stays small.
     */
    sample: <R>(rows: readonly R[], keep: number): R[] => {
      if (SOAK || keep >= rows.length) return [...rows];
      const start = rotation % rows.length;
      rotation += keep;
      return Array.from({ length: keep }, (_, i) => rows[(start + i) % rows.length]);
    },

    /**
     * The file's last test: its name carries the counts, and it checks them.
     * Call after every table (in a describe, so the tables' describes have
     * been collected when the name is made).
     */
    summary(): void {
      describe("counts", () => {
        it(`${name}${SOAK ? " (soak)" : ""}: ${declared.cases} cases injected ${declared.faults} faults, and every case met every fault it armed`, () => {
          expect(tally).toEqual(declared);
          console.log(
            `[faults] ${name}: ${tally.cases} cases, ${tally.faults} faults injected and met at the look-alikes`,
          );
        });
      });
    },
  };
}
