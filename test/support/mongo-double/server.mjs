/**
 * MongoDoubleServer: a MongoDB-wire TEST DOUBLE, for tests only.
 *
 * What it is: a TCP server on 127.0.0.1 that speaks enough of the MongoDB wire
 * protocol (wire.mjs) and of its commands (commands.mjs) for the official
 * `mongodb` driver to connect, create indexes, insert, update (with upsert),
 * delete, find and page through cursors, and to get the same E11000 duplicate
 * key errors a server returns for unique indexes. Documents live in memory.
 * It exists because no MongoDB server can be installed where the tests run,
 * and the code under test must be exercised through the real driver, over a
 * real socket, from inside workerd.
 *
 * What it is not: a database. No durability, no transactions, no sessions
 * beyond accepting `endSessions`, no replication (it answers as a standalone
 * server, so drivers send no transaction numbers), no authentication, no
 * compression, no aggregation, only the commands listed in commands.mjs,
 * and no concurrency worth the name: each command runs to completion in turn,
 * except where a fault opens a gap on purpose (the upsert race window).
 * Agreement with it proves our use of the driver; agreement with a real
 * server is what the contract suite checks when MONGODB_TEST_URI is set.
 *
 * Control hooks, for outage tests: `stop()` closes the listener and every
 * connection (documents are kept, as a restarted server keeps them),
 * `start()` listens again on the same port, `pause()` keeps accepting
 * connections and reading but answers nothing (a frozen server), `resume()`
 * answers what is waiting and carries on,
 * `setAnswerDelay()` makes every answer late (a slow server),
 * `writes()` lists the write commands a database received with the write
 * concern each carried (the double applies none, so this is how a test sees
 * what a server would have been asked to wait for),
 * `dump()` and `reset()` read and clear the data, `setUpsertRaceWindow()`
 * opens the gap between an upsert's "no match" and its insert, so that two
 * writers can race on a unique key as they can on a server. `serveControl()`
 * exposes the same hooks over HTTP on loopback, for tests inside workerd.
 */
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { EJSON } from "bson";
import { Engine } from "./commands.mjs";
import { MORE_TO_COME, encodeMsg, encodeReply, readFrames } from "./wire.mjs";

/**
 * What the double has seen: open and total connections, commands answered by
 * name, E11000 errors given; and its faults.
 * @typedef {{
 *   connections_open: number; connections_total: number; commands: Record<string, number>;
 *   apps: Record<string, { open: number; total: number }>;
 *   duplicate_key_errors: number; paused: boolean; listening: boolean; answer_delay_ms: number; upsert_race_window_ms: number;
 * }} DoubleStats
 */

/** Commands that write, whose write concern `writes()` records. */
const WRITE_COMMANDS = new Set([
  "insert",
  "update",
  "delete",
  "findAndModify",
  "createIndexes",
  "dropIndexes",
  "drop",
  "dropDatabase",
]);
/** Write commands remembered, the oldest dropped first (a bound, so a long run cannot grow it without end). */
const WRITES_KEPT_MAX = 5_000;

/**
 * One write command as received: its database and collection, and the
 * `writeConcern` document it carried (null when it carried none, which a
 * server reads as its default, `w: 1` on a standalone).
 * @typedef {{ command: string; db: string; collection: string; write_concern: import("bson").Document | null }} WriteRecord
 */

export class MongoDoubleServer {
  engine = new Engine();
  /** @type {import("node:net").Server | undefined} */
  server = undefined;
  /** @type {Set<import("node:net").Socket>} */
  sockets = new Set();
  port_ = 0;
  paused = false;
  /** Resolved while not paused; commands wait on it before they run. */
  thawed = Promise.resolve();
  thaw = () => {};
  /** Fault: every answer waits this long (a slow server or path); 0 when off. */
  answer_delay_ms = 0;
  connections_total = 0;
  /** Connections per client application name (the handshake's `client.application.name`). @type {Record<string, { open: number; total: number }>} */
  apps = {};
  /** @type {Record<string, number>} */
  commands = {};
  /** @type {WriteRecord[]} */
  write_log = [];

  get port() {
    return this.port_;
  }

  /** `mongodb://127.0.0.1:<port>`: direct connection, so the driver does not look for a replica set. */
  get uri() {
    return `mongodb://127.0.0.1:${this.port_}/?directConnection=true`;
  }

  /** Listens on 127.0.0.1: port 0 (a free port) the first time, the same port after a stop. */
  async start() {
    if (this.server) return;
    const server = createServer((socket) => this.accept(socket));
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: this.port_ }, () => resolve(undefined));
    });
    this.port_ = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
    this.server = server;
  }

  /** Simulates an outage: refuse new connections and drop the open ones. */
  async stop() {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(() => resolve(undefined)));
  }

  /**
   * A frozen server (SIGSTOP): connections are accepted and requests read,
   * but nothing is answered until `resume()`, which answers what arrived
   * meanwhile on connections that are still open (SIGCONT).
   */
  pause() {
    if (this.paused) return;
    this.paused = true;
    this.thawed = new Promise((resolve) => (this.thaw = resolve));
  }

  resume() {
    this.paused = false;
    this.thaw();
  }

  /** A slow server: each answer waits `ms` (at most 5 s); 0 turns the fault off. @param {number} ms */
  setAnswerDelay(ms) {
    this.answer_delay_ms = Math.max(0, Math.min(ms, 5_000));
  }

  /** See Engine.upsert_race_window_ms; 0 turns the fault off. @param {number} ms */
  setUpsertRaceWindow(ms) {
    this.engine.upsert_race_window_ms = Math.max(0, Math.min(ms, 5_000));
  }

  reset() {
    this.engine.reset();
    this.answer_delay_ms = 0;
    this.resume();
    for (const key of Object.keys(this.commands)) delete this.commands[key];
    this.write_log = [];
    this.connections_total = this.sockets.size;
  }

  /** The write commands database `db` received, oldest first. @param {string} db @returns {WriteRecord[]} */
  writes(db) {
    return this.write_log.filter((w) => w.db === db).map((w) => structuredClone(w));
  }

  /** @param {import("bson").Document} body @param {string} name */
  recordWrite(body, name) {
    if (!WRITE_COMMANDS.has(name)) return;
    const concern = body.writeConcern;
    this.write_log.push({
      command: name,
      db: typeof body.$db === "string" ? body.$db : "admin",
      collection: typeof body[name] === "string" ? body[name] : "",
      // Through EJSON, so a numeric `w` or `wtimeout` (Int32, Long) reads as a plain number.
      write_concern:
        concern && typeof concern === "object"
          ? EJSON.parse(EJSON.stringify(concern, { relaxed: true }))
          : null,
    });
    if (this.write_log.length > WRITES_KEPT_MAX)
      this.write_log.splice(0, this.write_log.length - WRITES_KEPT_MAX);
  }

  /** @param {string} db @param {string} coll */
  dump(db, coll) {
    return this.engine.dump(db, coll);
  }

  /** @returns {DoubleStats} */
  stats() {
    return {
      connections_open: this.sockets.size,
      connections_total: this.connections_total,
      apps: structuredClone(this.apps),
      commands: { ...this.commands },
      duplicate_key_errors: this.engine.duplicate_key_errors,
      paused: this.paused,
      listening: this.server !== undefined,
      answer_delay_ms: this.answer_delay_ms,
      upsert_race_window_ms: this.engine.upsert_race_window_ms,
    };
  }

  /** @param {import("node:net").Socket} socket */
  accept(socket) {
    this.connections_total += 1;
    const connection_id = this.connections_total;
    /** @type {string | undefined} */
    let app_name;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    /** @type {Buffer} */
    let pending = Buffer.alloc(0);
    // Commands on one connection are answered in order, one at a time (as a
    // server does); different connections interleave at the engine's awaits.
    let previous = Promise.resolve();
    socket.on("data", (/** @type {Buffer} */ chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let requests;
      try {
        ({ requests, rest: pending } = readFrames(pending));
      } catch {
        socket.destroy(); // not MongoDB traffic: drop it, as a server would
        return;
      }
      for (const request of requests) {
        previous = previous.then(async () => {
          await this.thawed; // a frozen server reads and does not answer yet
          if (socket.destroyed) return;
          const name = Object.keys(request.body)[0] ?? "";
          const app = request.body.client?.application?.name;
          if (typeof app === "string" && app_name === undefined) {
            // The handshake names the client application: count this connection under it.
            app_name = app;
            const entry = (this.apps[app] ??= { open: 0, total: 0 });
            entry.open += 1;
            entry.total += 1;
          }
          this.commands[name] = (this.commands[name] ?? 0) + 1;
          this.recordWrite(request.body, name);
          if (this.answer_delay_ms > 0)
            await new Promise((resolve) => setTimeout(resolve, this.answer_delay_ms));
          const answer = await this.engine.run(request.body, connection_id);
          if (socket.destroyed) return;
          if (request.op === "query") socket.write(encodeReply(request.request_id, answer));
          else if (!(request.flags & MORE_TO_COME))
            socket.write(encodeMsg(request.request_id, answer));
        });
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (app_name !== undefined && this.apps[app_name]) this.apps[app_name].open -= 1;
    });
  }
}

/**
 * The control hooks over HTTP on 127.0.0.1, for tests inside workerd (which
 * cannot call into this Node process):
 *   POST /stop, /start, /pause, /resume, /reset   -> { ok: true }
 *   POST /answer-delay?ms=N                        -> { ok: true } (a slow server)
 *   POST /upsert-race-window?ms=N                  -> { ok: true } (see Engine.upsert_race_window_ms)
 *   GET  /dump?db=..&coll=..                       -> documents as canonical Extended JSON
 *   GET  /writes?db=..                             -> WriteRecord[] (the write commands, with their write concern)
 *   GET  /stats                                    -> DoubleStats
 *
 * @param {MongoDoubleServer} double
 * @returns {Promise<{ url: string; close: () => Promise<void> }>}
 */
export async function serveControl(double) {
  const server = createHttpServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://control");
    const reply = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    try {
      if (req.method === "POST" && url.pathname === "/stop") await double.stop();
      else if (req.method === "POST" && url.pathname === "/start") await double.start();
      else if (req.method === "POST" && url.pathname === "/pause") double.pause();
      else if (req.method === "POST" && url.pathname === "/resume") double.resume();
      else if (req.method === "POST" && url.pathname === "/reset") double.reset();
      else if (req.method === "POST" && url.pathname === "/answer-delay")
        double.setAnswerDelay(Number(url.searchParams.get("ms") ?? 0));
      else if (req.method === "POST" && url.pathname === "/upsert-race-window")
        double.setUpsertRaceWindow(Number(url.searchParams.get("ms") ?? 0));
      else if (req.method === "GET" && url.pathname === "/dump")
        return reply(
          200,
          EJSON.stringify(
            double.dump(url.searchParams.get("db") ?? "", url.searchParams.get("coll") ?? ""),
            { relaxed: false },
          ),
        );
      else if (req.method === "GET" && url.pathname === "/stats") return reply(200, double.stats());
      else if (req.method === "GET" && url.pathname === "/writes")
        return reply(200, double.writes(url.searchParams.get("db") ?? ""));
      else return reply(404, { ok: false, error: "unknown control route" });
      return reply(200, { ok: true });
    } catch (error) {
      return reply(500, { ok: false, error: /** @type {Error} */ (error).message });
    }
  });
  await new Promise((resolve) =>
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve(undefined)),
  );
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
