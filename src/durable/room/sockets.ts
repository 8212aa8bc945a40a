/**
 * A Room's per-socket rules that need no object state: each socket's
 * deadlines (its credential's expiry, the close after a settlement) and the
 * return of its leases.
 */
import { log } from "../../lib/log";
import { attachmentOf } from "./connect";
import { ROOM_CLOSE_GRACE_MS } from "./limits";

/**
 * Give back the socket's leases (src/durable/socket-leases/object.ts). Also called
 * when we close a socket ourselves, since its close event may never come (a
 * vanished peer); releasing twice is harmless. A failure only delays the
 * slot until the lease's own end.
 */
export async function releaseLease(env: Env, ws: WebSocket): Promise<void> {
  const lease = attachmentOf(ws)?.app.lease;
  if (!lease) return;
  await Promise.all(
    lease.keys.map((key) =>
      env.SOCKET_LEASES.getByName(key)
        .release(lease.id)
        .catch((error: unknown) => log.warn("room could not release a socket lease", { error })),
    ),
  );
}

export function credentialExpired(ws: WebSocket, now_ms: number): boolean {
  const expires_at_ms = attachmentOf(ws)?.app.expires_at_ms;
  return expires_at_ms !== undefined && expires_at_ms <= now_ms;
}

/** When this socket's grace ends: from the settlement, or from its own join if later. */
export function closeAt(ws: WebSocket, terminal_at_ms: number): number {
  const joined_at_ms = attachmentOf(ws)?.lib.joined_at_ms ?? 0;
  return Math.max(terminal_at_ms, joined_at_ms) + ROOM_CLOSE_GRACE_MS;
}

/** This socket's next deadline: its credential's expiry, or its settled close if sooner. */
export function deadlineOf(ws: WebSocket, terminal_at_ms: number | null): number {
  const expires_at_ms = attachmentOf(ws)?.app.expires_at_ms ?? Number.MAX_SAFE_INTEGER;
  return terminal_at_ms === null
    ? expires_at_ms
    : Math.min(expires_at_ms, closeAt(ws, terminal_at_ms));
}
