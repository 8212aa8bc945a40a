/**
 * Vitest global setup for the `workers` project: starts the MongoDB-wire test
 * double on loopback before workerd starts, and hands its URI to the pool
 * (which binds it as MONGODB_URI, see vitest.config.ts) and to the tests
 * (`inject("mongoUri")`). Tests that need to cause an outage get the double's
 * control URL (`inject("mongoControl")`).
 *
 * With MONGODB_TEST_URI set, no double is started: the same tests run against
 * that real server, and the control URL is empty, so outage tests skip.
 *
 * Reaching 127.0.0.1 from workerd needs nothing more: the driver's node:net
 * sockets are built on connect() from cloudflare:sockets, which goes out
 * through miniflare's default network service, and that allows private and
 * loopback addresses. (Deployed Workers cannot reach loopback; only tests do.)
 */
import { MongoDoubleServer, serveControl } from "./server.mjs";

/** @type {MongoDoubleServer | undefined} */
let double;
/** @type {{ url: string; close: () => Promise<void> } | undefined} */
let control;

/** @param {import("vitest/node").TestProject} project */
export async function setup(project) {
  const real_uri = process.env.MONGODB_TEST_URI?.trim();
  if (real_uri) {
    project.provide("mongoUri", real_uri);
    project.provide("mongoControl", "");
    return;
  }
  double = new MongoDoubleServer();
  await double.start();
  control = await serveControl(double);
  project.provide("mongoUri", double.uri);
  project.provide("mongoControl", control.url);
}

export async function teardown() {
  await control?.close();
  await double?.stop();
}
