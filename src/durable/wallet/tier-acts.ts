/**
 * An operator's KYC tier act (issue 21): set a tier override (a sticky
 * downgrade to 0-2, or an upgrade to 3 granted only over tier 2,
 * src/domain/tiers.ts `tierOverrideRefusal`) or lift it, always under four
 * eyes. An operator proposes (kind `tier`, amount 0: no money moves); a
 * different approver approves, and the override is set in that approval's
 * storage transaction (./proposals.ts `approve`), audited, and the tier's
 * new wallet version goes on the change feed (watchers, the projection, the
 * operator index) with it.
 *
 * The upgrade rule is checked when proposed and again when approved: the
 * identities may change in between (an override then refused leaves the
 * proposal pending, like a debit that no longer fits).
 */
import { roleAtLeast, type Actor, type Facts, type Proposal } from "../../domain/acts";
import { tierOverrideRefusal, type Tier } from "../../domain/tiers";
import type { WalletCore } from "./core";
import { insertProposal, type ActSettings } from "./proposal-rows";

export type TierActInput = { tier: Tier | null; reason: string; evidence?: string | null };

export type TierProposeOutcome =
  | { outcome: "proposed"; proposal: Proposal }
  | { outcome: "tier_upgrade_needs_tier_2"; tier: Tier }
  | { outcome: "role_required" }
  | { outcome: "no_wallet" };

const kindsOf = (core: WalletCore) => core.tiers.identities().map((row) => row.kind);

/** Why setting `tier` is refused now (inside the caller's storage transaction); null: it may be set. */
export function tierActRefusal(core: WalletCore, tier: Tier | null) {
  return tierOverrideRefusal(kindsOf(core), tier);
}

/**
 * Set (or lift, `tier: null`) the override and audit it; call inside the
 * act's storage transaction, after its checks. Returns the tier it gives.
 */
export function applyTierOverride(
  core: WalletCore,
  actor: Actor,
  input: TierActInput & { proposal_id?: string | null },
  now_ms: number,
): Tier {
  const before = core.tiers.tier();
  const after = core.tiers.setOverride(
    input.tier === null
      ? null
      : { tier: input.tier, reason: input.reason, operator: actor.id, at_ms: now_ms },
  );
  core.audit.append(
    actor,
    {
      action: "executed",
      target: "tier_override",
      reason: input.reason,
      evidence: input.evidence ?? null,
      before: { tier: before },
      after: { tier: after, override: input.tier },
      proposal_id: input.proposal_id ?? null,
    },
    now_ms,
  );
  return after;
}

/** Propose a tier act: an operator's, audited, refused at once if the upgrade rule refuses it now. */
export function proposeTier(
  core: WalletCore,
  actor: Actor,
  input: TierActInput & { id: string },
  settings: ActSettings,
  now_ms: number,
): TierProposeOutcome {
  if (!roleAtLeast(actor.role, "operator")) return { outcome: "role_required" };
  return core.storage.transactionSync((): TierProposeOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const tier = core.tiers.tier();
    if (tierActRefusal(core, input.tier)) return { outcome: "tier_upgrade_needs_tier_2", tier };
    const payload: Facts = {
      tier: input.tier,
      reason: input.reason,
      evidence: input.evidence ?? null,
    };
    const proposal = insertProposal(
      core,
      {
        id: input.id,
        kind: "tier",
        payload,
        tx_ref: null,
        tx_version: null,
        amount_minor: 0,
        proposed_by: actor.id,
        created_at_ms: now_ms,
        expires_at_ms: now_ms + settings.ttl_ms,
      },
      now_ms,
    );
    core.audit.append(
      actor,
      {
        action: "proposed",
        target: "tier",
        reason: input.reason,
        evidence: input.evidence ?? null,
        before: { tier },
        after: { status: "pending", override: input.tier },
        proposal_id: proposal.id,
      },
      now_ms,
    );
    return { outcome: "proposed", proposal };
  });
}

/** The tier a `tier` proposal's payload asks for (null: lift the override); undefined: not a valid payload. */
export function requestedTier(payload: Proposal["payload"]): Tier | null | undefined {
  const tier = payload.tier;
  if (tier === null) return null;
  return tier === 0 || tier === 1 || tier === 2 || tier === 3 ? tier : undefined;
}
