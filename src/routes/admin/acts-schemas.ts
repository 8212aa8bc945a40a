/** Schemas of operators' acts on a wallet (./acts.ts). */
import { z } from "@hono/zod-openapi";
import {
  ADJUSTMENT_REASON_CODES,
  AUDIT_ACTIONS,
  FREEZE_MODES,
  PROPOSAL_KINDS,
  PROPOSAL_STATUSES,
} from "../../domain/acts";
import { ADJUSTMENT_MAX_MINOR } from "../../domain/limits";
import {
  ACT_TEXT_MAX_CHARS,
  AUDIT_PAGE_MAX,
  PROPOSALS_PAGE_MAX,
} from "../../durable/wallet/limits";
import { OPERATOR_LIST_MAX } from "../../durable/operations/limits";
import { PROPOSAL_ID_PATTERN, USER_ID_PATTERN } from "../../lib/ids";
import { amountField } from "../wallet/schemas";

const text = z.string().trim().min(1).max(ACT_TEXT_MAX_CHARS);
const fact = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const facts = z.record(z.string(), fact);
/** A proposal's payload: facts, one level deeper at most (a refund names its anomaly as an object). */
const payload = z.record(z.string(), z.union([fact, facts]));

export const WalletParam = z.object({ user_id: z.string().regex(USER_ID_PATTERN) });
export const ProposalParam = WalletParam.extend({
  proposal_id: z.string().regex(PROPOSAL_ID_PATTERN),
});

export const AdjustmentBody = z
  .object({
    direction: z.enum(["credit", "debit"]),
    amount: amountField(1, ADJUSTMENT_MAX_MINOR),
    reason_code: z.enum(ADJUSTMENT_REASON_CODES),
    reason: text.openapi({ description: "Why, for operators (the audit log)." }),
    user_note: text.openapi({ description: "What the user sees in their history." }),
    evidence: text.optional().openapi({ description: "A ticket, a document reference." }),
  })
  .openapi("AdjustmentRequest");

export const FreezeBody = z
  .object({
    mode: z.enum(FREEZE_MODES),
    reason: text.openapi({ description: "What the user is told (GET /wallet, the 422)." }),
    internal_reason: text,
    evidence: text.optional(),
  })
  .openapi("FreezeRequest");

export const TierActBody = z
  .object({
    tier: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.null()]).openapi({
      description:
        "The tier to cap the wallet at (a sticky downgrade, 0-2), 3 to upgrade (only over tier 2), or null to lift the override.",
    }),
    reason: text.openapi({ description: "Why, for operators (the audit log)." }),
    evidence: text.optional().openapi({ description: "A ticket, a document reference." }),
  })
  .openapi("TierActRequest");

export const UnfreezeBody = z.object({ reason: text, evidence: text.optional() });
export const DecisionBody = z.object({ reason: text.optional() });

export const Proposal = z
  .object({
    object: z.literal("proposal"),
    id: z.string(),
    user_id: z.string(),
    kind: z.enum(PROPOSAL_KINDS),
    status: z.enum(PROPOSAL_STATUSES),
    amount: z.string(),
    amount_minor: z.number().int(),
    tx_ref: z.string().nullable(),
    tx_version: z.number().int().nullable(),
    payload,
    proposed_by: z.string(),
    created_at: z.string(),
    expires_at: z.string(),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    result: facts.nullable(),
  })
  .openapi("Proposal");

export const AuditEntry = z
  .object({
    object: z.literal("audit_entry"),
    id: z.number().int(),
    user_id: z.string(),
    operator_id: z.string(),
    operator_role: z.string(),
    at: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    target: z.string(),
    reason: z.string(),
    evidence: z.string().nullable(),
    before: facts,
    after: facts,
    proposal_id: z.string().nullable(),
  })
  .openapi("AuditEntry");

export const ProposalList = z.object({ object: z.literal("list"), data: z.array(Proposal) });
export const AuditList = z.object({ object: z.literal("list"), data: z.array(AuditEntry) });

export const ProposalsQuery = z.object({
  status: z.enum(PROPOSAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(PROPOSALS_PAGE_MAX).default(50),
});

export const WalletAuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
  before_id: z.coerce.number().int().min(1).optional(),
});

export const AuditQuery = z.object({
  user_id: z.string().regex(USER_ID_PATTERN).optional(),
  operator: z.string().min(1).max(ACT_TEXT_MAX_CHARS).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(OPERATOR_LIST_MAX).default(50),
});

export const Freeze = z.object({
  object: z.literal("freeze"),
  frozen: z.object({ mode: z.enum(FREEZE_MODES), reason: z.string() }).nullable(),
});

export const QueueQuery = z.object({
  status: z.enum(PROPOSAL_STATUSES).default("pending"),
  limit: z.coerce.number().int().min(1).max(OPERATOR_LIST_MAX).default(50),
});
