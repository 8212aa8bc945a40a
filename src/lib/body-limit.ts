/**
 * Request body size limit, as middleware.
 *
 * Like Hono's `bodyLimit`, it trusts a Content-Length (without Transfer-Encoding)
 * and otherwise counts a streamed (chunked) body as it arrives, buffering at
 * most `max_bytes`. Unlike it, a refused body is not abandoned half-read: it is
 * read to its end and thrown away (up to REQUEST_BODY_DRAIN_MAX_BYTES and
 * REQUEST_BODY_DRAIN_MAX_MS), and only a body past those bounds is cancelled.
 *
 * Why: a response sent while the request body is still unread makes workerd
 * reset the connection the body came on. Clients cope, but the proxy in front
 * of `wrangler dev` does not: after an oversized chunked upload it lost the
 * *next* request (a hang, or 503 "Your worker restarted mid-request"). Its own
 * safety net (it drains bodies the Worker never touched) skips a body that was
 * partly read, which is exactly what a size check does. Draining first leaves
 * the connection clean for whoever comes next, in development and production.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "./errors";
import type { AppEnv } from "./http";
import { REQUEST_BODY_DRAIN_MAX_BYTES, REQUEST_BODY_DRAIN_MAX_MS } from "./limits";

type Reader = ReadableStreamDefaultReader<Uint8Array>;

/**
 * Read what is left of a refused body and throw it away, within the drain
 * bounds; past them, cancel it. Never throws: the client may have gone already.
 */
export async function drainOrCancel(
  reader: Reader,
  already_read_bytes = 0,
): Promise<"drained" | "cancelled"> {
  let read_bytes = already_read_bytes;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timed_out = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), REQUEST_BODY_DRAIN_MAX_MS);
  });
  try {
    for (;;) {
      const read = reader.read();
      // If the timer wins, this read is settled by the cancel below; never leave it to reject unheard.
      read.catch(() => {});
      const next = await Promise.race([read, timed_out]);
      if (next === "timeout") break;
      if (next.done) return "drained";
      read_bytes += next.value.byteLength;
      if (read_bytes > REQUEST_BODY_DRAIN_MAX_BYTES) break;
    }
    await reader.cancel().catch(() => {});
    return "cancelled";
  } catch {
    await reader.cancel().catch(() => {});
    return "cancelled";
  } finally {
    clearTimeout(timer);
  }
}

function incomplete(): AppError {
  return new AppError({
    status: 400,
    code: "body_incomplete",
    title: "Bad request",
    detail: "The request body ended before it was complete.",
  });
}

export function limitBody(max_bytes: number, tooLarge: () => Error): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      const declared_bytes = Number.parseInt(declared, 10);
      if (declared_bytes > max_bytes) {
        const reader = raw.body.getReader();
        // A body announced past the drain bound would only be cut off later: cut it now.
        if (declared_bytes > REQUEST_BODY_DRAIN_MAX_BYTES) await reader.cancel().catch(() => {});
        else await drainOrCancel(reader);
        throw tooLarge();
      }
      return next();
    }
    const reader = raw.body.getReader();
    let buffer = new Uint8Array(0);
    let size = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The client went away (or broke the stream) mid-body: its doing, not a bug
        // of ours, so a 400 and the info-level request log line, not a 500 and an error.
        throw incomplete();
      }
      const { done, value } = chunk;
      if (done) break;
      const offset = size;
      size += value.length;
      if (size > max_bytes) {
        await drainOrCancel(reader, size);
        throw tooLarge();
      }
      if (size > buffer.length) {
        const grown = new Uint8Array(Math.min(max_bytes, Math.max(size, buffer.length * 2)));
        grown.set(buffer.subarray(0, offset));
        buffer = grown;
      }
      buffer.set(value, offset);
    }
    c.req.raw = new Request(raw, { body: buffer.subarray(0, size) });
    await next();
  };
}
