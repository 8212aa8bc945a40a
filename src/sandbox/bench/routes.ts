/**
 * Routes to the benchmark baselines (development only), answered by the
 * development Worker before the app, like `/__sandbox/bare`: a baseline that
 * went through our middleware would measure the middleware too.
 *
 *   POST /__sandbox/bench/increment?name=   one SQLite increment in object `name`
 *   GET  /__sandbox/bench/sockets?name=     WebSocket upgrade into object `name`
 *   POST /__sandbox/bench/broadcast?name=   one frame to every socket of `name`
 *
 * The caller (src/worker.ts) checks the configuration's `sandbox` flag first;
 * production neither mounts these routes nor binds the object.
 */
export const BENCH_BASE = "/__sandbox/bench";

/** Object names are the benchmark's own labels: short and plain. */
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The baseline's answer for `url`'s path, or null when the path is not a baseline route. */
export function benchBaseline(request: Request, url: URL, env: Env): Promise<Response> | null {
  if (!url.pathname.startsWith(`${BENCH_BASE}/`)) return null;
  const name = url.searchParams.get("name") ?? "";
  if (!NAME_PATTERN.test(name)) return Promise.resolve(new Response("name: 1-64 of [A-Za-z0-9._-]", { status: 400 }));
  // Optional in the generated Env: production does not bind it.
  if (!env.BENCH_BASELINE) return Promise.resolve(new Response("BENCH_BASELINE is not bound here", { status: 404 }));
  const stub = env.BENCH_BASELINE.getByName(name);
  const action = url.pathname.slice(BENCH_BASE.length + 1);
  if (action === "increment" && request.method === "POST") return stub.increment().then((n) => Response.json({ n }));
  if (action === "broadcast" && request.method === "POST") return stub.broadcast().then((sent) => Response.json(sent));
  if (action === "sockets" && request.method === "GET") return stub.fetch(request);
  return Promise.resolve(new Response("not found", { status: 404 }));
}
