/**
 * Waiting. One `sleep` for the whole service: provider retries back off with
 * it, and the sandbox's hung answers use its signal so they end when the
 * client gives up instead of outliving the request.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
