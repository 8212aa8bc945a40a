/**
 * The MongoDB settings and the client's pure parts: where the URI comes from,
 * what of it may be logged, and what each driver error means for us.
 */
import * as mongodb from "mongodb";
import { describe, expect, it } from "vitest";
import { MONGO_DEFAULT_DB, parseConfig } from "../../src/lib/config";
import { MONGO_BATCH_TIMEOUT_MS, MONGO_SERVER_SELECTION_TIMEOUT_MS } from "../../src/lib/limits";
import { WriteConcernNotMet, classifyMongoError as classifyWith, describeMongoError, mongoHosts, projectorAppName, redact } from "../../src/providers/mongo/client";

const { MongoNetworkError, MongoNetworkTimeoutError, MongoParseError, MongoServerError, MongoServerSelectionError } = mongodb;
const classifyMongoError = (error: unknown) => classifyWith(mongodb, error);

const SECRET_URI = "mongodb+srv://projector:s3cr%40t-pass@cluster0.abcde.mongodb.net/?retryWrites=true&w=majority";

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
    expect(mongoOf({ MONGO_URI: "mongodb://seed.example:27017" })?.uri).toBe("mongodb://seed.example:27017");
    expect(mongoOf({ MONGO_URI: "mongodb://seed.example:27017", MONGODB_URI: "mongodb://new.example:27017" })?.uri).toBe("mongodb://new.example:27017");
  });

  it("default the database and the timeouts, and take them from the environment within bounds", () => {
    expect(mongoOf({ MONGODB_URI: "mongodb://h" })).toEqual({
      uri: "mongodb://h",
      db: MONGO_DEFAULT_DB,
      server_selection_timeout_ms: MONGO_SERVER_SELECTION_TIMEOUT_MS,
      batch_timeout_ms: MONGO_BATCH_TIMEOUT_MS,
    });
    expect(mongoOf({ MONGODB_URI: "mongodb://h", MONGO_DB_NAME: "ledger_view", MONGO_BATCH_TIMEOUT_MS: "2500" })).toMatchObject({ db: "ledger_view", batch_timeout_ms: 2_500 });
    expect(parseConfig({ MONGODB_URI: "mongodb://h", MONGO_BATCH_TIMEOUT_MS: "3600000" }).ok).toBe(false);
  });
});

describe("what may be logged of a URI", () => {
  it("is its host names: no user, password, port, path or options", () => {
    expect(mongoHosts(SECRET_URI)).toEqual(["cluster0.abcde.mongodb.net"]);
    expect(mongoHosts("mongodb://u:p@a.example:27017,b.example:27018/db?replicaSet=rs0")).toEqual(["a.example", "b.example"]);
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
    expect(describeMongoError(new MongoParseError(`bad ${SECRET_URI}`), SECRET_URI)).toEqual({ name: "MongoParseError", message: "the MongoDB URI does not parse" });
  });

  it("names a client after its projector object, within the handshake's 128 bytes", () => {
    expect(projectorAppName("airtime_wallet:0")).toBe("airtime-wallet-projector airtime_wallet:0");
    expect(projectorAppName("x".repeat(300))).toHaveLength(128);
  });
});

describe("a driver error", () => {
  const server = (code: number, labels: string[] = []) => new MongoServerError({ code, errmsg: "server said no", errorLabels: labels });

  it("is an outage when the network, server selection, a stepping-down primary or the write concern fails", () => {
    expect(classifyMongoError(new MongoNetworkError("reset"))).toBe("unavailable");
    expect(classifyMongoError(new MongoNetworkTimeoutError("timed out"))).toBe("unavailable");
    expect(classifyMongoError(new MongoServerSelectionError("no server", { type: "Unknown" } as never))).toBe("unavailable");
    expect(classifyMongoError(server(10107))).toBe("unavailable"); // NotWritablePrimary
    expect(classifyMongoError(server(999, ["RetryableWriteError"]))).toBe("unavailable");
    expect(classifyMongoError(new WriteConcernNotMet(64, "WriteConcernFailed"))).toBe("unavailable");
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
