import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  LOGIN_CLIENT_FREE_FAILURES,
  LOGIN_CLIENTS_TRACKED_MAX,
  LOGIN_EMAIL_FAILURES_MAX,
  LOGIN_KNOWN_CLIENTS_MAX,
} from "../../../src/durable/login-throttle/limits";
import { env, uniqueEmail } from "../../support/helpers";

const throttleFor = () => env.LOGIN_THROTTLE.getByName(uniqueEmail("throttle"));
type Throttle = ReturnType<typeof throttleFor>;

function count(throttle: Throttle, table: "clients" | "failures" | "known_clients") {
  return runInDurableObject(
    throttle,
    (_i, state) =>
      state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n,
  );
}

describe("LoginThrottle", () => {
  it("counts an attempt when it begins, so concurrent guesses from one client get no more than the free failures", async () => {
    const throttle = throttleFor();
    const gates = await Promise.all(Array.from({ length: 20 }, () => throttle.begin("10.1.1.1")));
    expect(gates.filter((g) => g.outcome === "proceed")).toHaveLength(LOGIN_CLIENT_FREE_FAILURES);
    expect(gates.filter((g) => g.outcome === "throttled" && g.scope === "client")).toHaveLength(
      20 - LOGIN_CLIENT_FREE_FAILURES,
    );
  });

  it("keeps at most LOGIN_EMAIL_FAILURES_MAX failure rows and LOGIN_CLIENTS_TRACKED_MAX client rows", async () => {
    const throttle = throttleFor();
    // Known clients are exempt from the ceiling, so this one client name space can keep writing.
    const clients = LOGIN_CLIENTS_TRACKED_MAX + 5;
    for (let i = 0; i < clients; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, clients - i) }, async (_, j) => {
          const client = `10.2.${Math.floor((i + j) / 250)}.${(i + j) % 250}`;
          // Make each client known first, so the ceiling does not stop the writes.
          const first = await throttle.begin(client);
          if (first.outcome === "proceed") await throttle.succeeded(client, first.attempt_id);
          await throttle.begin(client);
        }),
      );
    }
    expect(await count(throttle, "failures")).toBeLessThanOrEqual(LOGIN_EMAIL_FAILURES_MAX);
    expect(await count(throttle, "clients")).toBeLessThanOrEqual(LOGIN_CLIENTS_TRACKED_MAX);
    expect(await count(throttle, "known_clients")).toBeLessThanOrEqual(LOGIN_KNOWN_CLIENTS_MAX);
  });

  it("remembers at most LOGIN_KNOWN_CLIENTS_MAX known clients, the most recent ones", async () => {
    const throttle = throttleFor();
    for (let i = 0; i < LOGIN_KNOWN_CLIENTS_MAX + 5; i++) {
      const gate = await throttle.begin(`10.3.0.${i}`);
      if (gate.outcome !== "proceed") throw new Error("unexpected throttle");
      await throttle.succeeded(`10.3.0.${i}`, gate.attempt_id);
    }
    const known = await runInDurableObject(throttle, (_i, state) =>
      state.storage.sql
        .exec<{ client: string }>("SELECT client FROM known_clients")
        .toArray()
        .map((r) => r.client),
    );
    expect(known).toHaveLength(LOGIN_KNOWN_CLIENTS_MAX);
    expect(known).toContain(`10.3.0.${LOGIN_KNOWN_CLIENTS_MAX + 4}`);
    expect(known).not.toContain("10.3.0.0");
  });
});
