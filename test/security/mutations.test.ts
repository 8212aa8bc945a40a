/**
 * Security, seeded and generated (fast-check): near misses of each credential
 * are refused, whichever character is changed, dropped or added.
 *
 * - an access token: any change to its signed part (header or payload), or to
 *   a signature character that carries signature bits only, is a 401;
 * - the admin token: any single-character change, cut or extension is a 401;
 * - the webhook hash: the same, and nothing is queued.
 *
 * The last base64url character of the signature also carries padding bits
 * that decoders ignore, so changing it may spell the same signature: that is
 * the encoding's slack, not a forgery, and it is left out.
 *
 * `npm test` runs a small seeded sample (RUNS per property); the long form runs
 * with SOAK=1 (`SOAK=1 npx vitest run --project workers test/security/`), from
 * the same seed, so a failure in either replays exactly.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { setLogLevel } from "../../src/lib/log";
import { issueAccessToken } from "../../src/lib/tokens";
import { apiInProcess as api, env, newWallet } from "../support/helpers";

const SOAK = (env as unknown as { SOAK?: string }).SOAK === "1";
// Through `apiInProcess` (test/support/helpers.ts `dispatch` says why), a case costs about a millisecond.
const RUNS = SOAK ? 3000 : 100;
const SEED = 20261127;
/** Per test: the soak form's thousands of requests take minutes on a loaded machine. */
const TIMEOUT_MS = SOAK ? 1_800_000 : 30_000;
const config = requireConfig(env);
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) =>
  String.fromCharCode(0x21 + i),
).join("");

type Edit = { kind: "replace" | "delete" | "insert"; at: number; char: string };

/** One edit of `text` at a position in [from, to), or null when it changes nothing. */
function edited(text: string, edit: Edit, from: number, to: number): string | null {
  const at = from + (edit.at % (to - from));
  const out =
    edit.kind === "replace"
      ? text.slice(0, at) + edit.char + text.slice(at + 1)
      : edit.kind === "delete"
        ? text.slice(0, at) + text.slice(at + 1)
        : text.slice(0, at) + edit.char + text.slice(at);
  return out === text ? null : out;
}

const edit = (alphabet: string) =>
  fc.record({
    kind: fc.constantFrom<Edit["kind"]>("replace", "delete", "insert"),
    at: fc.nat(),
    char: fc.constantFrom(...alphabet.split("")),
  });

afterEach(() => vi.restoreAllMocks());
// Thousands of refusals would write thousands of request and warning lines, which
// the test runner buffers per test; errors are still written.
beforeAll(() => setLogLevel("error"));
afterAll(() => setLogLevel(null));

describe(`near misses of every credential (${RUNS} seeded cases each${SOAK ? ", soak" : ""})`, () => {
  it(
    "refuses every edit of an access token's signed part or signature bits",
    async () => {
      const { user_id } = await newWallet();
      const token = (await issueAccessToken(config, user_id)).access_token;
      expect(
        (await api("/auth/me", { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      const last_signature_char = token.length - 1;
      let tried = 0;
      await fc.assert(
        fc.asyncProperty(edit(`${B64URL}.`), async (e) => {
          const forged = edited(token, e, 0, last_signature_char);
          if (forged === null) return;
          tried += 1;
          const res = await api("/auth/me", { headers: { authorization: `Bearer ${forged}` } });
          await res.arrayBuffer();
          expect(res.status, forged).toBe(401);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(tried).toBeGreaterThan(RUNS / 2);
    },
    TIMEOUT_MS,
  );

  it(
    "refuses every single-character change, cut or extension of the admin token",
    async () => {
      const token = config.ADMIN_API_TOKEN;
      expect(
        (await api("/admin/metrics", { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      await fc.assert(
        fc.asyncProperty(edit(B64URL), async (e) => {
          const forged = edited(token, e, 0, token.length);
          if (forged === null) return;
          const res = await api("/admin/metrics", {
            headers: { authorization: `Bearer ${forged}` },
          });
          await res.arrayBuffer();
          expect(res.status, forged).toBe(401);
        }),
        { seed: SEED + 1, numRuns: RUNS, endOnFailure: true },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "refuses every single-character change, cut or extension of the webhook hash, and queues nothing",
    async () => {
      const hash = config.FLUTTERWAVE_WEBHOOK_HASH;
      const send = vi.spyOn(env.WALLET_EVENTS, "send");
      const body = JSON.stringify({
        event: "charge.completed",
        data: { id: 1, tx_ref: "fnd_mutation", status: "successful", amount: 1, currency: "NGN" },
      });
      await fc.assert(
        fc.asyncProperty(edit(PRINTABLE), fc.boolean(), async (e, as_signature) => {
          const forged = edited(hash, e, 0, hash.length);
          if (forged === null) return;
          const headers = {
            "content-type": "application/json",
            [as_signature ? "flutterwave-signature" : "verif-hash"]: forged,
          };
          const res = await api("/wallet/flutterwave/webhook", { method: "POST", headers, body });
          await res.arrayBuffer();
          expect(res.status, forged).toBe(401);
        }),
        { seed: SEED + 2, numRuns: RUNS, endOnFailure: true },
      );
      expect(send).not.toHaveBeenCalled();
    },
    TIMEOUT_MS,
  );
});
