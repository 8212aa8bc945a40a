/** @jsxImportSource hono/jsx */
/**
 * Pieces the console's pages share: a form that posts to its confirmation
 * page with the CSRF token, the tables of proposals and audit entries, the
 * result banner (from a fixed list: it never echoes what a URL says), and the
 * refusal page.
 */
import type { Child } from "hono/jsx";
import type { AuditEntry, Proposal } from "../../domain/acts";
import { formatMinor } from "../../domain/money";
import { ConsolePage } from "./layout";
import {
  type ConsoleActName,
  consoleConfirmPath,
  consoleTransactionPath,
  consoleWalletPath,
  CSRF_FIELD,
} from "./paths";

export const at = (ms: number | null) =>
  ms === null ? "—" : new Date(ms).toISOString().replace(".000Z", "Z");

/** What each act's banner says after it is done. */
export const DONE_MESSAGES = {
  proposed: "Proposed: a second operator with the approver role must approve it.",
  adjusted: "Adjusted: the ADJUSTMENT transaction is posted.",
  frozen: "Frozen.",
  unfrozen: "Unfrozen.",
  approved: "Approved and executed.",
  approval_failed: "Approved, but executing it failed; see the proposal's result.",
  rejected: "Rejected.",
} as const;
export type DoneFlag = keyof typeof DONE_MESSAGES;

export function Banner(props: { done?: DoneFlag }) {
  if (!props.done) return null;
  return (
    <p class="banner" role="status" data-done={props.done}>
      {DONE_MESSAGES[props.done]}
    </p>
  );
}

/** A form that posts to `act`'s confirmation page: nothing changes until the confirmed post. */
export function ActForm(props: {
  user_id: string;
  act: ConsoleActName;
  csrf: string;
  label: string;
  children?: Child;
}) {
  return (
    <form method="post" action={consoleConfirmPath(props.user_id, props.act)} data-act={props.act}>
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      {props.children}
      <button type="submit">{props.label}</button>
    </form>
  );
}

/** What a proposal asks for, in a line. */
export function describeProposal(p: Proposal): string {
  const payload = p.payload;
  switch (p.kind) {
    case "decide":
      return `Decide ${p.tx_ref}: ${String(payload.decision).toUpperCase()} (${formatMinor(p.amount_minor)}); evidence: ${String(payload.evidence ?? "")}${payload.reference ? `; reference ${String(payload.reference)}` : ""}`;
    case "adjust_credit":
    case "adjust_debit":
      return `${p.kind === "adjust_credit" ? "Credit" : "Debit"} ${formatMinor(p.amount_minor)} (${String(payload.reason_code ?? "")}): ${String(payload.reason ?? "")}`;
    case "tier":
      return `${payload.tier === null ? "Lift the KYC tier override" : `Set the KYC tier to ${String(payload.tier)}`}: ${String(payload.reason ?? "")}`;
    default:
      return `${p.kind} ${p.tx_ref ?? ""} ${formatMinor(p.amount_minor)}`;
  }
}

export function ProposalsTable(props: { proposals: Proposal[] }) {
  if (props.proposals.length === 0) return <p class="empty">None.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Proposal</th>
          <th>What</th>
          <th>Status</th>
          <th>Proposed by</th>
          <th>Decided by</th>
          <th>Expires</th>
        </tr>
      </thead>
      <tbody>
        {props.proposals.map((p) => (
          <tr data-proposal={p.id} data-status={p.status}>
            <td>
              <code>{p.id}</code>
            </td>
            <td>{describeProposal(p)}</td>
            <td>
              {p.status}
              {p.result ? <pre>{JSON.stringify(p.result)}</pre> : null}
            </td>
            <td>{p.proposed_by}</td>
            <td>{p.decided_by ?? "—"}</td>
            <td>{at(p.expires_at_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditTable(props: { entries: AuditEntry[] }) {
  if (props.entries.length === 0) return <p class="empty">None.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>At</th>
          <th>Action</th>
          <th>Operator</th>
          <th>Target</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((e) => (
          <tr data-audit={e.action}>
            <td>{at(e.at_ms)}</td>
            <td>{e.action}</td>
            <td>
              {e.operator_id} ({e.operator_role})
            </td>
            <td>
              <code>{e.target}</code>
            </td>
            <td>{e.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A refusal, readable: the problem's title, detail and status, never a stack. */
export function RefusalPage(props: {
  operator: string;
  status: number;
  title: string;
  detail?: string;
  code: string;
  back?: { user_id: string; tx_ref?: string };
}) {
  const back = props.back
    ? props.back.tx_ref
      ? consoleTransactionPath(props.back.tx_ref)
      : consoleWalletPath(props.back.user_id)
    : null;
  return (
    <ConsolePage title={props.title} operator={props.operator}>
      <section class="refusal" data-problem={props.code}>
        <h1>{props.title}</h1>
        {props.detail ? <p>{props.detail}</p> : null}
        <p class="muted">
          Status {props.status} · <code>{props.code}</code>
        </p>
        {back ? <a href={back}>Back</a> : null}
      </section>
    </ConsolePage>
  );
}
