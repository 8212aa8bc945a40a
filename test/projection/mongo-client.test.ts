/**
 * The MongoDB settings and the client's pure parts: where the URI comes from,
 * what of it may be logged, and what each driver error means for us.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import * as mongodb from "mongodb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MongoProjector, projectorName } from "../../src/projection/object";
import { MONGO_DEFAULT_DB, parseConfig } from "../../src/lib/config";
import { randomBase32 } from "../../src/lib/ids";
import { MONGO_BATCH_TIMEOUT_MS, MONGO_SERVER_SELECTION_TIMEOUT_MS } from "../../src/lib/limits";
import {
  WriteConcernNotMet,
  classifyMongoError as classifyWith,
  describeMongoError,
  mongoHosts,
  projectorAppName,
  redact,
} from "../../src/projection/mongo-client";

const {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
} = mongodb;
const classifyMongoError = (error: unknown) => classifyWith(mongodb, error);

const SECRET_URI =
  "mongodb+srv://projector:s3cr%40t-pass@cluster0.abcde.mongodb.net/?retryWrites=true&w=majority";

function mongoOf(env: Record<string, string>) {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.config.mongo;
}

describe("MongoDB settings", () => {
  it("are off when no URI is set", () => {
    expect(mongoOf({})).toBeNull();
  });

  it("take the seed's MONGO_URI, and MONGODB_URI over it when both are set", () => {
    expect(mongoOf({ MONGO_URI: "mongodb://seed.example:27017" })?.uri).toBe(
      "mongodb://seed.example:27017",
    );
    expect(
      mongoOf({
        MONGO_URI: "mongodb://seed.example:27017",
        MONGODB_URI: "mongodb://new.example:27017",
      })?.uri,
    ).toBe("mongodb://new.example:27017");
  });

  it("default the database and the timeouts, and take them from the environment within bounds", () => {
    expect(mongoOf({ MONGODB_URI: "mongodb://h" })).toEqual({
      uri: "mongodb://h",
      db: MONGO_DEFAULT_DB,
      server_selection_timeout_ms: MONGO_SERVER_SELECTION_TIMEOUT_MS,
      batch_timeout_ms: MONGO_BATCH_TIMEOUT_MS,
    });
    expect(
      mongoOf({
        MONGODB_URI: "mongodb://h",
        MONGO_DB_NAME: "ledger_view",
        MONGO_BATCH_TIMEOUT_MS: "2500",
      }),
    ).toMatchObject({ db: "ledger_view", batch_timeout_ms: 2_500 });
    expect(parseConfig({ MONGODB_URI: "mongodb://h", MONGO_BATCH_TIMEOUT_MS: "3600000" }).ok).toBe(
      false,
    );
  });
});

describe("what may be logged of a URI", () => {
  it("is its host names: no user, password, port, path or options", () => {
    expect(mongoHosts(SECRET_URI)).toEqual(["cluster0.abcde.mongodb.net"]);
    expect(mongoHosts("mongodb://u:p@a.example:27017,b.example:27018/db?replicaSet=rs0")).toEqual([
      "a.example",
      "b.example",
    ]);
    expect(mongoHosts("not a uri")).toEqual([]);
  });

  it("never includes the password, raw or decoded, in a message", () => {
    const message = `failed to reach ${SECRET_URI}; auth for s3cr%40t-pass / s3cr@t-pass refused`;
    const clean = redact(message, SECRET_URI);
    expect(clean).not.toMatch(/s3cr/);
    expect(clean).not.toContain("mongodb+srv://projector");
  });

  it("describes an error by name and code, with a redacted message and no stack", () => {
    const error = new MongoNetworkError(`connect to ${SECRET_URI} failed`);
    const described = describeMongoError(error, SECRET_URI);
    expect(described.name).toBe("MongoNetworkError");
    expect(JSON.stringify(described)).not.toMatch(/s3cr|stack/);
    expect(describeMongoError(new MongoParseError(`bad ${SECRET_URI}`), SECRET_URI)).toEqual({
      name: "MongoParseError",
      message: "the MongoDB URI does not parse",
    });
  });

  it("names a client after its projector object, within the handshake's 128 bytes", () => {
    expect(projectorAppName("airtime_wallet:0")).toBe("airtime-wallet-projector airtime_wallet:0");
    expect(projectorAppName("x".repeat(300))).toHaveLength(128);
  });
});

describe("a password with an unescaped @ (the driver refuses such a URI)", () => {
  /** The example: the first `@` is inside the password. */
  const PLAIN = "mongodb://user:p@ss@w0rd@host:27017/db";
  /** The same mistake with pieces no log line could hold by chance. */
  const URI =
    "mongodb://projector7k:Pq7v@Zx9k@Lm3v@db.example.internal:27017,db2.example.internal:27018/ledger?replicaSet=rs0";
  const PIECES = ["projector7k", "Pq7v", "Zx9k", "Lm3v"];

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("gives the hosts after the last @, and nothing of what comes before it", () => {
    expect(mongoHosts(PLAIN)).toEqual(["host"]);
    expect(mongoHosts(URI)).toEqual(["db.example.internal", "db2.example.internal"]);
    // The driver agrees that these are no URIs it would connect with.
    expect(() => new mongodb.MongoClient(PLAIN)).toThrow("Invalid connection string");
  });

  it("gives no hosts when nothing tells them from the credentials: a / or ? in the password, or an @ in the options", () => {
    expect(mongoHosts("mongodb://user:pa/ss@host/db")).toEqual([]);
    expect(mongoHosts("mongodb://user:pa?ss@host/db")).toEqual([]);
    expect(mongoHosts("mongodb://user:pass@host/db?appName=me@hunter2")).toEqual([]);
    // The controls: an escaped password, a socket path, an IPv6 address.
    expect(mongoHosts("mongodb://user:p%40ss%2Fw0rd@host:27017/db")).toEqual(["host"]);
    expect(mongoHosts("mongodb://%2Ftmp%2Fmongodb-27017.sock/db")).toEqual([
      "%2Ftmp%2Fmongodb-27017.sock",
    ]);
    expect(mongoHosts("mongodb://u:p@[::1]:27017/db")).toEqual(["[::1]"]);
  });

  it("redacts the whole password and every piece of it from a message", () => {
    const clean = redact(
      "auth as projector7k with Pq7v@Zx9k@Lm3v failed; Zx9k@Lm3v@db.example.internal unreachable; Lm3v",
      URI,
    );
    for (const piece of PIECES) expect(clean).not.toContain(piece);
    expect(redact("p@ss@w0rd and ss@w0rd and w0rd", PLAIN)).not.toMatch(/w0rd|p@ss/);
  });

  it("never reaches a log line or an answer of the projector", async () => {
    const lines: string[] = [];
    for (const stream of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, stream).mockImplementation(
        (...args: unknown[]) => void lines.push(args.map(String).join(" ")),
      );
    }
    const answers: unknown[] = [];
    for (const uri of [URI, PLAIN]) {
      // Our projector itself, on its own storage, with the environment an operator got wrong.
      const stub = env.MONGO_PROJECTOR.getByName(projectorName(`creds_${randomBase32(10)}`));
      await runInDurableObject(stub, async (_instance, state) => {
        const projector = new MongoProjector(state, { ...env, MONGODB_URI: uri } as Env);
        answers.push(await projector.ping());
        answers.push(
          await projector.project([
            {
              collection: "users",
              key: "usr0000000000000000",
              version: 1,
              doc: { email: "a@example.com", full_name: "A", created_at_ms: 1 },
            },
          ]),
        );
        answers.push(await projector.documents("users", ["usr0000000000000000"]));
      });
    }
    for (const answer of answers)
      expect(answer).toEqual({
        ok: false,
        reason: "misconfigured",
        retry_after_ms: expect.any(Number),
      });
    const logged = lines.filter((line) => line.includes("mongo projection"));
    expect(logged.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      for (const piece of [...PIECES, "w0rd", "p@ss", "ss@"]) expect(line).not.toContain(piece);
    }
    // What the lines do say: the hosts after the last @.
    const hosts = logged.map((line) => JSON.parse(line).hosts);
    expect(hosts).toContainEqual(["db.example.internal", "db2.example.internal"]);
    expect(hosts).toContainEqual(["host"]);
  });
});

describe("a driver error", () => {
  const server = (code: number, labels: string[] = []) =>
    new MongoServerError({ code, errmsg: "server said no", errorLabels: labels });

  it("is an outage when the network, server selection, a stepping-down primary or the write concern fails", () => {
    expect(classifyMongoError(new MongoNetworkError("reset"))).toBe("unavailable");
    expect(classifyMongoError(new MongoNetworkTimeoutError("timed out"))).toBe("unavailable");
    expect(
      classifyMongoError(new MongoServerSelectionError("no server", { type: "Unknown" } as never)),
    ).toBe("unavailable");
    expect(classifyMongoError(server(10107))).toBe("unavailable"); // NotWritablePrimary
    expect(classifyMongoError(server(999, ["RetryableWriteError"]))).toBe("unavailable");
    expect(classifyMongoError(new WriteConcernNotMet(64, "WriteConcernFailed"))).toBe(
      "unavailable",
    );
  });

  it("is a configuration problem when the URI does not parse or the credentials or rights are wrong", () => {
    expect(classifyMongoError(new MongoParseError("bad"))).toBe("misconfigured");
    expect(classifyMongoError(server(18))).toBe("misconfigured"); // AuthenticationFailed
    expect(classifyMongoError(server(13))).toBe("misconfigured"); // Unauthorized
  });

  it("is unknown otherwise, never taken for success or an outage", () => {
    expect(classifyMongoError(server(11000))).toBe("unknown");
    expect(classifyMongoError(new Error("bug"))).toBe("unknown");
  });
});
