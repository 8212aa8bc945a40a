/**
 * MongoDB client for the projection: builds a bounded `MongoClient`, says what
 * a driver error means for us, and keeps the URI's password out of every log.
 *
 * Responsibilities
 * - One place for the driver's options, each bound named in src/projection/limits.ts (the timeouts configuration may change in src/lib/limits.ts):
 *   a pool of one socket (the client lives in a Durable Object, Cloudflare's
 *   guidance), a server selection timeout, idle sockets closed, majority write
 *   concern so an acknowledged write survives a primary failover. The driver's
 *   socket timers are off (see MONGO_SOCKET_TIMEOUT_MS for the workerd reason);
 *   the projector bounds each call as a whole instead.
 * - Classify every driver error as one of our words:
 *     unavailable    network, timeouts, no primary, shutdown, write concern
 *                    not met: the write may or may not have happened; the
 *                    caller retries the whole (idempotent) batch later
 *     misconfigured  a URI that does not parse, bad credentials, missing
 *                    rights, an index that conflicts with what is there: no
 *                    retry helps until an operator acts
 *     unknown        anything else: a bug or a server answer we do not know;
 *                    callers treat it as an error, never as success
 * - Redact: the URI may carry `user:password@`; logs get host names only, and
 *   error messages pass through `redact()` before they are logged.
 *
 * Requires `nodejs_compat` (the driver reaches the network through `node:net`
 * and `node:tls`, which workerd builds on `connect()` from cloudflare:sockets).
 */
import type { MongoClient, MongoClientOptions } from "mongodb";
import type { MongoSettings } from "../lib/config";
import {
  MONGO_CONNECT_TIMEOUT_MS,
  MONGO_MAX_IDLE_TIME_MS,
  MONGO_POOL_MAX,
  MONGO_POOL_MIN,
  MONGO_SOCKET_TIMEOUT_MS,
} from "./limits";

/**
 * The options we set. A subset of MongoClientOptions: that type picks its TLS
 * fields from Node's `tls` declarations, which this project (workerd types,
 * no @types/node) does not load, so TypeScript reads them all as required and
 * refuses any literal; the one cast below is for that reason only.
 */
export type ProjectorClientOptions = Pick<
  MongoClientOptions,
  | "maxPoolSize"
  | "minPoolSize"
  | "serverSelectionTimeoutMS"
  | "connectTimeoutMS"
  | "socketTimeoutMS"
  | "maxIdleTimeMS"
  | "writeConcern"
  | "readConcern"
  | "serverMonitoringMode"
  | "appName"
>;

/** Application names longer than this are refused by the driver (the handshake's limit). */
const APP_NAME_MAX_BYTES = 128;

/**
 * The application name a client announces in its handshake: the projector
 * object's name (database and lane, no secret) after a fixed prefix, so the
 * server's logs and connection lists say which object holds a connection.
 */
export function projectorAppName(object_name: string): string {
  return `airtime-wallet-projector ${object_name}`.slice(0, APP_NAME_MAX_BYTES);
}

/** The driver options we run with, given the (environment-tunable) timeouts. */
export function mongoClientOptions(
  settings: Pick<MongoSettings, "server_selection_timeout_ms">,
  object_name = "test",
): ProjectorClientOptions {
  return {
    maxPoolSize: MONGO_POOL_MAX,
    minPoolSize: MONGO_POOL_MIN,
    serverSelectionTimeoutMS: settings.server_selection_timeout_ms,
    connectTimeoutMS: MONGO_CONNECT_TIMEOUT_MS,
    socketTimeoutMS: MONGO_SOCKET_TIMEOUT_MS,
    maxIdleTimeMS: MONGO_MAX_IDLE_TIME_MS,
    // A projection write counts once a majority holds it: a failover cannot roll back what we reported applied.
    writeConcern: { w: "majority" },
    // The consistency checker compares the ledger with what a majority holds.
    readConcern: { level: "majority" },
    // Polling, not the streaming protocol: streaming keeps a second monitoring
    // socket (round-trip timing) per object, and an object should hold few.
    serverMonitoringMode: "poll",
    appName: projectorAppName(object_name),
  };
}

/** The `mongodb` module. */
export type MongoDriver = typeof import("mongodb");

let driver: Promise<MongoDriver> | undefined;

/**
 * The driver, loaded on first use rather than imported at the top: it is most
 * of the bundle, and evaluating it at startup cost every isolate about 85 ms
 * more startup CPU (`wrangler check startup` on a development machine: about
 * 250 ms imported at the top, 165 ms loaded on first use, 105 ms without the
 * driver), while only MongoProjector objects need it.
 */
export function loadMongoDriver(): Promise<MongoDriver> {
  driver ??= import("mongodb").catch((error: unknown) => {
    driver = undefined;
    throw error;
  });
  return driver;
}

/** Builds a client; it connects lazily, on its first operation. Throws MongoParseError on a malformed URI. */
export function createMongoClient(
  mongo: MongoDriver,
  settings: Pick<MongoSettings, "uri" | "server_selection_timeout_ms">,
  object_name?: string,
): MongoClient {
  if (!/^mongodb(\+srv)?:\/\//.test(settings.uri))
    throw new mongo.MongoParseError("Invalid scheme, expected mongodb:// or mongodb+srv://");
  return new mongo.MongoClient(
    settings.uri,
    mongoClientOptions(settings, object_name) as MongoClientOptions,
  );
}

/**
 * Closes a client whose server may be hanging, without waiting on that server.
 * `close()` first ends the pooled sessions with an `endSessions` command; with
 * the driver's socket timers off (MONGO_SOCKET_TIMEOUT_MS) a hung server never
 * answers it, close() never finishes, and the sockets and the monitor stay
 * open. Closing the topology as soon as close() has begun fails that command
 * at once and destroys every socket. `topology` is the driver's internal
 * field (present in mongodb 7.9); without it this is a plain close(), and the
 * contract suite's hung-server test notices the sockets left open.
 */
export async function closeNow(client: MongoClient): Promise<void> {
  const closing = client.close().catch(() => {});
  const topology = (client as unknown as { topology?: { close?: () => void } }).topology;
  try {
    topology?.close?.();
  } catch {
    // already closing: close() is still awaited below
  }
  await closing;
}

// ---- Redaction ----------------------------------------------------------------------

/**
 * A URI's parts around its credentials. A password is meant to be %-escaped,
 * but an unescaped `@`, `/` or `?` in one is an easy mistake (the driver then
 * refuses the URI), and the first `@` is then inside the password. So
 * `userinfo` runs to the last `@` of the whole URI: whatever the mistake, it
 * holds every character of the credentials (and, if an option's value had an
 * `@`, more). `authority` is what follows it up to the path or the options;
 * null when that `@` lies past a `/` or `?` (a password with one of them, or
 * an `@` in the options): then nothing tells hosts from credentials.
 */
function uriParts(uri: string): { userinfo: string | null; authority: string | null } | null {
  const scheme = /^mongodb(?:\+srv)?:\/\//.exec(uri);
  if (!scheme) return null;
  const rest = uri.slice(scheme[0].length);
  const at = rest.lastIndexOf("@");
  const end = rest.search(/[/?]/);
  const authority_end = end === -1 ? rest.length : end;
  if (at === -1) return { userinfo: null, authority: rest.slice(0, authority_end) };
  return {
    userinfo: rest.slice(0, at),
    authority: at < authority_end ? rest.slice(at + 1, authority_end) : null,
  };
}

/** A host as a URI may name one: a DNS name or IPv4 address, a bracketed IPv6 address, or a %-escaped socket path. */
const HOST_NAME = /^(?:[A-Za-z0-9._~%-]+|\[[0-9A-Fa-f:.]+\])$/;

/**
 * Host names of a MongoDB URI, without credentials, ports, path or options:
 * the only part of the URI that may be logged. Nothing before the last `@`
 * is ever returned, and a URI whose hosts cannot be told apart from the rest
 * gives none.
 */
export function mongoHosts(uri: string): string[] {
  const authority = uriParts(uri)?.authority;
  if (!authority) return [];
  const hosts = authority
    .split(",")
    .map((host) =>
      host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0],
    );
  return hosts.every((host) => HOST_NAME.test(host)) ? hosts : [];
}

/** Text shorter than this is not redacted from messages: it would mangle them and gives little away. */
const REDACT_MIN_CHARS = 3;

/**
 * Removes any URI, and the URI's credentials (raw and %-decoded: the whole
 * user:password, each of the two, and each piece between `:` and `@`), from
 * a message.
 */
export function redact(message: string, uri?: string): string {
  let out = message.replace(/mongodb(\+srv)?:\/\/\S*/g, "mongodb://<redacted>");
  const userinfo = uri === undefined ? null : uriParts(uri)?.userinfo;
  if (!userinfo) return out;
  const colon = userinfo.indexOf(":");
  const raw = [
    userinfo,
    ...(colon === -1 ? [] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)]),
    ...userinfo.split(/[:@]/),
  ];
  const parts = new Set<string>();
  for (const part of raw) {
    parts.add(part);
    try {
      parts.add(decodeURIComponent(part));
    } catch {
      // a malformed escape: the raw form is enough
    }
  }
  // Longest first, so a whole password goes before any piece of it.
  for (const part of [...parts]
    .filter((p) => p.length >= REDACT_MIN_CHARS)
    .sort((a, b) => b.length - a.length)) {
    out = out.split(part).join("<redacted>");
  }
  return out;
}

/**
 * An error as it may be logged: name, code and a redacted message, never a
 * stack (it may quote arguments). Read by shape, so it needs no driver loaded.
 */
export function describeMongoError(
  error: unknown,
  uri?: string,
): { name: string; code?: number | string; code_name?: string; message: string } {
  if (!(error instanceof Error)) return { name: "unknown", message: redact(String(error), uri) };
  if (error.name === "MongoParseError")
    return { name: error.name, message: "the MongoDB URI does not parse" };
  const { code, codeName } = error as { code?: unknown; codeName?: unknown };
  return {
    name: error.name,
    ...(typeof code === "number" || typeof code === "string" ? { code } : {}),
    ...(typeof codeName === "string" ? { code_name: codeName } : {}),
    message: redact(error.message, uri),
  };
}

// ---- Classification -----------------------------------------------------------------

/**
 * A write the server applied but could not get acknowledged by a majority in
 * time (`writeConcernError` in a raw command reply). The write may or may not
 * survive a failover, so the batch counts as not done.
 */
export class WriteConcernNotMet extends Error {
  constructor(
    readonly code: number | undefined,
    readonly code_name: string | undefined,
  ) {
    super(`write concern not met${code_name ? ` (${code_name})` : ""}`);
    this.name = "WriteConcernNotMet";
  }
}

/** A state of the target database that no retry fixes (an index conflict, duplicates under a unique key). */
export class MongoMisconfigured extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MongoMisconfigured";
  }
}

export type MongoFailure = "unavailable" | "misconfigured" | "unknown";

/**
 * Server error codes that mean "not now": the server is stepping down,
 * shutting down, unreachable or out of time. From the server's error codes
 * and the drivers' retryable-writes specification.
 */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  462, // IngressRequestRateLimitExceeded
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Server error codes an operator has to fix. */
const CONFIGURATION_CODES = new Set([
  13, // Unauthorized
  18, // AuthenticationFailed
  85, // IndexOptionsConflict
  86, // IndexKeySpecsConflict
  8000, // AtlasError: "bad auth", over quota
]);

export function classifyMongoError(mongo: MongoDriver, error: unknown): MongoFailure {
  if (
    error instanceof MongoMisconfigured ||
    error instanceof mongo.MongoParseError ||
    error instanceof mongo.MongoInvalidArgumentError ||
    error instanceof mongo.MongoMissingCredentialsError
  )
    return "misconfigured";
  if (
    error instanceof mongo.MongoNetworkError || // includes timeouts and a cleared pool
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoTopologyClosedError ||
    error instanceof mongo.MongoServerClosedError ||
    error instanceof mongo.MongoClientClosedError || // our own reset raced an operation
    error instanceof mongo.MongoWriteConcernError ||
    error instanceof WriteConcernNotMet ||
    // Not exported by the driver: a pool we closed (a dropped client) or one too busy to lend a socket.
    (error instanceof mongo.MongoDriverError &&
      (error.name === "MongoPoolClosedError" || error.name === "MongoWaitQueueTimeoutError"))
  )
    return "unavailable";
  if (error instanceof mongo.MongoServerError) {
    if (typeof error.code === "number" && CONFIGURATION_CODES.has(error.code))
      return "misconfigured";
    if (typeof error.code === "number" && TRANSIENT_CODES.has(error.code)) return "unavailable";
    if (error.hasErrorLabel("RetryableWriteError") || error.hasErrorLabel("SystemOverloadedError"))
      return "unavailable";
  }
  return "unknown";
}
