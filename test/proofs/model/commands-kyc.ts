/**
 * The KYC tiers in the HTTP model (issue 21): each pooled user's tier, what
 * it has used today, and the refusals the README's "Tiers and limits" states.
 *
 * What counts against the Africa/Lagos day (src/durable/wallet/store.ts
 * countForTier): a held payment's amount and fee from the moment its hold is
 * placed, a funding's amount when it is credited; a failed or reversed held
 * payment gives its room back. So the model derives today's total from the
 * transactions' statuses, like the balances: credited fundings plus held
 * payments that did not fail (the pooled wallet's opening is not counted:
 * the pool empties the day's totals on restore).
 *
 * Order of the checks (src/durable/wallet/funding-flow.ts, held-payment-flow.ts):
 * a funding hears the cap (balance + amount over the tier's maximum balance)
 * before the day; a purchase or withdrawal hears insufficient_funds before the
 * day. kyc_required cannot arise: the tests run with KYC_REQUIRED=false, where
 * tier 0 has tier 1's limits.
 *
 * Lagos midnight: a sequence takes well under a second, but one may run
 * across 23:00 UTC. Once the day seen at a command's answer differs from the
 * day the sequence began on, the wallet's total restarted while the model's
 * did not, so from then on either answer (a tier refusal or what the rest of
 * the model predicts) is accepted and the limits' totals are not compared.
 *
 * Money that arrives over the cap is credited and flagged `over_tier_cap`
 * (once per funding). Which credit crosses the cap depends on the order in
 * which concurrent deliveries land, so those anomalies are checked by what
 * must hold whatever the order (overCapLines) rather than line by line.
 */
import { KYC_ATTEMPTS_PER_DAY } from "../../../src/domain/limits";
import { CBN_TIER_TABLE, lagosDayKey, nextLagosMidnightMs } from "../../../src/domain/tiers";
import { call, countCommand, countOutcome, counts, jsonPost } from "./harness";
import { fail, jsonAnswer, observe, problem, same } from "./check";
import { balances, type Model, type ModelUser } from "./model";
import { userOf, type Cmd, type Real } from "./commands-funding";
import { TEST_PERSON } from "./pool";

type Tier = 0 | 1 | 2 | 3;
type TierState = {
  tier: Tier;
  bvn: boolean;
  nin: boolean;
  /** Verification attempts counted today (KYC_ATTEMPTS_PER_DAY). */
  attempts: number;
  /** Transactions the wallet does not count today (the pooled opening). */
  uncounted: Set<string>;
  /** The Lagos day the sequence began on. */
  day: string;
};

const states = new WeakMap<ModelUser, TierState>();

/** A pooled user's tier as the pool restored it, its current transactions not counted. */
export function startTiers(user: ModelUser, tier: 0 | 1 | 3): void {
  states.set(user, {
    tier,
    bvn: tier >= 1,
    nin: tier === 3,
    attempts: 0,
    uncounted: new Set(user.txs.map((t) => t.tx_ref)),
    day: lagosDayKey(Date.now()),
  });
}

/** A pooled user's state; a user the sequence registered starts unverified (tier 0) with nothing counted. */
function stateOf(user: ModelUser): TierState {
  let state = states.get(user);
  if (!state) {
    state = {
      tier: 0,
      bvn: false,
      nin: false,
      attempts: 0,
      uncounted: new Set(),
      day: lagosDayKey(Date.now()),
    };
    states.set(user, state);
  }
  return state;
}

/** KYC_REQUIRED=false: tier 0 has tier 1's limits. */
function limitsOf(tier: Tier): { daily_limit_minor: number; max_balance_minor: number | null } {
  return CBN_TIER_TABLE[String(tier === 0 ? 1 : tier) as "1" | "2" | "3"];
}

/** Whether the Lagos day changed since the sequence began (see the file's comment). */
function dayMoved(user: ModelUser): boolean {
  return lagosDayKey(Date.now()) !== stateOf(user).day;
}

export function usedToday(user: ModelUser): number {
  const { uncounted } = stateOf(user);
  let used = 0;
  for (const tx of user.txs) {
    if (uncounted.has(tx.tx_ref)) continue;
    if (tx.type === "FUND") {
      if (tx.status === "SUCCESS") used += tx.amount_minor;
    } else if (tx.status !== "FAILED") used += tx.amount_minor + tx.fee_minor;
  }
  return used;
}

/** What is left of today's limit (null: unknown, the day moved). */
export function roomToday(user: ModelUser): number | null {
  if (dayMoved(user)) return null;
  return Math.max(0, limitsOf(stateOf(user).tier).daily_limit_minor - usedToday(user));
}

type TierCode = "tier_limit_exceeded" | "tier_balance_cap";

/** The tier refusal the README states for `minor` (a funding, or a debit that passed insufficient_funds). */
export function predicted(user: ModelUser, kind: "fund" | "debit", minor: number): TierCode | null {
  const limits = limitsOf(stateOf(user).tier);
  if (
    kind === "fund" &&
    limits.max_balance_minor !== null &&
    balances(user).balance_minor + minor > limits.max_balance_minor
  )
    return "tier_balance_cap";
  return minor > (roomToday(user) ?? Infinity) ? "tier_limit_exceeded" : null;
}

/** Whether the tiers may refuse this (a fault armed for the request would then stay armed). */
export function tierMayRefuse(user: ModelUser, kind: "fund" | "debit", minor: number): boolean {
  return dayMoved(user) || predicted(user, kind, minor) !== null;
}

async function codeOf(response: Response): Promise<string | null> {
  if (response.status !== 422) return null;
  const body = (await response.clone().json()) as { code?: string };
  return body.code ?? null;
}

/**
 * Checks a tier refusal the model predicts (status, code and the numbers it
 * names); true: the answer was one, and the command is done. false: the model
 * predicts none, and the command goes on with its own prediction.
 */
export async function tierRefused(
  user: ModelUser,
  kind: "fund" | "debit",
  minor: number,
  response: Response,
  what: string,
): Promise<boolean> {
  const label = kind === "fund" ? "fund" : what.split(" ")[0];
  if (dayMoved(user)) {
    const code = await codeOf(response);
    if (code !== "tier_limit_exceeded" && code !== "tier_balance_cap") return false;
    await problem(response, 422, code, what);
    countOutcome("tier: refused across Lagos midnight");
    return true;
  }
  const code = predicted(user, kind, minor);
  if (!code) return false;
  const now_ms = Date.now();
  const body = await problem(response, 422, code, what);
  const state = stateOf(user);
  const limits = limitsOf(state.tier);
  const used = usedToday(user);
  same(
    `${what}: ${code}`,
    [body.tier, body.used_today_minor, body.remaining_today_minor, body.required_minor],
    [state.tier, used, Math.max(0, limits.daily_limit_minor - used), minor],
  );
  if (code === "tier_balance_cap")
    same(
      `${what}: tier_balance_cap balance`,
      [body.balance_minor, body.max_balance_minor],
      [balances(user).balance_minor, limits.max_balance_minor],
    );
  else same(`${what}: tier_limit_exceeded limit`, body.limit_minor, limits.daily_limit_minor);
  // The answer is computed a moment before now; only a Lagos midnight in between could differ.
  if (lagosDayKey(now_ms) === state.day)
    same(`${what}: resets_at`, body.resets_at, new Date(nextLagosMidnightMs(now_ms)).toISOString());
  countOutcome(`${label}: ${code}`);
  return true;
}

/**
 * Refusals of held payments started at once: each must be insufficient_funds
 * or tier_limit_exceeded, and be explained with every accepted one before it
 * (the order that leaves the least room; any real order left at least as
 * much). `room_minor` null: the day moved, the day's refusals are accepted.
 */
export async function concurrentRefusal(response: Response, what: string): Promise<string> {
  const code = await codeOf(response);
  if (code !== "tier_limit_exceeded") {
    await problem(response, 422, "insufficient_funds", what);
    return "insufficient_funds";
  }
  await problem(response, 422, code, what);
  countOutcome("concurrent: tier_limit_exceeded");
  return code;
}

export function concurrentExplained(
  available_minor: number,
  room_minor: number | null,
  outcomes: { required_minor: number; accepted: boolean; code?: string }[],
): boolean {
  const taken = outcomes.filter((o) => o.accepted).reduce((sum, o) => sum + o.required_minor, 0);
  if (room_minor !== null && taken > room_minor) return false;
  return outcomes
    .filter((o) => !o.accepted)
    .every((o) =>
      o.code === "tier_limit_exceeded"
        ? room_minor === null || o.required_minor > room_minor - taken
        : o.required_minor > available_minor - taken,
    );
}

// ---- GET /wallet/limits ----------------------------------------------------------------

type WireLimits = {
  tier: number;
  daily_limit_minor: number;
  max_balance_minor: number | null;
  used_today_minor: number;
  remaining_today_minor: number;
  resets_at: string;
  next_tier: { tier: number } | null;
};

/** GET /wallet/limits against the model: tier, limits, today's total and room, the reset. */
export async function compareLimits(user: ModelUser, fee: string): Promise<void> {
  counts.requests += 1;
  const now_ms = Date.now();
  const body = await jsonAnswer<WireLimits>(
    await call(fee, "/wallet/limits", { headers: user.auth }),
    200,
    "GET /wallet/limits",
  );
  const state = stateOf(user);
  const limits = limitsOf(state.tier);
  same(
    `${user.user_id}: limits`,
    [body.tier, body.daily_limit_minor, body.max_balance_minor, body.next_tier?.tier ?? null],
    [
      state.tier,
      limits.daily_limit_minor,
      limits.max_balance_minor,
      state.tier === 3 ? null : state.tier + 1,
    ],
  );
  if (dayMoved(user) || lagosDayKey(now_ms) !== state.day) return;
  const used = usedToday(user);
  same(
    `${user.user_id}: today's total`,
    [body.used_today_minor, body.remaining_today_minor, body.resets_at],
    [
      used,
      Math.max(0, limits.daily_limit_minor - used),
      new Date(nextLagosMidnightMs(now_ms)).toISOString(),
    ],
  );
}

/**
 * The wallet's over_tier_cap anomalies, taken out of the exact comparison:
 * each names a credited funding of this wallet (once: the trail's key), and
 * a wallet whose balance is over its cap has at least one (the tiers only
 * rise in the model, so the credit that last took it past today's cap was
 * past the cap of its own moment too). Returns the other lines.
 */
export function withoutOverCap(user: ModelUser, recorded: string[]): string[] {
  const over = recorded.filter((line) => line.split(" ")[1] === "over_tier_cap");
  for (const line of over) {
    const tx = user.txs.find((t) => t.tx_ref === line.split(" ")[0]);
    if (!tx || tx.type !== "FUND" || tx.status !== "SUCCESS")
      fail(`${user.user_id}: over_tier_cap`, `${line} names no credited funding`);
  }
  const cap = limitsOf(stateOf(user).tier).max_balance_minor;
  if (cap !== null && balances(user).balance_minor > cap && over.length === 0)
    fail(`${user.user_id}: over_tier_cap`, "balance over the cap and no anomaly recorded");
  if (over.length > 0) countOutcome("tier: credited over the cap, flagged");
  return recorded.filter((line) => !over.includes(line));
}

// ---- Commands ----------------------------------------------------------------------------

let family = 0;
/** A number of the look-alike's test person's family (221xxxxxxxx, 709xxxxxxxx), new in this run. */
function familyNumber(kind: "bvn" | "nin"): string {
  family += 1;
  const tail = String((Date.now() * 1000 + family) % 100_000_000).padStart(8, "0");
  return `${kind === "bvn" ? "221" : "709"}${tail}`;
}

/** The look-alike's numbers of another person (the name differs) and of nobody. */
const OTHER = { bvn: "22222222211", nin: "70123456711" } as const;
const NOBODY = { bvn: "22222222200", nin: "70123456700" } as const;

export type Claimant = "match" | "other" | "nobody";

/** POST /kyc/bvn or /kyc/nin through the route: the tier moves, and with it the model's limits. */
export class Verify implements Cmd {
  constructor(
    readonly user: number,
    readonly kind: "bvn" | "nin",
    readonly claimant: Claimant,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("verify identity");
    const user = userOf(m, this.user);
    const state = stateOf(user);
    // The test person verifying: the kind the wallet still lacks, when it lacks one, as a
    // user raising their tier would (most pooled wallets already hold the drawn kind, and
    // the tier-raising path went unvisited in some seeded runs). Both held: the drawn kind.
    const other = this.kind === "bvn" ? "nin" : "bvn";
    const kind = this.claimant === "match" && state[this.kind] && !state[other] ? other : this.kind;
    const number =
      this.claimant === "match"
        ? familyNumber(kind)
        : this.claimant === "other"
          ? OTHER[kind]
          : NOBODY[kind];
    counts.requests += 1;
    const response = await call(
      r.fee,
      `/kyc/${kind}`,
      jsonPost(user.auth, { number, ...TEST_PERSON }),
    );
    const what = `verify ${kind} (${this.claimant})`;
    if (dayMoved(user)) state.attempts = 0;
    if (state.attempts >= KYC_ATTEMPTS_PER_DAY) {
      await problem(response, 429, "too_many_kyc_attempts", what);
      return countOutcome("verify: too_many_kyc_attempts");
    }
    state.attempts += 1;
    if (state[kind]) {
      await problem(response, 409, "identity_already_verified", what);
      return countOutcome("verify: identity_already_verified");
    }
    if (this.claimant !== "match") {
      await problem(response, 422, "identity_not_verified", what);
      return countOutcome("verify: identity_not_verified");
    }
    const body = await jsonAnswer<{ tier: number; identities: { kind: string; last4: string }[] }>(
      response,
      200,
      what,
    );
    state[kind] = true;
    const before = state.tier;
    if (state.tier !== 3) state.tier = state.bvn && state.nin ? 2 : 1;
    same(`${what}: tier`, body.tier, state.tier);
    same(
      `${what}: identity`,
      body.identities.find((i) => i.kind === kind)?.last4,
      number.slice(-4),
    );
    countOutcome(state.tier > before ? "verify: tier raised" : "verify: tier kept");
    await compareLimits(user, r.fee);
  }
  toString = () => `Verify(u${this.user}, ${this.kind}, ${this.claimant})`;
}

/** GET /wallet/limits after looking at the wallet (which adopts what its own alarm settled). */
export class Limits implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("wallet limits");
    const user = userOf(m, this.user);
    await observe(m, user, r.fee, r.active.get(user.user_id) !== false);
    await compareLimits(user, r.fee);
    countOutcome(usedToday(user) > 0 ? "limits: compared, some used" : "limits: compared");
  }
  toString = () => `Limits(u${this.user})`;
}
