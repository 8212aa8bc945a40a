/**
 * BVN and NIN verification (issue 21): the identity side. A user states a
 * number, their names and date of birth; the issuer's record (through the
 * identity port) must be that person; the number must be nobody else's; then
 * the Wallet records it and recomputes the tier.
 *
 * The order resists enumeration (guessing numbers to learn whose they are):
 *   1. the format (11 digits) is checked by the route;
 *   2. the attempt is counted (the Wallet's kycAttempt, KYC_ATTEMPTS_PER_DAY)
 *      before anything else costs or tells anything;
 *   3. the provider is always asked, whatever we know of the number already,
 *      so a claimed number answers no faster than a free one;
 *   4. the issuer's person must match what the user typed (and, once the
 *      other kind is verified, the person verified then): a number that is
 *      not found and one that belongs to someone else answer the SAME 422
 *      `identity_not_verified`, byte for byte apart from the request id;
 *   5. only after a full match is the number claimed (IdentityClaims): a
 *      number verified by another user answers 409 `identity_in_use`, which
 *      tells the caller nothing they did not already know (they hold the
 *      person's number, names and date of birth);
 *   6. the Wallet records the identity (hash and last four digits only).
 *
 * Data minimisation (NDPA 2023): the number lives only in this request. What
 * is stored, logged or answered is its keyed hash (src/lib/identity-hash.ts)
 * and its last four digits; the user's stated names and date of birth are
 * never stored, and the issuer's are kept by the Wallet only to match a
 * second number against the first person.
 */
import { type Person, fullName, matchPerson, matchStoredPerson } from "../domain/name-match";
import type { IdentityKind, Tier } from "../domain/tiers";
import { KYC_ATTEMPTS_PER_DAY, KYC_PROVIDER_RETRY_AFTER_S } from "../domain/limits";
import { identityClaimsShardName } from "../durable/identity-claims/object";
import type { KycStatus } from "../durable/wallet/object";
import { AppError, errors } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { identityHash, identityLast4 } from "../lib/identity-hash";
import { log } from "../lib/log";
import { identityPort } from "../providers";

export type KycRequest = {
  number: string;
  first_name: string;
  middle_name?: string;
  last_name: string;
  date_of_birth: string;
};

export type KycView = {
  tier: Tier;
  identities: { kind: IdentityKind; last4: string; verified_at: string }[];
};

/** Not found and mismatch alike: one answer, so it tells nothing about the number. */
const notVerified = () =>
  errors.unprocessable(
    "identity_not_verified",
    "These details could not be verified against the issuer's record. Check the number, and your names and date of birth as registered with it, then try again.",
  );

const providerUnavailable = () =>
  new AppError({
    status: 503,
    code: "identity_provider_unavailable",
    title: "Service unavailable",
    detail: "Identity verification is unavailable right now; try again shortly.",
    headers: { "retry-after": String(KYC_PROVIDER_RETRY_AFTER_S) },
  });

const noWallet = () => errors.notFound("No wallet for this user.");

export function kycView(status: KycStatus): KycView {
  return {
    tier: status.tier,
    identities: status.identities.map((identity) => ({
      kind: identity.kind,
      last4: identity.last4,
      verified_at: new Date(identity.verified_at_ms).toISOString(),
    })),
  };
}

export async function kycStatusOf(c: AppContext, user_id: string): Promise<KycView> {
  const status = await c.env.WALLET.getByName(user_id).kycStatus();
  if (!status) throw noWallet();
  return kycView(status);
}

export async function verifyIdentity(
  c: AppContext,
  user_id: string,
  kind: IdentityKind,
  body: KycRequest,
): Promise<KycView> {
  const request_id = c.var.request_id;
  const wallet = c.env.WALLET.getByName(user_id);
  const report = (outcome: string, reason?: string) =>
    log.info("kyc verification", { request_id, user_id, kind, outcome, reason: reason ?? null });

  // 2. Count the attempt first.
  const attempt = await wallet.kycAttempt(KYC_ATTEMPTS_PER_DAY);
  if (!attempt.allowed) {
    report("too_many_attempts");
    throw new AppError({
      status: 429,
      code: "too_many_kyc_attempts",
      title: "Too many verification attempts",
      detail: `At most ${KYC_ATTEMPTS_PER_DAY} verification attempts a day; try again in ${attempt.retry_after_s} seconds.`,
      headers: { "retry-after": String(attempt.retry_after_s) },
    });
  }
  const status = await wallet.kycStatus();
  if (!status) throw noWallet();
  const last4 = identityLast4(body.number);
  // The user's own standing, not the number's: another number of a kind
  // already verified is refused before any lookup is paid for. A number
  // with the same last four digits may be the same one (idempotent); the
  // Wallet decides that on the hash (step 6).
  const same_kind = status.identities.find((identity) => identity.kind === kind);
  if (same_kind && same_kind.last4 !== last4) {
    report("already_verified");
    throw alreadyVerified(kind, same_kind.last4);
  }

  // 3. Always ask the provider.
  const port = identityPort({
    env: c.env,
    ctx: executionCtx(c),
    config: c.var.config,
    request_id,
    origin: new URL(c.req.url).origin,
  });
  if (!port) {
    report("no_provider");
    throw providerUnavailable();
  }
  const lookup = await port.lookup(kind, body.number);
  if (lookup.outcome === "unavailable") {
    report("provider_unavailable", lookup.reason);
    throw providerUnavailable();
  }
  if (lookup.outcome === "not_found") {
    report("not_verified", "not_found");
    throw notVerified();
  }

  // 4. The issuer's person must be the one the user typed, and the one verified before.
  const claimed: Person = {
    first_name: body.first_name,
    middle_name: body.middle_name ?? null,
    last_name: body.last_name,
    date_of_birth: body.date_of_birth,
  };
  const matched = matchPerson(claimed, lookup.person);
  if (!matched.match) {
    report("not_verified", matched.reason);
    throw notVerified();
  }
  if (status.verified_name !== null && status.verified_dob !== null) {
    const same_person = matchStoredPerson(
      { full_name: status.verified_name, date_of_birth: status.verified_dob },
      lookup.person,
    );
    if (!same_person.match) {
      report("not_verified", `other_kind_${same_person.reason}`);
      throw notVerified();
    }
  }

  // 5. One number, one user.
  const hash = identityHash(c.var.config.identity.hash_key, kind, body.number);
  const claims = c.env.IDENTITY_CLAIMS.getByName(identityClaimsShardName(hash));
  const claim = await claims.claim(hash, kind, user_id, Date.now());
  if (claim.owner !== user_id) {
    report("in_use");
    throw new AppError({
      status: 409,
      code: "identity_in_use",
      title: "Identity already in use",
      detail: `This ${kind.toUpperCase()} is already verified for another account. Contact support if it is yours.`,
    });
  }

  // 6. Record it in the Wallet; give the claim back if the Wallet refuses.
  const recorded = await wallet.recordIdentity({
    kind,
    hash,
    last4,
    verified_name: fullName(lookup.person),
    verified_dob: lookup.person.date_of_birth,
    provider: port.name,
  });
  if (recorded.outcome !== "recorded") {
    if (claim.created) await claims.release(hash, user_id);
    report(recorded.outcome);
    if (recorded.outcome === "no_wallet") throw noWallet();
    throw alreadyVerified(kind, recorded.last4);
  }
  report(recorded.changed ? "verified" : "verified_again");
  const after = await wallet.kycStatus();
  if (!after) throw noWallet();
  return kycView(after);
}

function alreadyVerified(kind: IdentityKind, last4: string): AppError {
  return errors.conflict(
    "identity_already_verified",
    `Another ${kind.toUpperCase()} (ending ${last4}) is already verified for this account.`,
  );
}
