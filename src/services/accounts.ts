/**
 * Registration, login and the current user.
 *
 * Registration is three steps across two objects, each idempotent:
 *   1. claim the email in its Credentials object (atomic; the only race guard),
 *   2. initialise the user's Wallet object (profile + empty NGN wallet),
 *   3. mark the credentials active.
 * If the request dies between steps the claim stays `pending`; after its lease a
 * retry with the same password resumes from step 2. A concurrent attempt while
 * the lease is live gets 409, so of N simultaneous registrations one wins.
 */
import type { z } from "@hono/zod-openapi";
import { errors } from "../lib/errors";
import { type AppContext, clientAddressKey, clientIp, rateLimit } from "../lib/http";
import { newUserId } from "../lib/ids";
import { log } from "../lib/log";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
  withHashSlot,
} from "../lib/password";
import { issueAccessToken } from "../lib/tokens";
import type { LoginThrottle } from "../durable/login-throttle/object";
import type { Profile } from "../durable/wallet/object";
import { Email, type LoginBody, type RegisterBody } from "../routes/auth/schemas";
import { indexUser } from "./operator-index";

const WALLET_CURRENCY = "NGN";

export function userView(profile: Profile) {
  return {
    id: profile.user_id,
    email: profile.email,
    full_name: profile.full_name,
    created_at: new Date(profile.created_at_ms).toISOString(),
  };
}

/** Rate limits per IP run as route middleware (before validation); per email here. */
export async function register(c: AppContext, body: z.infer<typeof RegisterBody>) {
  const env = c.env;
  // The hash slot first (a 503 past it counts nothing), then the per-email limit.
  const { user_id, credentials } = await withHashSlot(async () => {
    await rateLimit(env.REGISTER_EMAIL_LIMITER, `register:email:${body.email}`);
    const credentials = env.CREDENTIALS.getByName(body.email);
    const password_hash = hashPassword(body.password);
    const claim = await credentials.claim({
      email: body.email,
      user_id: newUserId(),
      password_hash,
    });
    if (claim.outcome === "claimed") return { user_id: claim.user_id, credentials };
    // Someone holds this email. Only an abandoned registration by the same person
    // (same password, lease passed) may be resumed; everything else is a conflict.
    const resumable =
      claim.state === "pending" &&
      !claim.lease_active &&
      verifyPassword(body.password, claim.password_hash);
    if (!resumable || !(await credentials.resume(claim.user_id))) {
      throw errors.conflict("email_taken", "An account with this email already exists.");
    }
    log.info("registration resumed", { request_id: c.var.request_id, user_id: claim.user_id });
    return { user_id: claim.user_id, credentials };
  });

  const profile = await env.WALLET.getByName(user_id).init({
    user_id,
    email: body.email,
    full_name: body.full_name && body.full_name.length > 0 ? body.full_name : null,
    currency: WALLET_CURRENCY,
  });
  if (!profile) throw new Error(`wallet object for ${user_id} belongs to another user`);
  // The users index (idempotent; the shard the user id hashes to) lets
  // operators walk every wallet, e.g. to rebuild the MongoDB projection; before
  // activation, so a registration that fails here is resumed and indexed, never
  // active and missing from it.
  await indexUser(env, c.var.config.OPERATOR_INDEX_SHARDS, user_id);
  await credentials.activate(user_id);
  c.set("user_id", user_id);
  return userView(profile);
}

/**
 * Login. Throttling is per (email, client address) in the email's LoginThrottle
 * object, for registered and unknown emails alike (src/durable/login-throttle/object.ts):
 * a client waits only for its own failures, and past the per-email ceiling only
 * clients that have not logged in to the account recently are refused. A
 * refused attempt is answered 429 before any hashing, whatever its password, so
 * the refusal says nothing about the password either.
 */
export async function login(c: AppContext, body: z.infer<typeof LoginBody>) {
  // Entered before the throttle begins an attempt: a 503 for a full isolate is
  // not a failed login, and must not count towards one.
  return withHashSlot(() => loginInSlot(c, body));
}

async function loginInSlot(c: AppContext, body: z.infer<typeof LoginBody>) {
  const env = c.env;
  const email = Email.safeParse(body.username ?? body.email ?? "");
  const client = clientAddressKey(clientIp(c));

  // Every path below does exactly one Credentials lookup, one throttle decision
  // and one argon2id verification, so "no such user" and "wrong password" cost
  // the same and are throttled the same.
  let account = null;
  let attempt: { throttle: DurableObjectStub<LoginThrottle>; attempt_id: number } | null = null;
  if (email.success) {
    const throttle = env.LOGIN_THROTTLE.getByName(email.data);
    const [gate, found] = await Promise.all([
      throttle.begin(client),
      env.CREDENTIALS.getByName(email.data).lookup(),
    ]);
    if (gate.outcome === "throttled") {
      log.info("login throttled", {
        request_id: c.var.request_id,
        scope: gate.scope,
        retry_after_s: gate.retry_after_s,
      });
      throw errors.rateLimited(gate.retry_after_s);
    }
    attempt = { throttle, attempt_id: gate.attempt_id };
    account = found;
  }
  const usable = account !== null && account.state === "active";
  const hash_started_ms = Date.now();
  const password_ok = verifyPassword(
    body.password,
    usable ? account!.password_hash : DUMMY_PASSWORD_HASH,
  );
  // Development only: lets the benchmark report the hash's share of login time.
  // (In production Workers' clocks stand still during pure CPU work anyway.)
  if (!c.var.config.production)
    c.header("server-timing", `argon2id;dur=${Date.now() - hash_started_ms}`);
  if (!usable || !password_ok) {
    // The throttle counted this attempt as a failure when it began.
    throw errors.unauthorized("Incorrect email or password.", null);
  }
  const user_id = account!.user_id;
  c.set("user_id", user_id);
  await attempt!.throttle.succeeded(client, attempt!.attempt_id);
  if (needsRehash(account!.password_hash)) {
    await env.CREDENTIALS.getByName(email.data!).replaceHash(
      user_id,
      account!.password_hash,
      hashPassword(body.password),
    );
  }
  return issueAccessToken(c.var.config, user_id);
}

export async function me(c: AppContext, user_id: string) {
  const profile = await c.env.WALLET.getByName(user_id).profile();
  // A valid token for a user we do not know: treat as an invalid token.
  if (!profile) throw errors.unauthorized("The token does not name a known user.");
  return userView(profile);
}
