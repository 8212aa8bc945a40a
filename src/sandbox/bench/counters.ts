/**
 * Operation counters for the profiler (scripts/profile.mjs): development only,
 * off unless the Worker runs with BENCH_COUNTERS=1.
 *
 * What a purchase or a settlement costs in round trips and repeated work is
 * counted here, at the edges, without touching the code that does the work:
 *
 *   rpc      a Durable Object stub call, by caller and by callee binding.method
 *   call     a Durable Object method entered from outside the object (the callee's view)
 *   alarm    an object's alarm run
 *   sql      SqlStorage.exec, by the object that ran it
 *   storage  getAlarm / setAlarm / transactionSync and the key-value calls
 *   json     JSON.parse, JSON.stringify, Request/Response .json()
 *   zod      parse / safeParse / parseAsync / safeParseAsync / decode calls
 *   log      console lines, by level
 *   provider an in-process call to a look-alike (what a provider HTTP call is in development)
 *   webhook  a look-alike's in-process call to our API (its webhook delivery)
 *   fetch    a real outbound fetch
 *   queue    messages sent, batches and messages consumed
 *
 * Each count is keyed by where it happened: `worker:<area>` (an HTTP request
 * from outside, to `/api/v1` or to a look-alike's `/__sandbox/<name>`),
 * `queue` (the consumer), `self:<area>` (an in-process call through
 * src/lib/self.ts: a provider call to a look-alike, or a look-alike delivering
 * a webhook to `/api/v1`), the Durable Object class whose method was running,
 * or `startup` (module and constructor work before any of these).
 *
 * Why here and not in the code being measured: nothing in src/durable,
 * src/routes or src/lib changes. When BENCH_COUNTERS is not "1" nothing is
 * wrapped at all (zero cost), and production's entry (src/worker-production.ts)
 * never imports this module. Counts are per isolate; wrangler dev runs the
 * Worker and all its objects in one isolate, so one map sees everything.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { env } from "cloudflare:workers";

export const COUNTERS_VAR = "BENCH_COUNTERS";
/** GET: the counts; POST .../reset: start again from zero. Answered before the app (src/worker.ts). */
export const COUNTERS_PATH = "/__sandbox/bench/counters";

type Context = { label: string; self?: object };
type AnyFunction = (...args: unknown[]) => unknown;
type Handlers = Required<Pick<ExportedHandler<Env, unknown>, "fetch" | "queue">>;

const context = new AsyncLocalStorage<Context>();
let counts = new Map<string, number>();
let since_ms = Date.now();
let installed = false;
/** Storage and SQL handles -> the object class they belong to; counts made before that is known. */
const owners = new WeakMap<object, string>();
const unattributed = new WeakMap<object, Map<string, number>>();
/** Durable Object namespaces -> binding name, learnt from every env seen. */
const bindingOf = new WeakMap<object, string>();
const seenEnvs = new WeakSet<object>();

function bump(key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

function where(): string {
  return context.getStore()?.label ?? "startup";
}

export function countersEnabled(env: unknown): boolean {
  return (env as Record<string, unknown> | undefined)?.[COUNTERS_VAR] === "1";
}

/** Replace `holder[name]` by `make(original)`; skipped where the runtime does not allow it. */
function wrap(holder: object, name: string, make: (original: AnyFunction) => AnyFunction): boolean {
  const original = (holder as Record<string, unknown>)[name];
  if (typeof original !== "function") return false;
  try {
    Object.defineProperty(holder, name, {
      value: make(original as AnyFunction),
      configurable: true,
      writable: true,
    });
    return true;
  } catch {
    return false;
  }
}

// ---- the isolate's globals: JSON, console, fetch, zod ------------------------------------

function installGlobals(): void {
  wrap(
    JSON,
    "parse",
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        bump(`json.parse ${where()}`);
        return Reflect.apply(original, this, args);
      },
  );
  wrap(
    JSON,
    "stringify",
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        bump(`json.stringify ${where()}`);
        return Reflect.apply(original, this, args);
      },
  );
  for (const [holder, label] of [
    [Request.prototype, "request.json"],
    [Response.prototype, "response.json"],
  ] as const) {
    wrap(
      holder,
      "json",
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          bump(`json.${label} ${where()}`);
          return Reflect.apply(original, this, args);
        },
    );
  }
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    wrap(
      console,
      level,
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          bump(`log.${level} ${where()}`);
          return Reflect.apply(original, this, args);
        },
    );
  }
  wrap(
    globalThis,
    "fetch",
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const input = args[0];
        const url = input instanceof Request ? input.url : String(input);
        bump(`fetch ${where()} -> ${new URL(url).host}`);
        return Reflect.apply(original, this, args);
      },
  );
}

const ZOD_METHODS = [
  "parse",
  "safeParse",
  "parseAsync",
  "safeParseAsync",
  "decode",
  "safeDecode",
  "decodeAsync",
  "safeDecodeAsync",
];
const wrappedZod = new WeakSet<object>();
let zodPrototypes = 0;

/**
 * zod (4.6) puts parse and its siblings on each schema class's prototype as a
 * getter that binds the method to the instance on first read. Each schema
 * class is wrapped when its first schema is built, through zod's global
 * post-processor hook (run after every construction), so no instance has
 * read its method before the wrapper is there. This module is the first
 * import of src/worker.ts, so the hook is in place before any route's schema
 * is built.
 */
function hookZod(): void {
  const holder = globalThis as { __zod_globalConfig?: { postProcessor?: (inst: object) => void } };
  const config = (holder.__zod_globalConfig ??= {});
  const previous = config.postProcessor;
  config.postProcessor = (inst: object) => {
    wrapZodPrototype(Object.getPrototypeOf(inst) as object);
    previous?.(inst);
  };
}

function wrapZodPrototype(proto: object | null): void {
  if (!proto || wrappedZod.has(proto)) return;
  wrappedZod.add(proto);
  let any = false;
  for (const method of ZOD_METHODS) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, method);
    if (!descriptor) continue;
    // The getter answers the unbound method to a nullish receiver (zod's own rule, for spies).
    const original = (descriptor.get ? descriptor.get.call(null) : descriptor.value) as
      | AnyFunction
      | undefined;
    if (typeof original !== "function") continue;
    const counted = function (this: unknown, ...args: unknown[]) {
      bump(`zod.${method} ${where()}`);
      return Reflect.apply(original, this, args);
    };
    const own = (inst: object, value: unknown) =>
      Object.defineProperty(inst, method, {
        configurable: true,
        writable: true,
        enumerable: true,
        value,
      });
    Object.defineProperty(proto, method, {
      configurable: true,
      get(this: object | null) {
        if (this == null) return counted;
        const bound = counted.bind(this);
        own(this, bound);
        return bound;
      },
      set(this: object, value: unknown) {
        own(this, value);
      },
    });
    any = true;
  }
  if (any) zodPrototypes += 1;
}

// ---- Durable Objects: the callee's methods, the callers' stubs, SQL and storage ----------------

/** Learn which binding each namespace is, and wrap the namespace, queue and storage prototypes once. */
function learnEnv(env: unknown): void {
  if (!env || typeof env !== "object" || seenEnvs.has(env)) return;
  seenEnvs.add(env);
  for (const [name, binding] of Object.entries(env as Record<string, unknown>)) {
    if (!binding || typeof binding !== "object") continue;
    const b = binding as Record<string, unknown>;
    if (typeof b.getByName === "function" && typeof b.idFromName === "function") {
      bindingOf.set(binding, name);
      wrapNamespace(Object.getPrototypeOf(binding) as object);
    } else if (typeof b.send === "function" && typeof b.sendBatch === "function") {
      wrapQueue(binding, name);
    }
  }
}

const wrappedOnce = new WeakSet<object>();

function wrapNamespace(proto: object): void {
  if (wrappedOnce.has(proto)) return;
  wrappedOnce.add(proto);
  for (const method of ["get", "getByName"]) {
    wrap(
      proto,
      method,
      (original) =>
        function (this: object, ...args: unknown[]) {
          const stub = Reflect.apply(original, this, args) as object;
          return countedStub(stub, bindingOf.get(this) ?? "?");
        },
    );
  }
}

/** The stub, with each method call counted as one round trip (property reads such as `id` pass through). */
function countedStub(stub: object, binding: string): object {
  return new Proxy(stub, {
    get(target, property) {
      const value = (target as Record<string | symbol, unknown>)[property];
      if (typeof property !== "string" || typeof value !== "function" || property === "then")
        return value;
      return (...args: unknown[]) => {
        bump(`rpc ${where()} -> ${binding}.${property}`);
        return Reflect.apply(value as AnyFunction, target, args);
      };
    },
  });
}

function wrapQueue(binding: object, name: string): void {
  if (wrappedOnce.has(binding)) return;
  wrappedOnce.add(binding);
  for (const method of ["send", "sendBatch"]) {
    wrap(
      binding,
      method,
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          bump(`queue.${method} ${where()} -> ${name}`);
          return Reflect.apply(original, this, args);
        },
    );
  }
}

const STORAGE_METHODS = [
  "getAlarm",
  "setAlarm",
  "deleteAlarm",
  "transactionSync",
  "transaction",
  "get",
  "put",
  "delete",
  "list",
  "sync",
];

/**
 * Count `kind` for the object that owns `handle` (its storage or its SQL
 * handle). Calls from an object's constructor come before its first method
 * names it: they wait in `unattributed` until then (`claim`).
 */
function bumpOwned(handle: object, kind: string): void {
  const owner = owners.get(handle) ?? context.getStore()?.label;
  if (owner) {
    bump(`${kind} ${owner}`);
    return;
  }
  const pending = unattributed.get(handle) ?? new Map<string, number>();
  pending.set(kind, (pending.get(kind) ?? 0) + 1);
  unattributed.set(handle, pending);
}

function wrapStorage(storage: object): void {
  const proto = Object.getPrototypeOf(storage) as object;
  if (!wrappedOnce.has(proto)) {
    wrappedOnce.add(proto);
    for (const method of STORAGE_METHODS) {
      wrap(
        proto,
        method,
        (original) =>
          function (this: object, ...args: unknown[]) {
            bumpOwned(this, `storage.${method}`);
            return Reflect.apply(original, this, args);
          },
      );
    }
  }
  const sql = (storage as { sql?: object }).sql;
  if (!sql) return;
  const sqlProto = Object.getPrototypeOf(sql) as object;
  if (wrappedOnce.has(sqlProto)) return;
  wrappedOnce.add(sqlProto);
  wrap(
    sqlProto,
    "exec",
    (original) =>
      function (this: object, ...args: unknown[]) {
        bumpOwned(this, "sql");
        return Reflect.apply(original, this, args);
      },
  );
}

/** The handle is the object's from now on; what its constructor ran with it is counted for the object too. */
function claim(handle: object | undefined, label: string): void {
  if (!handle || owners.has(handle)) return;
  owners.set(handle, label);
  const pending = unattributed.get(handle);
  if (pending) for (const [kind, n] of pending) bump(`${kind} ${label}`, n);
  unattributed.delete(handle);
}

const NOT_RPC = new Set(["constructor"]);

/** Wrap each method of each class: entries from outside are counted, and everything inside is attributed to the class. */
export function instrumentObjects(classes: Record<string, { prototype: object }>): void {
  if (!installed) return;
  for (const [label, cls] of Object.entries(classes)) {
    const proto = cls.prototype;
    for (const method of Object.getOwnPropertyNames(proto)) {
      if (NOT_RPC.has(method)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, method);
      if (!descriptor || typeof descriptor.value !== "function") continue;
      wrap(
        proto,
        method,
        (original) =>
          function (this: { ctx?: { storage?: object }; env?: unknown }, ...args: unknown[]) {
            const outer = context.getStore();
            // A method called by the object itself is not a round trip.
            if (outer?.self === this) return Reflect.apply(original, this, args);
            learnEnv(this.env);
            const storage = this.ctx?.storage;
            if (storage) {
              wrapStorage(storage);
              claim(storage, label);
              claim((storage as { sql?: object }).sql, label);
            }
            bump(method === "alarm" ? `alarm ${label}` : `call ${label}.${method}`);
            return context.run({ label, self: this }, () => Reflect.apply(original, this, args));
          },
      );
    }
  }
}

// ---- the Worker's own entries --------------------------------------------------------------

/** The Worker's fetch and queue handlers, counted and labelled; the counters' own route is not counted. */
export function instrumentHandlers<H extends Handlers>(handlers: H): H {
  if (!installed) return handlers;
  return {
    ...handlers,
    fetch: (request: Parameters<Handlers["fetch"]>[0], env: Env, ctx: ExecutionContext) => {
      if (new URL(request.url).pathname.startsWith(COUNTERS_PATH))
        return handlers.fetch(request, env, ctx);
      learnEnv(env);
      const label = `worker:${areaOf(routeOf(request.url))}`;
      bump(`request ${label}`);
      return context.run({ label }, () => handlers.fetch(request, env, ctx));
    },
    queue: (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => {
      learnEnv(env);
      bump("queue.batch");
      bump("queue.message", batch.messages.length);
      return context.run({ label: "queue" }, () => handlers.queue(batch, env, ctx));
    },
  };
}

/** The path with its identifiers as `:id` (all digits, or long with a digit: a tx_ref, a charge id), so routes count together. */
function routeOf(url: string): string {
  return new URL(url).pathname
    .split("/")
    .map((segment) =>
      /^\d+$/.test(segment) || (segment.length >= 12 && /\d/.test(segment)) ? ":id" : segment,
    )
    .join("/");
}

/** `/api/v1/...` -> `/api/v1` (ours); `/__sandbox/vtpass/...` -> `/__sandbox/vtpass` (a look-alike). */
function areaOf(route: string): string {
  return route.split("/").slice(0, 3).join("/");
}

/** The in-process handler (src/lib/self.ts): each call is what a provider's HTTP call (or its webhook) is in development. */
export function instrumentSelf<F extends (request: Request, ...rest: never[]) => Promise<Response>>(
  handler: F,
): F {
  if (!installed) return handler;
  return ((request: Request, ...rest: never[]) => {
    const route = routeOf(request.url);
    // To a look-alike: a provider call. To our API: a look-alike delivering its webhook.
    bump(
      `${route.startsWith("/api/") ? "webhook" : "provider"} ${where()} -> ${request.method} ${route}`,
    );
    return context.run({ label: `self:${areaOf(route)}` }, () => handler(request, ...rest));
  }) as F;
}

/** Whether the counters are on in this isolate. */
export function countersOn(): boolean {
  return installed;
}

// At module evaluation, before the modules after it in src/worker.ts build their schemas.
if (countersEnabled(env)) {
  installed = true;
  installGlobals();
  hookZod();
  learnEnv(env);
}

/** GET: the counts since the last reset; POST .../reset: zero them. */
export function countersRoute(request: Request): Response {
  if (!installed)
    return new Response(`counters are off: start the Worker with ${COUNTERS_VAR}=1`, {
      status: 404,
    });
  if (request.method === "POST" && new URL(request.url).pathname === `${COUNTERS_PATH}/reset`) {
    counts = new Map();
    since_ms = Date.now();
    return Response.json({ reset: true });
  }
  if (request.method !== "GET") return new Response("GET, or POST .../reset", { status: 405 });
  return Response.json({
    since_ms,
    now_ms: Date.now(),
    zod_schema_classes: zodPrototypes,
    counts: Object.fromEntries([...counts].sort()),
  });
}
