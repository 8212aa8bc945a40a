/**
 * The test side of the MongoDB-wire test double, for tests inside workerd:
 * the URI the projector is bound to, and the double's control hooks over
 * HTTP on loopback (the double runs in the Node process that started vitest;
 * see global-setup.mjs and server.mjs).
 *
 * Against a real server (MONGODB_TEST_URI), `usingDouble` is false and the
 * hooks are unavailable: tests that need an outage skip.
 */
import { EJSON, type Document } from "bson";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The MongoDB URI under test: the double's, or MONGODB_TEST_URI. */
    mongoUri: string;
    /** The double's control URL; empty when the tests run against a real server. */
    mongoControl: string;
  }
}

export const mongoUri = inject("mongoUri");
const control_url = inject("mongoControl");
export const usingDouble = control_url !== "";

/** See DoubleStats in server.mjs. */
export type DoubleStats = {
  connections_open: number;
  connections_total: number;
  commands: Record<string, number>;
  /** Connections per client application name, which names the projector (see mongoClientOptions). */
  apps: Record<string, { open: number; total: number }>;
  duplicate_key_errors: number;
  paused: boolean;
  listening: boolean;
  answer_delay_ms: number;
  upsert_race_window_ms: number;
};

/** See WriteRecord in server.mjs: one write command and the write concern it carried. */
export type WriteRecord = {
  command: string;
  db: string;
  collection: string;
  write_concern: Record<string, unknown> | null;
};

async function call(method: "GET" | "POST", path: string): Promise<string> {
  if (!usingDouble) throw new Error("no test double: the tests run against a real MongoDB server");
  const response = await fetch(`${control_url}${path}`, { method });
  const text = await response.text();
  if (!response.ok) throw new Error(`test double control ${path}: ${response.status} ${text}`);
  return text;
}

export const mongoDouble = {
  /** Close the listener and every connection (the documents are kept). */
  stop: () => call("POST", "/stop"),
  /** Listen again on the same port. */
  start: () => call("POST", "/start"),
  /** Freeze: accept connections, read requests, answer nothing until resume(). */
  pause: () => call("POST", "/pause"),
  /** Thaw: answer what is waiting, then carry on. */
  resume: () => call("POST", "/resume"),
  /** Make every answer wait this long (0: off): a slow server. */
  setAnswerDelay: (ms: number) => call("POST", `/answer-delay?ms=${ms}`),
  /** Let upserts that matched nothing wait this long before inserting (0: off), so two writers can race. */
  setUpsertRaceWindow: (ms: number) => call("POST", `/upsert-race-window?ms=${ms}`),
  dump: async (db: string, coll: string): Promise<Document[]> =>
    EJSON.parse(
      await call("GET", `/dump?db=${encodeURIComponent(db)}&coll=${encodeURIComponent(coll)}`),
      { relaxed: true },
    ) as Document[],
  stats: async (): Promise<DoubleStats> => JSON.parse(await call("GET", "/stats")) as DoubleStats,
  /** The write commands database `db` received, oldest first, each with the write concern it carried. */
  writes: async (db: string): Promise<WriteRecord[]> =>
    JSON.parse(await call("GET", `/writes?db=${encodeURIComponent(db)}`)) as WriteRecord[],
};
