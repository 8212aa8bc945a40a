/**
 * Socket leases on the Worker's side: before a watch socket is accepted, one
 * lease per counting key (the user, the client address) is taken from that
 * key's SocketLeases object (src/durable/socket-leases/object.ts); a refusal by any
 * of them refuses the socket. The Room gives the leases back when a direct
 * socket ends; the relay gives back its own.
 */
import type { Config } from "../../lib/config";
import { clientAddressKey } from "../../lib/http";
import { randomBase32 } from "../../lib/ids";
import { log } from "../../lib/log";
import type { SocketLease } from "../../durable/room/connect";

export type LeaseScope = "user" | "address";
export type LeaseTake =
  | { ok: true; lease: SocketLease }
  | { ok: false; scope: LeaseScope; retry_after_s: number };

export function userLeaseKey(user_id: string): string {
  return `user:${user_id}`;
}

export function addressLeaseKey(ip: string): string {
  return `addr:${clientAddressKey(ip)}`;
}

export function newLeaseId(): string {
  return `wsl_${randomBase32(16)}`;
}

/**
 * Take (or extend, for a lease id already held) one lease per key, all or
 * none: if one key refuses, the ones taken are given back.
 */
export async function takeLeases(
  env: Env,
  config: Config,
  input: { lease_id: string; user_id: string | null; ip: string; until_ms: number },
): Promise<LeaseTake> {
  const wanted: { key: string; scope: LeaseScope; max: number }[] = [
    { key: addressLeaseKey(input.ip), scope: "address", max: config.WS_SOCKETS_PER_ADDRESS_MAX },
  ];
  if (input.user_id !== null)
    wanted.unshift({
      key: userLeaseKey(input.user_id),
      scope: "user",
      max: config.WS_SOCKETS_PER_USER_MAX,
    });
  const results = await Promise.all(
    wanted.map((w) =>
      env.SOCKET_LEASES.getByName(w.key).acquire({
        lease_id: input.lease_id,
        until_ms: input.until_ms,
        max: w.max,
      }),
    ),
  );
  const refused = results.findIndex((r) => !r.ok);
  const lease = { id: input.lease_id, keys: wanted.map((w) => w.key) };
  if (refused === -1) return { ok: true, lease };
  await releaseLeases(env, {
    id: input.lease_id,
    keys: wanted.filter((_, i) => results[i].ok).map((w) => w.key),
  });
  const refusal = results[refused];
  return {
    ok: false,
    scope: wanted[refused].scope,
    retry_after_s: refusal.ok ? 1 : refusal.retry_after_s,
  };
}

/** Give a lease back on every key. Failures are logged: the lease ends by itself at its `until_ms`. */
export async function releaseLeases(env: Env, lease: SocketLease): Promise<void> {
  await Promise.all(
    lease.keys.map((key) =>
      env.SOCKET_LEASES.getByName(key)
        .release(lease.id)
        .catch((error: unknown) => log.warn("could not release a socket lease", { error })),
    ),
  );
}
