/**
 * Helpers for the realtime tests: open a funding through the real Wallet
 * object, settle it through the Wallet's own RPC (the path the queue consumer
 * takes), and watch it over a real WebSocket through the real Worker.
 */
import { exports } from "cloudflare:workers";
import { FUND_PENDING_MAX_CEILING } from "../../src/domain/limits";
import type { ProviderFacts } from "../../src/domain/transactions";
import { requireConfig } from "../../src/lib/config";
import { newTxRef } from "../../src/lib/ids";
import { issueWatchTicket } from "../../src/lib/tokens";
import { env, newWallet, ORIGIN } from "./helpers";

export const WS_URL = `${ORIGIN}/api/v1/ws/wallet`;

type WalletStub = Awaited<ReturnType<typeof newWallet>>["stub"];

/** A wallet with one PENDING funding; the Wallet arms the Room as it opens it. */
/**
 * A PENDING funding. `expired`: its checkout deadline has passed, so a payment
 * for too little or in another currency ends it FAILED (before the deadline
 * such a payment is owed back and the funding stays open).
 */
export async function pendingFunding(
  amount_minor = 150_000,
  { expired = false }: { expired?: boolean } = {},
) {
  const w = await newWallet();
  const tx_ref = newTxRef("FUND", w.user_id);
  const deadline_at_ms = expired ? Date.now() - 1 : Date.now() + 3_600_000;
  const opened = await w.stub.openFunding({
    tx_ref,
    amount_minor,
    currency: "NGN",
    pending_max: FUND_PENDING_MAX_CEILING,
    deadline_at_ms,
  });
  if (opened.outcome !== "opened") throw new Error(`openFunding: ${opened.outcome}`);
  return { ...w, tx_ref, amount_minor };
}

export function paid(
  tx_ref: string,
  amount_minor: number,
): Extract<ProviderFacts, { found: true }> {
  return {
    found: true,
    provider_ref: String(Math.floor(Math.random() * 1e9)),
    our_ref: tx_ref,
    outcome: "succeeded",
    amount_minor,
    currency: "NGN",
    message: null,
  };
}

/** Settle through the Wallet's RPC, as the queue consumer does after verifying with the provider. */
export async function settle(stub: WalletStub, tx_ref: string, facts: ProviderFacts) {
  return stub.applyProviderFacts(tx_ref, facts, { via: "webhook" });
}

export async function ticketFor(
  user_id: string,
  tx_ref: string,
  ttl_s = 600,
  now_s?: number,
): Promise<string> {
  return issueWatchTicket(requireConfig(env), user_id, tx_ref, ttl_s, now_s);
}

export type Frame = { v?: number; type?: string; [key: string]: unknown };
export type Closed = { code: number; reason: string };

/** One client socket, with its frames queued so a test can await them in order. */
export class Watcher {
  readonly frames: (Frame | string)[] = [];
  private waiters: (() => void)[] = [];
  closedWith: Closed | null = null;
  readonly closed: Promise<Closed>;

  constructor(readonly ws: WebSocket) {
    let resolveClosed!: (c: Closed) => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    ws.addEventListener("message", (event) => {
      const data = event.data as string;
      let frame: Frame | string = data;
      try {
        frame = JSON.parse(data) as Frame;
      } catch {
        // "pong" and other plain text stay strings
      }
      this.frames.push(frame);
      this.wake();
    });
    ws.addEventListener("close", (event) => {
      this.closedWith = { code: event.code, reason: event.reason };
      resolveClosed(this.closedWith);
      this.wake();
    });
    ws.accept();
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Wait until `pick` finds a frame (searching from `from`), or fail after timeout_ms. */
  async waitFor<T extends Frame | string>(
    pick: (f: Frame | string) => boolean,
    timeout_ms = 5_000,
    from = 0,
  ): Promise<T> {
    const deadline = Date.now() + timeout_ms;
    for (;;) {
      const found = this.frames.slice(from).find(pick);
      if (found !== undefined) return found as T;
      if (this.closedWith)
        throw new Error(
          `socket closed (${this.closedWith.code} ${this.closedWith.reason}) before the frame; got ${JSON.stringify(this.frames)}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching frame within ${timeout_ms} ms; got ${JSON.stringify(this.frames)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  status(status: string, timeout_ms = 5_000): Promise<Frame> {
    return this.waitFor(
      (f) => typeof f === "object" && f.type === "status" && f.status === status,
      timeout_ms,
    );
  }

  async closedWithin(timeout_ms = 5_000): Promise<Closed> {
    return Promise.race([
      this.closed,
      new Promise<Closed>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `not closed within ${timeout_ms} ms; frames ${JSON.stringify(this.frames)}`,
              ),
            ),
          timeout_ms,
        ),
      ),
    ]);
  }

  send(data: string) {
    this.ws.send(data);
  }

  close(code = 1000, reason = "test done") {
    try {
      this.ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}

/** Upgrade through the real Worker; returns the response and, on 101, a Watcher. */
export async function upgrade(
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<{ res: Response; watcher: Watcher | null }> {
  const url = new URL(WS_URL);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await exports.default.fetch(url.toString(), {
    headers: { upgrade: "websocket", ...headers },
  });
  return { res, watcher: res.webSocket ? new Watcher(res.webSocket) : null };
}

/** Upgrade and insist on 101. */
export async function watch(
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Watcher> {
  const { res, watcher } = await upgrade(query, headers);
  if (res.status !== 101 || !watcher)
    throw new Error(`expected 101, got ${res.status}: ${await res.text()}`);
  return watcher;
}
