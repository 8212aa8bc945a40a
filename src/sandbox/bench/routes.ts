/**
 * Routes to the benchmark baselines (development only), answered by the
 * development Worker before the app, like `/__sandbox/bare`: a baseline that
 * went through our middleware would measure the middleware too.
 *
 *   POST /__sandbox/bench/increment?name=   one SQLite increment in object `name`
 *   GET  /__sandbox/bench/sockets?name=     WebSocket upgrade into object `name`
 *   POST /__sandbox/bench/broadcast?name=   one frame to every socket of `name`
 *   POST /__sandbox/bench/purchase?name=&round_trips=
 *                                           a purchase's physical floor: `round_trips`
 *                                           increments in object `name` (one Durable Object
 *                                           round trip each, one SQLite write) and, halfway,
 *                                           one in-process provider call that does nothing
 *                                           (PROVIDER_NOOP_PATH, reached as a provider's
 *                                           look-alike is: providerFetch, the app, a route)
 *
 * The caller (src/worker.ts) checks the configuration's `sandbox` flag first;
 * production neither mounts these routes nor binds the object.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../lib/http";
import { providerFetch } from "../../providers/http";

export const BENCH_BASE = "/__sandbox/bench";

/**
 * The purchase baseline's provider: answered by the app's sandbox routes (so
 * only in-process, as a look-alike is; an outside request to it meets the
 * baseline routes below and is refused). Mounted at `/bench` under the sandbox.
 */
export const PROVIDER_NOOP_PATH = `${BENCH_BASE}/provider-noop`;
export const benchProviderRoutes = new Hono<AppEnv>();
benchProviderRoutes.post("/provider-noop", (c) => c.json({ ok: true }));

/** Round trips one baseline purchase may ask for: a purchase has never needed more than a few dozen. */
export const BENCH_ROUND_TRIPS_MAX = 64;

/** Object names are the benchmark's own labels: short and plain. */
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The baseline's answer for `url`'s path, or null when the path is not a baseline route. */
export function benchBaseline(
  request: Request,
  url: URL,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> | null {
  if (!url.pathname.startsWith(`${BENCH_BASE}/`)) return null;
  const name = url.searchParams.get("name") ?? "";
  if (!NAME_PATTERN.test(name))
    return Promise.resolve(new Response("name: 1-64 of [A-Za-z0-9._-]", { status: 400 }));
  // Optional in the generated Env: production does not bind it.
  if (!env.BENCH_BASELINE)
    return Promise.resolve(new Response("BENCH_BASELINE is not bound here", { status: 404 }));
  const stub = env.BENCH_BASELINE.getByName(name);
  const action = url.pathname.slice(BENCH_BASE.length + 1);
  if (action === "increment" && request.method === "POST")
    return stub.increment().then((n) => Response.json({ n }));
  if (action === "broadcast" && request.method === "POST")
    return stub.broadcast().then((sent) => Response.json(sent));
  if (action === "sockets" && request.method === "GET") return stub.fetch(request);
  if (action === "purchase" && request.method === "POST") {
    const round_trips = Number(url.searchParams.get("round_trips") ?? "");
    if (!Number.isInteger(round_trips) || round_trips < 0 || round_trips > BENCH_ROUND_TRIPS_MAX) {
      return Promise.resolve(
        new Response(`round_trips: 0-${BENCH_ROUND_TRIPS_MAX}`, { status: 400 }),
      );
    }
    return purchaseBaseline(stub, round_trips, new URL(PROVIDER_NOOP_PATH, url), env, ctx);
  }
  return Promise.resolve(new Response("not found", { status: 404 }));
}

/** What a purchase costs with nothing of ours in it: its round trips, and one provider call halfway. */
async function purchaseBaseline(
  stub: DurableObjectStub<import("./object").BenchBaseline>,
  round_trips: number,
  provider_url: URL,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const provider = providerFetch(env, ctx);
  let n = 0;
  for (let i = 0; i < round_trips; i++) {
    if (i === Math.floor(round_trips / 2)) await callProvider(provider, provider_url);
    n = await stub.increment();
  }
  if (round_trips === 0) await callProvider(provider, provider_url);
  return Response.json({ round_trips, n });
}

async function callProvider(provider: ReturnType<typeof providerFetch>, url: URL): Promise<void> {
  const res = await provider(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }),
  );
  if (res.status !== 200) throw new Error(`baseline provider call ${res.status}`);
  await res.arrayBuffer();
}
