/**
 * Where the look-alikes live inside this Worker. Every one is mounted under
 * one prefix, which app.ts answers 404 for unless the sandbox is enabled (and
 * it never is in production).
 */
export const SANDBOX_ROOT = "/__sandbox" as const;
