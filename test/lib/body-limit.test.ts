import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { drainOrCancel } from "../../src/lib/body-limit";
import {
  REQUEST_BODY_DRAIN_MAX_BYTES,
  REQUEST_BODY_DRAIN_MAX_MS,
  REQUEST_BODY_MAX_BYTES,
} from "../../src/lib/limits";
import { env, expectProblem, ORIGIN } from "../support/helpers";

const CHUNK_BYTES = 4096;

/** A body of `total_bytes` in 4 KiB chunks that records how it ended: read to the end, or cancelled. */
function countedBody(
  total_bytes: number,
  options: { failAfterBytes?: number; endless?: boolean } = {},
) {
  const chunk = new Uint8Array(CHUNK_BYTES).fill(97);
  const state = { pulled_bytes: 0, ended: false, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (options.failAfterBytes !== undefined && state.pulled_bytes >= options.failAfterBytes) {
        controller.error(new Error("Network connection lost."));
        return;
      }
      if (!options.endless && state.pulled_bytes >= total_bytes) {
        state.ended = true;
        controller.close();
        return;
      }
      if (options.endless) return; // never another chunk: a client that went quiet
      state.pulled_bytes += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

function post(body: ReadableStream<Uint8Array>): Promise<Response> {
  const request = new Request(`${ORIGIN}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
  return Promise.resolve(createApp().fetch(request, env, createExecutionContext()));
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("refused bodies are drained, not abandoned half-read", () => {
  it("reads an oversized chunked body to its end before answering 413", async () => {
    const { stream, state } = countedBody(REQUEST_BODY_MAX_BYTES * 4);
    const problem = await expectProblem(await post(stream), 413);
    expect(problem.code).toBe("payload_too_large");
    expect(state.ended).toBe(true);
    expect(state.cancelled).toBe(false);
  });

  it("drains at most REQUEST_BODY_DRAIN_MAX_BYTES, then cancels", async () => {
    const { stream, state } = countedBody(REQUEST_BODY_DRAIN_MAX_BYTES * 2);
    expect(await drainOrCancel(stream.getReader())).toBe("cancelled");
    expect(state.cancelled).toBe(true);
    expect(state.pulled_bytes).toBeLessThanOrEqual(REQUEST_BODY_DRAIN_MAX_BYTES + 2 * CHUNK_BYTES);
  });

  it("waits at most REQUEST_BODY_DRAIN_MAX_MS for a body that stops arriving, then cancels", async () => {
    vi.useFakeTimers();
    const { stream, state } = countedBody(0, { endless: true });
    const outcome = drainOrCancel(stream.getReader());
    await vi.advanceTimersByTimeAsync(REQUEST_BODY_DRAIN_MAX_MS + 1);
    expect(await outcome).toBe("cancelled");
    expect(state.cancelled).toBe(true);
  });

  it("answers a body that breaks off mid-way with 400, logging nothing at error level", async () => {
    const errors = vi.spyOn(console, "error");
    const { stream } = countedBody(REQUEST_BODY_MAX_BYTES, { failAfterBytes: CHUNK_BYTES * 2 });
    const problem = await expectProblem(await post(stream), 400);
    expect(problem.code).toBe("body_incomplete");
    expect(errors).not.toHaveBeenCalled();
  });
});
